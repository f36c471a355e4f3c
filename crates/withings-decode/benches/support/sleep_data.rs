//! A realistic, deterministic `sleep get` response for benchmarks: `nights` nights of 16–24
//! state segments each (2 to 60 minutes long, back to back, sent in no particular order as the
//! API does), each segment with per-minute `hr`, `rr`, `snoring`, `sdnn_1`, `rmssd` and
//! `mvt_score` series keyed by unix seconds written as strings, the shapes of
//! `fixtures/v2-sleep-get/*.json` (API notes §5.5).
//!
//! One real call returns at most 24 hours (one night, about 67 KB with these six series); the
//! benchmark puts many nights in one body so that the timing is meaningful.

use std::fmt::Write;

#[path = "rng.rs"]
mod rng;

use rng::Rng;

/// What the generator wrote: enough to check a decode of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Segments in the body.
    pub segments: usize,
    /// Points of each series (one per minute of every segment; the same for all six).
    pub samples_per_series: usize,
}

/// The six series written on every segment, in the order the API sends them.
pub const SERIES: [&str; 6] = ["hr", "rr", "snoring", "sdnn_1", "rmssd", "mvt_score"];

/// The whole response body, envelope included, and its shape.
pub fn generate(nights: usize) -> (String, Shape) {
    let mut rng = Rng(0x05EE_D5EE_9DA7);
    let device = format!(
        "{:016x}{:016x}{:08x}",
        rng.next(),
        rng.next(),
        rng.next() as u32
    );
    let mut out = String::with_capacity(nights * 56_000 + 64);
    let mut shape = Shape {
        segments: 0,
        samples_per_series: 0,
    };
    out.push_str(r#"{"status":0,"body":{"series":["#);
    // The first night starts at 22:00 UTC on 2024-06-02; each night is a day later.
    let first_night: i64 = 1_717_365_600;
    for night in 0..nights {
        let mut start = first_night + night as i64 * 86_400 + rng.below(5_400) as i64;
        let count = 16 + rng.below(9) as usize;
        // (start, minutes, state) of each segment of the night, back to back.
        let mut segments: Vec<(i64, i64, u64)> = Vec::with_capacity(count);
        for k in 0..count {
            let minutes = 2 + rng.below(59) as i64;
            let state = if k == 0 || k + 1 == count {
                0
            } else {
                [1, 1, 1, 2, 2, 3, 3, 0][rng.below(8) as usize]
            };
            segments.push((start, minutes, state));
            start += minutes * 60;
        }
        // Sent in no particular order (API notes §5.5): a fixed stride through the night.
        let stride = if count.is_multiple_of(7) { 5 } else { 7 };
        for j in 0..count {
            let (start, minutes, state) = segments[(j * stride) % count];
            if shape.segments > 0 {
                out.push(',');
            }
            shape.segments += 1;
            shape.samples_per_series += minutes as usize;
            let _ = write!(
                out,
                r#"{{"startdate":{start},"state":{state},"enddate":{},"model":"Aura Sensor V2","model_id":63,"hash_deviceid":"{device}""#,
                start + minutes * 60,
            );
            write_segment_series(&mut out, &mut rng, start, minutes, state);
            out.push('}');
        }
    }
    out.push_str(r#"],"model":32}}"#);
    (out, shape)
}

/// The six series of one segment, one point a minute from its start.
fn write_segment_series(out: &mut String, rng: &mut Rng, start: i64, minutes: i64, state: u64) {
    let asleep = state != 0;
    for name in SERIES {
        let _ = write!(out, r#","{name}":{{"#);
        for m in 0..minutes {
            if m > 0 {
                out.push(',');
            }
            let at = start + m * 60;
            let _ = write!(out, r#""{at}":"#);
            match name {
                "hr" => {
                    let v = if asleep {
                        rng.around(56, 14)
                    } else {
                        rng.around(68, 20)
                    };
                    let _ = write!(out, "{v}");
                }
                "rr" => {
                    let _ = write!(out, "{}", rng.around(14, 6));
                }
                "snoring" => {
                    let v = if asleep && rng.below(6) == 0 {
                        [10, 30, 60][rng.below(3) as usize]
                    } else {
                        0
                    };
                    let _ = write!(out, "{v}");
                }
                // Milliseconds with one decimal, as integers when the decimal is 0.
                "sdnn_1" => write_tenths(out, rng.around(480, 300)),
                // Milliseconds in quarters (`39.25`), as integers when whole.
                "rmssd" => {
                    let quarters = rng.around(160, 120);
                    match quarters % 4 {
                        0 => {
                            let _ = write!(out, "{}", quarters / 4);
                        }
                        q => {
                            let _ = write!(out, "{}.{}", quarters / 4, [0, 25, 5, 75][q as usize]);
                        }
                    }
                }
                _ => {
                    let v = if rng.below(4) == 0 { rng.below(256) } else { 0 };
                    let _ = write!(out, "{v}");
                }
            }
        }
        out.push('}');
    }
}

/// A positive number of tenths, as JSON (`486` tenths is `48.6`, `450` is `45`).
fn write_tenths(out: &mut String, tenths: i64) {
    let _ = match tenths % 10 {
        0 => write!(out, "{}", tenths / 10),
        d => write!(out, "{}.{d}", tenths / 10),
    };
}
