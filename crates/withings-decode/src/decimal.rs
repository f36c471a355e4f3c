//! An exact decimal for Withings' `value × 10^unit`.
//!
//! Withings sends every measure as an integer `value` and a power-of-ten exponent `unit`
//! (`{"value":70005,"unit":-3}` is 70.005 kg). Multiplying by `10f64.powi(unit)` gives the
//! wrong double in a large share of cases (70.00500000000001); [`Decimal`] keeps the integer
//! pair, prints it exactly, compares by value, and converts to `f64` with one correctly
//! rounded operation.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// The largest `|unit|` accepted. Real payloads use -1…-3; ±64 leaves room for anything
/// plausible while bounding the length of the text form.
pub const MAX_EXPONENT: i32 = 64;

/// An exact decimal number `mantissa × 10^exponent`, as Withings sends it.
///
/// Equality, ordering and hashing are by numeric value: `70005e-3 == 700050e-4`. The
/// original pair is kept ([`Decimal::mantissa`], [`Decimal::exponent`]) for callers that
/// want to round-trip the wire form.
///
/// ```
/// use withings_decode::Decimal;
///
/// let kg = Decimal::new(70005, -3).unwrap();
/// assert_eq!(kg.to_string(), "70.005");
/// assert_eq!(kg.to_f64(), 70.005);
/// assert_eq!(kg, "70.0050".parse().unwrap());
/// assert_eq!(Decimal::new(1, 1).unwrap().to_string(), "10");
/// ```
#[derive(Clone, Copy)]
pub struct Decimal {
    mantissa: i64,
    exponent: i32,
}

/// Why a [`Decimal`] could not be built or parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecimalError {
    /// The exponent is outside `-MAX_EXPONENT..=MAX_EXPONENT`.
    ExponentOutOfRange(i64),
    /// The text is not a plain decimal number (`-12.345`).
    Syntax(String),
    /// The digits do not fit a 64-bit mantissa.
    TooManyDigits(String),
}

impl fmt::Display for DecimalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ExponentOutOfRange(e) => {
                write!(
                    f,
                    "power-of-ten exponent {e} is outside -{MAX_EXPONENT}..={MAX_EXPONENT}"
                )
            }
            Self::Syntax(s) => write!(f, "`{s}` is not a decimal number such as -12.345"),
            Self::TooManyDigits(s) => write!(
                f,
                "`{s}` has more significant digits than a 64-bit integer holds"
            ),
        }
    }
}

impl std::error::Error for DecimalError {}

impl Decimal {
    /// Zero.
    pub const ZERO: Self = Self {
        mantissa: 0,
        exponent: 0,
    };

    /// `mantissa × 10^exponent`.
    ///
    /// # Errors
    /// [`DecimalError::ExponentOutOfRange`] when `|exponent| > MAX_EXPONENT`.
    pub fn new(mantissa: i64, exponent: i64) -> Result<Self, DecimalError> {
        if exponent.unsigned_abs() > MAX_EXPONENT.unsigned_abs().into() {
            return Err(DecimalError::ExponentOutOfRange(exponent));
        }
        #[allow(clippy::cast_possible_truncation)] // bounded just above
        Ok(Self {
            mantissa,
            exponent: exponent as i32,
        })
    }

    /// The integer as sent (`value`).
    #[must_use]
    pub const fn mantissa(self) -> i64 {
        self.mantissa
    }

    /// The power of ten as sent (`unit`).
    #[must_use]
    pub const fn exponent(self) -> i32 {
        self.exponent
    }

    /// The same value with trailing zeros moved into the exponent (`700050e-4` → `70005e-3`),
    /// as far as the exponent range allows; zero is `0e0`.
    #[must_use]
    pub fn normalized(self) -> Self {
        let (mut m, mut e) = (self.mantissa, self.exponent);
        if m == 0 {
            return Self::ZERO;
        }
        while m % 10 == 0 && e < MAX_EXPONENT {
            m /= 10;
            e += 1;
        }
        Self {
            mantissa: m,
            exponent: e,
        }
    }

    /// Fully normalized `(mantissa, exponent)`; the exponent may leave the range here, which
    /// is why it is an `i64` pair and not a `Decimal`.
    fn canonical(self) -> (i64, i64) {
        let (mut m, mut e) = (self.mantissa, i64::from(self.exponent));
        if m == 0 {
            return (0, 0);
        }
        while m % 10 == 0 {
            m /= 10;
            e += 1;
        }
        (m, e)
    }

