//! How one day of the demo account is made: every record of a day from streams keyed by the
//! seed, the kind of record and the day, and the odd records at fixed distances from the
//! start's day.

use std::cmp::Reverse;
use std::sync::OnceLock;

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;

use super::{
    ActivityDay, BODY_SCAN, BODY_SCAN_SINCE, BPM, Day, DemoData, EcgRec, Group, INTRADAY_SLOT,
    Meas, Night, SCALE, Segment, SleepSample, Sleeper, Source, State, WATCH, WorkoutRec, add_days,
    in_demo_window, local, local_date, ordinal,
};
use crate::json::{J, Obj, round};
use crate::rng::Rng;

const TAG_WEIGH: u64 = 1;
const TAG_BP: u64 = 2;
const TAG_ACTIVITY: u64 = 3;
const TAG_WORKOUT: u64 = 4;
const TAG_NIGHT: u64 = 5;
const TAG_SLEEP_SAMPLE: u64 = 6;
const TAG_INTRADAY: u64 = 7;
const TAG_ECG: u64 = 8;
const TAG_SIGNAL: u64 = 9;
// The living account's records and events, each from its own streams so the values above
// stay what they were before it came alive.
const TAG_NAP: u64 = 10;
const TAG_PROFILE: u64 = 11;
const TAG_BODY_SCAN: u64 = 12;
const TAG_AMBIGUOUS: u64 = 13;
const TAG_EXTERNAL: u64 = 14;
const TAG_EXTRA_ECG: u64 = 15;
const TAG_EDIT_ACTIVITY: u64 = 16;
const TAG_EDIT_WORKOUT: u64 = 17;
const TAG_EDIT_NIGHT: u64 = 18;

const HOUR: i64 = 3600;

/// The user's weight (kg) around day `x`, before the day's noise.
fn weight_curve(x: f64) -> f64 {
    78.0 + 1.4 * (x / 23.0).sin() + 0.5 * (x / 6.1).sin()
}

/// The user's fat ratio (%) around day `x`, before the day's noise.
fn ratio_curve(x: f64) -> f64 {
    22.0 + 0.9 * (x / 31.0 + 1.0).sin()
}

/// A measure as a Withings device sends it.
fn m(value: i64, kind: i64, unit: i64) -> Meas {
    Meas {
        value,
        kind,
        unit,
        algo: 3,
        fm: 3,
        position: None,
    }
}

/// A measure typed in by hand.
fn manual(value: i64, kind: i64, unit: i64) -> Meas {
    Meas {
        value,
        kind,
        unit,
        algo: 0,
        fm: 128,
        position: None,
    }
}

/// The body-composition measures of a Body+ weigh-in, from the weight (g) and the fat ratio
/// (‰ of a percent: 22_400 is 22.4 %).
fn composition(grams: i64, ratio_milli: i64) -> Vec<Meas> {
    let fat = grams * ratio_milli / 100_000;
    let fat_free = grams - fat;
    vec![
        m(grams, 1, -3),
        m(fat, 8, -3),
        m(fat_free, 5, -3),
        m((fat_free as f64 * 0.0943).round() as i64, 76, -2),
        m((fat_free as f64 * 0.0728).round() as i64, 77, -2),
        m((fat_free as f64 * 0.0051).round() as i64, 88, -2),
        m(ratio_milli, 6, -3),
    ]
}

/// A group that is never edited nor deleted, `modified` at `created`.
#[allow(clippy::too_many_arguments)]
fn group(
    grpid: i64,
    attrib: i64,
    date: i64,
    created: i64,
    category: i64,
    device: Option<super::DeviceInfo>,
    measures: Vec<Meas>,
) -> Group {
    Group {
        grpid,
        attrib,
        date,
        created,
        modified: created,
        category,
        device,
        measures,
        edit: None,
        deleted: None,
        twin: false,
    }
}

/// The segments of the body a Body Scan measures (API notes §7.3: right arm, left arm, left
/// leg, right leg, torso) and their shares of the fat-free and of the fat mass.
const SEGMENTS: [(i64, f64, f64); 5] = [
    (2, 0.055, 0.06),
    (3, 0.054, 0.06),
    (10, 0.186, 0.17),
    (11, 0.185, 0.17),
    (12, 0.52, 0.54),
];

impl DemoData {
    /// Every record of one local day.
    pub(super) fn build_day(&self, date: Date) -> Option<Day> {
        let back = self.origin_ordinal - ordinal(date);
        let midnight = local(&self.tz, date, 0, 0)?;
        let next_midnight = local(&self.tz, add_days(date, 1)?, 0, 0)?;
        let mut groups = Vec::new();
        self.weigh_ins(back, date, &mut groups);
        self.profile_picked(back, date, &mut groups);
        self.ambiguous(back, date, &mut groups);
        self.body_scan(back, date, &mut groups);
        // Newest first; the stable sort keeps the attrib-0 copy of the duplicated group
        // before its attrib-8 twin, and a Body Scan weigh-in's groups in their order.
        groups.sort_by_key(|g| Reverse(g.date));
        let mut workouts = Vec::new();
        self.workouts(back, date, &mut workouts);
        let mut nights: Vec<Night> = self.night(back, date).into_iter().collect();
        nights.extend(self.nap(back, date));
        let mut ecgs = Vec::new();
        self.ecgs(back, date, &mut ecgs);
        Some(Day {
            date,
            back,
            midnight,
            next_midnight,
            groups,
            activity: self.activity(back, date, 1.0),
            workouts,
            nights,
            ecgs,
        })
    }

