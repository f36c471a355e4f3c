//! Redaction of hostile text: 64 KiB, 256 KiB and 1 MiB of `?code=` repeated, where every
//! match's value runs to the end of the text. Two paths: `text`, as for Withings' `error`
//! string (200 characters shown), and `decode`, as for a body that does not parse (the JSON
//! secrets of the body, then an excerpt around an error at its end).
//!
//! The sizes grow 4× at a time: linear work reads as a 4× step, quadratic as 16×. The module
//! is the crate's own `src/redact.rs`, compiled in here (it is private to the crate).
//! Run: `cargo bench -p withings-http --bench redact`.
#![allow(missing_docs)]

// Checked in test mode (`cargo clippy --all-targets`), its unit tests come along, unused.
#[allow(dead_code, unused_imports)]
#[path = "../src/redact.rs"]
mod redact;

use divan::Bencher;
use divan::counter::BytesCount;

const SIZES: [usize; 3] = [64 << 10, 256 << 10, 1 << 20];

fn main() {
    divan::main();
}

fn hostile(bytes: usize) -> String {
    "?code=".repeat(bytes / 6)
}

#[divan::bench(args = SIZES)]
fn text(bencher: Bencher, bytes: usize) {
    let s = hostile(bytes);
    assert_eq!(redact::text(&s, &[], 200), "?code=[redacted]");
    bencher
        .counter(BytesCount::of_str(&s))
        .bench(|| redact::text(divan::black_box(&s), &[], 200));
}

#[divan::bench(args = SIZES)]
fn decode(bencher: Bencher, bytes: usize) {
    let s = hostile(bytes);
    bencher.counter(BytesCount::of_str(&s)).bench(|| {
        let body = divan::black_box(s.as_bytes());
        let secrets = redact::secrets_in_json(body);
        redact::excerpt(body, 1, body.len(), &secrets)
    });
}
