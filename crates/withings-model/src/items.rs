//! Record lists that are read one item at a time: one bad record does not lose the others.
//!
//! The rule (API notes §15): the records of a list — measure groups, days of activity,
//! workouts, nights, sleep segments, intraday samples, heart and stethoscope recordings,
//! devices, subscriptions — are [`Record`]s held in an [`Items`] (or, keyed by time, a
//! [`TimedItems`]). A record that does not parse, or holds a value the decoder could not
//! interpret (a timestamp beyond ±9999 years, a date that does not exist, a unit beyond ±64,
//! an end before its start), is **rejected**: the others are kept, and a [`Rejected`] entry
//! names its path (`body.measuregrps[3]`), says what was wrong and where inside it, and
//! keeps its JSON text exactly as received. Anything outside the records (the envelope,
//! `more`, `offset`, a top-level field, JSON that is not JSON) still fails the whole
//! response, with its path.
//!
//! How, at no cost to a response that parses: [`crate::de::from_slice`] (and so
//! [`parse_reply`](crate::parse_reply)) parses strictly first, into plain vectors. Only when
//! that fails on a value does it parse the same bytes again in *lenient* mode (a flag set
//! for the duration of that call on this thread; deserialization is synchronous), in which
//! each record is taken as raw JSON and parsed and checked on its own. A syntax error or a
//! truncation is reported at once: no record can be told apart in text that is not JSON.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use serde::de::{self, DeserializeOwned, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::ParseError;

thread_local! {
    static LENIENT: Cell<bool> = const { Cell::new(false) };
}

/// While alive, lists on this thread are read in lenient mode (see the module docs).
pub(crate) struct Lenient {
    previous: bool,
}

impl Lenient {
    pub(crate) fn enter() -> Self {
        Self {
            previous: LENIENT.replace(true),
        }
    }

    pub(crate) fn active() -> bool {
        LENIENT.get()
    }
}

impl Drop for Lenient {
    fn drop(&mut self) {
        LENIENT.set(self.previous);
    }
}

/// A record of a list that is read one item at a time ([`Items`], [`TimedItems`]).
pub trait Record: DeserializeOwned {
    /// The list's JSON path in a response, as error paths spell it (`body.measuregrps`).
    const LIST: &'static str;

    /// Checks the values a decoder must be able to interpret (timestamps within jiff's
    /// ±9999 years, `YYYY-MM-DD` dates that exist, units within ±64, an end not before its
    /// start). The error names the path inside the record: `` at `date`: … ``.
    ///
    /// # Errors
    /// The first value that cannot be interpreted.
    fn check(&self) -> Result<(), String> {
        Ok(())
    }
}

/// A record that was left out of a list because it could not be read.
///
/// Serialized as `{"path", "error", "raw", "response"}`, `raw` being the record's JSON text
/// as a string (exactly as received) and `response` left out when `None`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Rejected {
    /// Where the record was in its response: `body.measuregrps[3]`, or for a list keyed by
    /// time `body.series.1717369200`.
    pub path: String,
    /// What was wrong, naming the path inside the record (`` at `measures[0].unit`: … ``;
    /// no path when the record itself is at fault, e.g. ``missing field `date` ``).
    pub error: String,
    /// The record's JSON text, exactly as received, for a caller that wants to keep it (in a
    /// list keyed by time, the entry's value: its key ends `path`).
    pub raw: Box<RawValue>,
    /// In a value merged from several responses (the calls of a split request, the pages of
    /// a paged one), the number of the response it came from, from 1: the paths are
    /// relative to that response. `None` in a value read from one response.
    pub response: Option<usize>,
}

impl Rejected {
    /// The record's JSON text, exactly as received.
    #[must_use]
    pub fn raw(&self) -> &str {
        self.raw.get()
    }
}

impl PartialEq for Rejected {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path
            && self.error == other.error
            && self.raw.get() == other.raw.get()
            && self.response == other.response
    }
}

impl Eq for Rejected {}

impl Serialize for Rejected {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Rejected", 3 + usize::from(self.response.is_some()))?;
        st.serialize_field("path", &self.path)?;
        st.serialize_field("error", &self.error)?;
        st.serialize_field("raw", self.raw.get())?;
        if let Some(n) = self.response {
            st.serialize_field("response", &n)?;
        }
        st.end()
    }
}