    /// Whether the value is zero.
    #[must_use]
    pub const fn is_zero(self) -> bool {
        self.mantissa == 0
    }

    /// The nearest `f64`, correctly rounded (ties to even), exactly as parsing
    /// [`Display`](fmt::Display)'s text would give.
    ///
    /// When the mantissa and the power of ten are both exact doubles (the mantissa below
    /// 2^53 and `|exponent| <= 22`), one IEEE division or multiplication is correctly rounded
    /// by definition; otherwise the exact text is parsed.
    #[must_use]
    #[allow(clippy::cast_precision_loss)] // guarded: |mantissa| <= 2^53 is exact
    pub fn to_f64(self) -> f64 {
        const EXACT_MANTISSA: u64 = 1 << 53;
        const POW10: [f64; 23] = [
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
            1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
        ];
        let magnitude = self.mantissa.unsigned_abs();
        let e = self.exponent.unsigned_abs() as usize;
        if magnitude <= EXACT_MANTISSA && e < POW10.len() {
            let m = self.mantissa as f64;
            if self.exponent >= 0 {
                m * POW10[e]
            } else {
                m / POW10[e]
            }
        } else {
            // Rust's float parsing is correctly rounded; the text is exact.
            self.to_string().parse().unwrap_or(f64::NAN)
        }
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Decimal({self} = {}e{})", self.mantissa, self.exponent)
    }
}

/// The exact value in plain notation, without trailing fractional zeros: `70.005`, `-1.5`,
/// `10`, `0`, `0.0012`.
impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (mantissa, exponent) = self.canonical();
        if mantissa == 0 {
            return f.pad("0");
        }
        let digits = mantissa.unsigned_abs().to_string();
        let zeros = usize::try_from(exponent.unsigned_abs()).unwrap_or(0);
        let mut out = String::with_capacity(digits.len() + zeros + 3);
        if mantissa < 0 {
            out.push('-');
        }
        if exponent >= 0 {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', zeros));
        } else {
            let frac = zeros;
            if digits.len() > frac {
                let (int, fr) = digits.split_at(digits.len() - frac);
                out.push_str(int);
                out.push('.');
                out.push_str(fr);
            } else {
                out.push_str("0.");
                out.extend(std::iter::repeat_n('0', frac - digits.len()));
                out.push_str(&digits);
            }
        }
        f.pad(&out)
    }
}

/// Parses plain decimal text: an optional sign, digits, an optional fraction
/// (`-12.345`, `+3`, `.5`, `10.`). No exponent, no spaces inside.
impl FromStr for Decimal {
    type Err = DecimalError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let syntax = || DecimalError::Syntax(s.to_owned());
        let t = s.trim();
        let (negative, unsigned) = match t.as_bytes().first() {
            Some(b'-') => (true, &t[1..]),
            Some(b'+') => (false, &t[1..]),
            _ => (false, t),
        };
        let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if (int.is_empty() && frac.is_empty()) || !all_digits(int) || !all_digits(frac) {
            return Err(syntax());
        }
        let frac_len = i64::try_from(frac.len()).map_err(|_| syntax())?;
        let mut exponent = -frac_len;
        let joined = format!("{int}{frac}");
        let trimmed_leading = joined.trim_start_matches('0');
        let significant = trimmed_leading.trim_end_matches('0');
        if significant.is_empty() {
            return Ok(Self::ZERO);
        }
        exponent +=
            i64::try_from(trimmed_leading.len() - significant.len()).map_err(|_| syntax())?;
        let mut magnitude: i64 = significant
            .parse()
            .map_err(|_| DecimalError::TooManyDigits(s.to_owned()))?;
        // `10e64` prints as 1 followed by 65 zeros: give zeros back to the mantissa so that
        // every Display parses back.
        while exponent > i64::from(MAX_EXPONENT) {
            magnitude = magnitude
                .checked_mul(10)
                .ok_or(DecimalError::ExponentOutOfRange(exponent))?;
            exponent -= 1;
        }
        Self::new(if negative { -magnitude } else { magnitude }, exponent)
    }
}

impl PartialEq for Decimal {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Decimal {}

impl Hash for Decimal {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.canonical().hash(state);
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (self.canonical(), other.canonical());
        match a.0.signum().cmp(&b.0.signum()) {
            Ordering::Equal => {}
            unequal => return unequal,
        }
        if a.0 == 0 {
            return Ordering::Equal;
        }
        let magnitude = compare_magnitude(a, b);
        if a.0 < 0 {
            magnitude.reverse()
        } else {
            magnitude
        }
    }
}

