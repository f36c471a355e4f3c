//! [`Number`]: a value the API documents as an integer but has been seen to send with a
//! fraction (API notes §15: a `14.5` in a sleep `rr` series, an `hr_average` of `61.5`).
//!
//! The rule (API notes §15): physiological values and their averages — heart rate,
//! respiration rate, snoring, HRV quality, movement score, chest movement rate, blood
//! pressure, breathing disturbances — are [`Number`]s, kept exactly as received: an integer
//! stays an integer, a fraction stays a fraction, nothing is rounded. Identifiers,
//! timestamps, codes and counts that can only be whole (steps, wake-ups, seconds) stay strict
//! integers, and a fraction there is an error naming its JSON path.

use std::cmp::Ordering;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A number as received: an integer, or a finite float where the API sent a fraction.
///
/// It serializes back as what it was (`61` or `61.5`), so integer inputs give the same output
/// as an `i64` field. Equality and ordering are numeric: `Int(61) == Float(61.0)`.
///
/// It is read from a JSON integer, a JSON number with a fraction or an exponent (kept as
/// [`Number::Float`], even `61.0`), or a string holding either (`"61"`, `"61.5"`). Not from
/// a boolean, an object, an integer beyond 64 bits, or a string holding `NaN` or infinity.
///
/// ```
/// use withings_model::Number;
///
/// let hr: Number = serde_json::from_str("61.5").unwrap();
/// assert_eq!(hr, Number::Float(61.5));
/// assert_eq!(hr.as_i64(), None);
/// assert_eq!(hr.to_string(), "61.5");
/// let rr: Number = serde_json::from_str("14").unwrap();
/// assert_eq!((rr.as_i64(), rr.as_f64()), (Some(14), 14.0));
/// assert_eq!(serde_json::to_string(&rr).unwrap(), "14");
/// assert_eq!(Number::Int(14), Number::Float(14.0));
/// ```
#[derive(Debug, Clone, Copy)]
pub enum Number {
    /// An integer, as sent.
    Int(i64),
    /// A number sent with a fraction or an exponent. Finite when it comes from the API (or
    /// from [`Number::from_f64`]).
    Float(f64),
}

impl Number {
    /// A float as a number; `None` for NaN and infinities, which JSON cannot carry.
    #[must_use]
    pub fn from_f64(v: f64) -> Option<Self> {
        v.is_finite().then_some(Self::Float(v))
    }

    /// The value as a float. Exact for every float and for integers up to 2^53 in magnitude
    /// (physiological values are far below).
    #[must_use]
    #[allow(clippy::cast_precision_loss)] // documented above
    pub fn as_f64(self) -> f64 {
        match self {
            Self::Int(i) => i as f64,
            Self::Float(f) => f,
        }
    }

    /// The value as an integer when it is one: an [`Number::Int`], or a float with no
    /// fractional part that fits an `i64` (`61.0`). `None` for `61.5`.
    #[must_use]
    pub fn as_i64(self) -> Option<i64> {
        match self {
            Self::Int(i) => Some(i),
            Self::Float(f) => integral(f),
        }
    }

    /// Whether the value is zero (`0` or `0.0`): heart-rate fields use 0 for "no sensor"
    /// (API notes §12.15).
    #[must_use]
    pub fn is_zero(self) -> bool {
        match self {
            Self::Int(i) => i == 0,
            Self::Float(f) => f == 0.0,
        }
    }
}

/// `f` as an `i64` when it is integral and in range.
fn integral(f: f64) -> Option<i64> {
    // 2^63 as f64 is exact; anything at or above it does not fit an i64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    // Truncation is exact here: the value is integral and in range.
    #[allow(clippy::cast_possible_truncation)]
    (f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f)).then_some(f as i64)
}

impl From<i64> for Number {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}

/// Numeric equality: an integer equals a float of the same value.
impl PartialEq for Number {
    fn eq(&self, other: &Self) -> bool {
        self.partial_cmp(other) == Some(Ordering::Equal)
    }
}

/// Numeric order; integers compare exactly with each other, and with a float through its
/// integral value when it has one.
impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match (*self, *other) {
            (Self::Int(a), Self::Int(b)) => Some(a.cmp(&b)),
            (Self::Int(a), Self::Float(f)) => match integral(f) {
                Some(b) => Some(a.cmp(&b)),
                None => self.as_f64().partial_cmp(&f),
            },
            (Self::Float(_), Self::Int(_)) => other.partial_cmp(self).map(Ordering::reverse),
            (Self::Float(a), Self::Float(b)) => a.partial_cmp(&b),
        }
    }
}

/// The integer, or the float as Rust shows it (`61.5`; `61.0` shows as `61`). Width and
/// precision flags apply.
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Int(i) => fmt::Display::fmt(i, f),
            Self::Float(v) => fmt::Display::fmt(v, f),
        }
    }
}

/// Serializes as the integer or the float it was.
impl Serialize for Number {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Self::Int(i) => s.serialize_i64(i),
            Self::Float(f) => s.serialize_f64(f),
        }
    }
}

