use std::collections::BTreeSet;

use super::*;
use crate::Inventory;

/// 2024-06-03T15:53:20Z, a Monday afternoon in Paris.
const START: i64 = 1_717_430_000;
const DAY: i64 = 86_400;

fn demo() -> DemoData {
    DemoData::new(0, Timestamp::from_second(START).unwrap(), HISTORY_DAYS)
}

/// Every group of the history as JSON at `now`, newest first.
fn groups_json(d: &DemoData, now: i64) -> Vec<String> {
    d.history(now)
        .iter()
        .rev()
        .flat_map(|day| day.groups.clone())
        .filter(|g| g.visible(now))
        .filter_map(|g| g.to_json(None, now))
        .map(|j| j.encode())
        .collect()
}

#[test]
fn building_generates_nothing_until_asked() {
    let d = demo();
    assert!(d.days.lock().unwrap().is_empty());
    assert_eq!(d.history(START).len() as i64, HISTORY_DAYS);
    assert_eq!(d.days.lock().unwrap().len() as i64, HISTORY_DAYS);
    assert_eq!(d.start_day, Date::constant(2019, 6, 5));
}

#[test]
fn nothing_lies_after_now() {
    let d = demo();
    for now in [START, START + 3 * DAY + 7_000] {
        for day in d.history(now) {
            for g in day.groups.iter().filter(|g| g.visible(now)) {
                assert!(g.date <= now && g.created <= now && g.modified_at(now) <= now);
            }
            if let Some((_, modified)) = d.activity_at(&day, now) {
                assert!(modified <= now, "{}", day.date);
            }
            for w in day.workouts.iter().filter(|w| w.visible(now)) {
                assert!(w.enddate <= now && w.modified_at(now) <= now);
            }
            for n in day.nights.iter().filter(|n| n.visible(now)) {
                assert!(n.end <= now && n.modified_at(now) <= now);
            }
            for e in day.ecgs.iter().filter(|e| e.visible(now)) {
                assert!(e.timestamp <= now);
            }
        }
    }
}

#[test]
fn five_years_are_covered_and_counted() {
    let d = demo();
    let inv = d.inventory(START, None);
    assert_eq!(inv.activity_days as i64, HISTORY_DAYS);
    // A night ends every morning; naps on about one day in 20 outside the demo window.
    assert!(
        (1850..2000).contains(&inv.sleep_summaries),
        "{}",
        inv.sleep_summaries
    );
    // Most mornings, weekly blood pressure, a Body Scan on Sundays, the odd groups.
    assert!(
        (1800..2200).contains(&inv.measure_groups),
        "{}",
        inv.measure_groups
    );
    assert!(inv.measures > 7 * 1500, "{}", inv.measures);
    assert!((550..680).contains(&inv.workouts), "{}", inv.workouts);
    assert!((40..90).contains(&inv.ecgs), "{}", inv.ecgs);
    // The oldest record is the height typed in at account creation.
    let first = &d.history(START)[0];
    assert_eq!(first.date, d.start_day);
    assert!(
        first
            .groups
            .iter()
            .any(|g| g.attrib == 4 && g.measures[0].kind == 4)
    );
}

#[test]
fn the_demo_window_holds_the_documented_records_only() {
    let d = demo();
    let window: Vec<Arc<Day>> = d
        .history(START)
        .into_iter()
        .filter(|day| in_demo_window(day.back))
        .collect();
    assert_eq!(window.len() as i64, DEMO_DAYS);
    let ecgs: usize = window.iter().map(|day| day.ecgs.len()).sum();
    assert_eq!(ecgs, 2);
    let naps: Vec<i64> = window
        .iter()
        .filter(|day| day.nights.len() > 1)
        .map(|day| day.back)
        .collect();
    assert_eq!(naps, [16]);
    let external: Vec<i64> = window
        .iter()
        .filter(|day| day.activity.as_ref().unwrap().source == Source::External)
        .map(|day| day.back)
        .collect();
    assert_eq!(external, [20]);
    let ambiguous: Vec<i64> = window
        .iter()
        .filter(|day| day.groups.iter().any(|g| g.attrib == 1))
        .map(|day| day.back)
        .collect();
    assert_eq!(ambiguous, [12, 11]);
    // No periodic edit happens inside it: every change waits for the start.
    for day in &window {
        for g in &day.groups {
            assert!(g.edit.is_none_or(|(at, _)| at > START || day.back == 40));
        }
        let a = day.activity.as_ref().unwrap();
        assert!(a.resync.is_none_or(|at| at > START));
        assert!(
            day.nights
                .iter()
                .all(|n| n.reanalyzed.is_none_or(|at| at > START))
        );
    }
}

