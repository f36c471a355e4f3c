//! `-v` / `-vv` and `RUST_LOG`: one stderr line per API call from the library's
//! `withings.call` spans, stdout unchanged, and never a token or the client secret.

use serde_json::Value;

use crate::harness::{Env, Run, Tokens};

const MEAS: &[&str] = &[
    "meas",
    "--types",
    "weight",
    "--from",
    "2024-05-04",
    "--to",
    "2024-06-03",
    "--format",
    "json",
];

#[test]
fn vv_shows_every_call_and_no_secret() {
    let env = Env::new();
    let login = env.login();
    // An expired token: the command first refreshes it, a call that carries the refresh token
    // and the client secret, then pages through getmeas with the new access token.
    let path = env.token_path();
    let mut token: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    token["expires_at"] = 1_000_000_000.into();
    std::fs::write(&path, token.to_string()).unwrap();

    let mut args = vec!["-vv"];
    args.extend(MEAS);
    let run = env.run(&args);
    let stdout = run.ok().to_owned();
    let refreshed = Tokens::read(&path);
    assert_ne!(refreshed.access, login.access, "the token was refreshed");

    // A span's line is printed when it closes, with the fields recorded by then; calls made
    // inside it (the refresh) are listed after it: `withings.call{…getmeas…}:withings.call{…}`.
    let closed: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("withings.call{") && l.contains(" close "))
        .collect();
    let getmeas: Vec<&&str> = closed
        .iter()
        .filter(|l| l.contains("getmeas") && !l.contains("requesttoken"))
        .collect();
    // Pages of 5 groups: several getmeas calls, each with its status and latency.
    assert!(getmeas.len() > 1, "{}", run.stderr);
    for line in &getmeas {
        assert!(
            line.contains("measure")
                && line.contains("attempt=1")
                && line.contains("status=0")
                && line.contains("latency_ms="),
            "{line}"
        );
    }
    assert!(
        closed.iter().any(|l| l.contains("requesttoken")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("access token refreshed"),
        "{}",
        run.stderr
    );
    run.no_secret(&[
        &login.access,
        &login.refresh,
        &refreshed.access,
        &refreshed.refresh,
    ]);

    // Without the flag: the same output, and nothing on stderr.
    let quiet = env.run(MEAS);
    assert_eq!(quiet.ok(), stdout);
    assert!(quiet.stderr.is_empty(), "{}", quiet.stderr);
}

#[test]
fn rust_log_alone_is_honoured_and_v_is_global() {
    let env = Env::new();
    let login = env.login();
    let mut c = env.cmd();
    c.env("RUST_LOG", "withings_http=info")
        .args(["--base-url", env.sandbox.base_url(), "devices"])
        .args(["--format", "json"]);
    let run = Run::from_output(c.output().unwrap());
    run.ok();
    assert!(
        run.stderr.contains("withings.call") && run.stderr.contains("getdevice"),
        "{}",
        run.stderr
    );
    run.no_secret(&login.all());

    // After the command too, and -v shows info lines (not debug).
    let run = env.run(&["goals", "-v"]);
    run.ok();
    assert!(
        run.stderr.contains("withings.call") && run.stderr.contains("getgoals"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("DEBUG"), "{}", run.stderr);
    run.no_secret(&login.all());
}