/// Compares `|a|` and `|b|`, both canonical `(mantissa, exponent)` pairs, non-zero.
fn compare_magnitude(a: (i64, i64), b: (i64, i64)) -> Ordering {
    let (ma, mb) = (a.0.unsigned_abs(), b.0.unsigned_abs());
    let (da, db) = (ma.ilog10(), mb.ilog10());
    // The position of the leading digit decides first…
    let lead_a = a.1 + i64::from(da);
    let lead_b = b.1 + i64::from(db);
    match lead_a.cmp(&lead_b) {
        Ordering::Equal => {}
        unequal => return unequal,
    }
    // …then the digits, aligned to the same length (at most 19 digits: fits a u128).
    let (wa, wb) = (u128::from(ma), u128::from(mb));
    if da >= db {
        wa.cmp(&(wb * 10u128.pow(da - db)))
    } else {
        (wa * 10u128.pow(db - da)).cmp(&wb)
    }
}

impl serde::Serialize for Decimal {
    /// Serializes as the exact text (`"70.005"`): a JSON number would go through `f64`.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Decimal {
    /// Reads the exact text (`"70.005"`) or an integer; floats are refused as inexact.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Decimal;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal number as a string, or an integer")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Decimal, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Decimal, E> {
                Ok(Decimal {
                    mantissa: v,
                    exponent: 0,
                })
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Decimal, E> {
                i64::try_from(v)
                    .map(|m| Decimal {
                        mantissa: m,
                        exponent: 0,
                    })
                    .map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: i64, e: i64) -> Decimal {
        Decimal::new(m, e).unwrap()
    }

    #[test]
    fn display_is_exact_plain_notation() {
        assert_eq!(d(70005, -3).to_string(), "70.005");
        assert_eq!(d(-15, -1).to_string(), "-1.5");
        assert_eq!(d(10, 0).to_string(), "10");
        assert_eq!(d(1, 1).to_string(), "10");
        assert_eq!(d(0, -3).to_string(), "0");
        assert_eq!(d(12, -4).to_string(), "0.0012");
        assert_eq!(d(78250, -3).to_string(), "78.25");
        assert_eq!(d(i64::MIN, -20).to_string(), "-0.09223372036854775808");
        assert_eq!(d(5, 20).to_string(), "500000000000000000000");
        assert_eq!(format!("{:>8}", d(15, -1)), "     1.5");
    }

    #[test]
    fn multiplying_by_a_power_of_ten_would_be_wrong_and_dividing_is_right() {
        // The Go client's way: value × 10^unit in floating point.
        let multiplied = 70064_f64 * 10f64.powi(-3);
        assert_eq!(multiplied, 70.064_000_000_000_01);
        assert_eq!(d(70064, -3).to_f64(), 70.064);
        assert_eq!(d(70005, -3).to_f64(), "70.005".parse::<f64>().unwrap());
    }

    #[test]
    fn to_f64_matches_parsing_the_text_outside_the_fast_path() {
        for (m, e) in [
            (i64::MAX, -3),
            (123_456_789, -30),
            (-987_654_321_987_654_321, 5),
            (1, 64),
            (7, -64),
        ] {
            let x = d(m, e);
            assert_eq!(x.to_f64(), x.to_string().parse::<f64>().unwrap(), "{m}e{e}");
        }
    }

    #[test]
    fn equality_and_order_are_by_value() {
        assert_eq!(d(70005, -3), d(700_050, -4));
        assert_eq!(d(0, 5), d(0, -5));
        assert!(d(1, 1) > d(99, -1));
        assert!(d(-1, 1) < d(-99, -1));
        assert!(d(-1, 0) < d(0, 0));
        assert!(d(12_345, -2) < d(12_346, -2));
        assert!(d(i64::MAX, 0) > d(i64::MAX, -1));
        assert_eq!(d(5, 0).cmp(&d(50, -1)), Ordering::Equal);
    }

    #[test]
    fn display_of_the_largest_exponent_parses_back() {
        let big = d(10, 64);
        assert_eq!(big.to_string().parse::<Decimal>().unwrap(), big);
        assert_eq!(big.normalized().exponent(), 64);
    }