/// A record's error message, with the path inside the record when there is one.
fn describe(e: &ParseError) -> String {
    if e.path().is_empty() {
        e.message().to_owned()
    } else {
        format!("at `{}`: {}", e.path(), e.message())
    }
}

/// Parses and checks one record from its own text (lenient mode).
fn parse_record<T: Record>(raw: &RawValue) -> Result<T, String> {
    let text = raw.get();
    let record = serde_json::from_str::<T>(text)
        .map_err(|e| describe(&ParseError::locate::<T>(text.as_bytes(), e)))?;
    record.check()?;
    Ok(record)
}

/// Appends `other`'s entries but those `same` as one already in `list` (a record returned by
/// two adjacent calls of a split request is rejected once, as it would be kept once).
fn append_rejected(
    list: &mut Vec<Rejected>,
    other: Vec<Rejected>,
    same: impl Fn(&Rejected, &Rejected) -> bool,
) {
    let before = list.len();
    for r in other {
        if !list[..before].iter().any(|k| same(k, &r)) {
            list.push(r);
        }
    }
}

/// A list of [`Record`]s, with the records that were rejected (see the module docs).
///
/// It reads as a slice of the records kept (`items.len()`, `items[0]`, `items.iter()`), in
/// the order received; [`rejected`](Self::rejected) holds the others.
///
/// ```
/// use withings_model::heart::HeartListBody;
/// use withings_model::{Reply, parse_reply};
///
/// let json = br#"{"status":0,"body":{"series":[{"timestamp":1717400000},{"heart_rate":61},
///   {"timestamp":1717403600}],"more":false}}"#;
/// let Reply::Ok(body) = parse_reply::<HeartListBody>(json).unwrap() else { panic!() };
/// assert_eq!(body.series.len(), 2);
/// let bad = &body.series.rejected()[0];
/// assert_eq!(bad.path, "body.series[1]");
/// assert_eq!(bad.error, "missing field `timestamp`");
/// assert_eq!(bad.raw(), r#"{"heart_rate":61}"#);
/// assert_eq!(body.series.index_of(1), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Items<T> {
    items: Vec<T>,
    /// The position in the list as received of each kept record; empty when that is its
    /// position here (nothing was rejected, nothing merged).
    index: Vec<usize>,
    rejected: Vec<Rejected>,
}

impl<T> Default for Items<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            index: Vec::new(),
            rejected: Vec::new(),
        }
    }
}

impl<T> Items<T> {
    /// The records rejected, in the order received.
    #[must_use]
    pub fn rejected(&self) -> &[Rejected] {
        &self.rejected
    }

    /// Where the `k`-th record kept was in the list as received (its response's list, for
    /// merged lists): the index its paths name.
    #[must_use]
    pub fn index_of(&self, k: usize) -> usize {
        self.index.get(k).copied().unwrap_or(k)
    }

    /// The records kept, mutably (order and number are fixed: paths depend on them).
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
        self.items.iter_mut()
    }

    /// The records kept, each with [`index_of`](Self::index_of), and the rejected entries.
    #[must_use]
    pub fn into_parts(self) -> (Vec<T>, Positions, Vec<Rejected>) {
        (self.items, Positions(self.index), self.rejected)
    }

    /// The records kept, dropping the rejected entries.
    #[must_use]
    pub fn into_vec(self) -> Vec<T> {
        self.items
    }

    /// Numbers this list's rejected entries with the response they came from (see
    /// [`Rejected::response`]), where they have no number yet.
    pub fn number_rejected(&mut self, response: usize) {
        for r in &mut self.rejected {
            r.response.get_or_insert(response);
        }
    }

    /// Appends the records of `other` for which `keep` is true, and its rejected entries
    /// but those already here (the same text). Each record keeps the index it had in its own
    /// response.
    pub fn append_where(&mut self, other: Self, mut keep: impl FnMut(&T) -> bool) {
        if self.index.is_empty() && !other.items.is_empty() {
            self.index = (0..self.items.len()).collect();
        }
        for (k, item) in other.items.into_iter().enumerate() {
            if keep(&item) {
                self.index.push(other.index.get(k).copied().unwrap_or(k));
                self.items.push(item);
            }
        }
        append_rejected(&mut self.rejected, other.rejected, |a, b| {
            a.raw.get() == b.raw.get()
        });
    }
}

/// Where each record of an [`Items`] was in the list as received ([`Items::into_parts`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Positions(Vec<usize>);

impl Positions {
    /// The index as received of the `k`-th record kept.
    #[must_use]
    pub fn of(&self, k: usize) -> usize {
        self.0.get(k).copied().unwrap_or(k)
    }
}

