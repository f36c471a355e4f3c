//! Runs a command and writes its peak resident set size as GNU `time -v -o FILE` does
//! ("Maximum resident set size (kbytes): N"), for machines without `/usr/bin/time`. The figure
//! is the kernel's `ru_maxrss` of the waited-for child, the one GNU time reports.
//!
//! Usage: `bench-peak-rss REPORT_FILE COMMAND [ARGS...]`
#![allow(clippy::print_stderr)]

use std::process::{Command, ExitCode};

use nix::sys::resource::{UsageWho, getrusage};

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("bench-peak-rss: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<ExitCode, String> {
    let mut args = std::env::args_os().skip(1);
    let usage = "usage: bench-peak-rss REPORT_FILE COMMAND [ARGS...]";
    let report = args.next().ok_or(usage)?;
    let program = args.next().ok_or(usage)?;
    let status = Command::new(&program)
        .args(args)
        .status()
        .map_err(|e| format!("cannot run {program:?}: {e}"))?;
    // This process waits for no other child, so the children's maximum is this one's.
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN).map_err(|e| format!("getrusage: {e}"))?;
    let code = status.code().unwrap_or(-1);
    std::fs::write(
        &report,
        format!(
            "\tMaximum resident set size (kbytes): {}\n\tExit status: {code}\n",
            usage.max_rss()
        ),
    )
    .map_err(|e| format!("cannot write {report:?}: {e}"))?;
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