    #[test]
    fn exponent_range_is_enforced() {
        assert_eq!(
            Decimal::new(1, 65),
            Err(DecimalError::ExponentOutOfRange(65))
        );
        assert_eq!(
            Decimal::new(1, i64::MIN),
            Err(DecimalError::ExponentOutOfRange(i64::MIN))
        );
        assert!(Decimal::new(1, -64).is_ok());
    }

    #[test]
    fn parse_accepts_plain_decimals_and_rejects_the_rest() {
        assert_eq!("70.005".parse::<Decimal>().unwrap(), d(70005, -3));
        assert_eq!("-.5".parse::<Decimal>().unwrap(), d(-5, -1));
        assert_eq!("+10.".parse::<Decimal>().unwrap(), d(10, 0));
        assert_eq!("0000.000".parse::<Decimal>().unwrap(), Decimal::ZERO);
        assert_eq!(
            "1000000000000000000000000".parse::<Decimal>().unwrap(),
            d(1, 24)
        );
        for bad in ["", "-", ".", "1e5", "1.2.3", "abc", "1 2", "--1"] {
            assert!(bad.parse::<Decimal>().is_err(), "{bad:?}");
        }
        assert!(matches!(
            "12345678901234567890123".parse::<Decimal>(),
            Err(DecimalError::TooManyDigits(_))
        ));
    }

    #[test]
    fn serde_uses_the_exact_text() {
        let x = d(70005, -3);
        assert_eq!(serde_json::to_string(&x).unwrap(), "\"70.005\"");
        assert_eq!(serde_json::from_str::<Decimal>("\"70.005\"").unwrap(), x);
        assert_eq!(serde_json::from_str::<Decimal>("42").unwrap(), d(42, 0));
        assert!(serde_json::from_str::<Decimal>("70.005").is_err());
    }

    // The tests below were added to kill the mutants that cargo-mutants found surviving;
    // see docs/mutation-testing.md.

    #[test]
    fn error_messages_name_the_problem() {
        assert_eq!(
            DecimalError::ExponentOutOfRange(65).to_string(),
            "power-of-ten exponent 65 is outside -64..=64"
        );
        assert_eq!(
            DecimalError::Syntax("1e5".into()).to_string(),
            "`1e5` is not a decimal number such as -12.345"
        );
        assert_eq!(
            DecimalError::TooManyDigits("123".into()).to_string(),
            "`123` has more significant digits than a 64-bit integer holds"
        );
        // serde's error says what was expected (the visitor's `expecting`).
        let e = serde_json::from_str::<Decimal>("70.005").unwrap_err();
        assert!(
            e.to_string()
                .contains("a decimal number as a string, or an integer"),
            "{e}"
        );
    }

    #[test]
    fn the_wire_pair_is_kept() {
        let x = d(70005, -3);
        assert_eq!((x.mantissa(), x.exponent()), (70005, -3));
        let y = d(-7, 2);
        assert_eq!((y.mantissa(), y.exponent()), (-7, 2));
        // Not normalized: the pair is the one sent.
        let z = d(700_050, -4);
        assert_eq!((z.mantissa(), z.exponent()), (700_050, -4));
    }

    #[test]
    fn normalized_moves_trailing_zeros_into_the_exponent() {
        let pair = |x: Decimal| (x.mantissa(), x.exponent());
        // Stops at the largest exponent. First: a loop condition that ignores the bound
        // fails here at once instead of looping on the cases below (a timeout).
        assert_eq!(pair(d(1000, 62).normalized()), (10, 64));
        assert_eq!(pair(d(700_050, -4).normalized()), (70005, -3));
        assert_eq!(pair(d(70005, -3).normalized()), (70005, -3));
        assert_eq!(pair(d(-1200, 0).normalized()), (-12, 2));
        assert_eq!(pair(d(10, -1).normalized()), (1, 0));
        assert_eq!(pair(d(0, -3).normalized()), (0, 0));
    }

    #[test]
    fn is_zero_is_by_value() {
        assert!(Decimal::ZERO.is_zero());
        assert!(d(0, -3).is_zero());
        assert!(!d(1, -3).is_zero());
        assert!(!d(-1, 0).is_zero());
    }

