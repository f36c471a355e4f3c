//! The latest value of each measure type and position (what peers call
//! `aggregate_measurements`, and the CLI's `withings latest`).
//!
//! Rules:
//! - Only the groups that [`LatestOptions`] accepts count: by default the user's own
//!   ([`AttributionFilter::OWN`]: groups that may be someone else's are skipped) and real
//!   measures ([`CategoryFilter::Real`]: objectives are not measurements).
//! - One value per `(type, position)`: a segmental mass at the left leg and one at the torso
//!   are two values; a measure without a position is its own key.
//! - The latest is the one with the latest `date` (`taken_at`). On the same instant the
//!   group with the **larger `grpid`** wins (Withings gives later-stored groups larger ids;
//!   any fixed rule would do, this one does not depend on the response order). Within one
//!   group, or between groups with the same `grpid` (the same group in two responses), the
//!   first in the order given wins, as [`MeasureGroup::get_at`] does.
//! - The result is sorted by type code, then position (no position first), then code.

use jiff::{Timestamp, ZonedDateTime};
use serde::Serialize;
use withings_model::codes::{Attrib, Category, DeviceModel, Position};
use withings_model::measure::MeasureType;

use super::attribution::{AmbiguousPolicy, AttributionFilter};
use super::category::CategoryFilter;
use crate::Decimal;
use crate::measure::{MeasureGroup, Measurement, PhysicalUnit};

/// Which groups count for [`latest`].
///
/// ```
/// use withings_decode::query::attribution::{AmbiguousPolicy, AttributionFilter};
/// use withings_decode::query::category::CategoryFilter;
/// use withings_decode::query::latest::LatestOptions;
///
/// let default = LatestOptions::default();
/// assert_eq!(default.attribution, AttributionFilter::OWN);
/// assert_eq!(default.category, CategoryFilter::Real);
/// let all = LatestOptions::default().ambiguous(AmbiguousPolicy::Include);
/// assert_eq!(all.attribution, AttributionFilter::ALL);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct LatestOptions {
    /// Whose groups count (default: the user's own, ambiguous groups skipped).
    pub attribution: AttributionFilter,
    /// Which categories count (default: real measures only).
    pub category: CategoryFilter,
}

impl LatestOptions {
    /// These options with the attribution filter of `policy`.
    #[must_use]
    pub fn ambiguous(mut self, policy: AmbiguousPolicy) -> Self {
        self.attribution = policy.into();
        self
    }

    /// These options with `filter` for attribution.
    #[must_use]
    pub const fn attribution(mut self, filter: AttributionFilter) -> Self {
        self.attribution = filter;
        self
    }

    /// These options with `category`.
    #[must_use]
    pub const fn category(mut self, category: CategoryFilter) -> Self {
        self.category = category;
        self
    }

    /// Whether a group counts.
    #[must_use]
    pub const fn accepts(&self, group: &MeasureGroup) -> bool {
        self.attribution.accepts(group) && self.category.accepts(group)
    }
}

/// The latest value of one measure type at one position.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Latest {
    /// The measure type.
    pub kind: MeasureType,
    /// The position (segmental types); `None` for a measure without one.
    pub position: Option<Position>,
    /// The exact value, in `unit`.
    pub value: Decimal,
    /// The physical unit; `None` for types this library does not know.
    pub unit: Option<PhysicalUnit>,
    /// When it was measured.
    pub taken_at: Timestamp,
    /// `taken_at` in the user's zone (the response's `timezone`).
    pub local: ZonedDateTime,
    /// The device that measured it; `None` for a manual entry.
    pub device_id: Option<String>,
    /// The device's model code, when sent (13 is ambiguous: [`DeviceModel::is_ambiguous`]).
    pub model: Option<DeviceModel>,
    /// The group it came from (`grpid`).
    pub grpid: i64,
    /// The group's attribution, as sent.
    pub attrib: Option<Attrib>,
    /// The group's category (an objective only when the options ask for them).
    pub category: Category,
}

