//! The `withings` command (being built).
fn main() {}
