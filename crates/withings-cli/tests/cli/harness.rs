//! A sandbox on 127.0.0.1:0 in the test's own runtime, a private home directory, and the
//! `withings` binary run as a process against them.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use jiff::Timestamp;
use serde_json::Value;
use withings_sandbox::{RunningSandbox, Sandbox, SandboxBuilder};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_withings");
/// 2024-06-03T15:53:20Z, a Monday afternoon in Paris: the sandbox's data is generated around
/// it, and tests ask for explicit windows before it.
pub(crate) const NOW: i64 = 1_717_430_000;
pub(crate) const REDIRECT: &str = "https://example.org/withings/callback";
/// Not the demo's: a secret that must never appear in any output.
pub(crate) const SECRET: &str = "t0p-s3cret-of-the-test-app";
pub(crate) const CLIENT_ID: &str = "test-app";

/// What a run printed and how it ended.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    pub(crate) fn from_output(o: Output) -> Self {
        Self {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8(o.stdout).unwrap(),
            stderr: String::from_utf8(o.stderr).unwrap(),
        }
    }

    /// Asserts success and returns stdout.
    #[track_caller]
    pub(crate) fn ok(&self) -> &str {
        assert_eq!(
            self.code, 0,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        &self.stdout
    }

    /// Asserts the exit code and that stderr is one `error: ` line containing `needle`.
    #[track_caller]
    pub(crate) fn fails(&self, code: i32, needle: &str) {
        assert_eq!(
            self.code, code,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        let lines: Vec<&str> = self.stderr.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len(), 1, "one line expected, got:\n{}", self.stderr);
        assert!(lines[0].starts_with("error: "), "{}", self.stderr);
        assert!(
            lines[0].contains(needle),
            "`{needle}` not in: {}",
            self.stderr
        );
    }

    /// Asserts that no secret appears anywhere in the output.
    #[track_caller]
    pub(crate) fn no_secret(&self, secrets: &[&str]) {
        for s in secrets.iter().chain([&SECRET]) {
            assert!(
                !self.stdout.contains(s) && !self.stderr.contains(s),
                "secret printed:\n{}\n{}",
                self.stdout,
                self.stderr
            );
        }
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh private directory under the system temp dir, removed on drop.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new() -> Self {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("withings-cli-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The binary with a clean environment rooted in `dir`: its own HOME and XDG_CONFIG_HOME,
/// no `WITHINGS_*` variable and no `RUST_LOG` (tests expect a quiet stderr), UTC as the system
/// zone, `dir` as the working directory.
pub(crate) fn clean_cmd(dir: &Path) -> Command {
    let mut c = Command::new(BIN);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("WITHINGS_") || k == "RUST_LOG" {
            c.env_remove(k);
        }
    }
    std::fs::create_dir_all(dir.join("home")).unwrap();
    c.current_dir(dir)
        .env("HOME", dir.join("home"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("TZ", "UTC")
        .stdin(Stdio::null());
    c
}

/// A running sandbox and a home directory for the tool.
pub(crate) struct Env {
    pub(crate) sandbox: RunningSandbox,
    pub(crate) dir: TempDir,
    // Last: the sandbox's task runs on it, so it must outlive the sandbox handle. Only held.
    _rt: tokio::runtime::Runtime,
}

impl Env {
    /// A sandbox stopped at [`NOW`], without the 601 rules (formats of one command repeat the
    /// same requests, and a test with small pages sends more than Withings' 120 requests a
    /// minute: `resume.rs` tests that limit), with small pages so every listing spans several.
    pub(crate) fn new() -> Self {
        Self::with(|b| {
            b.rate_limit(false)
                .no_app_limit()
                .page_size(3)
                .meas_page_size(5)
        })
    }

    pub(crate) fn with(configure: impl FnOnce(SandboxBuilder) -> SandboxBuilder) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let builder = Sandbox::builder()
            .now(Timestamp::from_second(NOW).unwrap())
            .client_id(CLIENT_ID)
            .client_secret(SECRET);
        let sandbox = rt.block_on(configure(builder).build().start()).unwrap();
        Self {
            sandbox,
            dir: TempDir::new(),
            _rt: rt,
        }
    }

    /// Where the tool keeps its token by default here: `$XDG_CONFIG_HOME/withings/token.json`.
    pub(crate) fn token_path(&self) -> PathBuf {
        self.dir
            .0
            .join("config")
            .join("withings")
            .join("token.json")
    }

    /// [`clean_cmd`] with the test app's credentials in the environment. No `--base-url`:
    /// [`run`](Self::run) passes it, other tests pass their own.
    pub(crate) fn cmd(&self) -> Command {
        let mut c = clean_cmd(&self.dir.0);
        c.env("WITHINGS_CLIENT_ID", CLIENT_ID)
            .env("WITHINGS_CLIENT_SECRET", SECRET)
            .env("WITHINGS_REDIRECT_URL", REDIRECT);
        c
    }

    /// Runs `withings --base-url <sandbox> <args>`.
    pub(crate) fn run(&self, args: &[&str]) -> Run {
        let mut c = self.cmd();
        c.arg("--base-url").arg(self.sandbox.base_url()).args(args);
        Run::from_output(c.output().unwrap())
    }

    /// `withings auth` as a user does it: read the URL, "open" it (the sandbox approves),
    /// paste the URL the browser lands on.
    pub(crate) fn auth_with(&self, c: Command) -> Run {
        self.auth_with_args(c, &[])
    }

    /// As [`auth_with`](Self::auth_with), with options after `auth`.
    pub(crate) fn auth_with_args(&self, mut c: Command, args: &[&str]) -> Run {
        c.arg("auth")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut url = String::new();
        stdout.read_line(&mut url).unwrap();
        let landed = match self.sandbox.approve(url.trim()) {
            Ok(l) => l,
            Err(e) => {
                let out = child.wait_with_output().unwrap();
                panic!("{e}: {url} {}", String::from_utf8_lossy(&out.stderr));
            }
        };
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{landed}").unwrap();
        drop(stdin);
        let out = child.wait_with_output().unwrap();
        let mut run = Run::from_output(out);
        run.stdout.insert_str(0, &url);
        run
    }

    /// Authorizes through the CLI and returns the token file's tokens.
    pub(crate) fn login(&self) -> Tokens {
        let mut c = self.cmd();
        c.arg("--base-url").arg(self.sandbox.base_url());
        let run = self.auth_with(c);
        run.ok();
        Tokens::read(&self.token_path())
    }
}

/// The tokens the tool saved (to check they are never printed).
pub(crate) struct Tokens {
    pub(crate) access: String,
    pub(crate) refresh: String,
}

impl Tokens {
    pub(crate) fn read(path: &Path) -> Self {
        let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        Self {
            access: v["access_token"].as_str().unwrap().to_owned(),
            refresh: v["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    pub(crate) fn all(&self) -> [&str; 2] {
        [&self.access, &self.refresh]
    }
}

/// The sandbox's calls to `path` with `action`, oldest first.
pub(crate) fn calls_of(env: &Env, path: &str, action: &str) -> Vec<withings_sandbox::RecordedCall> {
    env.sandbox
        .calls()
        .into_iter()
        .filter(|c| c.path == path && c.get("action") == Some(action))
        .collect()
}

/// RFC 4180 CSV: a header and rows.
pub(crate) fn parse_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && row.is_empty(),
        "CSV must end with a newline"
    );
    let header = rows.remove(0);
    for r in &rows {
        assert_eq!(r.len(), header.len(), "ragged CSV row {r:?}");
    }
    (header, rows)
}

/// The text a JSON value stands for in CSV.
fn as_csv(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => panic!("nested value in a row: {other}"),
    }
}

/// Asserts that json and csv output hold the same rows, column by column, value by value
/// (numbers compared as numbers, everything else as exact text). Returns the rows as maps.
#[track_caller]
pub(crate) fn same_values(json: &str, csv: &str) -> Vec<BTreeMap<String, Value>> {
    let rows: Vec<BTreeMap<String, Value>> = serde_json::from_str(json)
        .unwrap_or_else(|e| panic!("not a JSON array of objects ({e}):\n{json}"));
    let (header, csv_rows) = parse_csv(csv);
    assert_eq!(rows.len(), csv_rows.len(), "row counts differ");
    for (j, c) in rows.iter().zip(&csv_rows) {
        let keys: Vec<&String> = j.keys().collect();
        let mut cols: Vec<&String> = header.iter().collect();
        cols.sort();
        assert_eq!(keys, cols, "json keys and csv columns differ");
        for (name, text) in header.iter().zip(c) {
            let v = &j[name];
            match v {
                Value::Number(n) if n.is_f64() => {
                    let parsed: f64 = text.parse().unwrap_or_else(|_| panic!("{name}: `{text}`"));
                    assert_eq!(n.as_f64().unwrap(), parsed, "column {name}");
                }
                _ => assert_eq!(&as_csv(v), text, "column {name}"),
            }
        }
    }
    rows
}

/// The header line of a CSV output.
pub(crate) fn csv_header(csv: &str) -> Vec<String> {
    parse_csv(csv).0
}
