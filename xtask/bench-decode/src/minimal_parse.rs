//! The baseline of `cargo xtask bench-decode`: reads a getmeas response and parses only the
//! envelope and, per measure, date, value, type and unit, with `serde_json::from_slice` (the
//! parser the decoder uses). Prints a checksum of what it read.
//!
//! Usage: `bench-minimal-parse FILE`
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use serde::Deserialize;

mod checksum;

#[derive(Deserialize)]
struct Envelope {
    status: i64,
    body: Body,
}

#[derive(Deserialize)]
struct Body {
    measuregrps: Vec<Group>,
}

#[derive(Deserialize)]
struct Group {
    date: i64,
    measures: Vec<Measure>,
}

#[derive(Deserialize)]
struct Measure {
    value: i64,
    #[serde(rename = "type")]
    kind: i64,
    unit: i64,
}

fn main() -> ExitCode {
    match run() {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench-minimal-parse: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<String, String> {
    let path = std::env::args_os()
        .nth(1)
        .ok_or("usage: bench-minimal-parse FILE")?;
    let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {path:?}: {e}"))?;
    let envelope: Envelope = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
    if envelope.status != 0 {
        return Err(format!("status {}", envelope.status));
    }
    let groups = &envelope.body.measuregrps;
    let mut sum = 0;
    let mut measures = 0;
    for g in groups {
        for m in &g.measures {
            sum = checksum::fold(sum, g.date, m.value, m.kind, m.unit);
            measures += 1;
        }
    }
    Ok(checksum::line(groups.len(), measures, sum))
}
