//! Nights: one sleep record per local date, the main sleep picked over naps.
//!
//! `sleep getsummary` returns one record per sleep, naps included, and clients that show "the
//! latest record" show a nap instead of the night (Home Assistant core #103246, #103416).
//! Rules:
//!
//! - **The date a record belongs to is the local date of its end**, in the record's own
//!   `timezone` ([`night_date`]). A night from 23:00 to 07:00 belongs to the morning it ends,
//!   which is also the `date` Withings gives nights (API notes §11); a nap on the afternoon
//!   before belongs to the day before; a night that starts after midnight belongs to the same
//!   morning as one that starts before. Withings' own `date` is not used: its rule for naps and
//!   edge cases is not documented (API notes §14). A sleep ending exactly at midnight belongs
//!   to the day that begins.
//! - **The main sleep of a date is its longest**: most time asleep ([`time_asleep`]:
//!   `total_sleep_time`, else `asleepduration` for external sources), then the longest span
//!   from start to end, then the latest end, then the larger id. A record with no sleep time
//!   ranks below every record that has one. A date whose only record is a nap has that nap as
//!   its main sleep: filter by [`time_asleep`] for a minimum.
//! - The other records of the date are **naps** when they do not overlap the main sleep in
//!   time, and **overlapping** when they do (another device recording the same sleep, such as a
//!   watch and a Sleep Analyzer).
//! - A record whose `id` was already seen is skipped (the same record in two pages).
//! - Nights are sorted by date; naps and overlapping records by start.

use std::collections::{BTreeMap, HashSet};

use jiff::SignedDuration;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

use crate::sleep::SleepSummary;

/// One local date's sleep: the main sleep and the other records of that date.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Night<'a> {
    /// The local date the night belongs to: that of the main sleep's end.
    pub date: Date,
    /// The main sleep: the longest of the date.
    pub main: &'a SleepSummary,
    /// The date's other records that do not overlap the main sleep, by start.
    pub naps: Vec<&'a SleepSummary>,
    /// The date's other records that overlap the main sleep (another device's record of the
    /// same sleep), by start.
    pub overlapping: Vec<&'a SleepSummary>,
}

/// The local date a record belongs to: the date of its end in its own time zone.
///
/// ```
/// use withings_decode::query::nights::night_date;
/// use withings_decode::{Reply, decode_reply};
/// use withings_model::sleep::GetSleepSummaryBody;
///
/// // 2024-06-02 23:00 to 2024-06-03 07:00 in Paris.
/// let json = br#"{"status":0,"body":{"series":[{"id":1,"timezone":"Europe/Paris","startdate":1717362000,
///   "enddate":1717390800,"date":"2024-06-03","modified":1717390800,"data":{"total_sleep_time":25200}}],"more":false,"offset":0}}"#;
/// let Reply::Ok(s) = decode_reply::<GetSleepSummaryBody>(json).unwrap() else { panic!() };
/// assert_eq!(night_date(&s[0]), jiff::civil::date(2024, 6, 3));
/// ```
#[must_use]
pub fn night_date(summary: &SleepSummary) -> Date {
    summary.local_end.date()
}

/// The time asleep used to rank records: `total_sleep_time`, else `asleepduration` (nights
/// from an external source have no light/deep/REM split); `None` when neither was sent.
#[must_use]
pub fn time_asleep(summary: &SleepSummary) -> Option<SignedDuration> {
    summary
        .metrics
        .total_sleep_time
        .or(summary.metrics.asleep_duration)
}

/// How a record ranks as a main sleep: the larger wins.
fn rank(
    s: &SleepSummary,
) -> (
    Option<SignedDuration>,
    SignedDuration,
    Timestamp,
    Option<i64>,
) {
    (time_asleep(s), s.end.duration_since(s.start), s.end, s.id)
}

fn overlap(a: &SleepSummary, b: &SleepSummary) -> bool {
    a.start < b.end && b.start < a.end
}

