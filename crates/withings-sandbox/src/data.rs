//! The demo user's data, generated deterministically around one instant.
//!
//! Every value comes from a SplitMix64 stream keyed by the seed, the kind of record and the
//! calendar day (or the timestamp of a sample), so the same seed and instant give the same
//! bytes on every machine, and moving the instant by a day keeps the ordinary values of the
//! days already covered. The odd records below are placed a fixed number of days before the
//! instant, so that every 90-day window has them. Records that would lie after the instant (a
//! weigh-in later this morning, a night not yet synced) do not exist yet.
//!
//! Quirks reproduced on purpose (API notes §6, §12): a manual weigh-in with `deviceid`,
//! `model` and `modelid` null; one group sent twice with the same `grpid` (attrib 0 and 8);
//! a day of activity from an external source (brand 18, `deviceid` null) and one with the
//! heart-rate fields at 0; a workout from an external source with `null` data fields; sleep
//! segments out of order with timestamp-keyed maps; a device with `battery` "unknown",
//! `model` "" and null session dates.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

use crate::json::{J, Obj, round};
use crate::rng::Rng;

/// The user's time zone as Withings names it.
pub(crate) const TIME_ZONE_NAME: &str = "Europe/Paris";
/// The current rules of Europe/Paris as a POSIX TZ string: no tz database is needed, so the
/// data is the same on a machine without zoneinfo.
const TIME_ZONE_RULE: &str = "CET-1CEST,M3.5.0,M10.5.0/3";
/// Days of history, today included.
pub(crate) const DAYS: i64 = 90;
/// Length of an intraday sample slot.
pub(crate) const INTRADAY_SLOT: i64 = 600;

const TAG_WEIGH: u64 = 1;
const TAG_BP: u64 = 2;
const TAG_ACTIVITY: u64 = 3;
const TAG_WORKOUT: u64 = 4;
const TAG_NIGHT: u64 = 5;
const TAG_SLEEP_SAMPLE: u64 = 6;
const TAG_INTRADAY: u64 = 7;
const TAG_ECG: u64 = 8;
const TAG_SIGNAL: u64 = 9;

/// A device of the demo user. Ids are invented (obviously fake hex patterns).
#[derive(Debug, Clone, Copy)]
pub(crate) struct DeviceInfo {
    pub(crate) id: &'static str,
    pub(crate) kind: &'static str,
    pub(crate) model: &'static str,
    pub(crate) model_id: i64,
}

pub(crate) const SCALE: DeviceInfo = DeviceInfo {
    id: "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
    kind: "Scale",
    model: "Body+",
    model_id: 5,
};
pub(crate) const WATCH: DeviceInfo = DeviceInfo {
    id: "ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12",
    kind: "Activity Tracker",
    model: "ScanWatch",
    model_id: 93,
};
pub(crate) const BPM: DeviceInfo = DeviceInfo {
    id: "1234abcd5678ef901234abcd5678ef901234abcd",
    kind: "Blood Pressure Monitor",
    model: "BPM Core",
    model_id: 44,
};
/// The sleep monitor as its sleep records name it; `getdevice` lists it with `model` "" and
/// `model_id` 13, as a real account did (API notes §5.10).
pub(crate) const SLEEP_MONITOR: DeviceInfo = DeviceInfo {
    id: "f00dbabe0123456789abcdef0123456789abcdef",
    kind: "Sleep Monitor",
    model: "Aura Sensor V2",
    model_id: 63,
};

/// The time zone of the demo user.
pub(crate) fn time_zone() -> TimeZone {
    TimeZone::posix(TIME_ZONE_RULE).unwrap_or(TimeZone::UTC)
}

/// The local calendar date of a unix second.
pub(crate) fn local_date(tz: &TimeZone, secs: i64) -> Option<Date> {
    Some(tz.to_datetime(Timestamp::from_second(secs).ok()?).date())
}

