//! Small visitor functions for the places where the Withings API is inconsistent.
//!
//! Each helper accepts exactly the shapes seen in real payloads (API notes §6) and rejects
//! everything else with a message that says what was expected. They are visitors rather than
//! `#[serde(untagged)]` enums: an untagged enum buffers the value, is several times slower and
//! reports only "data did not match any variant".

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{
    self, Deserialize, DeserializeOwned, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};

/// Converts a float to an integer only when it has no fractional part and fits.
fn integral_f64<E: de::Error>(v: f64) -> Result<i64, E> {
    // 2^63 as f64 is exact; anything at or above it does not fit an i64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if v.fract() == 0.0 && (-LIMIT..LIMIT).contains(&v) {
        // Truncation is exact here: the value is integral and in range.
        #[allow(clippy::cast_possible_truncation)]
        Ok(v as i64)
    } else {
        Err(E::invalid_value(de::Unexpected::Float(v), &"an integer"))
    }
}

fn u64_to_i64<E: de::Error>(v: u64) -> Result<i64, E> {
    i64::try_from(v).map_err(|_| {
        E::invalid_value(
            de::Unexpected::Unsigned(v),
            &"an integer that fits in 64 bits",
        )
    })
}

fn str_to_i64<E: de::Error>(v: &str) -> Result<i64, E> {
    v.trim().parse().map_err(|_| {
        E::invalid_value(
            de::Unexpected::Str(excerpt(v)),
            &"an integer or a string holding an integer",
        )
    })
}

/// At most the first 64 characters of a string quoted in an error: serde quotes it escaped
/// (a Unicode table lookup per character), so a 200 KiB string would cost milliseconds and
/// make a message of its own size. The error names the path; the start says what was there.
pub(crate) fn excerpt(v: &str) -> &str {
    v.char_indices().nth(64).map_or(v, |(end, _)| &v[..end])
}

struct LenientI64;

impl Visitor<'_> for LenientI64 {
    type Value = i64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer or a string holding an integer")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        u64_to_i64(v)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
        integral_f64(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
        str_to_i64(v)
    }
}

/// An integer that may arrive as a JSON number, an integral float (`74.0`) or a numeric string.
pub mod lenient_i64 {
    use super::*;

    /// Deserializes the integer; see the module docs for what is accepted.
    ///
    /// # Errors
    /// A boolean, an object, a fractional float or a non-numeric string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        d.deserialize_any(LenientI64)
    }
}

/// Like [`lenient_i64`], and `null` (or an absent field, with `#[serde(default)]`) is `None`.
pub mod opt_lenient_i64 {
    use super::*;

    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an integer, a string holding an integer, or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(LenientI64).map(Some)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            u64_to_i64(v).map(Some)
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            integral_f64(v).map(Some)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            str_to_i64(v).map(Some)
        }
    }

    /// Deserializes the optional integer.
    ///
    /// # Errors
    /// A boolean, an object, a fractional float or a non-numeric string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        d.deserialize_option(V)
    }
}

/// A number that may be an integer or a float where the docs say integer, `null`, or absent.
pub mod opt_f64 {
    use super::*;

    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<f64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a number or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            f64::deserialize(d).map(Some)
        }
        #[allow(clippy::cast_precision_loss)]
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        #[allow(clippy::cast_precision_loss)]
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
    }

    /// Deserializes the optional number.
    ///
    /// # Errors
    /// A string, a boolean, an array or an object.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        d.deserialize_option(V)
    }
}

/// `more` in a paged body: `0`/`1` in getmeas, `true`/`false` elsewhere, sometimes absent or
/// `null` (use with `#[serde(default)]`); absent and `null` mean "no more pages".
pub mod more {
    use super::*;

    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a boolean, 0 or 1")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
            match v {
                0 => Ok(false),
                1 => Ok(true),
                _ => Err(E::invalid_value(de::Unexpected::Signed(v), &self)),
            }
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
            match v {
                0 => Ok(false),
                1 => Ok(true),
                _ => Err(E::invalid_value(de::Unexpected::Unsigned(v), &self)),
            }
        }
        fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_none<E: de::Error>(self) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
            d.deserialize_any(V)
        }
    }

    /// Deserializes `more`.
    ///
    /// # Errors
    /// Anything but a boolean, 0, 1 or null.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        d.deserialize_option(V)
    }
}

/// An identifier that arrives as a string, a number, or `null` (`userid`, `deviceid`):
/// numbers are kept as their decimal text so that both shapes compare equal.
pub mod opt_id {
    use super::*;

    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string, an integer or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(V)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_owned()))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
    }

    /// Deserializes the optional identifier.
    ///
    /// # Errors
    /// A float, a boolean, an array or an object.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        d.deserialize_option(V)
    }
}

