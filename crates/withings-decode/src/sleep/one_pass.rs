//! sleep get read in one pass (issue 15): from the response's bytes straight to
//! [`SleepSegments`], without the wire model's list of segments.
//!
//! Each segment is read as the wire model's [`SleepSegment`] (its derive, with its visitors
//! for the series maps, `model` as a name or a code, the lenient `model_id`), checked by
//! [`Record::check`] and converted at once by the function the wire path uses: only one wire
//! segment is alive at a time, and every quirk stays in the wire model. A segment's series
//! are maps keyed by time, which a visitor of their own would have to sort and deduplicate
//! as the wire model's `BTreeMap` does: reading them through it keeps that in one place, at
//! the price of one transient map per series (the getmeas groups, of scalar fields only, are
//! read field by field instead).
//!
//! Anything unusual — a status other than 0, another top-level key, a segment that does not
//! parse or fails its check (it is to be rejected), a repeated key — declines (`None`), and
//! the caller takes the strict-then-lenient wire path: wherever the one pass answers, its
//! answer is the wire path's.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use withings_model::items::Record;
use withings_model::sleep::{SleepModel, SleepSegment};

use super::{Segment, SleepSegments, segment, sort_segments};
use crate::one_pass::{Key, ok_body};

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
                    segments = Some(map.next_value_seed(SegmentsSeed)?)
                }
                Some(1) if model.is_none() => model = Some(map.next_value()?),
                Some(_) => return Err(de::Error::custom("a repeated field")),
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
        while let Some(s) = seq.next_element::<SleepSegment>()? {
            s.check().map_err(de::Error::custom)?;
            let i = out.len();
            out.push(segment(s, i).map_err(de::Error::custom)?);
        }
        out.shrink_to_fit();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use withings_model::Reply;
    use withings_model::sleep::GetSleepBody;

    use super::*;
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
}