    /// A periodic late edit of a record of `day` (from the stream `tag`, `key`): with
    /// probability `p`, between `min` and `max` days later at about `hour` o'clock; none when
    /// it would fall in the quiet demo window.
    #[allow(clippy::too_many_arguments)]
    fn late_edit(
        &self,
        tag: u64,
        key: i64,
        day: Date,
        p: f64,
        min: i64,
        max: i64,
        hour: i8,
    ) -> Option<i64> {
        let mut r = Rng::stream(self.seed, tag, key);
        if !r.chance(p) {
            return None;
        }
        let at = local(&self.tz, add_days(day, r.range(min, max))?, hour, 0)? + r.range(0, 7200);
        (!self.quiet(at)).then_some(at)
    }

    /// The morning Body+ weigh-in, the weekly blood pressure, and the odd groups of the demo
    /// window.
    fn weigh_ins(&self, back: i64, day: Date, groups: &mut Vec<Group>) -> Option<()> {
        let tz = &self.tz;
        let ord = ordinal(day);
        let mut r = Rng::stream(self.seed, TAG_WEIGH, ord);
        let skip = r.chance(0.12);
        let at = local(tz, day, 7, 5)? + r.range(0, 2400);
        let created = at + r.range(15, 240);
        let x = ord as f64;
        let weight = weight_curve(x) + r.noise(0.25);
        let ratio = ratio_curve(x) + r.noise(0.3);
        let grams = (weight * 1000.0).round() as i64;
        let ratio_milli = (ratio * 1000.0).round() as i64;
        let base_id = self.ids + 5_000_000_000 + ord * 8;

        if day == self.start_day {
            // Height typed in at account creation: a manual group, no device (§5.1, §12.10).
            let at = local(tz, day, 9, 12)?;
            groups.push(group(
                base_id + 3,
                4,
                at,
                at + 4,
                1,
                None,
                vec![manual(178, 4, -2)],
            ));
        }
        if back == 60 {
            // A weight objective: category 2.
            let at = local(tz, day, 21, 30)?;
            groups.push(group(
                base_id + 4,
                2,
                at,
                at + 2,
                2,
                None,
                vec![manual(75000, 1, -3)],
            ));
        }
        if back == 40 {
            // A weight typed in by hand in the evening, edited an hour later.
            let at = local(tz, day, 20, 15)?;
            let mut typed = group(
                base_id + 2,
                2,
                at,
                at + 6,
                1,
                None,
                vec![manual(grams + 400, 1, -3)],
            );
            typed.edit = Some((at + HOUR, 2));
            groups.push(typed);
        }
        if back.rem_euclid(7) == 3 {
            let bp = bp_reading(self.seed, tz, day)?;
            groups.push(group(
                base_id + 1,
                0,
                bp.at,
                bp.created,
                1,
                Some(BPM),
                vec![
                    m(bp.diastole, 9, 0),
                    m(bp.systole, 10, 0),
                    m(bp.pulse, 11, 0),
                ],
            ));
        }
        let duplicated = back == 10;
        if skip && !duplicated {
            return Some(());
        }
        let weigh_in = group(
            base_id,
            0,
            at,
            created,
            1,
            Some(SCALE),
            composition(grams, ratio_milli),
        );
        if duplicated {
            // The same group twice in one response, attrib 0 then 8 (API notes §12.14).
            let mut twin = weigh_in.clone();
            twin.attrib = 8;
            twin.twin = true;
            groups.push(weigh_in);
            groups.push(twin);
        } else {
            groups.push(weigh_in);
        }
        Some(())
    }

    /// Nine days before the start, an evening weigh-in on the Body+ where the user picked
    /// their profile on the scale: attrib 3, the user's own (API notes §15).
    fn profile_picked(&self, back: i64, day: Date, groups: &mut Vec<Group>) -> Option<()> {
        if back != 9 {
            return Some(());
        }
        let ord = ordinal(day);
        let mut r = Rng::stream(self.seed, TAG_PROFILE, ord);
        let at = local(&self.tz, day, 21, 5)? + r.range(0, 1200);
        let created = at + r.range(15, 120);
        let x = ord as f64;
        let grams = ((weight_curve(x) + 0.7 + r.noise(0.2)) * 1000.0).round() as i64;
        let ratio_milli = ((ratio_curve(x) + r.noise(0.3)) * 1000.0).round() as i64;
        groups.push(group(
            self.ids + 5_000_000_000 + ord * 8 + 5,
            3,
            at,
            created,
            1,
            Some(SCALE),
            composition(grams, ratio_milli),
        ));
        Some(())
    }