fn add_days(date: Date, days: i64) -> Option<Date> {
    date.checked_add(Span::new().try_days(days).ok()?).ok()
}

/// Unix seconds of a local wall-clock time.
fn local(tz: &TimeZone, date: Date, hour: i8, minute: i8) -> Option<i64> {
    Some(
        tz.to_timestamp(date.at(hour, minute, 0, 0))
            .ok()?
            .as_second(),
    )
}

/// Days since 1970-01-01: the key of a day's random stream.
fn ordinal(date: Date) -> i64 {
    date.since(Date::constant(1970, 1, 1))
        .map_or(0, |s| i64::from(s.get_days()))
}

/// One value of a measure group.
#[derive(Debug, Clone)]
pub(crate) struct Meas {
    pub(crate) value: i64,
    pub(crate) kind: i64,
    pub(crate) unit: i64,
    pub(crate) algo: i64,
    pub(crate) fm: i64,
}

/// A `getmeas` measure group.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub(crate) grpid: i64,
    pub(crate) attrib: i64,
    pub(crate) date: i64,
    pub(crate) created: i64,
    pub(crate) modified: i64,
    pub(crate) category: i64,
    pub(crate) device: Option<DeviceInfo>,
    pub(crate) measures: Vec<Meas>,
}

impl Group {
    /// The group as Withings sends it, keeping only the measures of `types` (all when `None`);
    /// `None` when no measure is left.
    pub(crate) fn to_json(&self, types: Option<&[i64]>) -> Option<J> {
        let measures: Vec<J> = self
            .measures
            .iter()
            .filter(|m| types.is_none_or(|t| t.contains(&m.kind)))
            .map(|m| {
                Obj::new()
                    .put("value", m.value)
                    .put("type", m.kind)
                    .put("unit", m.unit)
                    .put("algo", m.algo)
                    .put("fm", m.fm)
                    .into()
            })
            .collect();
        if measures.is_empty() {
            return None;
        }
        Some(
            Obj::new()
                .put("grpid", self.grpid)
                .put("attrib", self.attrib)
                .put("date", self.date)
                .put("created", self.created)
                .put("modified", self.modified)
                .put("category", self.category)
                .put("deviceid", self.device.map(|d| d.id))
                .put("hash_deviceid", self.device.map(|d| d.id))
                .put("measures", measures)
                .put("modelid", self.device.map(|d| d.model_id))
                .put("model", self.device.map(|d| d.model))
                .put("comment", J::Null)
                .into(),
        )
    }
}

/// Where a day of activity came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// The watch (brand 1).
    Watch,
    /// A phone app synced through Google Fit (brand 18, no device id).
    External,
}

/// One `getactivity` day.
#[derive(Debug, Clone)]
pub(crate) struct ActivityDay {
    pub(crate) date: Date,
    pub(crate) modified: i64,
    pub(crate) source: Source,
    /// The data fields, in the order Withings sends them.
    pub(crate) fields: Vec<(&'static str, J)>,
}

impl ActivityDay {
    pub(crate) fn to_json(&self, fields: Option<&[String]>) -> J {
        let mut o = Obj::new();
        push_fields(&mut o, &self.fields, fields);
        let watch = self.source == Source::Watch;
        o.push("deviceid", watch.then_some(WATCH.id));
        o.push("hash_deviceid", watch.then_some(WATCH.id));
        o.push("timezone", TIME_ZONE_NAME);
        o.push("date", self.date.to_string());
        o.push("modified", self.modified);
        o.push("brand", if watch { 1 } else { 18 });
        o.push("modelid", if watch { WATCH.model_id } else { 1055 });
        o.push(
            "model",
            if watch {
                WATCH.model
            } else {
                "GoogleFit tracker"
            },
        );
        o.push("is_tracker", watch);
        o.into()
    }
}

/// One `getworkouts` record.
#[derive(Debug, Clone)]
pub(crate) struct WorkoutRec {
    pub(crate) id: i64,
    pub(crate) category: i64,
    pub(crate) model: i64,
    pub(crate) startdate: i64,
    pub(crate) enddate: i64,
    pub(crate) date: Date,
    pub(crate) modified: i64,
    pub(crate) deviceid: Option<&'static str>,
    pub(crate) data: Vec<(&'static str, J)>,
}

impl WorkoutRec {
    pub(crate) fn to_json(&self, fields: Option<&[String]>) -> J {
        let mut data = Obj::new();
        push_fields(&mut data, &self.data, fields);
        Obj::new()
            .put("id", self.id)
            .put("category", self.category)
            .put("timezone", TIME_ZONE_NAME)
            .put("model", self.model)
            .put("attrib", 7)
            .put("startdate", self.startdate)
            .put("enddate", self.enddate)
            .put("date", self.date.to_string())
            .put("deviceid", self.deviceid)
            .put("data", data)
            .put("modified", self.modified)
            .into()
    }
}

/// Sleep states (API notes §7.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Awake = 0,
    Light = 1,
    Deep = 2,
    Rem = 3,
}

/// A segment of a night in one state.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Segment {
    pub(crate) start: i64,
    pub(crate) end: i64,
    pub(crate) state: State,
}

