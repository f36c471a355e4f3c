//! `cargo xtask`: project chores, in Rust so they run wherever cargo does.
//!
//! - `cargo xtask gen-bench-data [--groups N]`: writes the benchmark input
//!   `target/bench-data/getmeas-<N>.json` (default 50,000 groups, about 29 MB).
//! - `cargo xtask regen-fixtures [...]`: records scrubbed responses into `fixtures/`,
//!   `--rescrub`s them in place, or `--check`s that nothing there looks live (see the
//!   library's `cli` module).
//! - `cargo xtask fuzz [--iterations N] [--seed S] [--entry NAME]`: mutates the fixtures and
//!   decodes them with every decode entry point, failing on a panic or a slow input (see the
//!   library's `fuzz` module). At volume, in release:
//!   `nice -n 10 cargo run --release -p xtask -- fuzz --iterations 1000000`.
//! - `cargo xtask bench-decode [--runs N] [...]`: times the minimal typed parse, the full decode
//!   and the Go and Python anchors as whole processes on that input (see the library's
//!   `bench_decode` module).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE_HEAD: &str = "usage: cargo xtask <task>

tasks:
  gen-bench-data [--groups N]   write target/bench-data/getmeas-<N>.json (default N = 50000)
{REGEN}
{FUZZ}
{BENCH}";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("gen-bench-data") => gen_bench_data(&args[1..]),
        Some("regen-fixtures") => xtask::cli::regen_fixtures(&workspace_root(), &args[1..]),
        Some("fuzz") => xtask::fuzz::fuzz(&workspace_root(), &args[1..]),
        Some("bench-decode") => xtask::bench_decode::bench_decode(&workspace_root(), &args[1..]),
        Some("-h" | "--help") | None => {
            println!("{}", usage());
            Ok(())
        }
        Some(other) => Err(format!("unknown task `{other}`\n\n{}", usage())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage() -> String {
    USAGE_HEAD
        .replace("{REGEN}", xtask::cli::USAGE)
        .replace("{FUZZ}", xtask::fuzz::USAGE)
        .replace("{BENCH}", xtask::bench_decode::USAGE)
}

fn workspace_root() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    root.canonicalize().unwrap_or(root)
}

fn gen_bench_data(args: &[String]) -> Result<(), String> {
    let groups = match args {
        [] => 50_000,
        [flag, n] if flag == "--groups" => n
            .parse()
            .map_err(|_| format!("--groups takes a number, not `{n}`"))?,
        _ => return Err(format!("unexpected arguments {args:?}\n\n{}", usage())),
    };
    let dir = workspace_root().join("target/bench-data");
    let (path, len) = xtask::bench_decode::write_bench_data(&dir, groups)?;
    println!("wrote {} ({len} bytes, {groups} groups)", path.display());
    Ok(())
}