    /// An evening weigh-in the Body+ could not attribute (attrib 1): either a guest's, which
    /// the user deletes a few days later, or the user's own, which they confirm (attrib 7).
    /// Eleven days before the start a guest's, deleted 12 hours after the start; twelve days
    /// before it the user's, confirmed 2 hours after the start; outside the demo window on
    /// about one day in 33.
    fn ambiguous(&self, back: i64, day: Date, groups: &mut Vec<Group>) -> Option<()> {
        let ord = ordinal(day);
        let mut r = Rng::stream(self.seed, TAG_AMBIGUOUS, ord);
        let periodic = r.chance(0.03) && !in_demo_window(back);
        let guest = r.chance(0.5);
        let (guest, fate) = match back {
            11 => (true, Some(self.origin + 12 * HOUR)),
            12 => (false, Some(self.origin + 2 * HOUR)),
            _ if periodic => (guest, None),
            _ => return Some(()),
        };
        let at = local(&self.tz, day, 20, 30)? + r.range(0, 5400);
        let created = at + r.range(15, 120);
        let fate = match fate {
            Some(at) => Some(at),
            None => {
                let later = add_days(day, r.range(1, 4))?;
                let at = local(&self.tz, later, 8, 0)? + r.range(0, 3600);
                (!self.quiet(at)).then_some(at)
            }
        };
        let x = ord as f64;
        let (weight, ratio) = if guest {
            (61.5 + r.noise(1.0), 27.0 + r.noise(0.5))
        } else {
            (
                weight_curve(x) + 0.9 + r.noise(0.2),
                ratio_curve(x) + r.noise(0.3),
            )
        };
        let mut g = group(
            self.ids + 5_000_000_000 + ord * 8 + if guest { 6 } else { 7 },
            1,
            at,
            created,
            1,
            Some(SCALE),
            composition(
                (weight * 1000.0).round() as i64,
                (ratio * 1000.0).round() as i64,
            ),
        );
        if guest {
            g.deleted = fate;
        } else {
            g.edit = fate.map(|at| (at, 7));
        }
        groups.push(g);
        Some(())
    }

    /// A Body Scan weigh-in on Sunday evenings since the scale was bought: four groups at the
    /// same `date` from the same device, as Withings splits them (API notes §15): weight and
    /// composition; heart rate, pulse-wave velocity and vascular age; the nerve health score
    /// and electrochemical skin conductance; the segmental masses, one measure per body
    /// position.
    fn body_scan(&self, back: i64, day: Date, groups: &mut Vec<Group>) -> Option<()> {
        if back > BODY_SCAN_SINCE || day.weekday() != Weekday::Sunday {
            return Some(());
        }
        let ord = ordinal(day);
        let mut r = Rng::stream(self.seed, TAG_BODY_SCAN, ord);
        let at = local(&self.tz, day, 18, 40)? + r.range(0, 2400);
        let created = at + r.range(20, 90);
        let x = ord as f64;
        let grams = ((weight_curve(x) + 0.5 + r.noise(0.2)) * 1000.0).round() as i64;
        let ratio_milli = ((ratio_curve(x) + r.noise(0.3)) * 1000.0).round() as i64;
        let fat = grams * ratio_milli / 100_000;
        let fat_free = grams - fat;
        let hydration = (fat_free as f64 * 0.0728).round() as i64;
        let extracellular = (hydration as f64 * 0.41).round() as i64;
        let mut body = composition(grams, ratio_milli);
        body.extend([
            m(extracellular, 168, -2),
            m(hydration - extracellular, 169, -2),
            m(r.range(62, 84), 170, -1),
            // Katch–McArdle, kcal a day.
            m(370 + fat_free * 216 / 10_000, 226, 0),
            m(r.range(35, 42), 227, 0),
        ]);
        let cardio = vec![
            m(r.range(58, 72), 11, 0),
            m(r.range(6600, 8200), 91, -3),
            m(r.range(38, 45), 155, 0),
        ];
        let nerve = vec![m(r.range(62, 88), 196, 0), m(r.range(58, 80), 229, 0)];
        let mut segmental = Vec::new();
        for (kind, share) in [(173, 0usize), (174, 1), (175, 2)] {
            for &(position, lean, fatty) in &SEGMENTS {
                let kg = match share {
                    0 => fat_free as f64 * lean,
                    1 => fat as f64 * fatty,
                    _ => fat_free as f64 * lean * 0.943,
                } / 1000.0;
                segmental.push(Meas {
                    position: Some(position),
                    ..m((kg * 100.0).round() as i64, kind, -2)
                });
            }
        }
        let base_id = self.ids + 5_100_000_000 + ord * 4;
        for (i, measures) in [body, cardio, nerve, segmental].into_iter().enumerate() {
            groups.push(group(
                base_id + i as i64,
                0,
                at,
                created,
                1,
                Some(BODY_SCAN),
                measures,
            ));
        }
        Some(())
    }