/// One [`Night`] per local date over `summaries` (any order; several responses may be
/// chained), sorted by date. See the [module docs](self) for the rules.
///
/// ```
/// use withings_decode::query::nights::nights;
/// use withings_decode::{Reply, decode_reply};
/// use withings_model::sleep::GetSleepSummaryBody;
///
/// // A night 2024-06-02 23:00 → 06-03 07:00 (Paris), and a nap 06-03 14:00 → 15:00.
/// let json = br#"{"status":0,"body":{"series":[
///   {"id":2,"timezone":"Europe/Paris","startdate":1717416000,"enddate":1717419600,"date":"2024-06-03",
///    "modified":1,"data":{"total_sleep_time":3000}},
///   {"id":1,"timezone":"Europe/Paris","startdate":1717362000,"enddate":1717390800,"date":"2024-06-03",
///    "modified":1,"data":{"total_sleep_time":25200}}],"more":false,"offset":0}}"#;
/// let Reply::Ok(s) = decode_reply::<GetSleepSummaryBody>(json).unwrap() else { panic!() };
/// let n = nights(&s);
/// assert_eq!(n.len(), 1);
/// assert_eq!(n[0].date, jiff::civil::date(2024, 6, 3));
/// assert_eq!(n[0].main.id, Some(1));
/// assert_eq!(n[0].naps.iter().map(|s| s.id).collect::<Vec<_>>(), [Some(2)]);
/// ```
#[must_use]
pub fn nights<'a, I>(summaries: I) -> Vec<Night<'a>>
where
    I: IntoIterator<Item = &'a SleepSummary>,
{
    let mut seen = HashSet::new();
    let mut by_date: BTreeMap<Date, Vec<&'a SleepSummary>> = BTreeMap::new();
    for s in summaries {
        if let Some(id) = s.id
            && !seen.insert(id)
        {
            continue;
        }
        by_date.entry(night_date(s)).or_default().push(s);
    }
    by_date
        .into_iter()
        .filter_map(|(date, records)| night(date, records))
        .collect()
}

/// The [`Night`] of one local date, if any record belongs to it.
///
/// ```
/// use withings_decode::query::nights::night_on;
///
/// assert!(night_on(&[], jiff::civil::date(2024, 6, 3)).is_none());
/// ```
#[must_use]
pub fn night_on<'a, I>(summaries: I, date: Date) -> Option<Night<'a>>
where
    I: IntoIterator<Item = &'a SleepSummary>,
{
    nights(summaries.into_iter().filter(|s| night_date(s) == date))
        .into_iter()
        .next()
}