/// Like [`opt_id`], but the identifier must be present and not `null`.
pub mod id {
    use super::*;

    /// Deserializes the identifier.
    ///
    /// # Errors
    /// `null`, a float, a boolean, an array or an object.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        super::opt_id::deserialize(d)?
            .ok_or_else(|| de::Error::invalid_type(de::Unexpected::Unit, &"a string or an integer"))
    }
}

/// An object that PHP encodes as `[]` when it is empty (`"goals": []`). Only an *empty* array is
/// accepted: a derived struct would otherwise read a non-empty array positionally.
pub mod object_or_empty_array {
    use super::*;

    struct V<T>(PhantomData<T>);
    impl<'de, T: Deserialize<'de> + Default> Visitor<'de> for V<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object or an empty array")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
            match seq.next_element::<IgnoredAny>()? {
                None => Ok(T::default()),
                Some(_) => Err(de::Error::invalid_value(
                    de::Unexpected::Seq,
                    &"an object or an empty array",
                )),
            }
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            T::deserialize(de::value::MapAccessDeserializer::new(map))
        }
        fn visit_unit<E: de::Error>(self) -> Result<T, E> {
            Ok(T::default())
        }
    }

    /// Deserializes the object, or `T::default()` for `[]` and `null`.
    ///
    /// # Errors
    /// A non-empty array, or anything `T` itself rejects.
    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(
        d: D,
    ) -> Result<T, D::Error> {
        d.deserialize_any(V(PhantomData))
    }
}

/// A map keyed by unix seconds written as strings (`{"1717369200": 61}`), as in sleep series.
/// The result is sorted by time; `null` and `[]` (PHP's empty map) are an empty map. A key
/// beyond the instants jiff can represent (about ±9999 years) is an error, as the decoder
/// could not read it. (Intraday samples, a list of records keyed by time, are a
/// [`TimedItems`](crate::TimedItems).)
pub mod timestamp_map {
    use super::*;

    struct V<T>(PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
        type Value = BTreeMap<i64, T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object keyed by unix timestamps")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(key) = map.next_key::<TimestampKey>()? {
                out.insert(key.0, map.next_value()?);
            }
            Ok(out)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            match seq.next_element::<IgnoredAny>()? {
                None => Ok(BTreeMap::new()),
                Some(_) => Err(de::Error::invalid_value(de::Unexpected::Seq, &self)),
            }
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }
    }

    /// Deserializes the map.
    ///
    /// # Errors
    /// A key that is not an integer, or a value `T` rejects.
    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<BTreeMap<i64, T>, D::Error> {
        d.deserialize_any(V(PhantomData))
    }
}

/// A map key holding unix seconds as text, within the instants jiff (and so the decoder)
/// can represent (about ±9999 years).
pub(crate) struct TimestampKey(pub(crate) i64);

/// The unix seconds of a timestamp key.
pub(crate) fn timestamp_key<E: de::Error>(v: &str) -> Result<i64, E> {
    let seconds: i64 = v.parse().map_err(|_| {
        E::invalid_value(
            de::Unexpected::Str(excerpt(v)),
            &"unix seconds as a string key",
        )
    })?;
    if jiff::Timestamp::from_second(seconds).is_err() {
        return Err(E::custom(format!("timestamp {seconds} is out of range")));
    }
    Ok(seconds)
}

impl<'de> Deserialize<'de> for TimestampKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = TimestampKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("unix seconds as a string key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TimestampKey, E> {
                timestamp_key(v).map(TimestampKey)
            }
        }
        d.deserialize_str(V)
    }
}

/// A `YYYY-MM-DD` date that exists (`2024-02-30` does not; `2024-6-1` is not in that form).
/// The one rule for such dates: the decoder reads them with it too.
///
/// ```
/// use withings_model::de::civil_date;
/// assert_eq!(civil_date("2024-02-29"), Some(jiff::civil::date(2024, 2, 29)));
/// assert_eq!(civil_date("2024-02-30"), None);
/// assert_eq!(civil_date("2024-6-1"), None);
/// ```
#[must_use]
pub fn civil_date(text: &str) -> Option<jiff::civil::Date> {
    if text.len() != 10 {
        return None;
    }
    jiff::civil::Date::strptime("%Y-%m-%d", text).ok()
}