#[test]
fn sleep_segments_are_contiguous_and_cover_the_night() {
    let d = demo();
    let days = d.history(START);
    let nights: Vec<&Night> = days.iter().flat_map(|day| &day.nights).collect();
    assert!(nights.iter().any(|n| n.sleeper == Sleeper::Watch));
    for night in nights {
        assert_eq!(night.segments.first().unwrap().start, night.start);
        assert_eq!(night.segments.last().unwrap().end, night.end);
        for w in night.segments.windows(2) {
            assert_eq!(w[0].end, w[1].start);
            assert_ne!(w[0].state, w[1].state);
        }
        assert!(
            night.order.iter().enumerate().any(|(i, &j)| i != j),
            "segments should be shuffled"
        );
    }
}

#[test]
fn quirky_records_are_present() {
    let d = demo();
    let days = d.days(
        add_days(d.today(START), 1 - DEMO_DAYS).unwrap(),
        d.today(START),
        START,
    );
    let groups: Vec<&Group> = days.iter().flat_map(|day| &day.groups).collect();
    assert!(
        groups
            .iter()
            .any(|g| g.device.is_none() && g.category == 1 && g.attrib == 2)
    );
    let dup = groups.iter().find(|g| g.attrib == 8).unwrap();
    assert!(dup.twin);
    assert_eq!(groups.iter().filter(|g| g.grpid == dup.grpid).count(), 2);
    let activities: Vec<&ActivityDay> = days.iter().filter_map(|d| d.activity.as_ref()).collect();
    assert!(activities.iter().any(|a| a.source == Source::External));
    assert!(
        days.iter()
            .flat_map(|d| &d.workouts)
            .any(|w| w.deviceid.is_none())
    );
}

#[test]
fn a_body_scan_weigh_in_is_four_groups_at_one_date() {
    let d = demo();
    // 2024-06-02, the Sunday before the start.
    let day = d.days(
        Date::constant(2024, 6, 2),
        Date::constant(2024, 6, 2),
        START,
    );
    let scan: Vec<&Group> = day[0]
        .groups
        .iter()
        .filter(|g| g.device.is_some_and(|x| x.model_id == 19))
        .collect();
    assert_eq!(scan.len(), 4);
    assert!(scan.iter().all(|g| g.date == scan[0].date && g.attrib == 0));
    let ids: BTreeSet<i64> = scan.iter().map(|g| g.grpid).collect();
    assert_eq!(ids.len(), 4);
    let types = |g: &Group| {
        g.measures
            .iter()
            .map(|m| (m.kind, m.position))
            .collect::<Vec<_>>()
    };
    let body = types(scan[0]);
    for kind in [1, 5, 6, 8, 76, 77, 88, 168, 169, 170, 226, 227] {
        assert!(body.contains(&(kind, None)), "{kind} in {body:?}");
    }
    assert_eq!(types(scan[1]), [(11, None), (91, None), (155, None)]);
    assert_eq!(types(scan[2]), [(196, None), (229, None)]);
    let segmental = types(scan[3]);
    assert_eq!(segmental.len(), 15);
    for kind in [173, 174, 175] {
        let positions: Vec<i64> = segmental
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, p)| p.unwrap())
            .collect();
        assert_eq!(positions, [2, 3, 10, 11, 12]);
    }
    // The segments add up to the whole: fat-free mass within rounding.
    let fat_free = scan[0].measures.iter().find(|m| m.kind == 5).unwrap().value;
    let parts: i64 = scan[3]
        .measures
        .iter()
        .filter(|m| m.kind == 173)
        .map(|m| m.value)
        .sum();
    assert!((fat_free / 10 - parts).abs() <= 5, "{fat_free} vs {parts}");
    // Only Sundays since the scale was bought.
    let before = d.days(
        Date::constant(2024, 5, 5),
        Date::constant(2024, 5, 5),
        START,
    );
    assert!(
        before[0]
            .groups
            .iter()
            .all(|g| g.device.is_none_or(|x| x.model_id != 19))
    );
}

#[test]
fn a_nap_shares_its_date_with_the_night() {
    let d = demo();
    let day = &d.days(
        Date::constant(2024, 5, 18),
        Date::constant(2024, 5, 18),
        START,
    )[0];
    assert_eq!(day.back, 16);
    let [night, nap] = &day.nights[..] else {
        panic!("{:?}", day.nights)
    };
    assert_eq!((night.date, nap.date), (day.date, day.date));
    assert_eq!(
        (night.sleeper, nap.sleeper),
        (Sleeper::Monitor, Sleeper::Watch)
    );
    assert!(nap.start > night.end);
    assert!((20 * 60..70 * 60).contains(&(nap.end - nap.start)));
    let summary = d.summary(nap);
    assert!(summary.iter().any(|(k, _)| *k == "total_sleep_time"));
    assert!(summary.iter().all(|(k, _)| *k != "snoring"));
    assert!(d.summary(night).iter().any(|(k, _)| *k == "snoring"));
}