impl Latest {
    fn new(g: &MeasureGroup, m: &Measurement) -> Self {
        Self {
            kind: m.kind(),
            position: m.position(),
            value: m.value(),
            unit: m.unit(),
            taken_at: g.taken_at(),
            local: g.local(),
            device_id: g.device_id().map(str::to_owned),
            model: g.model_id(),
            grpid: g.grpid(),
            attrib: g.attrib(),
            category: g.category(),
        }
    }
}

/// The latest value of each measure type and position over `groups` (one response's
/// `groups`, or the groups of several chained), under `options`; see the
/// [module docs](self) for the rules.
///
/// ```
/// use withings_decode::query::latest::{LatestOptions, latest};
/// use withings_decode::{Reply, decode_reply};
/// use withings_model::measure::{GetMeasBody, MeasureType};
///
/// // An older weigh-in, a newer one, and a newer ambiguous one (attrib 1): skipped.
/// let json = br#"{"status":0,"body":{"updatetime":1717430000,"timezone":"Europe/Berlin",
///   "measuregrps":[
///   {"grpid":3,"attrib":1,"date":1717400000,"category":1,"deviceid":"s","measures":[{"value":91200,"type":1,"unit":-3}]},
///   {"grpid":2,"attrib":0,"date":1717300000,"category":1,"deviceid":"s","measures":[{"value":70100,"type":1,"unit":-3}]},
///   {"grpid":1,"attrib":0,"date":1717200000,"category":1,"deviceid":"s","measures":[{"value":70500,"type":1,"unit":-3}]}]}}"#;
/// let Reply::Ok(meas) = decode_reply::<GetMeasBody>(json).unwrap() else { panic!() };
/// let latest = latest(&meas.groups, LatestOptions::default());
/// assert_eq!(latest.len(), 1);
/// assert_eq!(latest[0].kind, MeasureType::Weight);
/// assert_eq!(latest[0].value.to_string(), "70.1");
/// assert_eq!(latest[0].grpid, 2);
/// assert_eq!(latest[0].local.to_string(), "2024-06-02T05:46:40+02:00[Europe/Berlin]");
/// ```
#[must_use]
pub fn latest<'a, I>(groups: I, options: LatestOptions) -> Vec<Latest>
where
    I: IntoIterator<Item = &'a MeasureGroup>,
{
    // (type code, position code) → the best so far. A BTreeMap gives the output order.
    let mut best: std::collections::BTreeMap<(i64, Option<i64>), (&MeasureGroup, &Measurement)> =
        std::collections::BTreeMap::new();
    for g in groups {
        if !options.accepts(g) {
            continue;
        }
        for m in g.measures() {
            let key = (m.kind().code(), m.position().map(Position::code));
            match best.get(&key) {
                Some((held, _)) if !newer(g, held) => {}
                _ => {
                    best.insert(key, (g, m));
                }
            }
        }
    }
    best.into_values().map(|(g, m)| Latest::new(g, m)).collect()
}

/// The latest value of one measure type at one position (`None`: a measure without a
/// position), under `options`; `None` when no accepted group has it.
///
/// ```
/// use withings_decode::query::latest::{LatestOptions, latest_of};
/// use withings_decode::{Reply, decode_reply};
/// use withings_model::measure::{GetMeasBody, MeasureType};
///
/// let json = br#"{"status":0,"body":{"updatetime":1,"timezone":"UTC","measuregrps":[
///   {"grpid":1,"attrib":2,"date":1717200000,"category":1,"deviceid":null,"measures":[{"value":178,"type":4,"unit":-2}]}]}}"#;
/// let Reply::Ok(meas) = decode_reply::<GetMeasBody>(json).unwrap() else { panic!() };
/// let height = latest_of(&meas.groups, MeasureType::Height, None, LatestOptions::default());
/// assert_eq!(height.unwrap().value.to_string(), "1.78");
/// assert!(latest_of(&meas.groups, MeasureType::Weight, None, LatestOptions::default()).is_none());
/// ```
#[must_use]
pub fn latest_of<'a, I>(
    groups: I,
    kind: MeasureType,
    position: Option<Position>,
    options: LatestOptions,
) -> Option<Latest>
where
    I: IntoIterator<Item = &'a MeasureGroup>,
{
    let mut best: Option<(&MeasureGroup, &Measurement)> = None;
    for g in groups {
        if !options.accepts(g) || best.is_some_and(|(held, _)| !newer(g, held)) {
            continue;
        }
        if let Some(m) = g
            .measures()
            .iter()
            .find(|m| m.kind() == kind && m.position() == position)
        {
            best = Some((g, m));
        }
    }
    best.map(|(g, m)| Latest::new(g, m))
}