/// One night: segments for `sleep get`, a summary for `getsummary`.
#[derive(Debug, Clone)]
pub(crate) struct Night {
    pub(crate) id: i64,
    pub(crate) start: i64,
    pub(crate) end: i64,
    pub(crate) date: Date,
    pub(crate) created: i64,
    pub(crate) modified: i64,
    pub(crate) hr_base: i64,
    /// Chronological.
    pub(crate) segments: Vec<Segment>,
    /// The order `sleep get` sends the segments in: not sorted, as the real API (§5.5).
    pub(crate) order: Vec<usize>,
    /// The summary data fields, in the order Withings sends them.
    pub(crate) summary: Vec<(&'static str, J)>,
}

/// The per-minute values a sleep monitor records.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SleepSample {
    pub(crate) hr: i64,
    pub(crate) rr: i64,
    pub(crate) snoring: i64,
    pub(crate) sdnn_1: i64,
    pub(crate) rmssd: i64,
    pub(crate) hrv_quality: i64,
    pub(crate) mvt_score: i64,
    pub(crate) chest_movement_rate: i64,
}

impl SleepSample {
    /// The value of a `sleep get` data field, when this device records it.
    pub(crate) fn field(&self, name: &str) -> Option<i64> {
        Some(match name {
            "hr" => self.hr,
            "rr" => self.rr,
            "snoring" => self.snoring,
            "sdnn_1" => self.sdnn_1,
            "rmssd" => self.rmssd,
            "hrv_quality" => self.hrv_quality,
            "mvt_score" => self.mvt_score,
            "chest_movement_rate" => self.chest_movement_rate,
            _ => return None,
        })
    }
}

/// The `sleep get` data fields the demo sleep monitor records (not `withings_index` nor
/// `breathing_sounds`: those are for other devices and regions).
pub(crate) const SLEEP_FIELDS: &[&str] = &[
    "hr",
    "rr",
    "snoring",
    "sdnn_1",
    "rmssd",
    "hrv_quality",
    "mvt_score",
    "chest_movement_rate",
];

/// The summary fields sent when `data_fields` is omitted (API notes §5.6).
pub(crate) const SLEEP_SUMMARY_DEFAULT: &[&str] = &[
    "wakeupduration",
    "wakeupcount",
    "durationtosleep",
    "remsleepduration",
    "durationtowakeup",
    "total_timeinbed",
    "total_sleep_time",
    "sleep_efficiency",
    "sleep_latency",
    "wakeup_latency",
    "waso",
    "nb_rem_episodes",
    "out_of_bed_count",
    "lightsleepduration",
    "deepsleepduration",
];

