//! getmeas read in one pass: from the response's bytes straight to [`Measurements`], without
//! materializing the wire model's list of groups first (issue 15).
//!
//! Design — of the two, **borrowing wire types that convert as they are visited**:
//! the body is read by a visitor of its own, but each measure group is read as the wire
//! model's [`wire::MeasureGroup`] (its derive, its `de` helpers: deviceid as a number, model
//! as a code, `model_id` spelling, `exact_measures`…), checked by the model's
//! [`Record::check`], and converted at once by the same functions the wire path uses
//! (`measurement`, `group`, `merge_copy`): only one wire group is alive at a time. The body's
//! own fields go through the model's visitors (`lenient_i64`, `more`, `opt_lenient_i64`).
//! So no quirk is handled twice, and a field or quirk added to the wire group is taken by
//! both paths at once. (Shared visitors building domain groups field by field would save the
//! transient wire measures, but would repeat the group's field list, defaults and aliases.)
//!
//! Anything unusual — a status other than 0, the body before the status, another top-level
//! key, a group that does not parse or fails its check (it is to be rejected), an unknown time
//! zone — makes the one pass decline (`None`), and the caller takes the strict-then-lenient
//! wire path, which gives the result with its rejections and errors: the outputs are the same
//! by construction wherever the one pass answers.
//!
//! The body's `timezone` may come after `measuregrps`: groups are then built with UTC local
//! times, fixed in place once the zone is known (no second list).

use std::cmp::Ordering;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;

use jiff::tz::TimeZone;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use withings_model::items::Record;
use withings_model::measure as wire;

use super::{MeasureGroup, Measurements, group, measurement, merge_copy};
use crate::time::{time_zone, timestamp};

/// Reads a successful getmeas response in one pass; `None` when the one pass declines (see
/// the module docs): the wire path is then to be taken.
pub(super) fn decode(bytes: &[u8]) -> Option<Measurements> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut d = serde_json::Deserializer::from_slice(bytes);
    let out = d.deserialize_map(EnvelopeVisitor).ok()?;
    d.end().ok()?;
    Some(out)
}

/// A field name, as its index in a list of names (`None`: another name).
struct Key(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl Visitor<'_> for Key {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|n| *n == v))
    }
}

struct EnvelopeVisitor;

impl<'de> Visitor<'de> for EnvelopeVisitor {
    type Value = Measurements;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a response")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Measurements, A::Error> {
        const NAMES: &[&str] = &["status", "body"];
        if map.next_key_seed(Key(NAMES))? != Some(Some(0)) || map.next_value::<i64>()? != 0 {
            return Err(de::Error::custom("not status 0 first"));
        }
        if map.next_key_seed(Key(NAMES))? != Some(Some(1)) {
            return Err(de::Error::custom("not the body second"));
        }
        let out = map.next_value_seed(BodySeed)?;
        if map.next_key::<IgnoredAny>()?.is_some() {
            return Err(de::Error::custom("another key"));
        }
        Ok(out)
    }
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
        let mut groups: Option<GroupList> = None;
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
        let mut groups = groups;
        if !groups.zoned {
            for g in &mut groups.groups {
                g.local = g.taken_at.to_zoned_datetime(tz.clone());
            }
        }
        Ok(Measurements {
            updated,
            timezone,
            groups: groups.groups,
            rejected: Vec::new(),
        })
    }
}

/// The groups read so far, repeated grpids merged as they come (as the wire path merges
/// them: into the first occurrence).
struct GroupList {
    groups: Vec<MeasureGroup>,
    /// Whether `local` is in the body's zone (it was known before the groups).
    zoned: bool,
    /// The order of the grpids while they are strictly monotonic (the usual order): then
    /// none can repeat, and no index is kept.
    direction: Option<Ordering>,
    /// grpid → position in `groups`, once the grpids stopped being monotonic.
    index: Option<HashMap<i64, usize>>,
}

impl GroupList {
    fn push(&mut self, g: MeasureGroup) {
        if self.index.is_none()
            && let Some(last) = self.groups.last()
        {
            let order = last.grpid.cmp(&g.grpid);
            let monotonic = order != Ordering::Equal && self.direction.is_none_or(|d| d == order);
            if monotonic {
                self.direction = Some(order);
            } else {
                self.index = Some(
                    self.groups
                        .iter()
                        .enumerate()
                        .map(|(i, g)| (g.grpid, i))
                        .collect(),
                );
            }
        }
        if let Some(index) = &mut self.index {
            match index.entry(g.grpid) {
                Entry::Occupied(first) => {
                    if let Some(first) = self.groups.get_mut(*first.get()) {
                        merge_copy(first, g);
                    }
                    return;
                }
                Entry::Vacant(slot) => {
                    slot.insert(self.groups.len());
                }
            }
        }
        self.groups.push(g);
    }
}

struct GroupsSeed<'a> {
    /// The body's zone, when it came before the groups.
    tz: Option<&'a TimeZone>,
}

impl<'de> DeserializeSeed<'de> for GroupsSeed<'_> {
    type Value = GroupList;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<GroupList, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for GroupsSeed<'_> {
    type Value = GroupList;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of measure groups")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<GroupList, A::Error> {
        let utc = TimeZone::UTC;
        let tz = self.tz.unwrap_or(&utc);
        let mut list = GroupList {
            groups: Vec::with_capacity(seq.size_hint().unwrap_or(0)),
            zoned: self.tz.is_some(),
            direction: None,
            index: None,
        };
        let mut i = 0;
        while let Some(mut g) = seq.next_element::<wire::MeasureGroup>()? {
            g.check().map_err(de::Error::custom)?;
            // A fresh exact allocation, the wire measures freed at once (their block is
            // reused by the next group's): no shrinking reallocation leaving fragments.
            let wire = std::mem::take(&mut g.measures);
            let mut ms = Vec::with_capacity(wire.len());
            for (j, m) in wire.into_iter().enumerate() {
                ms.push(measurement(m, i, j).map_err(de::Error::custom)?);
            }
            list.push(group(g, ms, i, tz).map_err(de::Error::custom)?);
            i += 1;
        }
        list.groups.shrink_to_fit();
        Ok(list)
    }
}
