//! The deterministic generator of the bench and test data (`getmeas_data.rs`,
//! `sleep_data.rs`), so the data is the same on every machine.

/// splitmix64: a tiny deterministic generator.
pub struct Rng(pub u64);

#[allow(dead_code)]
impl Rng {
    /// The next 64 bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// 40 hex digits (a device id).
    pub fn hex40(&mut self) -> String {
        format!(
            "{:016x}{:016x}{:08x}",
            self.next(),
            self.next(),
            self.next() as u32
        )
    }

    /// An integer in `typical - spread / 2 .. typical + spread / 2`.
    pub fn around(&mut self, typical: i64, spread: u64) -> i64 {
        typical - (spread / 2) as i64 + self.below(spread) as i64
    }
}