/// The intraday fields sent when `data_fields` is omitted.
pub(crate) const INTRADAY_DEFAULT: &[&str] = &[
    "steps",
    "elevation",
    "calories",
    "distance",
    "stroke",
    "pool_lap",
    "duration",
    "heart_rate",
];

/// One ECG recording (`heart list`), with what `heart get` needs to draw its signal.
#[derive(Debug, Clone)]
pub(crate) struct EcgRec {
    pub(crate) signalid: i64,
    pub(crate) device: DeviceInfo,
    pub(crate) afib: i64,
    pub(crate) bloodpressure: Option<(i64, i64)>,
    pub(crate) heart_rate: i64,
    pub(crate) timestamp: i64,
    pub(crate) modified: i64,
    pub(crate) sampling_frequency: i64,
    pub(crate) seconds: i64,
    pub(crate) wearposition: i64,
}

impl EcgRec {
    pub(crate) fn to_json(&self) -> J {
        let mut o = Obj::new()
            .put("deviceid", self.device.id)
            .put("model", self.device.model_id)
            .put(
                "ecg",
                Obj::new()
                    .put("signalid", self.signalid)
                    .put("afib", self.afib),
            );
        if let Some((diastole, systole)) = self.bloodpressure {
            o.push(
                "bloodpressure",
                Obj::new().put("diastole", diastole).put("systole", systole),
            );
        }
        o.put("heart_rate", self.heart_rate)
            .put("timestamp", self.timestamp)
            .put("modified", self.modified)
            .into()
    }
}

/// Everything the demo user has, generated once when the sandbox is built.
#[derive(Debug)]
pub(crate) struct DemoData {
    pub(crate) seed: u64,
    /// The instant the data was generated around: nothing lies after it.
    pub(crate) anchor: i64,
    pub(crate) tz: TimeZone,
    /// Local midnight of the oldest day.
    pub(crate) first: i64,
    /// Newest first, as `getmeas` sends them.
    pub(crate) groups: Vec<Group>,
    /// Oldest first.
    pub(crate) activities: Vec<ActivityDay>,
    /// Oldest first.
    pub(crate) workouts: Vec<WorkoutRec>,
    /// Oldest first.
    pub(crate) nights: Vec<Night>,
    /// Newest first.
    pub(crate) ecgs: Vec<EcgRec>,
    pub(crate) devices: Vec<J>,
    pub(crate) goals: J,
}

/// A blood-pressure reading of the BPM Core: a `getmeas` group and, once, an ECG.
struct BpReading {
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

impl DemoData {
    pub(crate) fn generate(seed: u64, anchor: Timestamp) -> Self {
        let tz = time_zone();
        let anchor = anchor.as_second();
        let today = local_date(&tz, anchor).unwrap_or(Date::constant(2024, 6, 3));
        let days: Vec<(i64, Date)> = (0..DAYS)
            .rev()
            .filter_map(|back| Some((back, add_days(today, -back)?)))
            .collect();
        let first = days
            .first()
            .and_then(|&(_, d)| local(&tz, d, 0, 0))
            .unwrap_or(anchor);
        let mut data = Self {
            seed,
            anchor,
            first,
            groups: Vec::new(),
            activities: Vec::new(),
            workouts: Vec::new(),
            nights: Vec::new(),
            ecgs: Vec::new(),
            devices: Vec::new(),
            goals: J::Null,
            tz,
        };
        for &(back, day) in &days {
            data.weigh_in(back, day);
            data.activity(back, day);
            data.workout(back, day);
            data.night(day);
            data.ecg(back, day);
        }
        data.groups.retain(|g| g.created <= anchor);
        // Newest first; the stable sort keeps the attrib-0 copy of the duplicated group before
        // its attrib-8 twin.
        data.groups.sort_by_key(|g| std::cmp::Reverse(g.date));
        data.activities.retain(|a| a.modified <= anchor);
        data.workouts.retain(|w| w.modified <= anchor);
        data.nights.retain(|n| n.modified <= anchor);
        data.ecgs.retain(|e| e.modified <= anchor);
        data.ecgs.sort_by_key(|e| std::cmp::Reverse(e.timestamp));
        data.devices = data.devices_json();
        data.goals = Obj::new()
            .put("steps", 10000)
            .put("sleep", 28800)
            .put("weight", Obj::new().put("value", 75000).put("unit", -3))
            .into();
        data
    }