impl<T> Deref for Items<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.items
    }
}

/// A list read in full: nothing rejected.
impl<T> From<Vec<T>> for Items<T> {
    fn from(items: Vec<T>) -> Self {
        Self {
            items,
            index: Vec::new(),
            rejected: Vec::new(),
        }
    }
}

impl<T> FromIterator<T> for Items<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Self::from(iter.into_iter().collect::<Vec<_>>())
    }
}

impl<T> IntoIterator for Items<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a, T> IntoIterator for &'a Items<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

/// Serializes as the list of records kept (the wire shape); rejected entries are left out.
impl<T: Serialize> Serialize for Items<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.items.serialize(s)
    }
}

struct ItemsVisitor<T>(PhantomData<T>);

impl<'de, T: Record> Visitor<'de> for ItemsVisitor<T> {
    type Value = Items<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Items<T>, A::Error> {
        let mut out = Items::default();
        if !Lenient::active() {
            // As a `Vec<T>` reads it, plus each record's check.
            while let Some(item) = seq.next_element::<T>()? {
                item.check().map_err(de::Error::custom)?;
                out.items.push(item);
            }
            return Ok(out);
        }
        let mut i = 0;
        while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
            match parse_record::<T>(&raw) {
                Ok(item) => {
                    out.items.push(item);
                    out.index.push(i);
                }
                Err(error) => out.rejected.push(Rejected {
                    path: format!("{}[{i}]", T::LIST),
                    error,
                    raw,
                    response: None,
                }),
            }
            i += 1;
        }
        if out.rejected.is_empty() {
            out.index = Vec::new();
        }
        Ok(out)
    }
}

impl<'de, T: Record> Deserialize<'de> for Items<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(ItemsVisitor(PhantomData))
    }
}

/// Records keyed by the unix seconds they start at (`{"1717369200": {...}}`, intraday
/// samples), sorted by time, with the entries that were rejected: an entry whose key is not
/// unix seconds in range or whose record cannot be read (see the module docs). `[]` (PHP's
/// empty map) and `null` are an empty map.
///
/// It reads as the `BTreeMap` of the records kept.
///
/// ```
/// use withings_model::activity::GetIntradayActivityBody;
/// use withings_model::{Reply, parse_reply};
///
/// let json = br#"{"status":0,"body":{"series":{"1717369200":{"steps":4},"noon":{"steps":2},
///   "1717369260":{"steps":"many"}}}}"#;
/// let Reply::Ok(body) = parse_reply::<GetIntradayActivityBody>(json).unwrap() else { panic!() };
/// assert_eq!(body.series.keys().copied().collect::<Vec<_>>(), [1717369200]);
/// let paths: Vec<_> = body.series.rejected().iter().map(|r| r.path.as_str()).collect();
/// assert_eq!(paths, ["body.series.noon", "body.series.1717369260"]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TimedItems<T> {
    map: BTreeMap<i64, T>,
    rejected: Vec<Rejected>,
}

impl<T> Default for TimedItems<T> {
    fn default() -> Self {
        Self {
            map: BTreeMap::new(),
            rejected: Vec::new(),
        }
    }
}

impl<T> TimedItems<T> {
    /// The entries rejected, in the order received.
    #[must_use]
    pub fn rejected(&self) -> &[Rejected] {
        &self.rejected
    }

    /// The records kept and the rejected entries.
    #[must_use]
    pub fn into_parts(self) -> (BTreeMap<i64, T>, Vec<Rejected>) {
        (self.map, self.rejected)
    }

    /// Numbers the rejected entries with the response they came from (see
    /// [`Rejected::response`]), where they have no number yet.
    pub fn number_rejected(&mut self, response: usize) {
        for r in &mut self.rejected {
            r.response.get_or_insert(response);
        }
    }

    /// Adds the entries of `other` whose time is not here yet (the first answer wins), and
    /// its rejected entries but those already here (the same key and text).
    pub fn append(&mut self, other: Self) {
        for (at, record) in other.map {
            self.map.entry(at).or_insert(record);
        }
        // The path names the key here: the same entry is the same key and the same text.
        append_rejected(&mut self.rejected, other.rejected, |a, b| {
            a.path == b.path && a.raw.get() == b.raw.get()
        });
    }
}

