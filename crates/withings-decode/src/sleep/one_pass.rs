//! sleep get read in one pass (issue 15): from the response's bytes straight to
//! [`SleepSegments`], without the wire model's list of segments or its maps.
//!
//! Each segment is read field by field, as getmeas groups are (`crate::one_pass`): every
//! value by the type or visitor the wire model's [`SleepSegment`] reads it with (`model` as a
//! name or a code, the lenient `model_id`, the id visitor of `hash_deviceid`, each series
//! value as [`Number`] or `f64`), and a unit test holds the field list to the wire type's own.
//! A series (`{"1717369200": 61, …}`) goes straight into its vector of points instead of a
//! `BTreeMap` converted afterwards: its keys are read as raw bytes, plain decimal seconds
//! parsed as such; points that arrive out of order are sorted and a repeated second keeps its
//! last value, as the wire model's map does. The timestamp keys, the transient maps and the
//! doubling vectors were three quarters of the sleep get decode (BENCHMARKS.md, "Decoding a
//! sleep get response").
//!
//! Anything unusual — a status other than 0, another top-level key, a segment that fails the
//! wire model's check ([`Record::check`]: it is to be rejected), a repeated key, a series key
//! that is not plain decimal seconds within range, a series that is an array with elements —
//! declines (`None`), and the caller takes the strict-then-lenient wire path: wherever the
//! one pass answers, its answer is the wire path's.
//!
//! [`Record::check`]: withings_model::items::Record::check
//! [`SleepSegment`]: withings_model::sleep::SleepSegment

use std::fmt;

use jiff::Timestamp;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use withings_model::codes::NameOrCode;
use withings_model::sleep::{SleepModel, SleepState};

use super::{Segment, SeriesPoint, SleepSegments, device, sort_segments};
use crate::Number;
use crate::one_pass::{Field, Fields, Key, OptLenient, decline, first_time, ok_body, read_fields};

/// Reads a successful sleep get response in one pass; `None` when it declines.
pub(super) fn decode(bytes: &[u8]) -> Option<SleepSegments> {
    ok_body(bytes, BodySeed)
}

struct BodySeed;

impl<'de> DeserializeSeed<'de> for BodySeed {
    type Value = SleepSegments;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<SleepSegments, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for BodySeed {
    type Value = SleepSegments;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sleep get body")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SleepSegments, A::Error> {
        const NAMES: &[&str] = &["series", "model"];
        let mut segments: Option<Vec<Segment>> = None;
        let mut model: Option<Option<SleepModel>> = None;
        while let Some(key) = map.next_key_seed(Key(NAMES))? {
            match key {
                Some(0) if segments.is_none() => {
                    segments = Some(map.next_value_seed(SegmentsSeed)?);
                }
                Some(1) if model.is_none() => model = Some(map.next_value()?),
                Some(_) => return Err(decline("a repeated field")),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let mut segments = segments.ok_or_else(|| de::Error::missing_field("series"))?;
        sort_segments(&mut segments);
        Ok(SleepSegments {
            model: model.flatten(),
            segments,
            rejected: Vec::new(),
        })
    }
}

struct SegmentsSeed;

impl<'de> DeserializeSeed<'de> for SegmentsSeed {
    type Value = Vec<Segment>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Segment>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for SegmentsSeed {
    type Value = Vec<Segment>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of segments")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Segment>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(s) = seq.next_element_seed(SegmentSeed)? {
            out.push(s);
        }
        out.shrink_to_fit();
        Ok(out)
    }
}

/// The fields of the wire model's `SleepSegment`, in the order of its declaration; a test
/// checks the list against the wire type's own.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SegmentField {
    Startdate,
    Enddate,
    State,
    Model,
    ModelId,
    HashDeviceid,
    Hr,
    Rr,
    Snoring,
    Sdnn1,
    Rmssd,
    HrvQuality,
    MvtScore,
    ChestMovementRate,
    WithingsIndex,
    BreathingSounds,
}

