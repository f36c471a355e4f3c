//! getmeas read in one pass: from the response's bytes straight to [`Measurements`], without
//! materializing the wire model's list of groups first (issue 15).
//!
//! Design — the quirks stay in the wire model, because **the one pass reads only the plain
//! shape and falls back to the wire path for anything unusual**. Every value is read by the
//! type or the visitor the wire type reads it with (`i64`, the open enums' `lenient_i64`,
//! `opt_lenient_i64` for `created`, `more` for the body…), so what both paths accept of a
//! value is decided in one place; what only the wire model tolerates — a numeric
//! `deviceid`, `model` as a code, the spec's `model_id`, a repeated key, a measure that is an
//! array — declines. So do a status other than 0, the body before the status, another
//! top-level key, a group to be rejected (a missing field, a date or unit out of range: what
//! [`Record::check`](withings_model::items::Record::check) rejects), an unknown time zone:
//! the caller then takes the strict-then-lenient wire path, which gives the result with its
//! rejections and errors. Wherever the one pass answers, its answer is the wire path's
//! (the fixtures and a differential proptest check it, `tests/getmeas_one_pass.rs`).
//!
//! The first version read each group as the wire [`MeasureGroup`] through its derive and
//! converted it at once. That kept the field list in one place but cost, per group, the wire
//! group's strings and measures (allocated, then freed) and a UTF-8 check of every key and
//! id: 1.6–1.8× the time of a minimal typed parse. The one pass
//! now repeats the two field lists instead, and a unit test holds them to the wire types'
//! own (a field added there fails it until it is read or declined here). Field names and
//! device ids are read as raw bytes (the same parser, without its UTF-8 check): the names
//! it knows are ASCII and compared exactly, any other is checked as the parser would; an id
//! is checked the first time and then only compared with the response's shared copy
//! ([`Interner`]), and so is a model name. Measures go to a scratch list reused by every group
//! and are copied into one exact allocation per group: a group allocates its measures, and
//! nothing else.
//!
//! The body's `timezone` may come after `measuregrps`: groups are then built in UTC, and
//! given the zone in place once it is known (no second list).
//!
//! [`MeasureGroup`]: withings_model::measure::MeasureGroup

use std::fmt;
use std::sync::Arc;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use withings_model::codes::{Attrib, Category, DeviceModel};

use super::{GroupList, Interner, MeasureGroup, Measurement, Measurements, ModelName, attribution};
use crate::Decimal;
use crate::one_pass::{Key, ok_body};
use crate::time::{time_zone, timestamp};

/// Reads a successful getmeas response in one pass; `None` when the one pass declines (see
/// the module docs): the wire path is then to be taken.
pub(super) fn decode(bytes: &[u8]) -> Option<Measurements> {
    ok_body(bytes, BodySeed)
}