/// Whether `g` beats `held`: a later date, or the same date and a larger grpid.
fn newer(g: &MeasureGroup, held: &MeasureGroup) -> bool {
    (g.taken_at(), g.grpid()) > (held.taken_at(), held.grpid())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::test_support::{body, decode, group, group_in};

    const DAY: i64 = 86_400;
    const T: i64 = 1_717_400_000;

    fn w(grams: i64) -> String {
        format!(r#"{{"value":{grams},"type":1,"unit":-3}}"#)
    }

    fn values(l: &[Latest]) -> Vec<(i64, Option<i64>, String, i64)> {
        l.iter()
            .map(|l| {
                (
                    l.kind.code(),
                    l.position.map(Position::code),
                    l.value.to_string(),
                    l.grpid,
                )
            })
            .collect()
    }

    #[test]
    fn the_latest_date_wins_whatever_the_order() {
        let groups = [
            group(1, Some(0), T - 2 * DAY, Some("s"), &w(70_500)),
            group(3, Some(0), T, Some("s"), &w(70_100)),
            group(2, Some(0), T - DAY, Some("s"), &w(70_300)),
        ];
        for order in [[0, 1, 2], [2, 1, 0], [1, 0, 2]] {
            let m = decode(&body(&order.map(|i| groups[i].clone())));
            let l = latest(&m.groups, LatestOptions::default());
            assert_eq!(values(&l), [(1, None, "70.1".into(), 3)], "{order:?}");
            assert_eq!(l[0].unit, Some(PhysicalUnit::Kilogram));
            assert_eq!(l[0].device_id.as_deref(), Some("s"));
            assert_eq!(l[0].taken_at.as_second(), T);
            assert_eq!(
                l[0].local.to_string(),
                "2024-06-03T09:33:20+02:00[Europe/Berlin]"
            );
        }
    }

    #[test]
    fn on_the_same_date_the_larger_grpid_wins_in_any_order() {
        let a = group(7, Some(0), T, Some("s"), &w(70_000));
        let b = group(9, Some(0), T, Some("s"), &w(71_000));
        for groups in [[a.clone(), b.clone()], [b, a]] {
            let m = decode(&body(&groups));
            let l = latest(&m.groups, LatestOptions::default());
            assert_eq!(values(&l), [(1, None, "71".into(), 9)]);
            let one = latest_of(
                &m.groups,
                MeasureType::Weight,
                None,
                LatestOptions::default(),
            );
            assert_eq!(one.unwrap().grpid, 9);
        }
    }

    #[test]
    fn within_one_group_the_first_measure_wins() {
        let m = decode(&body(&[group(
            1,
            Some(0),
            T,
            Some("s"),
            &format!("{},{}", w(70_000), w(70_001)),
        )]));
        assert_eq!(
            values(&latest(&m.groups, LatestOptions::default())),
            [(1, None, "70".into(), 1)]
        );
        assert_eq!(
            latest_of(
                &m.groups,
                MeasureType::Weight,
                None,
                LatestOptions::default()
            )
            .unwrap()
            .value
            .to_string(),
            "70"
        );
    }

    #[test]
    fn ambiguous_groups_follow_the_policy() {
        // The newest weigh-in may be a guest's (attrib 1); the attrib 3 one is the user's.
        let m = decode(&body(&[
            group(1, Some(3), T - DAY, Some("s"), &w(70_100)),
            group(2, Some(1), T, Some("s"), &w(92_000)),
            group(3, None, T + 1, Some("s"), &w(93_000)),
        ]));
        let with =
            |p: AmbiguousPolicy| values(&latest(&m.groups, LatestOptions::default().ambiguous(p)));
        assert_eq!(with(AmbiguousPolicy::Skip), [(1, None, "70.1".into(), 1)]);
        assert_eq!(with(AmbiguousPolicy::Include), [(1, None, "93".into(), 3)]);
        assert_eq!(with(AmbiguousPolicy::Only), [(1, None, "93".into(), 3)]);
        let only_attrib_1 = decode(&body(&[group(2, Some(1), T, Some("s"), &w(92_000))]));
        assert!(latest(&only_attrib_1.groups, LatestOptions::default()).is_empty());
        assert_eq!(
            latest(&m.groups, LatestOptions::default())[0].attrib,
            Some(Attrib::UserPicked)
        );
    }

    #[test]
    fn objectives_count_only_when_asked() {
        let m = decode(&body(&[
            group(1, Some(0), T - DAY, Some("s"), &w(70_100)),
            group_in(2, 2, Some(2), T, None, &w(65_000)),
        ]));
        assert_eq!(
            values(&latest(&m.groups, LatestOptions::default())),
            [(1, None, "70.1".into(), 1)]
        );
        let goals = latest(
            &m.groups,
            LatestOptions::default().category(CategoryFilter::Objective),
        );
        assert_eq!(values(&goals), [(1, None, "65".into(), 2)]);
        assert_eq!(goals[0].category, Category::Objective);
        assert_eq!(goals[0].device_id, None);
        let all = latest(
            &m.groups,
            LatestOptions::default().category(CategoryFilter::All),
        );
        assert_eq!(all[0].grpid, 2);
    }

    #[test]
    fn each_type_and_position_has_its_own_latest_sorted_by_code() {
        // A Body Scan weigh-in: weight and segmental fat-free mass at two positions, then a
        // newer weight alone and a manual height.
        let seg =
            |pos: i64, v: i64| format!(r#"{{"value":{v},"type":173,"unit":-2,"position":{pos}}}"#);
        let m = decode(&body(&[
            group(
                5,
                Some(0),
                T,
                Some("s"),
                &format!("{},{},{}", seg(12, 2850), w(78_250), seg(10, 1040)),
            ),
            group(6, Some(0), T + DAY, Some("s"), &w(78_000)),
            group(
                7,
                Some(2),
                T - DAY,
                None,
                r#"{"value":178,"type":4,"unit":-2}"#,
            ),
            group(
                8,
                Some(0),
                T,
                Some("s"),
                r#"{"value":5,"type":999,"unit":0}"#,
            ),
        ]));
        let l = latest(&m.groups, LatestOptions::default());
        assert_eq!(
            values(&l),
            [
                (1, None, "78".into(), 6),
                (4, None, "1.78".into(), 7),
                (173, Some(10), "10.4".into(), 5),
                (173, Some(12), "28.5".into(), 5),
                (999, None, "5".into(), 8),
            ]
        );
        assert_eq!(l[1].device_id, None);
        assert_eq!(l[1].unit, Some(PhysicalUnit::Metre));
        assert_eq!(l[4].unit, None);
        assert_eq!(
            latest_of(
                &m.groups,
                MeasureType::SegmentalFatFreeMass,
                Some(Position::Torso),
                LatestOptions::default()
            )
            .unwrap()
            .value
            .to_string(),
            "28.5"
        );
        assert!(
            latest_of(
                &m.groups,
                MeasureType::SegmentalFatFreeMass,
                None,
                LatestOptions::default()
            )
            .is_none()
        );
    }

    #[test]
    fn groups_of_several_responses_chain() {
        let a = decode(&body(&[group(1, Some(0), T, Some("s"), &w(70_000))]));
        let b = decode(&body(&[group(2, Some(0), T + 60, Some("s"), &w(69_900))]));
        let l = latest(a.groups.iter().chain(&b.groups), LatestOptions::default());
        assert_eq!(values(&l), [(1, None, "69.9".into(), 2)]);
        assert!(latest(std::iter::empty(), LatestOptions::default()).is_empty());
    }
}
