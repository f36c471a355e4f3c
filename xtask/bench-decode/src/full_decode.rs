//! The measured path of `cargo xtask bench-decode`: reads a getmeas response and decodes it
//! the way the library does (`withings_decode::decode_reply::<GetMeasBody>`: envelope, every
//! wire field, exact decimals, units, local times, grpid merge). Prints the same checksum as
//! `bench-minimal-parse`, from the decoded values.
//!
//! Usage: `bench-full-decode FILE`
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use withings_decode::{Reply, decode_reply};
use withings_model::measure::GetMeasBody;

mod checksum;

fn main() -> ExitCode {
    match run() {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench-full-decode: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<String, String> {
    let path = std::env::args_os()
        .nth(1)
        .ok_or("usage: bench-full-decode FILE")?;
    let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {path:?}: {e}"))?;
    let measurements = match decode_reply::<GetMeasBody>(&bytes).map_err(|e| e.to_string())? {
        Reply::Ok(m) => m,
        Reply::Status(s) => return Err(s.to_string()),
    };
    let mut sum = 0;
    let mut measures = 0;
    for g in &measurements.groups {
        let date = g.taken_at().as_second();
        for m in g.measures() {
            sum = checksum::fold(
                sum,
                date,
                m.value().mantissa(),
                m.kind().code(),
                i64::from(m.value().exponent()),
            );
            measures += 1;
        }
    }
    Ok(checksum::line(measurements.groups.len(), measures, sum))
}