    /// The day's activity as it is when `fraction` of the day has passed.
    pub(super) fn activity(&self, back: i64, day: Date, fraction: f64) -> Option<ActivityDay> {
        let ord = ordinal(day);
        let mut r = Rng::stream(self.seed, TAG_ACTIVITY, ord);
        let weekend = day.weekday().to_monday_zero_offset() >= 5;
        let base = if weekend { 10500.0 } else { 8200.0 };
        let steps = ((base + r.noise(2500.0)).max(1200.0) * fraction).round() as i64;
        let stride = r.float(0.72, 0.78);
        let distance = round(steps as f64 * stride, 3);
        let elevation = round(r.float(0.0, 18.0) * fraction, 2);
        let soft = ((steps as f64 * 0.38) + r.float(0.0, 600.0) * fraction).round() as i64;
        let moderate = ((steps as f64 * 0.09) + r.float(0.0, 300.0) * fraction).round() as i64;
        let intense = (r.float(0.0, 900.0) * fraction).round() as i64;
        let calories = round(
            steps as f64 * 0.041 + intense as f64 * 0.12 + r.float(0.0, 40.0) * fraction,
            3,
        );
        let totalcalories = round(calories + (1650.0 + r.float(0.0, 60.0)) * fraction, 3);
        // The watch left at home: the phone's steps through Google Fit.
        let phone_only =
            !in_demo_window(back) && Rng::stream(self.seed, TAG_EXTERNAL, ord).chance(0.02);
        let source = if back == 20 || phone_only {
            Source::External
        } else {
            Source::Watch
        };
        // No heart-rate sensor that day: the fields are 0, not absent (API notes §12.15).
        let no_hr = source == Source::External || back == 45;
        let (hr_average, hr_min, hr_max) = (r.range(64, 76), r.range(46, 55), r.range(118, 165));
        let worn = (80000.0 * fraction) as i64;
        let zone1 = (moderate as f64 * 1.4) as i64;
        let zone2 = intense;
        let zone3 = intense / 5;
        let zone0 = (worn - zone1 - zone2 - zone3).max(0);
        let hr = |v: i64| if no_hr { 0 } else { v };
        let final_at = local(&self.tz, add_days(day, 1)?, 0, 0)? + r.range(600, 5400);
        let lag = r.range(60, 900);
        // A late sync 30 days before the start is re-sent on the start's day; other days now
        // and then.
        let resync = if back == 30 {
            Some(self.origin + 6 * HOUR)
        } else {
            self.late_edit(TAG_EDIT_ACTIVITY, ord, day, 0.15, 2, 20, 10)
        };
        Some(ActivityDay {
            date: day,
            final_at,
            lag,
            resync,
            source,
            fields: vec![
                ("steps", steps.into()),
                ("distance", distance.into()),
                ("elevation", elevation.into()),
                ("soft", soft.into()),
                ("moderate", moderate.into()),
                ("intense", intense.into()),
                ("active", (moderate + intense).into()),
                ("calories", calories.into()),
                ("totalcalories", totalcalories.into()),
                ("hr_average", hr(hr_average).into()),
                ("hr_min", hr(hr_min).into()),
                ("hr_max", hr(hr_max).into()),
                ("hr_zone_0", hr(zone0).into()),
                ("hr_zone_1", hr(zone1).into()),
                ("hr_zone_2", hr(zone2).into()),
                ("hr_zone_3", hr(zone3).into()),
            ],
        })
    }

    /// An afternoon nap on the sofa, recorded by the watch, on a day that also has its main
    /// night: 16 days before the start, and on about one day in 20 outside the demo window.
    fn nap(&self, back: i64, day: Date) -> Option<Night> {
        let ord = ordinal(day);
        let mut r = Rng::stream(self.seed, TAG_NAP, ord);
        let periodic = r.chance(0.05) && !in_demo_window(back);
        if back != 16 && !periodic {
            return None;
        }
        let start = local(&self.tz, day, 14, 0)? + r.range(0, 90) * 60;
        let mut segments = Vec::new();
        let mut t = start;
        for (state, lo, hi) in [
            (State::Awake, 3, 8),
            (State::Light, 8, 15),
            (State::Deep, 5, 15),
            (State::Light, 5, 12),
            (State::Awake, 2, 5),
        ] {
            let end = t + r.range(lo, hi) * 60;
            segments.push(Segment {
                start: t,
                end,
                state,
            });
            t = end;
        }
        let mut order: Vec<usize> = (0..segments.len()).collect();
        r.shuffle(&mut order);
        if order.iter().enumerate().all(|(i, &j)| i == j) {
            // Unsorted like every other `sleep get` answer (API notes §5.5).
            order.swap(0, 1);
        }
        let created = t + r.range(5, 30) * 60;
        let hr_base = r.range(52, 60);
        Some(Night {
            id: self.ids + 2_600_000_000 + ord,
            start,
            end: t,
            date: day,
            created,
            reanalyzed: None,
            hr_base,
            sleeper: Sleeper::Watch,
            segments,
            order,
            rng: r,
            summary: OnceLock::new(),
        })
    }

