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
//! Fields are read in the order Withings sends them first ([`Field::USUAL`]), each step
//! inlined for its field with its name compared as a constant, then in any order: the same
//! reading, without a jump on the field name and another on the field per value. Under
//! callgrind (50,000 groups) this took the decode from 1.135× to 1.08× the instructions of
//! the minimal parse and its mispredicted indirect jumps from 3.5 million to 0.1 million.
//!
//! The body's `timezone` may come after `measuregrps`: groups are then built in UTC, and
//! given the zone in place once it is known (no second list).
//!
//! [`MeasureGroup`]: withings_model::measure::MeasureGroup

use std::fmt;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use withings_model::codes::{Attrib, Category};

use super::{
    DeviceKey, GroupList, GroupParts, Interner, MeasureGroup, Measurement, Measurements, ModelKey,
    Text,
};
use crate::Decimal;
use crate::one_pass::{
    Field, Fields, Key, Lenient, OptLenient, decline, first_time, ok_body, plain, read_fields,
};
use crate::time::{time_zone, timestamp};

/// Reads a successful getmeas response in one pass, with the body's `more` and `offset`
/// (paging reads them); `None` when the one pass declines (see the module docs): the wire
/// path is then to be taken.
pub(super) fn decode(bytes: &[u8]) -> Option<(Measurements, bool, Option<i64>)> {
    ok_body(bytes, BodySeed)
}

#[derive(Deserialize)]
#[serde(transparent)]
struct More(#[serde(deserialize_with = "withings_model::de::more::deserialize")] bool);

struct BodySeed;

impl<'de> DeserializeSeed<'de> for BodySeed {
    type Value = (Measurements, bool, Option<i64>);
    fn deserialize<D: Deserializer<'de>>(
        self,
        d: D,
    ) -> Result<(Measurements, bool, Option<i64>), D::Error> {
        d.deserialize_map(self)
    }
}

fn duplicate<E: de::Error>(name: &'static str) -> E {
    E::duplicate_field(name)
}

impl<'de> Visitor<'de> for BodySeed {
    type Value = (Measurements, bool, Option<i64>);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a getmeas body")
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> Result<(Measurements, bool, Option<i64>), A::Error> {
        const NAMES: &[&str] = &["updatetime", "timezone", "measuregrps", "more", "offset"];
        let mut updatetime = None;
        let mut zone: Option<(String, TimeZone)> = None;
        let mut groups: Option<(GroupList, bool)> = None;
        let (mut more, mut offset) = (None, None);
        while let Some(key) = map.next_key_seed(Key(NAMES))? {
            match key {
                Some(0) if updatetime.is_none() => {
                    updatetime = Some(map.next_value::<Lenient>()?.0);
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
                Some(3) if more.is_none() => more = Some(map.next_value::<More>()?.0),
                Some(4) if offset.is_none() => offset = Some(map.next_value::<OptLenient>()?.0),
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
        let measurements = Measurements {
            updated,
            timezone,
            groups: groups.into_groups(),
            rejected: Vec::new(),
        };
        Ok((measurements, more.unwrap_or(false), offset.flatten()))
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
            list: GroupList::with_capacity(seq.size_hint().unwrap_or(0)),
        };
        while let Some(()) = seq.next_element_seed(GroupSeed(&mut state))? {}
        Ok((state.list, self.tz.is_some()))
    }
}

/// What the groups of one response share while they are read.
struct State<'a> {
    tz: &'a TimeZone,
    ids: Interner,
    /// The groups read so far; a group's measures go straight to its block.
    list: GroupList,
}

/// The fields of the wire model's `MeasureGroup`, in the order of its declaration; a test
/// checks the list against the wire type's own.
#[derive(Clone, Copy, PartialEq, Eq)]
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
    /// How many fields there are: each is a bit of a `u16` in `GroupFields`.
    const COUNT: usize = Self::ALL.len();
}