struct NumberVisitor;

impl Visitor<'_> for NumberVisitor {
    type Value = Number;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number or a string holding one")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
        Ok(Number::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
        i64::try_from(v).map(Number::Int).map_err(|_| {
            E::invalid_value(
                de::Unexpected::Unsigned(v),
                &"a number that fits in 64 bits",
            )
        })
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number, E> {
        Number::from_f64(v)
            .ok_or_else(|| E::invalid_value(de::Unexpected::Float(v), &"a finite number"))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Number, E> {
        let t = v.trim();
        if let Ok(i) = t.parse::<i64>() {
            return Ok(Number::Int(i));
        }
        // Rust's float syntax also takes `inf` and `NaN`: refused by `from_f64`.
        t.parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .ok_or_else(|| E::invalid_value(de::Unexpected::Str(crate::de::excerpt(v)), &self))
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NumberVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Number, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn integers_and_fractions_are_kept_as_received() {
        assert!(matches!(parse("61").unwrap(), Number::Int(61)));
        assert!(matches!(parse("-3").unwrap(), Number::Int(-3)));
        assert!(matches!(parse("14.5").unwrap(), Number::Float(f) if f == 14.5));
        // An integral float stays a float: it is written back as it came.
        assert!(matches!(parse("61.0").unwrap(), Number::Float(f) if f == 61.0));
        assert!(matches!(parse("1e2").unwrap(), Number::Float(f) if f == 100.0));
        assert!(matches!(parse("\"72\"").unwrap(), Number::Int(72)));
        assert!(matches!(parse("\" 12.25 \"").unwrap(), Number::Float(f) if f == 12.25));
        assert!(matches!(
            parse("9223372036854775807").unwrap(),
            Number::Int(i64::MAX)
        ));
    }

    #[test]
    fn what_is_not_a_number_is_refused() {
        for bad in [
            "true",
            "{}",
            "[]",
            "\"lots\"",
            "\"NaN\"",
            "\"inf\"",
            "\"-infinity\"",
            "9223372036854775808",
            "null",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(e.is_data(), "{bad}: {e}");
        }
        assert!(
            parse("\"lots\"")
                .unwrap_err()
                .to_string()
                .contains("a number")
        );
        assert_eq!(Number::from_f64(f64::NAN), None);
        assert_eq!(Number::from_f64(f64::NEG_INFINITY), None);
        assert_eq!(Number::from_f64(-0.5), Some(Number::Float(-0.5)));
    }

    #[test]
    fn serializes_back_as_it_came() {
        for (json, out) in [
            ("61", "61"),
            ("14.5", "14.5"),
            ("61.0", "61.0"),
            ("\"7\"", "7"),
        ] {
            let n = parse(json).unwrap();
            assert_eq!(serde_json::to_string(&n).unwrap(), out, "{json}");
        }
    }

    #[test]
    fn conversions() {
        assert_eq!(Number::Int(61).as_i64(), Some(61));
        assert_eq!(Number::Float(61.0).as_i64(), Some(61));
        assert_eq!(Number::Float(61.5).as_i64(), None);
        assert_eq!(Number::Float(1e19).as_i64(), None);
        assert_eq!(Number::Float(-1e19).as_i64(), None);
        assert_eq!(
            Number::Float(-9_223_372_036_854_775_808.0).as_i64(),
            Some(i64::MIN)
        );
        assert_eq!(Number::Int(-4).as_f64(), -4.0);
        assert_eq!(Number::Float(2.5).as_f64(), 2.5);
        assert_eq!(Number::from(7), Number::Int(7));
        assert!(Number::Int(0).is_zero() && Number::Float(0.0).is_zero());
        assert!(!Number::Int(1).is_zero() && !Number::Float(0.1).is_zero());
    }

    #[test]
    fn equality_and_order_are_numeric() {
        assert_eq!(Number::Int(61), Number::Float(61.0));
        assert_eq!(Number::Float(61.0), Number::Int(61));
        assert_ne!(Number::Int(61), Number::Float(61.5));
        assert_ne!(Number::Int(61), Number::Int(62));
        assert!(Number::Int(61) < Number::Float(61.5));
        assert!(Number::Float(61.5) < Number::Int(62));
        assert!(Number::Float(61.5) > Number::Int(61));
        assert!(Number::Int(-1) < Number::Int(0));
        assert!(Number::Float(1.0) < Number::Float(1.5));
        // Exact for integers a float cannot hold.
        assert!(Number::Int(i64::MAX - 1) < Number::Int(i64::MAX));
        assert_eq!(Number::Float(f64::NAN).partial_cmp(&Number::Int(1)), None);
    }

    #[test]
    fn display_shows_the_value() {
        assert_eq!(Number::Int(61).to_string(), "61");
        assert_eq!(Number::Float(14.5).to_string(), "14.5");
        assert_eq!(format!("{:>5}", Number::Int(7)), "    7");
        assert_eq!(format!("{:.1}", Number::Float(14.25)), "14.2");
    }
}