/// The body's fields other than the groups, read by the model's visitors (`more` and
/// `offset` only so that a bad one fails as it does on the wire path).
#[derive(Deserialize)]
#[serde(transparent)]
struct UpdateTime(#[serde(deserialize_with = "withings_model::de::lenient_i64::deserialize")] i64);

#[derive(Deserialize)]
#[serde(transparent)]
#[allow(dead_code)]
struct More(#[serde(deserialize_with = "withings_model::de::more::deserialize")] bool);

#[derive(Deserialize)]
#[serde(transparent)]
#[allow(dead_code)]
struct Offset(
    #[serde(deserialize_with = "withings_model::de::opt_lenient_i64::deserialize")] Option<i64>,
);

struct BodySeed;

impl<'de> DeserializeSeed<'de> for BodySeed {
    type Value = Measurements;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Measurements, D::Error> {
        d.deserialize_map(self)
    }
}

fn duplicate<E: de::Error>(name: &'static str) -> E {
    E::duplicate_field(name)
}

impl<'de> Visitor<'de> for BodySeed {
    type Value = Measurements;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a getmeas body")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Measurements, A::Error> {
        const NAMES: &[&str] = &["updatetime", "timezone", "measuregrps", "more", "offset"];
        let mut updatetime = None;
        let mut zone: Option<(String, TimeZone)> = None;
        let mut groups: Option<(GroupList, bool)> = None;
        let (mut more, mut offset) = (false, false);
        while let Some(key) = map.next_key_seed(Key(NAMES))? {
            match key {
                Some(0) if updatetime.is_none() => {
                    updatetime = Some(map.next_value::<UpdateTime>()?.0);
                }
                Some(1) if zone.is_none() => {
                    let name: String = map.next_value()?;
                    let tz = time_zone(&name, String::new).map_err(de::Error::custom)?;
                    zone = Some((name, tz));
                }
                Some(2) if groups.is_none() => {
                    let tz = zone.as_ref().map(|(_, tz)| tz);
                    groups = Some(map.next_value_seed(GroupsSeed { tz })?);
                }
                Some(3) if !more => {
                    let More(_) = map.next_value()?;
                    more = true;
                }
                Some(4) if !offset => {
                    let Offset(_) = map.next_value()?;
                    offset = true;
                }
                Some(k) => return Err(duplicate(NAMES.get(k).copied().unwrap_or("?"))),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let updatetime = updatetime.ok_or_else(|| de::Error::missing_field("updatetime"))?;
        let (timezone, tz) = zone.ok_or_else(|| de::Error::missing_field("timezone"))?;
        let groups = groups.ok_or_else(|| de::Error::missing_field("measuregrps"))?;
        let updated = timestamp(updatetime, String::new).map_err(de::Error::custom)?;
        let (mut groups, zoned) = groups;
        if !zoned {
            for g in groups.groups_mut() {
                g.zone = tz.clone();
            }
        }
        Ok(Measurements {
            updated,
            timezone,
            groups: groups.into_groups(),
            rejected: Vec::new(),
        })
    }
}

struct GroupsSeed<'a> {
    /// The body's zone, when it came before the groups.
    tz: Option<&'a TimeZone>,
}

impl<'de> DeserializeSeed<'de> for GroupsSeed<'_> {
    /// The groups, and whether their zone is the body's (it came before them).
    type Value = (GroupList, bool);
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(GroupList, bool), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for GroupsSeed<'_> {
    type Value = (GroupList, bool);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of measure groups")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(GroupList, bool), A::Error> {
        let utc = TimeZone::UTC;
        let mut state = State {
            tz: self.tz.unwrap_or(&utc),
            ids: Interner::default(),
            measures: Vec::new(),
        };
        let mut list = GroupList::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(g) = seq.next_element_seed(GroupSeed(&mut state))? {
            list.push(g);
        }
        Ok((list, self.tz.is_some()))
    }
}

/// What the groups of one response share while they are read.
struct State<'a> {
    tz: &'a TimeZone,
    ids: Interner,
    /// The measures of the group being read, copied into an exact allocation at its end.
    measures: Vec<Measurement>,
}

/// Declines: the wire path is to read this response.
fn decline<E: de::Error>(what: &'static str) -> E {
    E::custom(what)
}

/// A field name, as raw bytes: serde_json checks neither UTF-8 nor control characters in
/// them, which the names this reader knows (ASCII, compared exactly) do not need; any other
/// name is checked here as the wire path's parser checks it ([`plain`]).
struct RawKey<F>(fn(&[u8]) -> Option<F>);

impl<'de, F> DeserializeSeed<'de> for RawKey<F> {
    /// The field, `None` for a name the wire type ignores.
    type Value = Option<F>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<F>, D::Error> {
        d.deserialize_bytes(self)
    }
}

impl<F> Visitor<'_> for RawKey<F> {
    type Value = Option<F>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Option<F>, E> {
        match (self.0)(v) {
            Some(field) => Ok(Some(field)),
            None if plain(v) => Ok(None),
            None => Err(decline("a field name that is not plain UTF-8")),
        }
    }
}

/// Whether raw string bytes are what the wire path's parser accepts as a string without
/// escapes: UTF-8 without control characters. (An escaped control character, which it
/// accepts, makes the one pass decline too: declining is always safe.)
fn plain(v: &[u8]) -> bool {
    !v.iter().any(|&b| b < 0x20) && std::str::from_utf8(v).is_ok()
}

/// The fields of the wire model's `MeasureGroup`, in the order of its declaration; a test
/// checks the list against the wire type's own.
#[derive(Clone, Copy)]
enum GroupField {
    Grpid,
    Attrib,
    Date,
    Created,
    Modified,
    Category,
    Deviceid,
    HashDeviceid,
    Measures,
    Modelid,
    /// The spec's spelling of `modelid`, an alias in the wire type: declined.
    ModelIdAlias,
    Model,
    Comment,
    Probability,
}

impl GroupField {
    /// How many fields there are: each is a bit of a `u16` in `GroupSeed`.
    const COUNT: usize = Self::Probability as usize + 1;

