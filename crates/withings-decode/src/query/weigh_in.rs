//! Weigh-ins: the measure groups of one stand on the scale, put back together.
//!
//! A Body Scan or Body Cardio weigh-in arrives as several groups — weight and body
//! composition; pulse-wave velocity and vascular age; segmental masses — with the **same
//! `date`** and the same device (API notes §15, from withings-sync #217). Rules:
//!
//! - **Same time means the same `date`, to the second**, with no tolerance: the groups of one
//!   weigh-in carry one timestamp, and a window of even a minute would merge two people
//!   weighing themselves one after the other on a shared scale, or a user's two weigh-ins.
//! - **Same device means the same `deviceid`.** A group without one (a manual entry, API
//!   notes §12.10) is a weigh-in of its own: nothing says two typed-in groups were one
//!   measurement.
//! - Groups of different categories never merge (an objective is not part of a weigh-in).
//! - A `grpid` already in a weigh-in is not added twice (the same group in two responses).
//! - Within a weigh-in groups are in `grpid` order; weigh-ins are sorted by `date`, then
//!   device id (none first), then their first `grpid`.
//!
//! Filter first ([`AttributionFilter`](super::attribution::AttributionFilter),
//! [`CategoryFilter`](super::category::CategoryFilter)) to leave groups out; a weigh-in's
//! [`attribution`](WeighIn::attribution) is that of its least sure group.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use jiff::{Timestamp, ZonedDateTime};
use serde::Serialize;
use withings_model::codes::{Category, DeviceModel, Position};
use withings_model::measure::MeasureType;

use super::attribution::Attribution;
use crate::measure::{MeasureGroup, Measurement};

/// One weigh-in: every group taken at the same instant on the same device.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct WeighIn<'a> {
    /// When (the groups' common `date`).
    pub taken_at: Timestamp,
    /// `taken_at` in the user's zone.
    pub local: ZonedDateTime,
    /// The device; `None` for a group entered by hand (then the weigh-in has one group).
    pub device_id: Option<&'a str>,
    /// The device's model code: the first group's that has one.
    pub model: Option<DeviceModel>,
    /// The groups' category.
    pub category: Category,
    /// The least sure attribution of its groups: `Ambiguous` if any group may be someone
    /// else's, else `Manual` if any was typed in, else `Device`.
    pub attribution: Attribution,
    /// The groups, in `grpid` order.
    pub groups: Vec<&'a MeasureGroup>,
}

impl<'a> WeighIn<'a> {
    /// Every measure of the weigh-in, group after group.
    pub fn measures(&self) -> impl Iterator<Item = &'a Measurement> + '_ {
        self.groups.iter().flat_map(|g| g.measures().iter())
    }

    /// The first measure of `kind` (segmental types: see [`WeighIn::get_at`]).
    #[must_use]
    pub fn get(&self, kind: MeasureType) -> Option<&'a Measurement> {
        self.measures().find(|m| m.kind() == kind)
    }

    /// The first measure of `kind` at `position` (`None`: without a position).
    #[must_use]
    pub fn get_at(&self, kind: MeasureType, position: Option<Position>) -> Option<&'a Measurement> {
        self.measures()
            .find(|m| m.kind() == kind && m.position() == position)
    }
}

/// Rank of an attribution by how sure it is that the measures are the user's.
const fn doubt(a: Attribution) -> u8 {
    match a {
        Attribution::Device => 0,
        Attribution::Manual => 1,
        Attribution::Ambiguous => 2,
    }
}