impl<T> Deref for TimedItems<T> {
    type Target = BTreeMap<i64, T>;
    fn deref(&self) -> &BTreeMap<i64, T> {
        &self.map
    }
}

impl<T> DerefMut for TimedItems<T> {
    fn deref_mut(&mut self) -> &mut BTreeMap<i64, T> {
        &mut self.map
    }
}

/// A map read in full: nothing rejected.
impl<T> From<BTreeMap<i64, T>> for TimedItems<T> {
    fn from(map: BTreeMap<i64, T>) -> Self {
        Self {
            map,
            rejected: Vec::new(),
        }
    }
}

impl<T> IntoIterator for TimedItems<T> {
    type Item = (i64, T);
    type IntoIter = std::collections::btree_map::IntoIter<i64, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.map.into_iter()
    }
}

impl<'a, T> IntoIterator for &'a TimedItems<T> {
    type Item = (&'a i64, &'a T);
    type IntoIter = std::collections::btree_map::Iter<'a, i64, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.map.iter()
    }
}

/// Serializes as the map of records kept (the wire shape); rejected entries are left out.
impl<T: Serialize> Serialize for TimedItems<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.map.serialize(s)
    }
}

struct TimedVisitor<T>(PhantomData<T>);

impl<'de, T: Record> Visitor<'de> for TimedVisitor<T> {
    type Value = TimedItems<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object keyed by unix timestamps")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TimedItems<T>, A::Error> {
        let mut out = TimedItems::default();
        if !Lenient::active() {
            while let Some(key) = map.next_key::<crate::de::TimestampKey>()? {
                let record: T = map.next_value()?;
                record.check().map_err(de::Error::custom)?;
                out.map.insert(key.0, record);
            }
            return Ok(out);
        }
        while let Some(key) = map.next_key::<String>()? {
            let raw: Box<RawValue> = map.next_value()?;
            let record = crate::de::timestamp_key::<serde_json::Error>(&key)
                .map_err(|e| e.to_string())
                .and_then(|at| parse_record::<T>(&raw).map(|r| (at, r)));
            match record {
                Ok((at, record)) => {
                    out.map.insert(at, record);
                }
                Err(error) => out.rejected.push(Rejected {
                    path: format!("{}.{key}", T::LIST),
                    error,
                    raw,
                    response: None,
                }),
            }
        }
        Ok(out)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TimedItems<T>, A::Error> {
        match seq.next_element::<IgnoredAny>()? {
            None => Ok(TimedItems::default()),
            Some(_) => Err(de::Error::invalid_value(de::Unexpected::Seq, &self)),
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<TimedItems<T>, E> {
        Ok(TimedItems::default())
    }
}

impl<'de, T: Record> Deserialize<'de> for TimedItems<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TimedVisitor(PhantomData))
    }
}

/// `Ok` when `seconds` is an instant jiff (and so the decoder) can represent, about ±9999
/// years; otherwise a message naming `path`.
pub(crate) fn check_seconds(seconds: i64, path: &str) -> Result<(), String> {
    match jiff::Timestamp::from_second(seconds) {
        Ok(_) => Ok(()),
        Err(_) => Err(format!("at `{path}`: timestamp {seconds} is out of range")),
    }
}

/// As [`check_seconds`], for an optional value.
pub(crate) fn check_opt_seconds(seconds: Option<i64>, path: &str) -> Result<(), String> {
    seconds.map_or(Ok(()), |s| check_seconds(s, path))
}

/// `Ok` when `end` is not before `start` (both already checked).
pub(crate) fn check_span(start: i64, end: i64) -> Result<(), String> {
    if end < start {
        return Err(format!(
            "at `enddate`: ends at {end} before it starts at {start}"
        ));
    }
    Ok(())
}

