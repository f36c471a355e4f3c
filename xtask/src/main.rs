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
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;

#[path = "../../crates/withings-decode/benches/support/getmeas_data.rs"]
#[allow(dead_code, unreachable_pub)]
mod getmeas_data;

const USAGE_HEAD: &str = "usage: cargo xtask <task>

tasks:
  gen-bench-data [--groups N]   write target/bench-data/getmeas-<N>.json (default N = 50000)
{REGEN}
{FUZZ}";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("gen-bench-data") => gen_bench_data(&args[1..]),
        Some("regen-fixtures") => xtask::cli::regen_fixtures(&workspace_root(), &args[1..]),
        Some("fuzz") => xtask::fuzz::fuzz(&workspace_root(), &args[1..]),
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
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(format!("getmeas-{groups}.json"));
    let data = getmeas_data::generate(groups);
    std::fs::write(&path, &data).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!(
        "wrote {} ({} bytes, {groups} groups)",
        path.display(),
        data.len()
    );
    Ok(())
}