impl Field for SegmentField {
    const ALL: &'static [(Self, &'static [u8])] = &[
        (Self::Startdate, b"startdate"),
        (Self::Enddate, b"enddate"),
        (Self::State, b"state"),
        (Self::Model, b"model"),
        (Self::ModelId, b"model_id"),
        (Self::HashDeviceid, b"hash_deviceid"),
        (Self::Hr, b"hr"),
        (Self::Rr, b"rr"),
        (Self::Snoring, b"snoring"),
        (Self::Sdnn1, b"sdnn_1"),
        (Self::Rmssd, b"rmssd"),
        (Self::HrvQuality, b"hrv_quality"),
        (Self::MvtScore, b"mvt_score"),
        (Self::ChestMovementRate, b"chest_movement_rate"),
        (Self::WithingsIndex, b"withings_index"),
        (Self::BreathingSounds, b"breathing_sounds"),
    ];
    // As the API sends them (the fixtures): `state` between the two dates.
    const USUAL: &'static [(Self, &'static [u8])] = &[
        Self::ALL[0],
        Self::ALL[2],
        Self::ALL[1],
        Self::ALL[3],
        Self::ALL[4],
        Self::ALL[5],
        Self::ALL[6],
        Self::ALL[7],
        Self::ALL[8],
        Self::ALL[9],
        Self::ALL[10],
        Self::ALL[12],
    ];
}

const _: () = assert!(SegmentField::ALL.len() <= 16);

/// Reads one segment straight into a [`Segment`].
struct SegmentSeed;

impl<'de> DeserializeSeed<'de> for SegmentSeed {
    type Value = Segment;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Segment, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for SegmentSeed {
    type Value = Segment;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sleep segment")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Segment, A::Error> {
        let mut s = SegmentFields::default();
        read_fields(&mut map, &mut s)?;
        let (Some(startdate), Some(enddate), Some(state)) = (s.startdate, s.enddate, s.state)
        else {
            return Err(decline("a required field is missing"));
        };
        // What `Record::check` refuses (the wire path rejects the segment).
        let (Ok(start), Ok(end)) = (
            Timestamp::from_second(startdate),
            Timestamp::from_second(enddate),
        ) else {
            return Err(decline("a time out of range"));
        };
        if end < start {
            return Err(decline("a segment that ends before it starts"));
        }
        let (device_model, model_name) = device(s.model, s.model_id);
        Ok(Segment {
            state,
            start,
            end,
            duration: end.duration_since(start),
            device_model,
            model_name,
            hash_device_id: s.hash_deviceid,
            hr: s.hr,
            rr: s.rr,
            snoring: s.snoring,
            sdnn_1: s.sdnn_1,
            rmssd: s.rmssd,
            hrv_quality: s.hrv_quality,
            mvt_score: s.mvt_score,
            chest_movement_rate: s.chest_movement_rate,
            withings_index: s.withings_index,
            breathing_sounds: s.breathing_sounds,
        })
    }
}

/// A segment's fields read so far.
#[derive(Default)]
struct SegmentFields {
    seen: u16,
    startdate: Option<i64>,
    enddate: Option<i64>,
    state: Option<SleepState>,
    model: Option<NameOrCode>,
    model_id: Option<i64>,
    hash_deviceid: Option<String>,
    hr: Vec<SeriesPoint<Number>>,
    rr: Vec<SeriesPoint<Number>>,
    snoring: Vec<SeriesPoint<Number>>,
    sdnn_1: Vec<SeriesPoint<f64>>,
    rmssd: Vec<SeriesPoint<f64>>,
    hrv_quality: Vec<SeriesPoint<Number>>,
    mvt_score: Vec<SeriesPoint<Number>>,
    chest_movement_rate: Vec<SeriesPoint<f64>>,
    withings_index: Vec<SeriesPoint<f64>>,
    breathing_sounds: Vec<SeriesPoint<f64>>,
}

impl Fields<SegmentField> for SegmentFields {
    /// Reads `field`'s value, each by the type or visitor the wire model's `SleepSegment`
    /// reads it with.
    #[inline(always)]
    fn read<'de, A: MapAccess<'de>>(
        &mut self,
        field: SegmentField,
        map: &mut A,
    ) -> Result<(), A::Error> {
        use SegmentField as F;
        first_time(&mut self.seen, 1 << field as u16)?;
        match field {
            F::Startdate => self.startdate = Some(map.next_value::<i64>()?),
            F::Enddate => self.enddate = Some(map.next_value::<i64>()?),
            F::State => self.state = Some(map.next_value::<SleepState>()?),
            F::Model => self.model = map.next_value::<Option<NameOrCode>>()?,
            F::ModelId => self.model_id = map.next_value::<OptLenient>()?.0,
            F::HashDeviceid => self.hash_deviceid = map.next_value::<HashDeviceId>()?.0,
            F::Hr => map.next_value_seed(Series(&mut self.hr))?,
            F::Rr => map.next_value_seed(Series(&mut self.rr))?,
            F::Snoring => map.next_value_seed(Series(&mut self.snoring))?,
            F::Sdnn1 => map.next_value_seed(Series(&mut self.sdnn_1))?,
            F::Rmssd => map.next_value_seed(Series(&mut self.rmssd))?,
            F::HrvQuality => map.next_value_seed(Series(&mut self.hrv_quality))?,
            F::MvtScore => map.next_value_seed(Series(&mut self.mvt_score))?,
            F::ChestMovementRate => map.next_value_seed(Series(&mut self.chest_movement_rate))?,
            F::WithingsIndex => map.next_value_seed(Series(&mut self.withings_index))?,
            F::BreathingSounds => map.next_value_seed(Series(&mut self.breathing_sounds))?,
        }
        Ok(())
    }
}

