//! `withings sandbox` in the foreground (Ctrl-C stops it) and `withings demo` end to end.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use crate::harness::{REDIRECT, Run, TempDir, Tokens, clean_cmd};

/// What a browser does with the authorize URL: GET it and read the `Location` it is sent to.
fn browse(url: &str) -> String {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, target) = rest.split_at(rest.find('/').unwrap());
    let mut s = TcpStream::connect(host).unwrap();
    write!(
        s,
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 302"), "{resp}");
    resp.lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("location")
                .then(|| v.trim().to_owned())
        })
        .unwrap()
}

#[test]
fn sandbox_serves_in_the_foreground_until_ctrl_c() {
    let dir = TempDir::new();
    let mut server = clean_cmd(&dir.0)
        .args(["sandbox", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(server.stdout.take().unwrap());
    let mut banner = String::new();
    for _ in 0..4 {
        out.read_line(&mut banner).unwrap();
    }
    let first = banner.lines().next().unwrap();
    let base = first
        .strip_prefix("Withings sandbox listening on ")
        .and_then(|r| r.split(' ').next())
        .unwrap_or_else(|| panic!("{banner}"))
        .to_owned();
    assert!(first.contains("Ctrl-C"), "{banner}");
    assert!(banner.contains("client id:     sandbox-client"), "{banner}");
    assert!(banner.contains("client secret: sandbox-secret"), "{banner}");

    // A user of that sandbox: demo credentials from the environment, --base-url.
    let with_creds = || {
        let mut c = clean_cmd(&dir.0);
        c.env("WITHINGS_CLIENT_ID", "sandbox-client")
            .env("WITHINGS_CLIENT_SECRET", "sandbox-secret")
            .env("WITHINGS_REDIRECT_URL", REDIRECT)
            .args(["--base-url", &base]);
        c
    };
    let mut auth = with_creds()
        .arg("auth")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(auth.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let landed = browse(url.trim());
    assert!(landed.starts_with(REDIRECT), "{landed}");
    writeln!(auth.stdin.take().unwrap(), "{landed}").unwrap();
    let done = Run::from_output(auth.wait_with_output().unwrap());
    done.ok();
    let devices = Run::from_output(
        with_creds()
            .args(["devices", "--format", "csv"])
            .output()
            .unwrap(),
    );
    assert_eq!(devices.ok().lines().count(), 6, "{}", devices.stdout);

    // Ctrl-C: SIGINT to the process this test started.
    let status = Command::new("kill")
        .args(["-INT", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = server.wait().unwrap();
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert!(exit.success(), "{exit:?}");
    assert!(rest.contains("sandbox stopped"), "{rest}");
}

#[test]
fn sandbox_refuses_an_address_that_is_not_loopback() {
    let dir = TempDir::new();
    for addr in ["0.0.0.0:0", "[::]:0", "192.0.2.1:8088"] {
        let run = Run::from_output(
            clean_cmd(&dir.0)
                .args(["sandbox", "--addr", addr])
                .output()
                .unwrap(),
        );
        run.fails(
            2,
            "the sandbox listens on loopback only (127.0.0.0/8 or ::1)",
        );
        assert!(run.stderr.contains("--addr"), "{}", run.stderr);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
    }
}

#[test]
fn demo_runs_the_whole_flow_and_prints_weights_and_sleep() {
    let dir = TempDir::new();
    let token = dir.0.join("demo-token.json");
    let run = Run::from_output(
        clean_cmd(&dir.0)
            .args(["demo", "--token-file", token.to_str().unwrap()])
            .output()
            .unwrap(),
    );
    let out = run.ok();
    for step in [
        "1. Sandbox started",
        "2. `withings auth`",
        "3. Weight",
        "4. Activity",
        "5. Sleep summary",
    ] {
        assert!(out.contains(step), "{step} missing:\n{out}");
    }
    // A weight table: header, then rows of kg.
    let weights = out.split("3. Weight").nth(1).unwrap();
    let mut lines = weights.lines().skip(1);
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("taken_at") && header.contains("value"),
        "{header}"
    );
    let rows: Vec<&str> = lines.take_while(|l| !l.is_empty()).collect();
    assert!(rows.len() >= 15, "{weights}");
    assert!(
        rows.iter()
            .all(|r| r.contains(" weight ") && r.contains(" kg ")),
        "{rows:?}"
    );
    // A sleep summary table.
    let sleep = out.split("5. Sleep summary").nth(1).unwrap();
    let header = sleep.lines().nth(1).unwrap();
    assert!(
        header.starts_with("date") && header.contains("in_bed") && header.contains("deep"),
        "{header}"
    );
    assert!(
        sleep.lines().skip(2).take_while(|l| !l.is_empty()).count() >= 6,
        "{sleep}"
    );
    // Saved where asked, privately, and never printed; nor is the code.
    let tokens = Tokens::read(&token);
    run.no_secret(&tokens.all());
    assert!(out.contains("code=…"), "{out}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&token).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn demo_without_a_token_file_cleans_up_its_temporary_token() {
    let dir = TempDir::new();
    let run = Run::from_output(clean_cmd(&dir.0).arg("demo").output().unwrap());
    let out = run.ok();
    let saved = out
        .split("Token saved to ")
        .nth(1)
        .and_then(|r| r.split(" (").next())
        .unwrap();
    assert!(saved.contains("withings-demo-"), "{saved}");
    assert!(!std::path::Path::new(saved).exists(), "{saved} left behind");
}