impl Field for GroupField {
    const ALL: &'static [(Self, &'static [u8])] = &[
        (Self::Grpid, b"grpid"),
        (Self::Attrib, b"attrib"),
        (Self::Date, b"date"),
        (Self::Created, b"created"),
        (Self::Modified, b"modified"),
        (Self::Category, b"category"),
        (Self::Deviceid, b"deviceid"),
        (Self::HashDeviceid, b"hash_deviceid"),
        (Self::Measures, b"measures"),
        (Self::Modelid, b"modelid"),
        (Self::ModelIdAlias, b"model_id"),
        (Self::Model, b"model"),
        (Self::Comment, b"comment"),
        (Self::Probability, b"probability"),
    ];
    const USUAL: &'static [(Self, &'static [u8])] = &[
        Self::ALL[0],
        Self::ALL[1],
        Self::ALL[2],
        Self::ALL[3],
        Self::ALL[4],
        Self::ALL[5],
        Self::ALL[6],
        Self::ALL[7],
        Self::ALL[8],
        Self::ALL[9],
        Self::ALL[11],
        Self::ALL[12],
    ];
}

const _: () = assert!(GroupField::COUNT <= 16 && MeasureField::COUNT <= 8);

/// Reads one measure group straight into a [`MeasureGroup`].
struct GroupSeed<'s, 'a>(&'s mut State<'a>);

impl<'de> DeserializeSeed<'de> for GroupSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for GroupSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a measure group")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut g = GroupFields {
            state: self.0,
            seen: 0,
            grpid: None,
            attrib: None,
            date: None,
            created: None,
            modified: None,
            category: None,
            device_id: None,
            hash_device_id: None,
            measures: None,
            model_id: None,
            model: None,
            probability: None,
        };
        read_fields(&mut map, &mut g)?;
        let (Some(grpid), Some(date), Some(category), Some(start)) =
            (g.grpid, g.date, g.category, g.measures)
        else {
            return Err(decline("a required field is missing"));
        };
        let in_range = |s: i64| Timestamp::from_second(s).is_ok();
        if !(in_range(date) && g.created.is_none_or(in_range) && g.modified.is_none_or(in_range)) {
            return Err(decline("a time out of range"));
        }
        let parts = GroupParts {
            grpid,
            attrib: g.attrib.map(Attrib::code),
            category: category.code(),
            date,
            created: g.created,
            modified: g.modified,
            device: DeviceKey {
                id: g.device_id,
                hash_id: g.hash_device_id,
                model: g.model,
                model_id: g.model_id,
            },
            probability: g.probability,
        };
        let state = g.state;
        let group = MeasureGroup::new(parts, state.tz.clone(), &mut state.ids);
        state.list.push(group, start);
        Ok(())
    }
}

/// A measure group's fields read so far.
struct GroupFields<'s, 'a> {
    state: &'s mut State<'a>,
    seen: u16,
    grpid: Option<i64>,
    attrib: Option<Attrib>,
    date: Option<i64>,
    created: Option<i64>,
    modified: Option<i64>,
    category: Option<Category>,
    device_id: Option<Text>,
    hash_device_id: Option<Text>,
    /// Where the group's measures start in the list's block.
    measures: Option<usize>,
    model_id: Option<i64>,
    model: Option<ModelKey>,
    probability: Option<i64>,
}

impl Fields<GroupField> for GroupFields<'_, '_> {
    /// Reads `field`'s value, each by the type or visitor the wire model's `MeasureGroup`
    /// reads it with.
    #[inline(always)]
    fn read<'de, A: MapAccess<'de>>(
        &mut self,
        field: GroupField,
        map: &mut A,
    ) -> Result<(), A::Error> {
        first_time(&mut self.seen, 1 << field as u16)?;
        let ids = &mut self.state.ids;
        match field {
            GroupField::Grpid => self.grpid = Some(map.next_value::<i64>()?),
            GroupField::Attrib => self.attrib = map.next_value::<Option<Attrib>>()?,
            GroupField::Date => self.date = Some(map.next_value::<i64>()?),
            GroupField::Created => self.created = map.next_value::<OptLenient>()?.0,
            GroupField::Modified => self.modified = map.next_value::<OptI64>()?.0,
            GroupField::Category => self.category = Some(map.next_value::<Category>()?),
            GroupField::Deviceid => self.device_id = map.next_value_seed(Id(ids))?,
            GroupField::HashDeviceid => self.hash_device_id = map.next_value_seed(Id(ids))?,
            GroupField::Measures => {
                let list = &mut self.state.list;
                self.measures = Some(list.block_len());
                map.next_value_seed(MeasuresSeed(list.block_mut()))?;
            }
            GroupField::Modelid => self.model_id = map.next_value::<OptI64>()?.0,
            GroupField::ModelIdAlias => return Err(decline("`model_id`")),
            GroupField::Model => self.model = map.next_value_seed(Model(ids))?,
            GroupField::Comment => {
                map.next_value::<Option<Comment>>()?;
            }
            GroupField::Probability => self.probability = map.next_value::<OptI64>()?.0,
        }
        Ok(())
    }
}