/// `hash_deviceid`, read by the wire type's own visitor.
#[derive(Deserialize)]
#[serde(transparent)]
struct HashDeviceId(
    #[serde(deserialize_with = "withings_model::de::opt_id::deserialize")] Option<String>,
);

/// A series, read into its points: what the wire model's `timestamp_map` accepts (a map,
/// `null`, an empty array), its values read as `T`.
struct Series<'a, T>(&'a mut Vec<SeriesPoint<T>>);

impl<'de, T: Deserialize<'de> + Copy> DeserializeSeed<'de> for Series<'_, T> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: Deserialize<'de> + Copy> Visitor<'de> for Series<'_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object keyed by unix timestamps")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let points = self.0;
        let mut in_order = true;
        while let Some(at) = map.next_key_seed(Second)? {
            let value = map.next_value::<T>()?;
            if points.last().is_some_and(|p| p.at >= at) {
                in_order = false;
            }
            points.push(SeriesPoint { at, value });
        }
        if !in_order {
            // As the wire model's map: by time, the last value of a repeated second.
            points.sort_by_key(|p| p.at);
            points.dedup_by(|later, kept| {
                let same = later.at == kept.at;
                if same {
                    kept.value = later.value;
                }
                same
            });
        }
        points.shrink_to_fit();
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // PHP's empty array for an empty map; an array with elements the wire path refuses.
        match seq.next_element::<IgnoredAny>()? {
            None => Ok(()),
            Some(_) => Err(decline("a series that is an array")),
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// A series key: unix seconds as plain decimal text (`"1717369200"`, `"-5"`) within the
/// instants the decoder represents, read as raw bytes. Any other key declines: the wire path
/// reads it (a `+` sign) or refuses it with its error.
struct Second;

impl<'de> DeserializeSeed<'de> for Second {
    type Value = Timestamp;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Timestamp, D::Error> {
        d.deserialize_bytes(self)
    }
}

impl Visitor<'_> for Second {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unix seconds as a string key")
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Timestamp, E> {
        seconds(v)
            .and_then(|s| Timestamp::from_second(s).ok())
            .ok_or_else(|| decline("a series key that is not plain seconds in range"))
    }
}

/// The value of an optional `-` and 1 to 18 decimal digits (no overflow possible); `None`
/// for anything else.
fn seconds(v: &[u8]) -> Option<i64> {
    let (negative, digits) = match v {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, v),
    };
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut n: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n * 10 + i64::from(d - b'0');
    }
    Some(if negative { -n } else { n })
}

#[cfg(test)]
mod tests {
    use withings_model::Reply;
    use withings_model::sleep::{GetSleepBody, SleepSegment};

    use super::*;
    use crate::one_pass::tests::fields_of;
    use crate::{Decode, decode_reply};

    fn wire_path(bytes: &[u8]) -> Result<Reply<SleepSegments>, crate::DecodeError> {
        match withings_model::parse_reply::<GetSleepBody>(bytes)? {
            Reply::Ok(body) => body.decode().map(Reply::Ok),
            Reply::Status(s) => Ok(Reply::Status(s)),
        }
    }

    /// Both paths agree on `bytes`; whether the one pass answered.
    fn same(bytes: &[u8]) -> bool {
        let wire = wire_path(bytes);
        assert_eq!(decode_reply::<GetSleepBody>(bytes), wire);
        let Some(fast) = decode(bytes) else {
            return false;
        };
        match &wire {
            Ok(Reply::Ok(s)) => {
                assert_eq!(&fast, s);
                assert_eq!(
                    serde_json::to_string(&fast).unwrap(),
                    serde_json::to_string(s).unwrap()
                );
            }
            other => panic!("the one pass answered where the wire path gave {other:?}"),
        }
        true
    }

    /// A field added to the wire segment must be taught to the one pass (or declined there).
    #[test]
    fn the_one_pass_knows_every_field_of_the_wire_segment() {
        let wire = fields_of::<SleepSegment>();
        let mut ours: Vec<u16> = wire
            .iter()
            .map(|n| SegmentField::of(n.as_bytes()).expect(n) as u16)
            .collect();
        ours.sort_unstable();
        ours.dedup();
        assert_eq!(
            (ours.len(), wire.len()),
            (SegmentField::ALL.len(), SegmentField::ALL.len())
        );
        for (i, (f, _)) in SegmentField::ALL.iter().enumerate() {
            assert_eq!(*f as usize, i);
        }
    }