    #[test]
    fn to_f64_equals_parsing_the_text_around_the_fast_path_limits() {
        // Both sides of 2^53 for the mantissa and of 22 for |exponent|: the fast path must
        // give the same double as the exact text.
        let two53 = 1_i64 << 53;
        for m in [
            1,
            -3,
            42,
            70005,
            two53 - 1,
            two53,
            two53 + 1,
            -(two53 + 3),
            i64::MAX,
        ] {
            for e in -24..=24 {
                let x = d(m, e);
                assert_eq!(x.to_f64(), x.to_string().parse::<f64>().unwrap(), "{m}e{e}");
            }
        }
        assert_eq!(d(42, 0).to_f64(), 42.0);
        assert_eq!(d(5, 3).to_f64(), 5000.0);
        assert_eq!(d(3, 23).to_f64(), 3e23);
        assert_eq!(d(1, -23).to_f64(), 1e-23);
        // Above 2^53 the mantissa is rounded when converted: dividing that would round
        // twice (90071992547409.92).
        assert_eq!(d(two53 + 1, -2).to_f64(), 90_071_992_547_409.94);
    }

    #[test]
    fn debug_shows_the_value_and_the_pair() {
        assert_eq!(format!("{:?}", d(70005, -3)), "Decimal(70.005 = 70005e-3)");
        assert_eq!(format!("{:?}", d(-10, 1)), "Decimal(-100 = -10e1)");
    }

    #[test]
    fn display_below_one() {
        // As many fractional digits as significant digits: a leading "0." still.
        assert_eq!(d(15, -2).to_string(), "0.15");
        assert_eq!(d(-15, -2).to_string(), "-0.15");
        assert_eq!(d(5, -4).to_string(), "0.0005");
        assert_eq!(d(123, -7).to_string(), "0.0000123");
        assert_eq!(d(15, -1).to_string(), "1.5");
    }

    #[test]
    fn parse_keeps_the_shortest_pair_up_to_the_largest_exponent() {
        let text = format!("1{}", "0".repeat(64));
        let x: Decimal = text.parse().unwrap();
        assert_eq!((x.mantissa(), x.exponent()), (1, 64));
        let y: Decimal = format!("{text}0").parse().unwrap();
        assert_eq!((y.mantissa(), y.exponent()), (10, 64));
        let z: Decimal = "1200".parse().unwrap();
        assert_eq!((z.mantissa(), z.exponent()), (12, 2));
    }

    #[test]
    fn parse_errors_say_which_problem() {
        for bad in ["abc", "1.2.3", "1.x", "x.1", "12a"] {
            assert_eq!(
                bad.parse::<Decimal>(),
                Err(DecimalError::Syntax(bad.into())),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn unequal_values_are_unequal() {
        assert_ne!(d(1, 0), d(2, 0));
        assert_ne!(d(70005, -3), d(70006, -3));
        assert_ne!(d(1, 0), d(1, 1));
        assert_ne!(d(1, 0), d(-1, 0));
        assert_ne!(d(0, 0), d(1, -64));
        assert!(d(1, 0) != d(10, 0));
    }

    #[test]
    fn hash_agrees_with_equality_and_separates_values() {
        use std::collections::HashSet;
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};

        // Fixed keys: the same hashes on every run.
        let h = |x: Decimal| BuildHasherDefault::<DefaultHasher>::default().hash_one(x);
        assert_eq!(h(d(70005, -3)), h(d(700_050, -4)));
        assert_eq!(h(d(0, 5)), h(d(0, -5)));
        // A hash that ignores the value also agrees with equality; it is caught by hashing
        // a thousand distinct values (a 64-bit collision among them is vanishingly rare).
        let hashes: HashSet<u64> = (0..1000).map(|m| h(d(m, -2))).collect();
        assert_eq!(hashes.len(), 1000);
        let set: HashSet<Decimal> = [d(1, 0), d(10, -1), d(2, 0), d(-1, 0)].into();
        assert_eq!(set.len(), 3);
    }

    /// The exact value in units of `10^-8` (the grid below has exponents from -8).
    fn scaled(x: Decimal) -> i128 {
        i128::from(x.mantissa()) * 10_i128.pow(u32::try_from(x.exponent() + 8).unwrap())
    }

    #[test]
    fn order_matches_exact_arithmetic() {
        let mut values = Vec::new();
        for m in [
            0, 1, -1, 5, 9, 10, 12, 50, 99, 100, 101, -99, 123, 999, 1000, 1001, 12_345,
        ] {
            for e in -8..=4 {
                values.push(d(m, e));
            }
        }
        for &a in &values {
            for &b in &values {
                assert_eq!(a.cmp(&b), scaled(a).cmp(&scaled(b)), "{a:?} vs {b:?}");
                assert_eq!(a == b, scaled(a) == scaled(b), "{a:?} vs {b:?}");
            }
        }
    }
}
