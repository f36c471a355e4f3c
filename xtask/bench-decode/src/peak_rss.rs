//! Runs a command and writes its peak resident set size and CPU times as GNU `time -v -o FILE`
//! does ("Maximum resident set size (kbytes): N", "User time (seconds): S", "System time
//! (seconds): S"), for machines without `/usr/bin/time`. The figures are the kernel's
//! `ru_maxrss`, `ru_utime` and `ru_stime` of the waited-for child, the ones GNU time reports.
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
    let seconds = |t: nix::sys::time::TimeVal| {
        // Seconds and microseconds of a process's CPU time: exact enough in f64.
        #[allow(clippy::cast_precision_loss)]
        let s = t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
        s
    };
    std::fs::write(
        &report,
        format!(
            "\tUser time (seconds): {:.6}\n\tSystem time (seconds): {:.6}\n\
             \tMaximum resident set size (kbytes): {}\n\tExit status: {code}\n",
            seconds(usage.user_time()),
            seconds(usage.system_time()),
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
