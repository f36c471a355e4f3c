//! `withings auth`: URL, paste, state check, token file, credential sources, redirect rules.

use crate::harness::{CLIENT_ID, Env, REDIRECT, Run, SECRET, Tokens};

#[test]
fn auth_prints_the_url_warns_about_30_s_and_stores_the_token_0600() {
    let env = Env::new();
    let mut c = env.cmd();
    c.arg("--base-url").arg(env.sandbox.base_url());
    let run = env.auth_with(c);
    run.ok();
    let url = run.stdout.lines().next().unwrap();
    assert!(
        url.starts_with(&format!(
            "{}/oauth2_user/authorize2?",
            env.sandbox.base_url()
        )),
        "{url}"
    );
    assert!(
        url.contains("scope=user.info%2Cuser.metrics%2Cuser.activity"),
        "{url}"
    );
    assert!(run.stderr.contains("30 seconds"), "{}", run.stderr);
    assert!(run.stderr.contains("as user 10203040"), "{}", run.stderr);
    let path = env.token_path();
    assert!(
        run.stderr.contains(&path.display().to_string()),
        "{}",
        run.stderr
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        let dir_mode = std::fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(dir_mode & 0o077, 0, "{dir_mode:o}");
    }
    let tokens = Tokens::read(&path);
    run.no_secret(&tokens.all());
    // The token works.
    env.run(&["goals"]).ok();
}

#[test]
fn the_go_clients_settings_file_and_token_file_flag_are_read() {
    let env = Env::new();
    std::fs::write(
        env.dir.0.join(".test_settings.yaml"),
        format!("CID: \"{CLIENT_ID}\"\nSecret: \"{SECRET}\"\nRedirectURL: \"{REDIRECT}\"\n"),
    )
    .unwrap();
    let token = env.dir.0.join("elsewhere").join("tok.json");
    let mut c = env.cmd();
    c.env_remove("WITHINGS_CLIENT_ID")
        .env_remove("WITHINGS_CLIENT_SECRET")
        .env_remove("WITHINGS_REDIRECT_URL")
        .arg("--base-url")
        .arg(env.sandbox.base_url())
        .arg("--token-file")
        .arg(&token);
    env.auth_with(c).ok();
    assert!(token.exists());
    assert!(!env.token_path().exists());
    let goals = env.run(&[
        "--token-file",
        token.to_str().unwrap(),
        "goals",
        "--format",
        "csv",
    ]);
    assert!(
        goals.ok().starts_with("steps,sleep_s,weight_kg\n"),
        "{}",
        goals.stdout
    );
}

/// What `./.test_settings.yaml` makes the tool say when it gives the credentials.
const GO_NOTE: &str = "using credentials from ./.test_settings.yaml";

#[test]
fn the_go_settings_file_is_used_alone_and_said_once() {
    let env = Env::new();
    std::fs::write(
        env.dir.0.join(".test_settings.yaml"),
        format!("CID: \"{CLIENT_ID}\"\nSecret: \"{SECRET}\"\nRedirectURL: \"{REDIRECT}\"\n"),
    )
    .unwrap();
    let go_only = || {
        let mut c = env.cmd();
        c.env_remove("WITHINGS_CLIENT_ID")
            .env_remove("WITHINGS_CLIENT_SECRET")
            .env_remove("WITHINGS_REDIRECT_URL")
            .arg("--base-url")
            .arg(env.sandbox.base_url());
        c
    };
    // No other source: the file gives everything, and stderr says so once.
    let run = env.auth_with(go_only());
    run.ok();
    assert_eq!(run.stderr.matches(GO_NOTE).count(), 1, "{}", run.stderr);
    assert!(run.stderr.starts_with("note: "), "{}", run.stderr);
    run.no_secret(&Tokens::read(&env.token_path()).all());
    let goals = Run::from_output(
        go_only()
            .args(["goals", "--format", "csv"])
            .output()
            .unwrap(),
    );
    goals.ok();
    assert_eq!(
        goals.stderr.trim(),
        format!("note: {GO_NOTE} (no flag, WITHINGS_* variable or config file gives any)")
    );

    // Every credential from the environment: the file is not read (it may even be broken),
    // and nothing is said.
    std::fs::write(env.dir.0.join(".test_settings.yaml"), "CID: [broken\n").unwrap();
    let run = env.run(&["goals"]);
    run.ok();
    assert!(run.stderr.is_empty(), "{}", run.stderr);

    // One credential from the environment: the file's are not mixed in. The secret it
    // holds is not taken, and the message says the file was ignored and why.
    std::fs::write(
        env.dir.0.join(".test_settings.yaml"),
        format!("CID: other-app\nSecret: \"{SECRET}\"\nRedirectURL: \"{REDIRECT}\"\n"),
    )
    .unwrap();
    let mut c = go_only();
    c.env("WITHINGS_CLIENT_ID", CLIENT_ID).arg("auth");
    let run = Run::from_output(c.output().unwrap());
    run.fails(5, "no client secret");
    assert!(
        run.stderr
            .contains("./.test_settings.yaml is ignored because $WITHINGS_CLIENT_ID")
            && run.stderr.contains("never mixed")
            && !run.stderr.contains(GO_NOTE),
        "{}",
        run.stderr
    );
    run.no_secret(&[]);
}