/// `Ok` when `text` is a `YYYY-MM-DD` date that exists.
pub(crate) fn check_date(text: &str, path: &str) -> Result<(), String> {
    match crate::de::civil_date(text) {
        Some(_) => Ok(()),
        None => Err(format!(
            "at `{path}`: `{text}` is not a valid YYYY-MM-DD date"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Deserialize)]
    struct Rec {
        at: i64,
        #[serde(default)]
        n: Option<i64>,
    }

    impl Record for Rec {
        const LIST: &'static str = "body.recs";
        fn check(&self) -> Result<(), String> {
            check_seconds(self.at, "at")
        }
    }

    #[derive(Debug, Deserialize)]
    struct Body {
        recs: Items<Rec>,
        #[serde(default)]
        #[allow(dead_code)]
        more: Option<bool>,
    }

    fn body(recs: &str) -> Result<Body, ParseError> {
        crate::de::from_slice::<Body>(format!(r#"{{"recs":{recs}}}"#).as_bytes())
    }

    fn kept(b: &Body) -> Vec<i64> {
        b.recs.iter().map(|r| r.at).collect()
    }

    fn paths(rejected: &[Rejected]) -> Vec<&str> {
        rejected.iter().map(|r| r.path.as_str()).collect()
    }

    #[test]
    fn a_list_that_parses_is_read_as_is() {
        let b = body(r#"[{"at":1},{"at":2,"n":5}]"#).unwrap();
        assert_eq!(kept(&b), [1, 2]);
        assert!(b.recs.rejected().is_empty());
        assert_eq!((b.recs.index_of(0), b.recs.index_of(1)), (0, 1));
        assert!(!Lenient::active());
    }

    #[test]
    fn a_bad_record_first_middle_or_last_is_rejected_and_the_others_kept() {
        for (recs, good, bad) in [
            (r#"[{"n":1},{"at":2},{"at":3}]"#, [2, 3], "body.recs[0]"),
            (r#"[{"at":1},{"at":"x"},{"at":3}]"#, [1, 3], "body.recs[1]"),
            (
                r#"[{"at":1},{"at":2},{"at":99999999999999}]"#,
                [1, 2],
                "body.recs[2]",
            ),
        ] {
            let b = body(recs).unwrap();
            assert_eq!(kept(&b), good, "{recs}");
            assert_eq!(paths(b.recs.rejected()), [bad], "{recs}");
        }
        let b = body(r#"[{"at":1},{"at":"x", "n" : 2},{"at":3}]"#).unwrap();
        let r = &b.recs.rejected()[0];
        assert_eq!(r.raw(), r#"{"at":"x", "n" : 2}"#, "kept byte for byte");
        assert!(
            r.error.starts_with("at `at`: invalid type: string"),
            "{}",
            r.error
        );
        assert_eq!(r.response, None);
        assert_eq!((b.recs.index_of(0), b.recs.index_of(1)), (0, 2));
        let (items, at, rejected) = b.recs.into_parts();
        assert_eq!((items.len(), at.of(1), rejected.len()), (2, 2, 1));
        let b = body(r#"[{"at":1},{"at":99999999999999}]"#).unwrap();
        assert_eq!(
            b.recs.rejected()[0].error,
            "at `at`: timestamp 99999999999999 is out of range"
        );
    }

    #[test]
    fn every_record_bad_leaves_an_empty_list() {
        let b = body(r#"[{"n":1},7,null]"#).unwrap();
        assert!(b.recs.is_empty());
        assert_eq!(
            paths(b.recs.rejected()),
            ["body.recs[0]", "body.recs[1]", "body.recs[2]"]
        );
        assert_eq!(b.recs.rejected()[1].raw(), "7");
        assert!(
            b.recs.rejected()[1].error.contains("expected struct Rec"),
            "{}",
            b.recs.rejected()[1].error
        );
    }

    #[test]
    fn an_error_outside_the_records_still_fails_the_whole_response() {
        let e = crate::de::from_slice::<Body>(br#"{"recs":[{"n":1},{"at":2}],"more":"x"}"#)
            .unwrap_err();
        assert_eq!(e.path(), "more");
        let e = body(r#"{"at":1}"#).unwrap_err();
        assert_eq!(e.path(), "recs");
        // Not JSON: nothing can be told apart; the text's first problem is reported, also
        // when a bad record came before it.
        let e = crate::de::from_slice::<Body>(br#"{"recs":[{"n":1},{"at":2}"#).unwrap_err();
        assert_eq!(e.kind(), crate::ParseErrorKind::Truncated);
        for cut in [
            &br#"{"recs":[{"n":1},{"at":-"#[..],
            br#"{"recs":[{"n":1},{"at":1"#,
        ] {
            let e = crate::de::from_slice::<Body>(cut).unwrap_err();
            assert_eq!(e.kind(), crate::ParseErrorKind::Truncated, "{e}");
            assert_eq!(e.column(), cut.len(), "{e}");
        }
        let e = crate::de::from_slice::<Body>(b"{\"recs\":[{\"n\":1},{\"at\":1,\"x\":\"\xFF\"}]}")
            .unwrap_err();
        assert_eq!(e.kind(), crate::ParseErrorKind::Syntax, "{e}");
        assert_eq!(e.path(), "recs[1].x");
        assert!(!Lenient::active(), "the mode is restored after an error");
    }

    #[test]
    fn appending_keeps_indices_numbers_and_one_copy_of_a_rejected_record() {
        let mut a = body(r#"[{"at":1},{"n":9},{"at":3}]"#).unwrap().recs;
        let mut b = body(r#"[{"at":3},{"n":9},{"at":"x"},{"at":5}]"#)
            .unwrap()
            .recs;
        a.number_rejected(1);
        b.number_rejected(2);
        a.append_where(b, |r| r.at != 3);
        assert_eq!(a.iter().map(|r| r.at).collect::<Vec<_>>(), [1, 3, 5]);
        assert_eq!((a.index_of(1), a.index_of(2)), (2, 3));
        let got: Vec<_> = a
            .rejected()
            .iter()
            .map(|r| (r.path.as_str(), r.response))
            .collect();
        assert_eq!(got, [("body.recs[1]", Some(1)), ("body.recs[2]", Some(2))]);
        let mut c = Items::from(vec![Rec { at: 1, n: None }]);
        c.append_where(Items::from(vec![Rec { at: 2, n: None }]), |_| true);
        assert_eq!((c.index_of(0), c.index_of(1)), (0, 0));
    }

    #[test]
    fn rejected_entries_serialize_with_their_text() {
        let b = body(r#"[{"n":1}]"#).unwrap();
        let mut r = b.recs.rejected()[0].clone();
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"path":"body.recs[0]","error":"missing field `at`","raw":"{\"n\":1}"}"#
        );
        r.response = Some(3);
        assert!(
            serde_json::to_string(&r)
                .unwrap()
                .ends_with(r#","response":3}"#)
        );
        assert_ne!(r, b.recs.rejected()[0]);
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Sample {
        #[serde(default)]
        steps: Option<i64>,
    }

    impl Record for Sample {
        const LIST: &'static str = "body.series";
    }

    #[derive(Debug, Deserialize)]
    struct Timed {
        series: TimedItems<Sample>,
        #[serde(default)]
        #[allow(dead_code)]
        more: Option<bool>,
    }

    fn timed(series: &str) -> Result<Timed, ParseError> {
        crate::de::from_slice::<Timed>(format!(r#"{{"series":{series}}}"#).as_bytes())
    }

    #[test]
    fn timed_entries_are_rejected_by_key_or_value() {
        let t = timed(r#"{"20":{"steps":2},"10":{"steps":1}}"#).unwrap();
        assert_eq!(t.series.keys().copied().collect::<Vec<_>>(), [10, 20]);
        assert!(t.series.rejected().is_empty());
        let t = timed(
            r#"{"20":{"steps":2},"noon":{"steps":1},"99999999999999":{},"30":{"steps":"x"}}"#,
        )
        .unwrap();
        assert_eq!(t.series.keys().copied().collect::<Vec<_>>(), [20]);
        assert_eq!(
            paths(t.series.rejected()),
            [
                "body.series.noon",
                "body.series.99999999999999",
                "body.series.30"
            ]
        );
        assert_eq!(t.series.rejected()[2].raw(), r#"{"steps":"x"}"#);
        assert!(t.series.rejected()[0].error.contains("unix seconds"));
        assert!(t.series.rejected()[1].error.contains("out of range"));
        for empty in ["[]", "null", "{}"] {
            assert!(timed(empty).unwrap().series.is_empty(), "{empty}");
        }
        let e = crate::de::from_slice::<Timed>(br#"{"series":{"noon":{}},"more":3}"#).unwrap_err();
        assert_eq!(e.path(), "more");
        let _ = timed("[1]").unwrap_err();
    }

    #[test]
    fn timed_items_append_keeps_the_first_answer() {
        let mut a = timed(r#"{"10":{"steps":1},"x":{}}"#).unwrap().series;
        let b = timed(r#"{"10":{"steps":9},"20":{"steps":2},"x":{}}"#)
            .unwrap()
            .series;
        a.number_rejected(1);
        a.append(b);
        assert_eq!(a.get(&10), Some(&Sample { steps: Some(1) }));
        assert_eq!(a.len(), 2);
        assert_eq!(a.rejected().len(), 1, "the same rejected text is kept once");
        let (map, rejected) = a.into_parts();
        assert_eq!((map.len(), rejected[0].response), (2, Some(1)));
    }
}