    fn of(name: &[u8]) -> Option<Self> {
        // Slice patterns: a length test and byte comparisons, without a call to memcmp.
        Some(match *name {
            [b'g', b'r', b'p', b'i', b'd'] => Self::Grpid,
            [b'a', b't', b't', b'r', b'i', b'b'] => Self::Attrib,
            [b'd', b'a', b't', b'e'] => Self::Date,
            [b'c', b'r', b'e', b'a', b't', b'e', b'd'] => Self::Created,
            [b'm', b'o', b'd', b'i', b'f', b'i', b'e', b'd'] => Self::Modified,
            [b'c', b'a', b't', b'e', b'g', b'o', b'r', b'y'] => Self::Category,
            [b'd', b'e', b'v', b'i', b'c', b'e', b'i', b'd'] => Self::Deviceid,
            [
                b'h',
                b'a',
                b's',
                b'h',
                b'_',
                b'd',
                b'e',
                b'v',
                b'i',
                b'c',
                b'e',
                b'i',
                b'd',
            ] => Self::HashDeviceid,
            [b'm', b'e', b'a', b's', b'u', b'r', b'e', b's'] => Self::Measures,
            [b'm', b'o', b'd', b'e', b'l', b'i', b'd'] => Self::Modelid,
            [b'm', b'o', b'd', b'e', b'l', b'_', b'i', b'd'] => Self::ModelIdAlias,
            [b'm', b'o', b'd', b'e', b'l'] => Self::Model,
            [b'c', b'o', b'm', b'm', b'e', b'n', b't'] => Self::Comment,
            [
                b'p',
                b'r',
                b'o',
                b'b',
                b'a',
                b'b',
                b'i',
                b'l',
                b'i',
                b't',
                b'y',
            ] => Self::Probability,
            _ => return None,
        })
    }
}

const _: () = assert!(GroupField::COUNT <= 16 && MeasureField::COUNT <= 8);

/// Reads one measure group straight into a [`MeasureGroup`].
struct GroupSeed<'s, 'a>(&'s mut State<'a>);

impl<'de> DeserializeSeed<'de> for GroupSeed<'_, '_> {
    type Value = MeasureGroup;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<MeasureGroup, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for GroupSeed<'_, '_> {
    type Value = MeasureGroup;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a measure group")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MeasureGroup, A::Error> {
        let state = self.0;
        let mut seen = 0_u16;
        let (mut grpid, mut date, mut category) = (None, None, None);
        let mut attrib = None;
        let (mut created, mut modified) = (None, None);
        let (mut device_id, mut hash_device_id) = (None, None);
        let (mut model, mut model_id, mut probability) = (None, None, None);
        let mut measures = None;
        while let Some(field) = map.next_key_seed(RawKey(GroupField::of))? {
            let Some(field) = field else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let bit = 1 << field as u16;
            if seen & bit != 0 {
                return Err(decline("a repeated field"));
            }
            seen |= bit;
            match field {
                GroupField::Grpid => grpid = Some(map.next_value::<i64>()?),
                GroupField::Attrib => attrib = map.next_value::<Option<Attrib>>()?,
                GroupField::Date => date = Some(map.next_value::<i64>()?),
                GroupField::Created => created = map.next_value::<Created>()?.0,
                GroupField::Modified => modified = map.next_value::<OptI64>()?.0,
                GroupField::Category => category = Some(map.next_value::<Category>()?),
                GroupField::Deviceid => device_id = map.next_value_seed(Id(&mut state.ids))?,
                GroupField::HashDeviceid => {
                    hash_device_id = map.next_value_seed(Id(&mut state.ids))?;
                }
                GroupField::Measures => {
                    state.measures.clear();
                    map.next_value_seed(MeasuresSeed(&mut state.measures))?;
                    measures = Some(state.measures.to_vec());
                }
                GroupField::Modelid => model_id = map.next_value::<OptI64>()?.0,
                GroupField::ModelIdAlias => return Err(decline("`model_id`")),
                GroupField::Model => model = map.next_value_seed(Model(&mut state.ids))?,
                GroupField::Comment => {
                    map.next_value::<Option<Comment>>()?;
                }
                GroupField::Probability => probability = map.next_value::<OptI64>()?.0,
            }
        }
        let (Some(grpid), Some(date), Some(category), Some(measures)) =
            (grpid, date, category, measures)
        else {
            return Err(decline("a required field is missing"));
        };
        let at = |s: i64| -> Result<Timestamp, A::Error> {
            Timestamp::from_second(s).map_err(|_| decline("a time out of range"))
        };
        let (may_be_someone_else, manual) = attribution(attrib);
        Ok(MeasureGroup {
            grpid,
            attrib,
            may_be_someone_else,
            manual,
            category,
            taken_at: at(date)?,
            zone: state.tz.clone(),
            created: created.map(at).transpose()?,
            modified: modified.map(at).transpose()?,
            device_id,
            hash_device_id,
            model,
            model_id: model_id.map(DeviceModel::from_code),
            probability,
            measures,
        })
    }
}