/// Parses `T` from JSON bytes, at no cost to the success path for what follows a failure:
///
/// - a value that does not match: the bytes are parsed again in lenient mode, in which a
///   record of a list ([`Items`](crate::Items), [`TimedItems`](crate::TimedItems)) that
///   cannot be read is rejected rather than failing the whole value (see [`crate::items`]);
/// - an error that remains (outside the records), and a syntax error or a truncation (where
///   no record can be told apart): parsed again while tracking the path, so the error names
///   the field (`body.measuregrps[3].measures[0].value`).
///
/// # Errors
/// [`ParseError`](crate::ParseError) naming the JSON path, line and column.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, crate::ParseError> {
    let fast = match serde_json::from_slice(bytes) {
        Ok(v) => return Ok(v),
        Err(fast) => fast,
    };
    if fast.classify() != serde_json::error::Category::Data || crate::items::Lenient::active() {
        return Err(crate::ParseError::locate::<T>(bytes, fast));
    }
    let _lenient = crate::items::Lenient::enter();
    match serde_json::from_slice(bytes) {
        Ok(v) => Ok(v),
        // The strict pass stopped at a wrong value before it reached broken text (a record
        // cut short, bytes that are not UTF-8): report the text's first problem as any JSON
        // parser finds it, so a truncation is a truncation. (Records are taken as raw text
        // here, and serde_json's raw scan calls a number cut after its `-` invalid rather
        // than ended early.)
        Err(e) if e.classify() != serde_json::error::Category::Data => {
            match serde_json::from_slice::<serde_json::Value>(bytes) {
                Err(text) => Err(crate::ParseError::locate::<serde_json::Value>(bytes, text)),
                Ok(_) => Err(crate::ParseError::locate::<T>(bytes, e)),
            }
        }
        Err(e) => Err(crate::ParseError::locate::<T>(bytes, e)),
    }
}

/// An optional instant in unix seconds that some payloads send as a calendar date instead:
/// an integer, a string holding one, a `YYYY-MM-DD` date (read as 00:00 UTC that day; seen
/// for notify `expires`, API notes §15), or `null`/absent.
pub mod opt_unix_or_date {
    use super::*;

    /// Deserializes the optional instant.
    ///
    /// # Errors
    /// A boolean, an object, a fractional float, or a string that is neither.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        // A small field of small bodies: read it whole, then decide.
        match Option::<serde_json::Value>::deserialize(d)? {
            Some(serde_json::Value::String(text)) => from_text(&text).map(Some),
            Some(other) => opt_lenient_i64::deserialize(other).map_err(de::Error::custom),
            None => Ok(None),
        }
    }

    fn from_text<E: de::Error>(text: &str) -> Result<i64, E> {
        let t = text.trim();
        if let Ok(n) = str_to_i64::<E>(t) {
            return Ok(n);
        }
        let date: jiff::civil::Date = t
            .parse()
            .map_err(|_| E::custom(format!("`{t}` is neither unix seconds nor YYYY-MM-DD")))?;
        jiff::tz::Offset::UTC
            .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
            .map(jiff::Timestamp::as_second)
            .map_err(|_| E::custom(format!("`{t}` is out of range")))
    }
}

/// A list of integers sent as a JSON array, or as a string holding one (`"[1,2,3]"`: seen
/// for the heart `signal`, API notes §15).
pub mod ints_or_json_string {
    use super::*;

    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<i64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array of integers, or a string holding one")
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<i64>, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
            while let Some(v) = seq.next_element()? {
                out.push(v);
            }
            Ok(out)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<i64>, E> {
            serde_json::from_str::<Vec<i64>>(v.trim()).map_err(|e| {
                E::custom(format!(
                    "a string that is not a JSON array of integers ({e})"
                ))
            })
        }
    }

    /// Deserializes the list.
    ///
    /// # Errors
    /// Anything but an array of integers or a string holding one.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<i64>, D::Error> {
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Wrapper {
        #[serde(deserialize_with = "lenient_i64::deserialize")]
        #[allow(dead_code)]
        v: i64,
    }

    #[test]
    fn a_long_string_is_quoted_by_its_start_only() {
        let long = "é".repeat(10_000);
        assert_eq!(excerpt(&long).chars().count(), 64);
        assert_eq!(excerpt("abc"), "abc");
        let err = serde_json::from_str::<Wrapper>(&format!(r#"{{"v":"{long}"}}"#)).unwrap_err();
        let message = err.to_string();
        assert!(message.len() < 300, "{message}");
        assert!(message.contains(&"é".repeat(64)), "{message}");
        assert!(message.contains("an integer"), "{message}");
    }
}
