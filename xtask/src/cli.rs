//! `cargo xtask regen-fixtures`: argument parsing and the three modes (record, `--rescrub`,
//! `--check`) on the workspace's own `fixtures/`.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::Command;

use withings_http::{AccessToken, Client, Clock, Region, SystemClock};

use crate::check::{self, Finding};
use crate::manifest;
use crate::record::{self, RecordOptions};
use crate::scrub::{Format, scrub_all};

/// Usage of `regen-fixtures`.
pub const USAGE: &str = "  regen-fixtures [--base-url URL] [--token-file F] [--shift-days N] [--only DIR]...
                                record the responses fixtures/manifest.toml lists, with a token from
                                --token-file (the CLI's token file, or a file holding only the token)
                                or WITHINGS_ACCESS_TOKEN; scrub them into fixtures/, then rewrite
                                their snapshots
  regen-fixtures --rescrub [--shift-days N]
                                scrub every fixture in place, then rewrite the changed snapshots
  regen-fixtures --check        fail if a fixture does not decode to its snapshot or anything in
                                fixtures/ looks like a live secret or a real identifier";

#[derive(Debug, Default)]
struct Args {
    check: bool,
    rescrub: bool,
    base_url: Option<String>,
    token_file: Option<PathBuf>,
    shift_days: i64,
    only: Vec<String>,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut out = Args::default();
    let mut flags = crate::flags::Flags::new(args);
    while let Some(flag) = flags.next_flag() {
        let mut value = |name: &str| flags.value(name);
        match flag {
            "--check" => out.check = true,
            "--rescrub" => out.rescrub = true,
            "--base-url" => out.base_url = Some(value(flag)?),
            "--token-file" => out.token_file = Some(PathBuf::from(value(flag)?)),
            "--shift-days" => {
                let v = value(flag)?;
                out.shift_days = v
                    .parse()
                    .map_err(|_| format!("--shift-days takes a whole number of days, not `{v}`"))?;
            }
            "--only" => out.only.push(value(flag)?),
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    if out.check
        && (out.rescrub
            || out.base_url.is_some()
            || out.token_file.is_some()
            || out.shift_days != 0
            || !out.only.is_empty())
    {
        return Err("--check takes no other option".into());
    }
    if out.rescrub && (out.base_url.is_some() || out.token_file.is_some() || !out.only.is_empty()) {
        return Err("--rescrub takes only --shift-days".into());
    }
    Ok(out)
}

/// Runs `regen-fixtures` on the workspace at `workspace`.
///
/// # Errors
/// A message for the user: bad arguments, a failed recording, findings of the check.
pub fn regen_fixtures(workspace: &Path, args: &[String]) -> Result<(), String> {
    let args = parse_args(args).map_err(|e| format!("{e}\n\nusage: cargo xtask\n{USAGE}"))?;
    let root = workspace.join("fixtures");
    if args.check {
        check_all(workspace, &root)
    } else if args.rescrub {
        rescrub(workspace, &root, args.shift_days)
    } else {
        record_all(workspace, &root, &args)
    }
}

fn show(findings: &[Finding]) {
    for f in findings {
        eprintln!("fixtures/{f}");
    }
}

/// The whole check: secrets, the manifest, and the snapshot test.
fn check_all(workspace: &Path, root: &Path) -> Result<(), String> {
    let mut problems = Vec::new();
    let findings = check::check_tree(root)?;
    show(&findings);
    if !findings.is_empty() {
        problems.push(format!(
            "{} value(s) in fixtures/ look live (see above)",
            findings.len()
        ));
    }
    let manifest_path = root.join("manifest.toml");
    match std::fs::read_to_string(&manifest_path) {
        Ok(text) => {
            if let Err(e) = manifest::parse(&text) {
                problems.push(format!("fixtures/manifest.toml: {e}"));
            }
        }
        Err(e) => problems.push(format!("cannot read fixtures/manifest.toml: {e}")),
    }
    if !snapshot_test(workspace)? {
        problems
            .push("a fixture does not decode to its snapshot (see the test output above)".into());
    }
    if problems.is_empty() {
        println!("fixtures: every case matches its snapshot and nothing looks live");
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// Scrubs every fixture in place (one scrubber for the whole tree), then rewrites the
/// snapshots of the folders that changed.
fn rescrub(workspace: &Path, root: &Path, shift_days: i64) -> Result<(), String> {
    let mut files = Vec::new();
    collect(root, &mut files)?;
    let mut inputs = Vec::new();
    for path in &files {
        let format = match path.extension().and_then(|e| e.to_str()) {
            Some("json") => Format::Json,
            Some("form") => Format::Form,
            _ => continue,
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        inputs.push((path.clone(), format, text));
    }
    let borrowed: Vec<(Format, &str)> = inputs.iter().map(|(_, f, t)| (*f, t.as_str())).collect();
    let outputs = scrub_all(shift_days, &borrowed);
    let mut dirs = std::collections::BTreeSet::new();
    for ((path, _, before), after) in inputs.iter().zip(outputs) {
        if *before != after {
            std::fs::write(path, after)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!("scrubbed {}", shown(root, path));
            if let Some(dir) = path.parent().and_then(Path::file_name) {
                dirs.insert(dir.to_string_lossy().into_owned());
            }
        }
    }
    update_snapshots(workspace, &dirs)?;
    check_all(workspace, root)
}

fn record_all(workspace: &Path, root: &Path, args: &Args) -> Result<(), String> {
    let manifest_path = root.join("manifest.toml");
    let text = std::fs::read_to_string(&manifest_path)
        .map_err(|e| format!("cannot read {}: {e}", manifest_path.display()))?;
    let manifest = manifest::parse(&text).map_err(|e| format!("fixtures/manifest.toml: {e}"))?;
    let token = access_token(args.token_file.as_deref())?;
    let base_url = args
        .base_url
        .clone()
        .unwrap_or_else(|| Region::Eu.api_url().to_owned());
    let client = Client::builder()
        .base_url(base_url)
        .access_token(token)
        .build()
        .map_err(|e| format!("cannot build the client: {e}"))?;
    let options = RecordOptions {
        // The one place the real time is read; recording itself takes it as a parameter.
        now: SystemClock.now().as_second(),
        shift_days: args.shift_days,
        only: args.only.clone(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start tokio: {e}"))?;
    let done = runtime.block_on(record::record(root, &manifest, &client, &options))?;
    for file in &done.written {
        println!("recorded fixtures/{file}");
        let size = std::fs::metadata(root.join(file)).map_or(0, |m| m.len());
        if size > LARGE_FIXTURE {
            eprintln!(
                "warning: fixtures/{file} is {} KB: the malformed-input tests re-decode every \
                 fixture once per value, so their time grows with the square of its size; \
                 narrow its window in fixtures/manifest.toml",
                size / 1024
            );
        }
    }
    update_snapshots(workspace, &done.dirs)?;
    let checked = check_all(workspace, root);
    if !done.failures.is_empty() {
        return Err(format!(
            "not recorded:\n{}{}",
            done.failures.join("\n"),
            checked.err().map(|e| format!("\n{e}")).unwrap_or_default()
        ));
    }
    checked
}

/// Above this size a recorded fixture gets a warning (see `record_all`).
const LARGE_FIXTURE: u64 = 16 * 1024;

/// The access token: from `--token-file` (the CLI's JSON token file, or a file holding only
/// the token), else `WITHINGS_ACCESS_TOKEN`. Never printed.
fn access_token(file: Option<&Path>) -> Result<AccessToken, String> {
    let token = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the token file {}: {e}", path.display()))?;
            match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(v) => v
                    .get("access_token")
                    .and_then(|t| t.as_str())
                    .map(str::to_owned)
                    .ok_or_else(|| format!("{} is JSON without an access_token", path.display()))?,
                Err(_) => text.trim().to_owned(),
            }
        }
        None => std::env::var("WITHINGS_ACCESS_TOKEN")
            .map_err(|_| "no token: pass --token-file F or set WITHINGS_ACCESS_TOKEN".to_owned())?,
    };
    if token.trim().is_empty() {
        return Err("the access token is empty".into());
    }
    Ok(AccessToken::new(token.trim()))
}

/// The snapshot test of `crates/withings-decode/tests/fixtures/main.rs`. Only it: the same
/// binary also runs mutation tests over every fixture, which take minutes and are the test
/// step's business, not this one's.
const SNAPSHOT_TEST: &str = "every_fixture_decodes_to_its_snapshot";

fn update_snapshots(
    workspace: &Path,
    dirs: &std::collections::BTreeSet<String>,
) -> Result<(), String> {
    for dir in dirs {
        // The test still compares the other folders, and fails while one of them is stale
        // (another folder of this run, not updated yet): the final check judges, so here only
        // the files it rewrote are shown, and a test that did not run at all is an error.
        let out = Command::new(env!("CARGO"))
            .current_dir(workspace)
            .args([
                "test",
                "--quiet",
                "-p",
                "withings-decode",
                "--test",
                "fixtures",
            ])
            .args(["--", "--exact", SNAPSHOT_TEST, "--nocapture"])
            .env("UPDATE_EXPECT", "1")
            .env("EXPECT_FILTER", dir)
            .output()
            .map_err(|e| format!("cannot run cargo test: {e}"))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !stdout.contains("test result:") {
            return Err(format!(
                "the snapshot test did not run (UPDATE_EXPECT=1 EXPECT_FILTER={dir}):\n{stderr}"
            ));
        }
        for line in stdout.lines().chain(stderr.lines()) {
            if let Some(file) = line.strip_prefix("updated ") {
                println!("updated snapshot {file}");
            }
        }
    }
    Ok(())
}

/// Runs the decode crate's snapshot test (without rewriting anything); whether it passed.
///
/// # Errors
/// Cargo could not be started.
pub fn snapshot_test(workspace: &Path) -> Result<bool, String> {
    let status = Command::new(env!("CARGO"))
        .current_dir(workspace)
        .args([
            "test",
            "--quiet",
            "-p",
            "withings-decode",
            "--test",
            "fixtures",
        ])
        .args(["--", "--exact", SNAPSHOT_TEST])
        .env_remove("UPDATE_EXPECT")
        .env_remove("EXPECT_FILTER")
        .status()
        .map_err(|e| format!("cannot run cargo test: {e}"))?;
    Ok(status.success())
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn shown(root: &Path, path: &Path) -> String {
    format!(
        "fixtures/{}",
        path.strip_prefix(root).unwrap_or(path).display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Result<Args, String> {
        parse_args(&s.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
    }

    #[test]
    fn arguments() {
        let a = args("--base-url http://127.0.0.1:1 --shift-days=-30 --only a --only b").unwrap();
        assert_eq!(a.base_url.as_deref(), Some("http://127.0.0.1:1"));
        assert_eq!((a.shift_days, a.only.len(), a.check), (-30, 2, false));
        assert!(args("--check").unwrap().check);
        assert!(args("--check --only a").is_err());
        assert!(args("--rescrub --token-file f").is_err());
        assert!(args("--shift-days x").is_err());
        assert!(args("--token-file").is_err());
        assert!(args("--frobnicate").is_err());
    }

    #[test]
    fn token_sources() {
        let dir = std::env::temp_dir().join(format!("xtask-token-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let json = dir.join("token.json");
        std::fs::write(
            &json,
            r#"{"version":1,"access_token":"abc","refresh_token":"r","expires_at":1}"#,
        )
        .unwrap();
        assert_eq!(access_token(Some(&json)).unwrap().expose_secret(), "abc");
        let plain = dir.join("token.txt");
        std::fs::write(&plain, "  xyz\n").unwrap();
        assert_eq!(access_token(Some(&plain)).unwrap().expose_secret(), "xyz");
        std::fs::write(&plain, "\n").unwrap();
        assert!(access_token(Some(&plain)).is_err());
        let e = access_token(Some(&dir.join("missing"))).unwrap_err();
        assert!(e.contains("cannot read the token file"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_malformed_manifest_is_named_with_line_and_column() {
        let root = std::env::temp_dir().join(format!("xtask-manifest-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(
            root.join("manifest.toml"),
            "[[record]]\ndir = \"v2-sleep-get\"\ncase = \"c\"\nparams = { a = 1\n",
        )
        .unwrap();
        // The manifest is read before any token is looked for or call made.
        let e = record_all(&root, &root, &Args::default()).unwrap_err();
        assert!(
            e.starts_with("fixtures/manifest.toml: line 4, column 17: unclosed inline table"),
            "{e}"
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
}