/// `created`, read by the wire type's own visitor (a string holding an integer included).
#[derive(Deserialize)]
#[serde(transparent)]
struct Created(
    #[serde(deserialize_with = "withings_model::de::opt_lenient_i64::deserialize")] Option<i64>,
);

/// A device id: a string, shared through the response's [`Interner`], or `null`. The number
/// the wire type also takes (API notes §6) declines.
struct Id<'a>(&'a mut Interner);

impl<'de> DeserializeSeed<'de> for Id<'_> {
    type Value = Option<Arc<str>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Arc<str>>, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for Id<'_> {
    type Value = Option<Arc<str>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or null")
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        // Raw bytes: an id seen before is compared, not checked again.
        d.deserialize_bytes(self)
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        self.0
            .intern_bytes(v, plain)
            .map(Some)
            .ok_or_else(|| decline("an id that is not plain UTF-8"))
    }
}

/// A model name: a string, shared through the response's [`Interner`], or `null`. The
/// integer code the wire type also takes (API notes §6) declines.
struct Model<'a>(&'a mut Interner);

impl<'de> DeserializeSeed<'de> for Model<'_> {
    type Value = Option<ModelName>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<ModelName>, D::Error> {
        Ok(d.deserialize_option(Id(self.0))?.map(ModelName::Name))
    }
}

/// The deprecated `comment`, checked to be what the wire type takes (a string or `null`) and
/// dropped.
struct Comment;

impl<'de> Deserialize<'de> for Comment {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Comment;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Comment, E> {
                Ok(Comment)
            }
        }
        d.deserialize_str(V)
    }
}

/// Reads a group's measures into the shared scratch list.
struct MeasuresSeed<'a>(&'a mut Vec<Measurement>);

impl<'de> DeserializeSeed<'de> for MeasuresSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for MeasuresSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of measures")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(m) = seq.next_element_seed(MeasureSeed)? {
            self.0.push(m);
        }
        Ok(())
    }
}

/// The fields of the wire model's `Measure`, in the order of its declaration; a test checks
/// the list against the wire type's own.
#[derive(Clone, Copy)]
enum MeasureField {
    Value,
    Type,
    Unit,
    Algo,
    Fm,
    Position,
    Apppfmid,
    Appliver,
}

impl MeasureField {
    /// How many fields there are: each is a bit of a `u8` in `MeasureSeed`.
    const COUNT: usize = Self::Appliver as usize + 1;

    fn of(name: &[u8]) -> Option<Self> {
        // Slice patterns: a length test and byte comparisons, without a call to memcmp.
        Some(match *name {
            [b'v', b'a', b'l', b'u', b'e'] => Self::Value,
            [b't', b'y', b'p', b'e'] => Self::Type,
            [b'u', b'n', b'i', b't'] => Self::Unit,
            [b'a', b'l', b'g', b'o'] => Self::Algo,
            [b'f', b'm'] => Self::Fm,
            [b'p', b'o', b's', b'i', b't', b'i', b'o', b'n'] => Self::Position,
            [b'a', b'p', b'p', b'p', b'f', b'm', b'i', b'd'] => Self::Apppfmid,
            [b'a', b'p', b'p', b'l', b'i', b'v', b'e', b'r'] => Self::Appliver,
            _ => return None,
        })
    }
}

/// Reads one measure, each value by the type the wire model's `Measure` gives it.
struct MeasureSeed;

