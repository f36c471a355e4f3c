//! The CLI sends through the library: the same request sequences, the same checks.

use jiff::Timestamp;
use withings::model::Endpoint;
use withings::model::activity::GetIntradayActivity;
use withings::model::sleep::GetSleep;
use withings_sandbox::RecordedCall;

use crate::harness::Env;

/// The calls of endpoint `E` the sandbox answered, in order.
fn calls_to<E: Endpoint>(env: &Env) -> Vec<RecordedCall> {
    env.sandbox
        .calls()
        .into_iter()
        .filter(|c| c.path == E::SERVICE.path() && c.get("action") == Some(E::ACTION))
        .collect()
}

fn at(call: &RecordedCall, key: &str) -> Timestamp {
    Timestamp::from_second(call.get(key).unwrap().parse().unwrap()).unwrap()
}

fn forms<E: Endpoint>(requests: &[E]) -> Vec<Vec<(String, String)>> {
    requests
        .iter()
        .map(|r| {
            r.form()
                .pairs()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

/// `withings <command> --since 3d` against the library's split of the window the CLI used:
/// the same calls (windows, fields, order, count).
fn same_sequence<E: Endpoint>(command: &str, request: impl Fn(Timestamp, Timestamp) -> E) {
    let env = Env::new();
    env.login();
    env.run(&[command, "--since", "3d", "--format", "json"])
        .ok();
    let sent = calls_to::<E>(&env);
    assert!(
        sent.len() >= 3,
        "{command}: a 3-day window is 3 calls or more: {sent:?}"
    );
    let (start, end) = (
        at(&sent[0], "startdate"),
        at(&sent[sent.len() - 1], "enddate"),
    );
    let library = request(start, end).calls().unwrap();
    let sent: Vec<_> = sent.into_iter().map(|c| c.form).collect();
    assert_eq!(sent, forms(&library), "{command}");
}

#[test]
fn sleep_since_3d_sends_what_the_library_splits() {
    same_sequence("sleep", |a, b| GetSleep::new().between(a, b).all_fields());
}

#[test]
fn intraday_since_3d_sends_what_the_library_splits() {
    // The CLI asks for every field unless `--data-fields` narrows it.
    same_sequence("intraday", |a, b| {
        GetIntradayActivity::new().between(a, b).all_fields()
    });
}

#[test]
fn notify_subscribe_with_a_bad_callback_url_sends_nothing() {
    let env = Env::new();
    env.login();
    let before = env.sandbox.calls().len();
    env.run(&[
        "notify",
        "subscribe",
        "--callback-url",
        "http://192.168.1.20:8123/api/webhook",
        "--appli",
        "weight",
    ])
    .fails(2, "it must start with https://");
    env.run(&[
        "notify",
        "subscribe",
        "--callback-url",
        "https://localhost/hook",
        "--appli",
        "weight",
    ])
    .fails(2, "its host must not be localhost");
    assert_eq!(env.sandbox.calls().len(), before, "a request was sent");
    // Restricted mode takes any http(s) URL.
    env.run(&[
        "notify",
        "subscribe",
        "--callback-url",
        "http://127.0.0.1:8123/hook",
        "--appli",
        "weight",
        "--restricted",
    ])
    .ok();
    assert_eq!(env.sandbox.calls().len(), before + 1);
}