    fn workouts(&self, back: i64, day: Date, out: &mut Vec<WorkoutRec>) -> Option<()> {
        let ord = ordinal(day);
        let mut r = Rng::stream(self.seed, TAG_WORKOUT, ord);
        if back == 25 {
            // A walk recorded by a phone: no device, most data fields null (API notes §5.4).
            let start = local(&self.tz, day, 12, 10)? + r.range(0, 1200);
            let end = start + 1800 + r.range(0, 900);
            let null = || J::Null;
            out.push(WorkoutRec {
                id: self.ids + 3_900_000_000 + ord * 4 + 2,
                category: 1,
                model: 1055,
                startdate: start,
                enddate: end,
                date: day,
                modified: end + r.range(300, 3600),
                // The user corrects it in the app on the start's day: an old record whose
                // `modified` moves after an advance.
                edited: Some(self.origin + 10 * HOUR),
                deviceid: None,
                data: vec![
                    ("calories", 142.3.into()),
                    ("intensity", 0.into()),
                    ("manual_distance", 0.into()),
                    ("manual_calories", 0.into()),
                    ("hr_average", null()),
                    ("hr_min", null()),
                    ("hr_max", null()),
                    ("hr_zone_0", null()),
                    ("hr_zone_1", null()),
                    ("hr_zone_2", null()),
                    ("hr_zone_3", null()),
                    ("pause_duration", null()),
                    ("algo_pause_duration", null()),
                    ("spo2_average", null()),
                    ("steps", 3900.into()),
                    ("distance", 2910.4.into()),
                    ("elevation", null()),
                    ("pool_laps", null()),
                    ("strokes", null()),
                    ("pool_length", null()),
                ],
            });
        }
        if ord % 3 != 1 {
            return Some(());
        }
        let weekend = day.weekday().to_monday_zero_offset() >= 5;
        let start = if weekend {
            local(&self.tz, day, 10, 0)? + r.range(0, 7200)
        } else {
            local(&self.tz, day, 18, 0)? + r.range(0, 5400)
        };
        // (category, min s, max s, kcal/min, mean HR)
        const KINDS: [(i64, i64, i64, f64, i64); 6] = [
            (2, 1800, 3600, 11.0, 150),
            (1, 1800, 4200, 4.5, 100),
            (6, 2700, 5400, 8.0, 135),
            (7, 1800, 3000, 9.0, 130),
            (28, 2400, 3600, 3.0, 85),
            (16, 2400, 4200, 5.0, 115),
        ];
        let (category, lo, hi, kcal, mean_hr) = KINDS
            .get(r.range(0, 5) as usize)
            .copied()
            .unwrap_or(KINDS[0]);
        let duration = r.range(lo, hi) / 60 * 60;
        let end = start + duration;
        let calories = round(duration as f64 / 60.0 * kcal * r.float(0.9, 1.1), 2);
        let hr_average = mean_hr + r.range(-8, 8);
        let zone3 = if category == 2 { duration / 6 } else { 0 };
        let zone2 = duration * 2 / 5;
        let zone1 = duration / 4;
        let zone0 = duration - zone1 - zone2 - zone3;
        let (steps, distance, elevation, laps, strokes, pool) = match category {
            2 => (
                duration * 27 / 10,
                round(duration as f64 * r.float(2.7, 3.1), 1),
                r.range(5, 60),
                0,
                0,
                0,
            ),
            1 => (
                duration * 18 / 10,
                round(duration as f64 * r.float(1.2, 1.45), 1),
                r.range(0, 30),
                0,
                0,
                0,
            ),
            6 => (
                0,
                round(duration as f64 * r.float(5.5, 7.0), 1),
                r.range(20, 300),
                0,
                0,
                0,
            ),
            7 => {
                let laps = duration / 60;
                (0, (laps * 25) as f64, 0, laps, laps * 18, 25)
            }
            _ => (0, 0.0, 0, 0, 0, 0),
        };
        out.push(WorkoutRec {
            id: self.ids + 3_900_000_000 + ord * 4,
            category,
            model: WATCH.model_id,
            startdate: start,
            enddate: end,
            date: day,
            modified: end + r.range(60, 900),
            edited: self.late_edit(TAG_EDIT_WORKOUT, ord, day, 0.15, 1, 15, 20),
            deviceid: Some(WATCH.id),
            data: vec![
                ("calories", calories.into()),
                ("intensity", 0.into()),
                ("manual_distance", 0.into()),
                ("manual_calories", 0.into()),
                ("hr_average", hr_average.into()),
                ("hr_min", (hr_average - r.range(30, 45)).into()),
                ("hr_max", (hr_average + r.range(15, 30)).into()),
                ("hr_zone_0", zone0.into()),
                ("hr_zone_1", zone1.into()),
                ("hr_zone_2", zone2.into()),
                ("hr_zone_3", zone3.into()),
                (
                    "pause_duration",
                    (if category == 6 { r.range(0, 300) } else { 0 }).into(),
                ),
                // Usually null even on Withings devices (API notes §6).
                ("algo_pause_duration", J::Null),
                ("spo2_average", J::Null),
                ("steps", steps.into()),
                ("distance", distance.into()),
                ("elevation", elevation.into()),
                ("pool_laps", laps.into()),
                ("strokes", strokes.into()),
                ("pool_length", pool.into()),
            ],
        });
        Some(())
    }

