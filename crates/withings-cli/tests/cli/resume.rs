//! A listing refused for the rate limit mid-pages (status 601) waits as told and goes on from
//! the refused page: every row, every page asked for once.

use std::time::{Duration, Instant};

use withings::model::Endpoint;
use withings::model::activity::GetActivity;

use crate::harness::Env;

const ARGS: [&str; 7] = [
    "activity",
    "--from",
    "2024-05-01",
    "--to",
    "2024-06-02",
    "--format",
    "json",
];

/// The `offset` of every getactivity call the sandbox answered, in order.
fn offsets(env: &Env) -> Vec<Option<String>> {
    env.sandbox
        .calls()
        .into_iter()
        .filter(|c| {
            c.path == GetActivity::SERVICE.path() && c.get("action") == Some(GetActivity::ACTION)
        })
        .map(|c| c.get("offset").map(str::to_owned))
        .collect()
}

#[test]
fn a_601_mid_pages_waits_and_goes_on_from_the_refused_page() {
    // Without a limit: the rows and pages to end with.
    let free = Env::new();
    free.login();
    let want = free.run(&ARGS);
    want.ok();
    let pages = offsets(&free);
    assert!(pages.len() >= 8, "{} pages", pages.len());

    // 5 requests a second for the whole application: the listing meets 601s (wait 1 s) after
    // a few pages.
    let limited = Env::with(|b| {
        b.rate_limit(false)
            .page_size(3)
            .meas_page_size(5)
            .app_limit(5, Duration::from_secs(1))
    });
    limited.login();
    let started = Instant::now();
    let run = limited.run(&ARGS);
    let took = started.elapsed();
    assert_eq!(run.ok(), want.stdout, "the same rows");
    let (_, refused) = limited.sandbox.app_limit_counts();
    assert!(refused >= 1, "no 601 met: the test proves nothing");
    // Refused calls are not answered: the answered ones are each page once, in order.
    assert_eq!(
        offsets(&limited),
        pages,
        "from the refused page on, none twice"
    );
    // The wait is on the progress line, which never reaches a pipe.
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    assert!(took < Duration::from_secs(15), "took {took:?}");
}