impl<'de> DeserializeSeed<'de> for MeasureSeed {
    type Value = Measurement;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Measurement, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MeasureSeed {
    type Value = Measurement;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a measure")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Measurement, A::Error> {
        let mut seen = 0_u8;
        let (mut value, mut kind, mut unit, mut position) = (None, None, None, None);
        while let Some(field) = map.next_key_seed(RawKey(MeasureField::of))? {
            let Some(field) = field else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let bit = 1 << field as u8;
            if seen & bit != 0 {
                return Err(decline("a repeated field"));
            }
            seen |= bit;
            match field {
                MeasureField::Value => value = Some(map.next_value::<i64>()?),
                // The visitors MeasureType and Position deserialize with; the codes are kept.
                MeasureField::Type => kind = Some(map.next_value::<Code>()?.0),
                MeasureField::Unit => unit = Some(map.next_value::<i64>()?),
                MeasureField::Position => position = map.next_value::<OptCode>()?.0,
                MeasureField::Algo
                | MeasureField::Fm
                | MeasureField::Apppfmid
                | MeasureField::Appliver => {
                    map.next_value::<OptI64>()?;
                }
            }
        }
        let (Some(value), Some(kind), Some(unit)) = (value, kind, unit) else {
            return Err(decline("a required field is missing"));
        };
        let value = Decimal::new(value, unit).map_err(|_| decline("a unit out of range"))?;
        Ok(Measurement::from_codes(kind, value, position))
    }
}

/// An `Option<i64>`, as serde reads one from serde_json (`null`, or an integer that fits),
/// in one dispatch instead of two: most fields of a group and two of every measure are these.
struct OptI64(Option<i64>);

impl<'de> Deserialize<'de> for OptI64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = OptI64;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer or null")
            }
            fn visit_unit<E: de::Error>(self) -> Result<OptI64, E> {
                Ok(OptI64(None))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<OptI64, E> {
                Ok(OptI64(Some(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<OptI64, E> {
                i64::try_from(v)
                    .map(|v| OptI64(Some(v)))
                    .map_err(|_| decline("an integer out of range"))
            }
        }
        d.deserialize_any(V)
    }
}

/// An open enum's code, read as the enum reads it.
#[derive(Deserialize)]
#[serde(transparent)]
struct Code(#[serde(deserialize_with = "withings_model::de::lenient_i64::deserialize")] i64);

/// An optional open enum's code, read as `Option` of the enum reads it.
#[derive(Deserialize)]
#[serde(transparent)]
struct OptCode(
    #[serde(deserialize_with = "withings_model::de::opt_lenient_i64::deserialize")] Option<i64>,
);

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use serde::de::value::Error;
    use withings_model::measure as wire;

    use super::*;

    /// The field names a derived `Deserialize` passes to `deserialize_struct` (aliases
    /// included): what the type reads.
    fn fields_of<T: for<'de> Deserialize<'de>>() -> Vec<&'static str> {
        thread_local! {
            static FIELDS: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) };
        }
        struct Recorder;
        impl<'de> Deserializer<'de> for Recorder {
            type Error = Error;
            fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
                Err(de::Error::custom("not a struct"))
            }
            fn deserialize_struct<V: Visitor<'de>>(
                self,
                _: &'static str,
                fields: &'static [&'static str],
                _: V,
            ) -> Result<V::Value, Error> {
                FIELDS.with(|f| f.borrow_mut().extend_from_slice(fields));
                Err(de::Error::custom("recorded"))
            }
            serde::forward_to_deserialize_any! {
                bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
                byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
                identifier ignored_any
            }
        }
        FIELDS.with(|f| f.borrow_mut().clear());
        assert!(T::deserialize(Recorder).is_err());
        FIELDS.with(|f| f.borrow().clone())
    }

    /// A field added to the wire types must be taught to the one pass (or declined there):
    /// otherwise it would ignore it where the wire path reads it. Each of the wire type's
    /// names is one of ours, each a different one, and we have no other.
    #[test]
    fn the_one_pass_knows_every_field_of_the_wire_group_and_measure() {
        let wire = fields_of::<wire::MeasureGroup>();
        let mut ours: Vec<u16> = wire
            .iter()
            .map(|n| GroupField::of(n.as_bytes()).expect(n) as u16)
            .collect();
        ours.sort_unstable();
        ours.dedup();
        assert_eq!(
            (ours.len(), wire.len()),
            (GroupField::COUNT, GroupField::COUNT)
        );
        let wire = fields_of::<wire::Measure>();
        let mut ours: Vec<u8> = wire
            .iter()
            .map(|n| MeasureField::of(n.as_bytes()).expect(n) as u8)
            .collect();
        ours.sort_unstable();
        ours.dedup();
        assert_eq!(
            (ours.len(), wire.len()),
            (MeasureField::COUNT, MeasureField::COUNT)
        );
    }

    #[test]
    fn field_names_that_are_not_plain_text_decline() {
        assert!(plain(b"timezone") && plain("zoné".as_bytes()));
        assert!(!plain(b"a\x01b") && !plain(b"\xff"));
    }
}