    /// The night that ends on the morning of `day`, recorded by the sleep monitor.
    fn night(&self, back: i64, day: Date) -> Option<Night> {
        let ord = ordinal(day);
        let mut r = Rng::stream(self.seed, TAG_NIGHT, ord);
        let bed = local(&self.tz, add_days(day, -1)?, 22, 40)? + r.range(0, 70) * 60;
        let wake = local(&self.tz, day, 6, 20)? + r.range(0, 80) * 60;
        let mut segments: Vec<Segment> = Vec::new();
        let mut t = bed;
        let mut push = |state: State, secs: i64, t: &mut i64| {
            let end = (*t + secs).min(wake);
            if end <= *t {
                return;
            }
            match segments.last_mut() {
                Some(last) if last.state == state => last.end = end,
                _ => segments.push(Segment {
                    start: *t,
                    end,
                    state,
                }),
            }
            *t = end;
        };
        push(State::Awake, r.range(5, 25) * 60, &mut t);
        let mut cycle = 0;
        while t < wake {
            let early = cycle < 2;
            push(State::Light, r.range(15, 35) * 60, &mut t);
            push(
                State::Deep,
                if early {
                    r.range(20, 40)
                } else {
                    r.range(5, 20)
                } * 60,
                &mut t,
            );
            push(State::Light, r.range(8, 20) * 60, &mut t);
            push(
                State::Rem,
                if early {
                    r.range(8, 18)
                } else {
                    r.range(15, 35)
                } * 60,
                &mut t,
            );
            if r.chance(0.3) {
                push(State::Awake, r.range(2, 10) * 60, &mut t);
            }
            cycle += 1;
        }
        let wake_latency = r.range(4, 15) * 60;
        match segments.last_mut() {
            Some(last) if last.state == State::Awake => last.end += wake_latency,
            _ => segments.push(Segment {
                start: t,
                end: t + wake_latency,
                state: State::Awake,
            }),
        }
        let end = segments.last().map_or(t, |s| s.end);
        let mut order: Vec<usize> = (0..segments.len()).collect();
        r.shuffle(&mut order);
        let created = end + r.range(10, 40) * 60;
        let hr_base = r.range(50, 58);
        // A night re-analysed on the start's day, and now and then another one later.
        let reanalyzed = if back == 20 {
            Some(self.origin + 8 * HOUR)
        } else {
            self.late_edit(TAG_EDIT_NIGHT, ord, day, 0.1, 1, 10, 12)
        };
        Some(Night {
            id: self.ids + 2_500_000_000 + ord,
            start: bed,
            end,
            date: day,
            created,
            reanalyzed,
            hr_base,
            sleeper: Sleeper::Monitor,
            segments,
            order,
            rng: r,
            summary: OnceLock::new(),
        })
    }

    /// The values the sleep monitor recorded in the minute starting at `at`.
    pub(crate) fn sleep_sample(&self, night: &Night, state: State, at: i64) -> SleepSample {
        let mut r = Rng::stream(self.seed, TAG_SLEEP_SAMPLE, at);
        let (dhr, drr) = match state {
            State::Awake => (8, 2),
            State::Light => (2, 0),
            State::Deep => (-3, -1),
            State::Rem => (5, 1),
        };
        let rr = 13 + drr + r.range(-1, 1);
        let asleep = matches!(state, State::Light | State::Deep);
        SleepSample {
            hr: night.hr_base + dhr + r.range(-2, 2),
            rr,
            snoring: if asleep && r.chance(0.05) {
                r.range(5, 60)
            } else {
                0
            },
            sdnn_1: r.range(35, 75),
            rmssd: if state == State::Deep {
                r.range(45, 70)
            } else {
                r.range(25, 55)
            },
            hrv_quality: r.range(1, 4),
            mvt_score: if state == State::Awake {
                r.range(40, 200)
            } else {
                r.range(0, 30)
            },
            chest_movement_rate: rr + r.range(-1, 1),
        }
    }