    fn weigh_in(&mut self, back: i64, day: Date) -> Option<()> {
        let tz = &self.tz;
        let ord = ordinal(day);
        let mut r = Rng::stream(self.seed, TAG_WEIGH, ord);
        let skip = r.chance(0.12);
        let at = local(tz, day, 7, 5)? + r.range(0, 2400);
        let created = at + r.range(15, 240);
        let x = ord as f64;
        let weight = 78.0 + 1.4 * (x / 23.0).sin() + 0.5 * (x / 6.1).sin() + r.noise(0.25);
        let ratio = 22.0 + 0.9 * (x / 31.0 + 1.0).sin() + r.noise(0.3);
        let grams = (weight * 1000.0).round() as i64;
        let ratio_milli = (ratio * 1000.0).round() as i64;
        let fat = grams * ratio_milli / 100_000;
        let fat_free = grams - fat;
        let m = |value, kind, unit| Meas {
            value,
            kind,
            unit,
            algo: 3,
            fm: 3,
        };
        let manual = |value, kind, unit| Meas {
            value,
            kind,
            unit,
            algo: 0,
            fm: 128,
        };
        let base_id = 5_000_000_000 + ord * 8;

        if back == 89 {
            // Height typed in at account creation: a manual group, no device (§5.1, §12.10).
            let at = local(tz, day, 9, 12)?;
            self.groups.push(Group {
                grpid: base_id + 3,
                attrib: 4,
                date: at,
                created: at + 4,
                modified: at + 4,
                category: 1,
                device: None,
                measures: vec![manual(178, 4, -2)],
            });
        }
        if back == 60 {
            // A weight objective: category 2.
            let at = local(tz, day, 21, 30)?;
            self.groups.push(Group {
                grpid: base_id + 4,
                attrib: 2,
                date: at,
                created: at + 2,
                modified: at + 2,
                category: 2,
                device: None,
                measures: vec![manual(75000, 1, -3)],
            });
        }
        if back == 40 {
            // A weight typed in by hand in the evening, edited an hour later.
            let at = local(tz, day, 20, 15)?;
            self.groups.push(Group {
                grpid: base_id + 2,
                attrib: 2,
                date: at,
                created: at + 6,
                modified: (at + 3600).min(self.anchor).max(at + 6),
                category: 1,
                device: None,
                measures: vec![manual(grams + 400, 1, -3)],
            });
        }
        if back % 7 == 3 {
            let bp = bp_reading(self.seed, tz, day)?;
            self.groups.push(Group {
                grpid: base_id + 1,
                attrib: 0,
                date: bp.at,
                created: bp.created,
                modified: bp.created,
                category: 1,
                device: Some(BPM),
                measures: vec![
                    m(bp.diastole, 9, 0),
                    m(bp.systole, 10, 0),
                    m(bp.pulse, 11, 0),
                ],
            });
        }
        let duplicated = back == 10;
        if skip && !duplicated {
            return Some(());
        }
        let group = Group {
            grpid: base_id,
            attrib: 0,
            date: at,
            created,
            modified: created,
            category: 1,
            device: Some(SCALE),
            measures: vec![
                m(grams, 1, -3),
                m(fat, 8, -3),
                m(fat_free, 5, -3),
                m((fat_free as f64 * 0.0943).round() as i64, 76, -2),
                m((fat_free as f64 * 0.0728).round() as i64, 77, -2),
                m((fat_free as f64 * 0.0051).round() as i64, 88, -2),
                m(ratio_milli, 6, -3),
            ],
        };
        if duplicated {
            // The same group twice in one response, attrib 0 then 8 (API notes §12.14).
            let mut twin = group.clone();
            twin.attrib = 8;
            self.groups.push(group);
            self.groups.push(twin);
        } else {
            self.groups.push(group);
        }
        Some(())
    }