/// A device id: a string, numbered by the response's [`Interner`], or `null`. The number the
/// wire type also takes (API notes §6) declines.
struct Id<'a>(&'a mut Interner);

impl<'de> DeserializeSeed<'de> for Id<'_> {
    type Value = Option<Text>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Text>, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for Id<'_> {
    type Value = Option<Text>;
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
            .text_bytes(v, plain)
            .map(Some)
            .ok_or_else(|| decline("an id that is not plain UTF-8"))
    }
}

/// A model name: a string, numbered by the response's [`Interner`], or `null`. The integer
/// code the wire type also takes (API notes §6) declines.
struct Model<'a>(&'a mut Interner);

impl<'de> DeserializeSeed<'de> for Model<'_> {
    type Value = Option<ModelKey>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<ModelKey>, D::Error> {
        Ok(d.deserialize_option(Id(self.0))?.map(ModelKey::Name))
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
#[derive(Clone, Copy, PartialEq, Eq)]
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
    /// How many fields there are: each is a bit of the `seen` of `MeasureFields`.
    const COUNT: usize = Self::ALL.len();
}

impl Field for MeasureField {
    const ALL: &'static [(Self, &'static [u8])] = &[
        (Self::Value, b"value"),
        (Self::Type, b"type"),
        (Self::Unit, b"unit"),
        (Self::Algo, b"algo"),
        (Self::Fm, b"fm"),
        (Self::Position, b"position"),
        (Self::Apppfmid, b"apppfmid"),
        (Self::Appliver, b"appliver"),
    ];
    const USUAL: &'static [(Self, &'static [u8])] = &[
        Self::ALL[0],
        Self::ALL[1],
        Self::ALL[2],
        Self::ALL[3],
        Self::ALL[4],
    ];
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
        let mut m = MeasureFields::default();
        read_fields(&mut map, &mut m)?;
        let (Some(value), Some(kind), Some(unit)) = (m.value, m.kind, m.unit) else {
            return Err(decline("a required field is missing"));
        };
        let value = Decimal::new(value, unit).map_err(|_| decline("a unit out of range"))?;
        Ok(Measurement::from_codes(kind, value, m.position))
    }
}

/// A measure's fields read so far.
#[derive(Default)]
struct MeasureFields {
    seen: u16,
    value: Option<i64>,
    kind: Option<i64>,
    unit: Option<i64>,
    position: Option<i64>,
}

impl Fields<MeasureField> for MeasureFields {
    /// Reads `field`'s value, each by the type the wire model's `Measure` gives it.
    #[inline(always)]
    fn read<'de, A: MapAccess<'de>>(
        &mut self,
        field: MeasureField,
        map: &mut A,
    ) -> Result<(), A::Error> {
        first_time(&mut self.seen, 1 << field as u16)?;
        match field {
            MeasureField::Value => self.value = Some(map.next_value::<i64>()?),
            // The visitors MeasureType and Position deserialize with; the codes are kept.
            MeasureField::Type => self.kind = Some(map.next_value::<Lenient>()?.0),
            MeasureField::Unit => self.unit = Some(map.next_value::<i64>()?),
            MeasureField::Position => self.position = map.next_value::<OptLenient>()?.0,
            MeasureField::Algo
            | MeasureField::Fm
            | MeasureField::Apppfmid
            | MeasureField::Appliver => {
                map.next_value::<OptI64>()?;
            }
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    use crate::one_pass::tests::fields_of;
    use withings_model::measure as wire;

    use super::*;

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

    /// A field's discriminant is its index in `ALL` (its bit in `seen`), and the usual order
    /// lists each field once.
    #[test]
    fn the_field_tables_are_in_order() {
        fn check<F: Field>(index: fn(F) -> usize) {
            for (i, (f, _)) in F::ALL.iter().enumerate() {
                assert_eq!(index(*f), i);
            }
            let mut usual: Vec<usize> = F::USUAL.iter().map(|(f, _)| index(*f)).collect();
            usual.dedup();
            assert_eq!(usual.len(), F::USUAL.len());
        }
        check::<GroupField>(|f| f as usize);
        check::<MeasureField>(|f| f as usize);
    }
}