#[test]
fn profile_pick_objective_and_ambiguous_weigh_ins() {
    let d = demo();
    let days = d.history(START);
    let groups: Vec<&Group> = days.iter().flat_map(|day| &day.groups).collect();
    let picked: Vec<&&Group> = groups.iter().filter(|g| g.attrib == 3).collect();
    assert_eq!(picked.len(), 1);
    assert_eq!(picked[0].device.unwrap().model_id, 5);
    let objectives: Vec<&&Group> = groups.iter().filter(|g| g.category == 2).collect();
    assert_eq!(objectives.len(), 1);
    assert_eq!(objectives[0].measures[0].kind, 1);
    // The guest's weigh-in goes 12 h after the start, the user's is confirmed after 2 h.
    let guest = groups
        .iter()
        .find(|g| g.deleted == Some(START + 12 * 3600))
        .unwrap();
    assert!(guest.visible(START) && !guest.visible(START + 12 * 3600));
    let mine = groups
        .iter()
        .find(|g| g.edit == Some((START + 2 * 3600, 7)))
        .unwrap();
    assert_eq!((mine.attrib_at(START), mine.attrib_at(START + DAY)), (1, 7));
    assert_eq!(mine.modified_at(START + DAY), START + 2 * 3600);
}

#[test]
fn today_grows_until_midnight_then_settles() {
    let d = demo();
    let today = d.history(START).pop().unwrap();
    assert_eq!(today.back, 0);
    let steps = |now: i64| {
        let (a, modified) = d.activity_at(&today, now).unwrap();
        let steps = a.fields[0].1.clone();
        (steps, modified)
    };
    let (morning, m1) = steps(today.midnight + 9 * 3600);
    let (evening, m2) = steps(today.midnight + 21 * 3600);
    let (done, m3) = steps(today.next_midnight + 4 * 3600);
    let n = |j: J| match j {
        J::Int(i) => i,
        other => panic!("{other:?}"),
    };
    assert!(n(morning) < n(evening.clone()) && n(evening) < n(done));
    assert!(m1 < m2 && m2 < m3);
    assert_eq!(m3, today.activity.as_ref().unwrap().final_at);
    assert!(d.activity_at(&today, today.midnight - 1).is_none());
}

#[test]
fn the_same_seed_and_start_give_the_same_account_at_any_time() {
    let (a, b) = (demo(), demo());
    // Asked in a different order: the cache must not change anything.
    let _ = b.history(START + 40 * DAY);
    for now in [START, START + 5 * DAY + 1234] {
        assert_eq!(groups_json(&a, now), groups_json(&b, now));
        assert_eq!(a.inventory(now, None), b.inventory(now, None));
    }
    let night_a = &a.history(START)[100].nights[0];
    let night_b = &b.history(START)[100].nights[0];
    assert_eq!(a.summary(night_a), b.summary(night_b));
    let ecg = a
        .ecg(170_000_000 + ordinal(a.today(START)) * 2 - 6, START)
        .unwrap();
    assert_eq!(a.ecg_signal(&ecg), b.ecg_signal(&ecg));
    let other = DemoData::new(1, Timestamp::from_second(START).unwrap(), HISTORY_DAYS);
    assert_ne!(groups_json(&a, START), groups_json(&other, START));
}

#[test]
fn updated_since_counts_what_changed_and_deletions_are_listed() {
    let d = demo();
    let later = START + DAY;
    let changed = d.inventory(later, Some(START));
    // The next morning's weigh-ins (if not skipped) and the confirmed ambiguous one.
    assert!(changed.measure_groups >= 1, "{changed:?}");
    // Yesterday's (settled), today's, and the re-synced day 30 days before.
    assert!(changed.activity_days >= 3, "{changed:?}");
    // Tonight's night and the re-analysed one.
    assert!(changed.sleep_summaries >= 2, "{changed:?}");
    // The phone walk edited after the start.
    assert!(changed.workouts >= 1, "{changed:?}");
    assert_eq!(d.inventory(START, Some(START)), Inventory::default());
    let deleted = d.deleted_between(START, later);
    assert_eq!(deleted.len(), 1);
    assert!(!d.has_group(deleted[0], later) && d.has_group(deleted[0], START));
    assert!(d.deleted_between(later, later).is_empty());
}

#[test]
fn a_shorter_history_starts_later() {
    let d = DemoData::new(0, Timestamp::from_second(START).unwrap(), 365);
    assert_eq!(d.history(START).len(), 365);
    assert_eq!(d.inventory(START, None).activity_days, 365);
    // Nothing before the start of the history, whatever the window.
    assert!(
        d.days(
            Date::constant(2000, 1, 1),
            Date::constant(2023, 6, 4),
            START
        )
        .is_empty()
    );
}