#[test]
fn a_config_file_supplies_credentials_and_the_base_url() {
    let env = Env::new();
    let config = env.dir.0.join("my.conf");
    std::fs::write(
        &config,
        format!(
            "# key = value works too\nclient_id = {CLIENT_ID}\nclient_secret = {SECRET}\nredirect_url = {REDIRECT}\nbase_url = {}\n",
            env.sandbox.base_url()
        ),
    )
    .unwrap();
    let mut c = env.cmd();
    c.env_remove("WITHINGS_CLIENT_ID")
        .env_remove("WITHINGS_CLIENT_SECRET")
        .env_remove("WITHINGS_REDIRECT_URL")
        .arg("--config")
        .arg(&config);
    env.auth_with(c).ok();
    let mut c = env.cmd();
    c.args(["--config", config.to_str().unwrap(), "devices"]);
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_pasted_url_with_another_state_is_refused() {
    let env = Env::new();
    let mut c = env.cmd();
    c.arg("--base-url")
        .arg(env.sandbox.base_url())
        .arg("auth")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{REDIRECT}?code=0123abcd&state=forged").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8(out.stderr).unwrap();
    let last = err.lines().last().unwrap();
    assert!(last.starts_with("error: "), "{err}");
    assert!(
        last.contains("`state`") && last.contains("run `withings auth` again"),
        "{err}"
    );
    assert!(!env.token_path().exists());
}

#[test]
fn nothing_pasted_is_an_auth_failure() {
    let env = Env::new();
    let mut c = env.cmd();
    c.args(["--base-url", env.sandbox.base_url(), "auth"]);
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("error: nothing was pasted"), "{err}");
}

#[test]
fn a_bad_redirect_url_is_explained_rule_by_rule() {
    let env = Env::new();
    let run = {
        let mut c = env.cmd();
        c.env("WITHINGS_REDIRECT_URL", "http://localhost:8080/cb")
            .args(["--base-url", env.sandbox.base_url(), "auth"]);
        crate::harness::Run::from_output(c.output().unwrap())
    };
    run.fails(5, "(1) it must start with https://");
    assert!(
        run.stderr.contains("(2) its host must not be localhost")
            && run.stderr.contains("(3) its port")
            && run.stderr.contains("$WITHINGS_REDIRECT_URL")
            && run.stderr.contains("--restricted"),
        "{}",
        run.stderr
    );
    // A restricted-mode app may use it: the sandbox accepts any http(s) URL.
    let mut c = env.cmd();
    c.env("WITHINGS_REDIRECT_URL", "http://localhost:8080/cb")
        .args(["--base-url", env.sandbox.base_url()]);
    env.auth_with_args(c, &["--restricted"]).ok();
}

#[test]
fn missing_credentials_name_every_place_they_can_come_from() {
    let env = Env::new();
    let mut c = env.cmd();
    c.env_remove("WITHINGS_CLIENT_ID")
        .args(["--base-url", env.sandbox.base_url(), "auth"]);
    let run = crate::harness::Run::from_output(c.output().unwrap());
    run.fails(5, "no client id");
    assert!(
        run.stderr.contains("--client-id")
            && run.stderr.contains("WITHINGS_CLIENT_ID")
            && run.stderr.contains("config.yaml")
            && run.stderr.contains(".test_settings.yaml"),
        "{}",
        run.stderr
    );
    let mut c = env.cmd();
    c.env_remove("WITHINGS_CLIENT_SECRET")
        .args(["--base-url", env.sandbox.base_url(), "auth"]);
    let run = crate::harness::Run::from_output(c.output().unwrap());
    run.fails(5, "no client secret");
    run.no_secret(&[]);
}