    pub(super) fn summarize(&self, night: &Night, r: &mut Rng) -> Vec<(&'static str, J)> {
        let dur = |s: &Segment| s.end - s.start;
        let total = |state| {
            night
                .segments
                .iter()
                .filter(|s| s.state == state)
                .map(dur)
                .sum::<i64>()
        };
        let (light, deep, rem, awake) = (
            total(State::Light),
            total(State::Deep),
            total(State::Rem),
            total(State::Awake),
        );
        let inbed = night.end - night.start;
        let asleep = light + deep + rem;
        let first = night
            .segments
            .first()
            .filter(|s| s.state == State::Awake)
            .map_or(0, dur);
        let last = night
            .segments
            .last()
            .filter(|s| s.state == State::Awake)
            .map_or(0, dur);
        let waso = awake - first - last;
        let inner = night.segments.len().saturating_sub(1);
        let wakeups: Vec<&Segment> = night
            .segments
            .iter()
            .enumerate()
            .filter(|&(i, s)| s.state == State::Awake && i > 0 && i < inner)
            .map(|(_, s)| s)
            .collect();
        let rem_episodes = night
            .segments
            .iter()
            .filter(|s| s.state == State::Rem)
            .count() as i64;
        let efficiency = if inbed > 0 {
            round(asleep as f64 / inbed as f64, 2)
        } else {
            0.0
        };

        let mut hr = Stats::default();
        let mut rr = Stats::default();
        let mut chest = Stats::default();
        let (mut snoring, mut episodes, mut snoring_before) = (0, 0, false);
        let (mut mvt_sum, mut mvt_n, mut mvt_active) = (0i64, 0i64, 0i64);
        let (mut rmssd_start, mut rmssd_end) = (Stats::default(), Stats::default());
        for seg in &night.segments {
            for at in (seg.start..seg.end).step_by(60) {
                let s = self.sleep_sample(night, seg.state, at);
                hr.add(s.hr);
                rr.add(s.rr);
                chest.add(s.chest_movement_rate);
                snoring += s.snoring;
                if s.snoring > 0 && !snoring_before {
                    episodes += 1;
                }
                snoring_before = s.snoring > 0;
                mvt_sum += s.mvt_score;
                mvt_n += 1;
                if s.mvt_score > 50 {
                    mvt_active += 60;
                }
                if at < night.start + 3600 {
                    rmssd_start.add(s.rmssd);
                }
                if at >= night.end - 3600 {
                    rmssd_end.add(s.rmssd);
                }
            }
        }
        let score = (40.0 + 50.0 * efficiency + (asleep as f64 / 3600.0 - 6.0) * 4.0)
            .round()
            .clamp(0.0, 100.0) as i64;
        let mut events = Obj::new()
            .put("1", vec![J::Int(0)])
            .put("2", vec![J::Int(first)])
            .put(
                "3",
                wakeups
                    .iter()
                    .map(|s| J::Int(s.start - night.start))
                    .chain(night.segments.last().map(|s| J::Int(s.start - night.start)))
                    .collect::<Vec<_>>(),
            );
        events.push("4", vec![J::Int(inbed)]);
        vec![
            ("total_timeinbed", inbed.into()),
            ("total_sleep_time", asleep.into()),
            ("lightsleepduration", light.into()),
            ("deepsleepduration", deep.into()),
            ("remsleepduration", rem.into()),
            ("sleep_efficiency", efficiency.into()),
            ("sleep_latency", first.into()),
            ("wakeup_latency", last.into()),
            ("wakeupduration", awake.into()),
            ("wakeupcount", (wakeups.len() as i64).into()),
            ("waso", waso.into()),
            ("nb_rem_episodes", rem_episodes.into()),
            ("breathing_disturbances_intensity", r.range(5, 25).into()),
            ("apnea_hypopnea_index", r.range(1, 9).into()),
            ("durationtosleep", first.into()),
            ("durationtowakeup", last.into()),
            ("out_of_bed_count", i64::from(r.chance(0.2)).into()),
            ("hr_average", hr.avg().into()),
            ("hr_min", hr.min.into()),
            ("hr_max", hr.max.into()),
            ("rr_average", rr.avg().into()),
            ("rr_min", rr.min.into()),
            ("rr_max", rr.max.into()),
            ("snoring", snoring.into()),
            ("snoringepisodecount", episodes.into()),
            ("sleep_score", score.into()),
            ("night_events", events.into()),
            (
                "mvt_score_avg",
                round(mvt_sum as f64 / mvt_n.max(1) as f64, 2).into(),
            ),
            ("mvt_active_duration", mvt_active.into()),
            ("rmssd_start_avg", round(rmssd_start.mean(), 1).into()),
            ("rmssd_end_avg", round(rmssd_end.mean(), 1).into()),
            ("chest_movement_rate_average", round(chest.mean(), 1).into()),
            ("chest_movement_rate_min", (chest.min as f64).into()),
            ("chest_movement_rate_max", (chest.max as f64).into()),
        ]
    }

    /// The ECGs of a day, newest first: the BPM Core's 3 days before the start, the watch's
    /// 17 days before it and about once a month outside the demo window.
    fn ecgs(&self, back: i64, day: Date, out: &mut Vec<EcgRec>) -> Option<()> {
        let ord = ordinal(day);
        if back == 3 {
            // The BPM Core records an ECG along with its blood-pressure reading.
            let bp = bp_reading(self.seed, &self.tz, day)?;
            out.push(EcgRec {
                signalid: self.ids + 170_000_000 + ord * 2,
                device: BPM,
                afib: 0,
                bloodpressure: Some((bp.diastole, bp.systole)),
                heart_rate: bp.pulse,
                timestamp: bp.at,
                modified: bp.created + 30,
                sampling_frequency: 500,
                seconds: 20,
                wearposition: 3,
            });
        }
        let extra =
            !in_demo_window(back) && Rng::stream(self.seed, TAG_EXTRA_ECG, ord).chance(1.0 / 30.0);
        if back == 17 || extra {
            let mut r = Rng::stream(self.seed, TAG_ECG, ord);
            let at = local(&self.tz, day, 21, 5)? + r.range(0, 1800);
            out.push(EcgRec {
                signalid: self.ids + 170_000_000 + ord * 2 + 1,
                device: WATCH,
                // Inconclusive 17 days before the start; the monthly ones are negative.
                afib: if back == 17 { 2 } else { 0 },
                bloodpressure: None,
                heart_rate: r.range(68, 76),
                timestamp: at,
                modified: at + r.range(20, 120),
                sampling_frequency: 300,
                seconds: 30,
                wearposition: 1,
            });
        }
        out.sort_by_key(|e| Reverse(e.timestamp));
        Some(())
    }

