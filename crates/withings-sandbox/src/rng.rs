//! A tiny deterministic generator (SplitMix64): the demo data must be the same on every
//! machine and every run for a given seed and clock, so nothing here touches the OS RNG.

/// SplitMix64 (Steele, Lea, Flood 2014): one 64-bit state, full period, good enough mixing for
/// invented demo values.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    state: u64,
}

/// One SplitMix64 output step, also used as a hash to derive independent streams.
pub(crate) const fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Rng {
    /// A stream for one record: the seed, a tag naming the kind of record and a key (a day
    /// number, a timestamp) give independent, stable streams, so adding a record kind or
    /// moving the clock by a day does not change the values of the others.
    pub(crate) fn stream(seed: u64, tag: u64, key: i64) -> Self {
        let state = mix(seed ^ mix(tag.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ mix(key as u64)));
        Self { state }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.state)
    }

    /// Uniform in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform integer in `[lo, hi]` (both inclusive); `lo` when the range is empty.
    pub(crate) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = hi.abs_diff(lo).saturating_add(1);
        lo.saturating_add((self.next_u64() % span) as i64)
    }

    /// Uniform float in `[lo, hi)`.
    pub(crate) fn float(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Roughly normal noise (sum of four uniforms), mean 0, standard deviation `sd`.
    pub(crate) fn noise(&mut self, sd: f64) -> f64 {
        let s: f64 = (0..4).map(|_| self.unit()).sum::<f64>() - 2.0;
        // The sum of 4 uniforms has variance 4/12.
        s * sd * 3f64.sqrt()
    }

    /// True with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Shuffles in place (Fisher–Yates).
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }

    /// `n` lowercase hex digits: invented ids and tokens.
    pub(crate) fn hex(&mut self, n: usize) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(n);
        let mut word = 0u64;
        for i in 0..n {
            if i % 16 == 0 {
                word = self.next_u64();
            }
            out.push(char::from(DIGITS[(word & 0xf) as usize]));
            word >>= 4;
        }
        out
    }

    /// `n` characters of `[A-Za-z0-9]`: looks like the base64-ish `csrf_token`.
    pub(crate) fn alnum(&mut self, n: usize) -> String {
        const CHARS: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..n)
            .map(|_| char::from(CHARS[(self.next_u64() % 62) as usize]))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_the_reference_sequence() {
        // First outputs of SplitMix64 seeded with 0 (reference implementation by Vigna).
        let mut rng = Rng { state: 0 };
        assert_eq!(rng.next_u64(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(rng.next_u64(), 0x6e78_9e6a_a1b9_65f4);
    }

    #[test]
    fn streams_are_stable_and_independent() {
        let a: Vec<u64> = (0..4).map(|_| Rng::stream(7, 1, 100).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            Rng::stream(7, 1, 100).next_u64(),
            Rng::stream(7, 1, 101).next_u64()
        );
        assert_ne!(
            Rng::stream(7, 1, 100).next_u64(),
            Rng::stream(7, 2, 100).next_u64()
        );
    }

    #[test]
    fn ranges_stay_inside_their_bounds() {
        let mut rng = Rng::stream(1, 2, 3);
        for _ in 0..1000 {
            let v = rng.range(-3, 5);
            assert!((-3..=5).contains(&v));
            let f = rng.float(1.5, 2.5);
            assert!((1.5..2.5).contains(&f));
        }
        assert_eq!(rng.range(4, 4), 4);
        assert_eq!(rng.range(9, 1), 9);
        assert_eq!(rng.hex(40).len(), 40);
        assert!(rng.hex(40).bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
