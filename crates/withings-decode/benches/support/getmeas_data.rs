//! A realistic, deterministic getmeas response for benchmarks: `groups` measure groups of 3–9
//! measures each, 40-hex device ids, escaped slashes, the time zone repeated on each group.
//!
//! Shared by `cargo xtask gen-bench-data` (which writes it to disk) and the decode benchmark
//! (which builds it in memory when the file is absent), so both measure the same bytes.

use std::fmt::Write;

#[path = "rng.rs"]
mod rng;

use rng::Rng;

/// (meastype, unit, typical value, spread, position) of body-composition measures.
const MEASURES: [(i64, i64, i64, i64, Option<i64>); 9] = [
    (1, -3, 78_250, 9_000, None),
    (6, -2, 2_210, 800, None),
    (8, -2, 1_730, 500, None),
    (5, -2, 6_090, 700, None),
    (76, -2, 5_780, 600, None),
    (77, -2, 4_270, 500, None),
    (88, -2, 310, 40, None),
    (170, -1, 32, 20, None),
    (173, -2, 1_350, 200, Some(10)),
];

/// The whole response body, envelope included.
pub fn generate(groups: usize) -> String {
    let mut rng = Rng(0x05EE_D0F5_7A7E);
    let devices: Vec<String> = (0..8).map(|_| rng.hex40()).collect();
    let mut out = String::with_capacity(groups * 600 + 256);
    out.push_str(r#"{"status":0,"body":{"updatetime":1717430000,"timezone":"Europe\/Berlin","measuregrps":["#);
    let mut date: i64 = 1_717_429_800;
    for g in 0..groups {
        if g > 0 {
            out.push(',');
        }
        date -= 3_600 + rng.below(86_400) as i64;
        let device = &devices[rng.below(devices.len() as u64) as usize];
        let attrib = [0, 0, 0, 0, 1, 2, 8][rng.below(7) as usize];
        let _ = write!(
            out,
            r#"{{"grpid":{},"attrib":{attrib},"date":{date},"created":{},"modified":{},"category":1,"deviceid":"{device}","hash_deviceid":"{device}","measures":["#,
            5_000_000_000 + g as u64,
            date + 60,
            date + 60,
        );
        let count = 3 + rng.below(7) as usize;
        for (i, (kind, unit, typical, spread, position)) in MEASURES.iter().take(count).enumerate()
        {
            if i > 0 {
                out.push(',');
            }
            let value = typical - spread / 2 + rng.below(*spread as u64) as i64;
            let _ = write!(
                out,
                r#"{{"value":{value},"type":{kind},"unit":{unit},"algo":3,"fm":3"#
            );
            if let Some(p) = position {
                let _ = write!(out, r#","position":{p}"#);
            }
            out.push('}');
        }
        out.push_str(
            r#"],"modelid":10,"model":"Body Scan","comment":null,"timezone":"Europe\/Berlin"}"#,
        );
    }
    out.push_str(r#"],"more":0,"offset":0}}"#);
    out
}