    /// A synthetic ECG in µV: P, QRS and T waves as Gaussians at the record's heart rate,
    /// baseline wander and a little noise.
    pub(crate) fn ecg_signal(&self, rec: &EcgRec) -> Vec<J> {
        let mut r = Rng::stream(self.seed, TAG_SIGNAL, rec.signalid);
        let fs = rec.sampling_frequency.max(1);
        let period = 60.0 / rec.heart_rate.max(30) as f64;
        const WAVES: [(f64, f64, f64); 5] = [
            (0.20, 0.025, 110.0),
            (0.33, 0.008, -90.0),
            (0.35, 0.010, 1150.0),
            (0.37, 0.010, -220.0),
            (0.60, 0.050, 260.0),
        ];
        (0..fs * rec.seconds)
            .map(|i| {
                let t = i as f64 / fs as f64;
                let phase = (t % period) / period;
                let beat: f64 = WAVES
                    .iter()
                    .map(|&(c, w, a)| a * (-((phase - c) / w).powi(2) / 2.0).exp())
                    .sum();
                let wander = 30.0 * (std::f64::consts::TAU * 0.3 * t).sin();
                J::Int((beat + wander + r.noise(6.0)).round() as i64)
            })
            .collect()
    }

    /// The intraday sample of the 10-minute slot starting at `at`: the fields, in the order
    /// Withings sends them; none when the watch recorded nothing.
    pub(crate) fn intraday_sample(&self, at: i64) -> Vec<(&'static str, J)> {
        let mut r = Rng::stream(self.seed, TAG_INTRADAY, at);
        let hour = local_date(&self.tz, at)
            .and_then(|d| local(&self.tz, d, 0, 0))
            .map_or(12, |midnight| (at - midnight) / 3600);
        let awake = (7..23).contains(&hour);
        let mut fields: Vec<(&'static str, J)> = Vec::new();
        if awake {
            let walking = r.chance(0.65);
            let steps = if walking { r.range(20, 1400) } else { 0 };
            if walking {
                fields.push(("steps", steps.into()));
                fields.push(("elevation", round(r.float(0.0, 1.5), 2).into()));
                fields.push(("calories", round(steps as f64 * 0.041, 3).into()));
                fields.push(("distance", round(steps as f64 * 0.74, 3).into()));
                fields.push(("stroke", 0.into()));
                fields.push(("pool_lap", 0.into()));
                fields.push(("duration", r.range(60, INTRADAY_SLOT).into()));
            } else {
                fields.push(("duration", INTRADAY_SLOT.into()));
            }
            fields.push((
                "heart_rate",
                (if walking {
                    r.range(78, 115)
                } else {
                    r.range(60, 80)
                })
                .into(),
            ));
        } else {
            fields.push(("duration", INTRADAY_SLOT.into()));
            fields.push(("heart_rate", r.range(48, 60).into()));
            fields.push(("spo2_auto", round(r.float(94.0, 99.0), 1).into()));
            fields.push(("rmssd", r.range(25, 70).into()));
            fields.push(("sdnn1", r.range(35, 80).into()));
            fields.push(("hrv_quality", r.range(1, 4).into()));
            fields.push(("rr", r.range(12, 16).into()));
            fields.push(("chest_movement_rate", r.range(12, 16).into()));
        }
        fields
    }
}

/// A blood-pressure reading of the BPM Core: a `getmeas` group and, once, an ECG.
pub(super) struct BpReading {
    at: i64,
    created: i64,
    systole: i64,
    diastole: i64,
    pulse: i64,
}

fn bp_reading(seed: u64, tz: &TimeZone, day: Date) -> Option<BpReading> {
    let mut r = Rng::stream(seed, TAG_BP, ordinal(day));
    let at = local(tz, day, 8, 5)? + r.range(0, 1500);
    Some(BpReading {
        at,
        created: at + r.range(20, 90),
        systole: 119 + r.noise(5.0).round() as i64,
        diastole: 77 + r.noise(3.5).round() as i64,
        pulse: 64 + r.noise(4.0).round() as i64,
    })
}
/// The workouts of a day: every third day one, and the phone's walk 25 days before the
/// start.

#[derive(Debug)]
struct Stats {
    sum: i64,
    n: i64,
    min: i64,
    max: i64,
}

impl Default for Stats {
    fn default() -> Self {
        Self {
            sum: 0,
            n: 0,
            min: i64::MAX,
            max: i64::MIN,
        }
    }
}

impl Stats {
    fn add(&mut self, v: i64) {
        self.sum += v;
        self.n += 1;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }
    fn mean(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.sum as f64 / self.n as f64
        }
    }
    fn avg(&self) -> i64 {
        self.mean().round() as i64
    }
}