fn night<'a>(date: Date, records: Vec<&'a SleepSummary>) -> Option<Night<'a>> {
    let main_at = records
        .iter()
        .enumerate()
        .max_by(|(_, a), (_, b)| rank(a).cmp(&rank(b)))
        .map(|(i, _)| i)?;
    let main = *records.get(main_at)?;
    let (mut overlapping, mut naps): (Vec<_>, Vec<_>) = records
        .into_iter()
        .enumerate()
        .filter(|&(i, _)| i != main_at)
        .map(|(_, s)| s)
        .partition(|s| overlap(s, main));
    naps.sort_by_key(|s| (s.start, s.id));
    overlapping.sort_by_key(|s| (s.start, s.id));
    Some(Night {
        date,
        main,
        naps,
        overlapping,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::test_support::{summaries, summary};
    use jiff::civil::date;

    const PARIS: &str = "Europe/Paris";
    /// 2024-06-02T00:00:00+02:00 (Paris, summer time).
    const JUNE_2: i64 = 1_717_279_200;
    const H: i64 = 3_600;

    fn at(day_offset: i64, hour: i64) -> i64 {
        JUNE_2 + day_offset * 24 * H + hour * H
    }

    fn rec(id: i64, start: i64, end: i64, asleep: i64) -> String {
        summary(
            Some(id),
            PARIS,
            start,
            end,
            "2024-06-03",
            &format!(r#"{{"total_sleep_time":{asleep}}}"#),
        )
    }

    fn ids(list: &[&SleepSummary]) -> Vec<Option<i64>> {
        list.iter().map(|s| s.id).collect()
    }

    #[test]
    fn a_nap_the_afternoon_before_stays_on_its_own_day() {
        let s = summaries(&[
            // Nap 06-02 14:00–15:00; night 06-02 23:00 → 06-03 07:00.
            rec(1, at(0, 14), at(0, 15), 3_000),
            rec(2, at(0, 23), at(1, 7), 25_200),
        ]);
        let n = nights(&s);
        assert_eq!(
            n.iter().map(|n| (n.date, n.main.id)).collect::<Vec<_>>(),
            [(date(2024, 6, 2), Some(1)), (date(2024, 6, 3), Some(2))]
        );
        assert!(n[1].naps.is_empty() && n[1].overlapping.is_empty());
    }

    #[test]
    fn a_nap_after_the_night_does_not_replace_it() {
        // Night 06-02 23:30 → 06-03 06:30; naps 06-03 13:00–14:30 (longer span than the
        // night's sleep? no: asleep 80 min) and 06-03 17:00–17:20.
        let s = summaries(&[
            rec(3, at(1, 17), at(1, 17) + 1_200, 1_100),
            rec(1, at(0, 23) + 1_800, at(1, 6) + 1_800, 23_000),
            rec(2, at(1, 13), at(1, 14) + 1_800, 4_800),
        ]);
        let n = night_on(&s, date(2024, 6, 3)).unwrap();
        assert_eq!(n.main.id, Some(1));
        assert_eq!(ids(&n.naps), [Some(2), Some(3)]);
        assert!(night_on(&s, date(2024, 6, 2)).is_none());
        assert_eq!(nights(&s).len(), 1);
    }

    #[test]
    fn nights_starting_before_and_after_midnight_belong_to_the_morning() {
        let s = summaries(&[
            rec(1, at(0, 22), at(1, 6), 25_000),
            // The next night starts at 01:30 on 06-04.
            rec(2, at(2, 1) + 1_800, at(2, 9), 24_000),
        ]);
        let n = nights(&s);
        assert_eq!(
            n.iter().map(|n| (n.date, n.main.id)).collect::<Vec<_>>(),
            [(date(2024, 6, 3), Some(1)), (date(2024, 6, 4), Some(2))]
        );
    }

    #[test]
    fn the_longest_sleep_is_main_even_when_it_is_not_the_latest() {
        // A short night (3 h asleep) and a long afternoon sleep (4 h) on the same date: the
        // longer is main, whatever the order or the time of day.
        let s = summaries(&[
            rec(1, at(1, 3), at(1, 6), 10_800),
            rec(2, at(1, 12), at(1, 16) + 600, 14_400),
        ]);
        let n = night_on(&s, date(2024, 6, 3)).unwrap();
        assert_eq!(n.main.id, Some(2));
        assert_eq!(ids(&n.naps), [Some(1)]);
    }

    #[test]
    fn another_devices_record_of_the_same_sleep_is_overlapping_not_a_nap() {
        let s = summaries(&[
            rec(1, at(0, 23), at(1, 7), 25_200),
            rec(2, at(0, 23) + 600, at(1, 6) + 3_000, 24_000),
            rec(3, at(1, 14), at(1, 15), 3_000),
        ]);
        let n = night_on(&s, date(2024, 6, 3)).unwrap();
        assert_eq!(n.main.id, Some(1));
        assert_eq!(ids(&n.overlapping), [Some(2)]);
        assert_eq!(ids(&n.naps), [Some(3)]);
    }

    #[test]
    fn records_that_only_touch_the_main_sleep_are_naps() {
        // Main 06-03 01:00–09:00; one record ends as it starts, one starts as it ends.
        let s = summaries(&[
            rec(1, at(1, 1), at(1, 9), 25_000),
            rec(2, at(1, 0), at(1, 1), 1_800),
            rec(3, at(1, 9), at(1, 10), 1_800),
        ]);
        let n = night_on(&s, date(2024, 6, 3)).unwrap();
        assert_eq!(n.main.id, Some(1));
        assert_eq!(ids(&n.naps), [Some(2), Some(3)]);
        assert!(n.overlapping.is_empty());
    }

    #[test]
    fn ties_fall_to_span_then_end_then_id() {
        // Same time asleep: the longer span wins.
        let s = summaries(&[
            rec(1, at(0, 23), at(1, 7), 20_000),
            rec(2, at(0, 22), at(1, 7), 20_000),
        ]);
        assert_eq!(night_on(&s, date(2024, 6, 3)).unwrap().main.id, Some(2));
        // Same time asleep and span: the later end.
        let s = summaries(&[
            rec(1, at(0, 23), at(1, 7), 20_000),
            rec(2, at(0, 22), at(1, 6), 20_000),
        ]);
        assert_eq!(night_on(&s, date(2024, 6, 3)).unwrap().main.id, Some(1));
        // Everything equal: the larger id, in either order.
        for order in [[5, 4], [4, 5]] {
            let s = summaries(&order.map(|id| rec(id, at(0, 23), at(1, 7), 20_000)));
            let n = night_on(&s, date(2024, 6, 3)).unwrap();
            assert_eq!(n.main.id, Some(5));
            assert_eq!(ids(&n.overlapping), [Some(4)]);
        }
    }

    #[test]
    fn a_record_without_sleep_time_ranks_below_one_with_it() {
        let s = summaries(&[
            summary(Some(1), PARIS, at(0, 21), at(1, 9), "2024-06-03", "{}"),
            rec(2, at(1, 13), at(1, 14), 3_000),
        ]);
        assert_eq!(night_on(&s, date(2024, 6, 3)).unwrap().main.id, Some(2));
        // External sources send asleepduration instead of total_sleep_time.
        let s = summaries(&[
            summary(
                Some(1),
                PARIS,
                at(0, 23),
                at(1, 7),
                "2024-06-03",
                r#"{"asleepduration":27000}"#,
            ),
            rec(2, at(1, 13), at(1, 14), 3_000),
        ]);
        let n = night_on(&s, date(2024, 6, 3)).unwrap();
        assert_eq!(n.main.id, Some(1));
        assert_eq!(time_asleep(n.main), Some(SignedDuration::from_secs(27_000)));
    }

    #[test]
    fn the_date_is_taken_in_the_records_own_zone() {
        // 2024-06-03T03:00Z ends on 06-03 in Paris (05:00) but on 06-02 in New York (23:00).
        let end = 1_717_383_600;
        let s = summaries(&[
            summary(
                Some(1),
                PARIS,
                end - 8 * H,
                end,
                "2024-06-03",
                r#"{"total_sleep_time":25000}"#,
            ),
            summary(
                Some(2),
                "America/New_York",
                end - 2 * H,
                end,
                "2024-06-02",
                r#"{"total_sleep_time":6000}"#,
            ),
        ]);
        let n = nights(&s);
        assert_eq!(
            n.iter().map(|n| (n.date, n.main.id)).collect::<Vec<_>>(),
            [(date(2024, 6, 2), Some(2)), (date(2024, 6, 3), Some(1))]
        );
        // Midnight exactly belongs to the day that begins.
        let s = summaries(&[rec(1, at(0, 21), at(1, 0), 9_000)]);
        assert_eq!(night_date(&s[0]), date(2024, 6, 3));
    }

    #[test]
    fn a_repeated_id_counts_once_and_records_without_id_are_kept() {
        let night = rec(1, at(0, 23), at(1, 7), 25_200);
        let first = summaries(std::slice::from_ref(&night));
        let again = summaries(&[night]);
        let n = nights(first.iter().chain(&again));
        assert_eq!(n.len(), 1);
        assert!(n[0].overlapping.is_empty());
        let no_id = |start, end| {
            summary(
                None,
                PARIS,
                start,
                end,
                "2024-06-03",
                r#"{"total_sleep_time":1000}"#,
            )
        };
        let s = summaries(&[no_id(at(1, 13), at(1, 14)), no_id(at(1, 16), at(1, 17))]);
        let n = nights(&s);
        assert_eq!(n[0].naps.len(), 1);
        assert_eq!(n[0].main.start.as_second(), at(1, 16));
        assert!(nights(std::iter::empty()).is_empty());
    }
}