    fn activity(&mut self, back: i64, day: Date) -> Option<()> {
        let ord = ordinal(day);
        let mut r = Rng::stream(self.seed, TAG_ACTIVITY, ord);
        let midnight = local(&self.tz, day, 0, 0)?;
        let fraction = if back == 0 {
            ((self.anchor - midnight) as f64 / 86400.0).clamp(0.0, 1.0)
        } else {
            1.0
        };
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
        let source = if back == 20 {
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
        let modified = if back == 0 {
            (self.anchor - r.range(60, 900)).max(midnight)
        } else {
            (local(&self.tz, add_days(day, 1)?, 0, 0)? + r.range(600, 5400)).min(self.anchor)
        };
        self.activities.push(ActivityDay {
            date: day,
            modified,
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
        });
        Some(())
    }

    fn workout(&mut self, back: i64, day: Date) -> Option<()> {
        let ord = ordinal(day);
        let mut r = Rng::stream(self.seed, TAG_WORKOUT, ord);
        if back == 25 {
            // A walk recorded by a phone: no device, most data fields null (API notes §5.4).
            let start = local(&self.tz, day, 12, 10)? + r.range(0, 1200);
            let end = start + 1800 + r.range(0, 900);
            let null = || J::Null;
            self.workouts.push(WorkoutRec {
                id: 3_900_000_000 + ord * 4 + 2,
                category: 1,
                model: 1055,
                startdate: start,
                enddate: end,
                date: day,
                modified: end + r.range(300, 3600),
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
        self.workouts.push(WorkoutRec {
            id: 3_900_000_000 + ord * 4,
            category,
            model: WATCH.model_id,
            startdate: start,
            enddate: end,
            date: day,
            modified: end + r.range(60, 900),
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

    /// The night that ends on the morning of `day`.
    fn night(&mut self, day: Date) -> Option<()> {
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
        let mut night = Night {
            id: 2_500_000_000 + ord,
            start: bed,
            end,
            date: day,
            created,
            modified: created,
            hr_base,
            segments,
            order,
            summary: Vec::new(),
        };
        night.summary = self.summarize(&night, &mut r);
        self.nights.push(night);
        Some(())
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

    fn summarize(&self, night: &Night, r: &mut Rng) -> Vec<(&'static str, J)> {
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

    fn ecg(&mut self, back: i64, day: Date) -> Option<()> {
        let ord = ordinal(day);
        if back == 3 {
            // The BPM Core records an ECG along with its blood-pressure reading.
            let bp = bp_reading(self.seed, &self.tz, day)?;
            self.ecgs.push(EcgRec {
                signalid: 170_000_000 + ord * 2,
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
        if back == 17 {
            let mut r = Rng::stream(self.seed, TAG_ECG, ord);
            let at = local(&self.tz, day, 21, 5)? + r.range(0, 1800);
            self.ecgs.push(EcgRec {
                signalid: 170_000_000 + ord * 2 + 1,
                device: WATCH,
                afib: 2,
                bloodpressure: None,
                heart_rate: r.range(68, 76),
                timestamp: at,
                modified: at + r.range(20, 120),
                sampling_frequency: 300,
                seconds: 30,
                wearposition: 1,
            });
        }
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

    fn devices_json(&self) -> Vec<J> {
        let last = |pred: &dyn Fn(&Group) -> bool| {
            self.groups.iter().filter(|g| pred(g)).map(|g| g.date).max()
        };
        let days_before = |n: i64| self.first - n * 86400;
        let device = |d: DeviceInfo, battery: &str, first: Option<i64>, last: Option<i64>| -> J {
            Obj::new()
                .put("type", d.kind)
                .put("battery", battery)
                .put("model", d.model)
                .put("model_id", d.model_id)
                .put("timezone", TIME_ZONE_NAME)
                .put("first_session_date", first)
                .put("last_session_date", last)
                .put("deviceid", d.id)
                .put("hash_deviceid", d.id)
                .into()
        };
        let scale = SCALE.id;
        let bpm = BPM.id;
        vec![
            device(
                SCALE,
                "high",
                Some(days_before(310)),
                last(&|g| g.device.is_some_and(|d| d.id == scale)),
            ),
            device(
                WATCH,
                "medium",
                Some(days_before(200)),
                self.activities
                    .iter()
                    .filter(|a| a.source == Source::Watch)
                    .map(|a| a.modified)
                    .max(),
            ),
            device(
                BPM,
                "low",
                Some(days_before(120)),
                last(&|g| g.device.is_some_and(|d| d.id == bpm)),
            ),
            // As a real Sleep Analyzer was listed (API notes §5.10, §12.11).
            device(
                DeviceInfo {
                    model: "",
                    model_id: 13,
                    ..SLEEP_MONITOR
                },
                "unknown",
                None,
                None,
            ),
        ]
    }
}

/// Adds the fields whose names are in `wanted` (all when `None`), in the record's order.
fn push_fields(o: &mut Obj, fields: &[(&'static str, J)], wanted: Option<&[String]>) {
    for (name, value) in fields {
        if wanted.is_none_or(|w| w.iter().any(|f| f == name)) {
            o.push(*name, value.clone());
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> DemoData {
        DemoData::generate(0, Timestamp::from_second(1_717_430_000).unwrap())
    }

    #[test]
    fn nothing_lies_after_the_anchor() {
        let d = demo();
        assert!(
            d.groups
                .iter()
                .all(|g| g.date <= d.anchor && g.created <= d.anchor)
        );
        assert!(d.activities.iter().all(|a| a.modified <= d.anchor));
        assert!(d.workouts.iter().all(|w| w.modified <= d.anchor));
        assert!(d.nights.iter().all(|n| n.modified <= d.anchor));
        assert!(d.ecgs.iter().all(|e| e.modified <= d.anchor));
    }

    #[test]
    fn ninety_days_are_covered() {
        let d = demo();
        assert_eq!(d.activities.len() as i64, DAYS);
        assert!(d.nights.len() as i64 >= DAYS - 1);
        let weigh_ins = d
            .groups
            .iter()
            .filter(|g| g.device.is_some_and(|x| x.id == SCALE.id))
            .count();
        assert!((60..=91).contains(&weigh_ins), "{weigh_ins}");
        assert!(d.workouts.len() >= 25);
        assert_eq!(d.ecgs.len(), 2);
    }

    #[test]
    fn sleep_segments_are_contiguous_and_cover_the_night() {
        for night in &demo().nights {
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
        assert!(
            d.groups
                .iter()
                .any(|g| g.device.is_none() && g.category == 1 && g.attrib == 2)
        );
        let dup = d
            .groups
            .iter()
            .filter(|g| g.attrib == 8)
            .map(|g| g.grpid)
            .next()
            .unwrap();
        assert_eq!(d.groups.iter().filter(|g| g.grpid == dup).count(), 2);
        assert!(d.activities.iter().any(|a| a.source == Source::External));
        assert!(d.workouts.iter().any(|w| w.deviceid.is_none()));
    }

    #[test]
    fn generation_is_deterministic() {
        let (a, b) = (demo(), demo());
        let js = |d: &DemoData| {
            d.groups
                .iter()
                .filter_map(|g| g.to_json(None))
                .map(|j| j.encode())
                .collect::<Vec<_>>()
        };
        assert_eq!(js(&a), js(&b));
        assert_eq!(a.ecg_signal(&a.ecgs[0]), b.ecg_signal(&b.ecgs[0]));
    }
}
