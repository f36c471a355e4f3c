//! Error paths: exit codes and one-line messages that say what to do, never a secret.

use std::process::Command;

use serde_json::json;

use crate::harness::{BIN, Env, Run};

#[test]
fn a_bad_flag_or_value_is_a_usage_error() {
    let env = Env::new();
    env.run(&["meas", "--bogus"]).fails(2, "--bogus");
    env.run(&["meas", "--bogus"]).fails(2, "withings --help");
    env.run(&["meas", "--since", "7y"]).fails(2, "unknown unit");
    env.run(&["meas", "--types", "weight,nosuch"])
        .fails(2, "unknown measure type `nosuch`");
    env.run(&["meas", "--tz", "Mars/Olympus"])
        .fails(2, "unknown time zone");
    env.run(&["meas", "--format", "xml"]).fails(2, "xml");
    env.run(&["meas", "--since", "2d", "--from", "2024-06-01"])
        .fails(2, "cannot be used with");
    env.run(&["nosuchcommand"]).fails(2, "nosuchcommand");
    // Checked before any call, after parsing.
    env.login();
    env.run(&["meas", "--from", "2024-06-03", "--to", "2024-06-01"])
        .fails(2, "after it ends");
    let none = Run::from_output(Command::new(BIN).output().unwrap());
    none.fails(2, "withings demo");
    let help = Run::from_output(Command::new(BIN).arg("--help").output().unwrap());
    assert!(help.ok().contains("Exit codes:") && help.stdout.contains("sleep-summary"));
}

#[test]
fn a_base_url_with_a_password_is_refused_without_printing_it() {
    let env = Env::new();
    for url in [
        "https://alice:pa55w0rd@wbsapi.withings.net",
        "http://alice:pa55w0rd@127.0.0.1:8088",
    ] {
        let mut c = env.cmd();
        c.args(["--base-url", url, "auth"]);
        let run = Run::from_output(c.output().unwrap());
        run.fails(
            5,
            "the base URL carries credentials (user:password@); remove them",
        );
        run.no_secret(&["pa55w0rd"]);
    }
}

fn write_token(env: &Env, access: &str, refresh: &str, expires_at: i64) {
    let path = env.token_path();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let token = json!({
        "version": 1,
        "access_token": access,
        "refresh_token": refresh,
        "expires_at": expires_at,
        "userid": "10203040",
    });
    std::fs::write(&path, token.to_string()).unwrap();
}

#[test]
fn no_token_expired_or_refused_token_says_run_withings_auth() {
    let env = Env::new();
    env.run(&["devices"]).fails(3, "run `withings auth` first");

    // Expired, and the refresh token is not one the sandbox issued.
    let access = "0123456789abcdef0123456789abcdef01234567";
    let refresh = "89abcdef0123456789abcdef0123456789abcdef";
    write_token(&env, access, refresh, 1_000_000_000);
    let run = env.run(&["devices"]);
    run.fails(3, "run `withings auth` again");
    run.no_secret(&[access, refresh]);

    // Not expired by its date, but refused (status 401), and so is its refresh.
    write_token(&env, access, refresh, 4_000_000_000);
    let run = env.run(&["meas", "--format", "json"]);
    run.fails(3, "run `withings auth` again");
    assert!(
        run.stderr.contains("401") || run.stderr.contains("503"),
        "{}",
        run.stderr
    );
    run.no_secret(&[access, refresh]);

    // Without the app's credentials an expired token cannot be refreshed: a config error.
    write_token(&env, access, refresh, 1_000_000_000);
    let mut c = env.cmd();
    c.env_remove("WITHINGS_CLIENT_SECRET")
        .args(["--base-url", env.sandbox.base_url(), "goals"]);
    Run::from_output(c.output().unwrap()).fails(5, "--client-secret");

    // A token file that is not one.
    std::fs::write(env.token_path(), "not json").unwrap();
    env.run(&["goals"]).fails(5, "token");
}

#[test]
fn a_repeated_request_within_10_s_says_wait() {
    // The real rule: status 601 for the same request within 10 s.
    let env = Env::with(|b| b);
    let tokens = env.login();
    env.run(&["devices", "--format", "csv"]).ok();
    // `--max-wait 0`: report the wait instead of waiting it out (the sandbox's clock is
    // frozen here, so waiting would never help).
    let run = env.run(&["devices", "--format", "csv", "--max-wait", "0"]);
    run.fails(4, "wait 10 s");
    assert!(
        run.stderr.contains("601") && run.stdout.is_empty(),
        "{}",
        run.stderr
    );
    run.no_secret(&tokens.all());
}

#[test]
fn an_unreachable_api_is_a_network_error() {
    let env = Env::new();
    env.login();
    // A port nothing listens on: bind one, then close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut c = env.cmd();
    c.args(["--base-url", &format!("http://127.0.0.1:{port}"), "goals"]);
    let run = Run::from_output(c.output().unwrap());
    run.fails(6, "check the network and the base URL");
    // Plain http off loopback is refused before any call.
    let mut c = env.cmd();
    c.args(["--base-url", "http://wbsapi.withings.net", "goals"]);
    Run::from_output(c.output().unwrap()).fails(5, "--base-url");
}