    #[test]
    fn every_sleep_get_fixture_decodes_the_same_and_the_readable_ones_in_one_pass() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/v2-sleep-get");
        let mut answered = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                let bytes = std::fs::read(&path).unwrap();
                let name = path.file_stem().unwrap().to_string_lossy().into_owned();
                let readable =
                    matches!(wire_path(&bytes), Ok(Reply::Ok(ref s)) if s.rejected.is_empty());
                assert_eq!(same(&bytes), readable, "{name}");
                if readable {
                    answered.push(name);
                }
            }
        }
        for expected in [
            "normal",
            "empty-map-as-array",
            "night-out-of-order",
            "fractional-series",
            "hrv-mvt-series",
            "tracker-steel-hr-no-hash",
            "unknown-states-5-and-99",
        ] {
            assert!(
                answered.iter().any(|n| n == expected),
                "{expected}: {answered:?}"
            );
        }
    }

    #[test]
    fn what_it_declines_the_wire_path_answers() {
        let seg =
            r#"{"startdate":1717362000,"enddate":1717362600,"state":1,"hr":{"1717362000":52}}"#;
        assert!(same(
            format!(r#"{{"status":0,"body":{{"series":[{seg},{seg}],"model":32,"x":1}}}}"#)
                .as_bytes()
        ));
        for other in [
            format!(r#"{{"status":0,"body":{{"series":[{seg}],"series":[]}}}}"#),
            r#"{"status":0,"body":{"model":32}}"#.to_owned(),
            format!(r#"{{"body":{{"series":[{seg}]}},"status":0}}"#),
            format!(r#"{{"status":0,"body":{{"series":[{seg}]}},"error":""}}"#),
            r#"{"status":0,"body":{"series":[{"startdate":5,"enddate":1,"state":1}]}}"#.to_owned(),
            r#"{"status":601,"error":"rate limited"}"#.to_owned(),
        ] {
            assert!(!same(other.as_bytes()), "{other}");
        }
    }

    /// Series keys and values the one pass reads itself, and those it leaves to the wire path
    /// (which reads a `+` sign, and refuses the rest): the same answer either way.
    #[test]
    fn series_keys_in_any_order_repeated_or_odd_give_the_wire_paths_answer() {
        let body = |hr: &str| {
            format!(
                r#"{{"status":0,"body":{{"series":[{{"startdate":100,"enddate":400,"state":1,"hr":{hr}}}]}}}}"#
            )
        };
        for (hr, one_pass) in [
            (r#"{"300":3,"100":1,"200":2}"#, true),
            (r#"{"100":1,"200":2,"100":9}"#, true),
            (r#"{"200":2,"200":3,"100":1,"200":4}"#, true),
            (r#"{"-5":1,"0":2,"0100":3}"#, true),
            (r#"{"100":1.5,"200":-0}"#, true),
            ("null", true),
            ("[]", true),
            (r#"{"+100":1}"#, false),
            (r#"{"1e3":1}"#, false),
            (r#"{"":1}"#, false),
            (r#"{"99999999999999":1}"#, false),
            (r#"{"1234567890123456789":1}"#, false),
            (r#"{"10\u0030":1}"#, true),
            (r#"{"100":"x"}"#, false),
            ("[1]", false),
        ] {
            assert_eq!(same(body(hr).as_bytes()), one_pass, "{hr}");
        }
        let Some(s) = decode(body(r#"{"200":2,"200":3,"100":1,"200":4}"#).as_bytes()) else {
            panic!("declined");
        };
        let hr: Vec<(i64, String)> = s.segments[0]
            .hr
            .iter()
            .map(|p| (p.at.as_second(), p.value.to_string()))
            .collect();
        assert_eq!(hr, [(100, "1".to_owned()), (200, "4".to_owned())]);
    }

    #[test]
    fn plain_seconds_are_parsed_and_nothing_else() {
        assert_eq!(seconds(b"1717369200"), Some(1_717_369_200));
        assert_eq!(seconds(b"-0042"), Some(-42));
        assert_eq!(
            seconds(b"999999999999999999"),
            Some(999_999_999_999_999_999)
        );
        for odd in [
            &b""[..],
            b"-",
            b"+1",
            b"1 ",
            b"1.0",
            b"1234567890123456789",
            b"\xff",
        ] {
            assert_eq!(seconds(odd), None, "{odd:?}");
        }
    }
}