/// Puts measure groups back together into weigh-ins (see the [module docs](self)).
///
/// ```
/// use withings_decode::query::weigh_in::weigh_ins;
/// use withings_decode::{Reply, decode_reply};
/// use withings_model::codes::Position;
/// use withings_model::measure::{GetMeasBody, MeasureType};
///
/// // A Body Scan weigh-in as three groups at one instant, and a manual height.
/// let json = br#"{"status":0,"body":{"updatetime":1,"timezone":"Europe/Paris","measuregrps":[
///   {"grpid":12,"attrib":0,"date":1717400000,"category":1,"deviceid":"scan","measures":[{"value":2850,"type":173,"unit":-2,"position":12}]},
///   {"grpid":11,"attrib":0,"date":1717400000,"category":1,"deviceid":"scan","measures":[{"value":81,"type":91,"unit":-1}]},
///   {"grpid":10,"attrib":0,"date":1717400000,"category":1,"deviceid":"scan","measures":[{"value":78250,"type":1,"unit":-3}]},
///   {"grpid":9,"attrib":2,"date":1717400000,"category":1,"deviceid":null,"measures":[{"value":178,"type":4,"unit":-2}]}]}}"#;
/// let Reply::Ok(meas) = decode_reply::<GetMeasBody>(json).unwrap() else { panic!() };
/// let w = weigh_ins(&meas.groups);
/// assert_eq!(w.len(), 2);
/// assert_eq!(w[0].device_id, None); // the manual height: no device sorts first
/// let scan = &w[1];
/// assert_eq!(scan.groups.iter().map(|g| g.grpid()).collect::<Vec<_>>(), [10, 11, 12]);
/// assert_eq!(scan.get(MeasureType::Weight).unwrap().value().to_string(), "78.25");
/// assert_eq!(scan.get(MeasureType::PulseWaveVelocity).unwrap().value().to_string(), "8.1");
/// let torso = scan.get_at(MeasureType::SegmentalFatFreeMass, Some(Position::Torso));
/// assert_eq!(torso.unwrap().value().to_string(), "28.5");
/// ```
#[must_use]
pub fn weigh_ins<'a, I>(groups: I) -> Vec<WeighIn<'a>>
where
    I: IntoIterator<Item = &'a MeasureGroup>,
{
    let mut out: Vec<WeighIn<'a>> = Vec::new();
    let mut index: HashMap<(i64, &'a str, Timestamp), usize> = HashMap::new();
    for g in groups {
        let slot = match g.device_id() {
            Some(device) => match index.entry((g.category().code(), device, g.taken_at())) {
                Entry::Occupied(held) => Some(*held.get()),
                Entry::Vacant(slot) => {
                    slot.insert(out.len());
                    None
                }
            },
            None => None,
        };
        match slot.and_then(|i| out.get_mut(i)) {
            Some(w) => {
                if w.groups.iter().any(|held| held.grpid() == g.grpid()) {
                    continue;
                }
                w.groups.push(g);
                let a = Attribution::of(g);
                if doubt(a) > doubt(w.attribution) {
                    w.attribution = a;
                }
            }
            None => out.push(WeighIn {
                taken_at: g.taken_at(),
                local: g.local(),
                device_id: g.device_id(),
                model: g.model_id(),
                category: g.category(),
                attribution: Attribution::of(g),
                groups: vec![g],
            }),
        }
    }
    for w in &mut out {
        w.groups.sort_by_key(|g| g.grpid());
        w.model = w.groups.iter().find_map(|g| g.model_id());
    }
    out.sort_by(|a, b| {
        (a.taken_at, a.device_id, a.groups.first().map(|g| g.grpid())).cmp(&(
            b.taken_at,
            b.device_id,
            b.groups.first().map(|g| g.grpid()),
        ))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::test_support::{body, decode, group, group_in};

    const T: i64 = 1_717_400_000;
    const W: &str = r#"{"value":78250,"type":1,"unit":-3}"#;
    const PWV: &str = r#"{"value":81,"type":91,"unit":-1},{"value":48,"type":155,"unit":0}"#;
    const SEG: &str = r#"{"value":1040,"type":173,"unit":-2,"position":10},{"value":1046,"type":173,"unit":-2,"position":11}"#;

    fn shape(w: &[WeighIn<'_>]) -> Vec<(i64, Option<String>, Vec<i64>)> {
        w.iter()
            .map(|w| {
                (
                    w.taken_at.as_second(),
                    w.device_id.map(str::to_owned),
                    w.groups.iter().map(|g| g.grpid()).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn groups_at_the_same_second_on_the_same_device_are_one_weigh_in() {
        let m = decode(&body(&[
            group(3, Some(0), T, Some("scan"), SEG),
            group(1, Some(0), T, Some("scan"), W),
            group(2, Some(0), T, Some("scan"), PWV),
        ]));
        let w = weigh_ins(&m.groups);
        assert_eq!(shape(&w), [(T, Some("scan".into()), vec![1, 2, 3])]);
        let w = &w[0];
        assert_eq!(w.measures().count(), 5);
        assert_eq!(
            w.get(MeasureType::VascularAge).unwrap().value().to_string(),
            "48"
        );
        assert_eq!(
            w.get_at(MeasureType::SegmentalFatFreeMass, Some(Position::RightLeg))
                .unwrap()
                .value()
                .to_string(),
            "10.46"
        );
        assert!(w.get(MeasureType::Height).is_none());
        assert_eq!(w.attribution, Attribution::Device);
        assert_eq!(w.category, Category::Real);
        assert_eq!(
            w.local.to_string(),
            "2024-06-03T09:33:20+02:00[Europe/Berlin]"
        );
    }

    #[test]
    fn one_second_apart_or_another_device_is_another_weigh_in() {
        let m = decode(&body(&[
            group(1, Some(0), T, Some("scan"), W),
            group(2, Some(0), T + 1, Some("scan"), PWV),
            group(3, Some(0), T, Some("other"), W),
        ]));
        assert_eq!(
            shape(&weigh_ins(&m.groups)),
            [
                (T, Some("other".into()), vec![3]),
                (T, Some("scan".into()), vec![1]),
                (T + 1, Some("scan".into()), vec![2]),
            ]
        );
    }

    #[test]
    fn groups_without_a_device_stay_alone() {
        let h = r#"{"value":178,"type":4,"unit":-2}"#;
        let m = decode(&body(&[
            group(2, Some(2), T, None, W),
            group(1, Some(2), T, None, h),
        ]));
        assert_eq!(
            shape(&weigh_ins(&m.groups)),
            [(T, None, vec![1]), (T, None, vec![2])]
        );
    }

    #[test]
    fn objectives_do_not_join_a_weigh_in_and_repeated_grpids_count_once() {
        let m = decode(&body(&[
            group(1, Some(0), T, Some("scan"), W),
            group_in(2, 2, Some(0), T, Some("scan"), W),
        ]));
        let w = weigh_ins(&m.groups);
        assert_eq!(w.len(), 2);
        assert_eq!(
            (w[0].category, w[1].category),
            (Category::Real, Category::Objective)
        );
        // The same group in two responses (two pages overlapping).
        let page = decode(&body(&[group(1, Some(0), T, Some("scan"), W)]));
        let twice = weigh_ins(page.groups.iter().chain(&page.groups));
        assert_eq!(shape(&twice), [(T, Some("scan".into()), vec![1])]);
    }

    #[test]
    fn a_weigh_in_is_as_ambiguous_as_its_least_sure_group() {
        let m = decode(&body(&[
            group(1, Some(3), T, Some("scan"), W),
            group(2, Some(1), T, Some("scan"), PWV),
            group(3, Some(0), T + 60, Some("scan"), W),
            group(4, Some(8), T + 60, Some("scan"), SEG),
        ]));
        let w = weigh_ins(&m.groups);
        assert_eq!(w[0].attribution, Attribution::Ambiguous);
        assert_eq!(w[1].attribution, Attribution::Device);
        let m = decode(&body(&[group(1, None, T, Some("scan"), W)]));
        assert_eq!(weigh_ins(&m.groups)[0].attribution, Attribution::Ambiguous);
        assert!(weigh_ins(std::iter::empty()).is_empty());
    }

    #[test]
    fn the_model_is_the_first_group_that_has_one() {
        let with_model = |grpid: i64, model: &str| {
            format!(
                r#"{{"grpid":{grpid},"attrib":0,"date":{T},"category":1,"deviceid":"scan","measures":[{W}]{model}}}"#
            )
        };
        let m = decode(&body(&[
            with_model(5, r#","modelid":10"#),
            with_model(4, ""),
            with_model(6, r#","modelid":6"#),
        ]));
        let w = weigh_ins(&m.groups);
        assert_eq!(w[0].model, Some(DeviceModel::BodyScan));
        assert_eq!(shape(&w), [(T, Some("scan".into()), vec![4, 5, 6])]);
    }
}
