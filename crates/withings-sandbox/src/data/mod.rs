//! The demo user's data: a living account, generated deterministically day by day.
//!
//! Every value comes from a SplitMix64 stream keyed by the seed, the kind of record and the
//! calendar day (or the timestamp of a sample), so the same seed and start instant give the
//! same bytes on every machine. A day's records are generated the first time a request needs
//! them and kept (`DemoData::days`): building a sandbox generates nothing, so five years of
//! history cost no startup time, and only the days a client asks for take memory.
//!
//! A record carries the instants at which it changes: when it appears (`created`), when it is
//! edited later (`Group::edit`, `ActivityDay::resync`, `WorkoutRec::edited`,
//! `Night::reanalyzed`) and when it is deleted (`Group::deleted`). Every answer is the view
//! of that history at the sandbox clock's "now", so moving the clock makes new records appear,
//! moves the `modified` of edited ones and removes deleted ones, as a real account does.
//!
//! Two kinds of records:
//! - **ordinary ones** follow the calendar (a weigh-in most mornings, a night every night,
//!   a workout every third day, blood pressure every week…) over the whole history and every
//!   day after the start;
//! - **odd ones** sit a fixed number of days before the start instant's day (`back`), so that
//!   every 90-day window ending at the start has them: the quirks below, the issue-12 records
//!   (a Body Scan weigh-in split into four groups, a nap beside a night, an attrib-3 weigh-in,
//!   a weight objective) and the first day's changes (an ambiguous weigh-in confirmed 2 h
//!   after the start, a guest's weigh-in deleted 12 h after it, an activity day, a night and a
//!   workout edited). The 120 days before the start ([`DEMO_DAYS`]) hold only ordinary and odd
//!   records; the periodic extras (naps, guests, late edits, more ECGs, phone-only days) fill
//!   the older history and every day after the start.
//!
//! Quirks reproduced on purpose (API notes §6, §12): a manual weigh-in with `deviceid`,
//! `model` and `modelid` null; one group sent twice with the same `grpid` (attrib 0 and 8);
//! a day of activity from an external source (brand 18, `deviceid` null) and one with the
//! heart-rate fields at 0; a workout from an external source with `null` data fields; sleep
//! segments out of order with timestamp-keyed maps; a device with `battery` "unknown",
//! `model` "" and null session dates.

mod generate;
mod living;
mod stetho;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

use crate::json::{J, Obj};
use crate::rng::Rng;

/// The user's time zone as Withings names it.
pub(crate) const TIME_ZONE_NAME: &str = "Europe/Paris";
/// The current rules of Europe/Paris as a POSIX TZ string: no tz database is needed, so the
/// data is the same on a machine without zoneinfo.
const TIME_ZONE_RULE: &str = "CET-1CEST,M3.5.0,M10.5.0/3";
/// The demo window: the days before the start, its own day included, that hold the odd
/// records (all within its last 90 days) and no periodic extra nor periodic edit, so that
/// the windows demos and tests ask for (as far back as early March for a start in June)
/// show the documented records only.
pub(crate) const DEMO_DAYS: i64 = 120;
/// Days of history by default, the start's day included: five years.
pub(crate) const HISTORY_DAYS: i64 = 5 * 365 + 1;
/// The stream of the added weigh-ins' values (the generator's tags stop at 19).
const TAG_ADDED: u64 = 20;
/// The added weigh-ins' ids start after this (plus the account's id shift): far from the
/// generated groups' `5_000_000_000 + day × 8` and `5_100_000_000 + day × 4`.
const ADDED_IDS: i64 = 5_900_000_000;
/// Length of an intraday sample slot.
pub(crate) const INTRADAY_SLOT: i64 = 600;

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
/// The second scale, bought [`BODY_SCAN_SINCE`] days before the start: model 19 (API notes
/// §15), weighed on on Sunday evenings.
pub(crate) const BODY_SCAN: DeviceInfo = DeviceInfo {
    id: "b0d75ca2b0d75ca2b0d75ca2b0d75ca2b0d75ca2",
    kind: "Scale",
    model: "Body Scan 2",
    model_id: 19,
};
/// Days before the start's day when the Body Scan was first used.
pub(crate) const BODY_SCAN_SINCE: i64 = 24;

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

/// The date `ordinal` days after 1970-01-01.
fn from_ordinal(ordinal: i64) -> Option<Date> {
    add_days(Date::constant(1970, 1, 1), ordinal)
}

/// One value of a measure group.
#[derive(Debug, Clone)]
pub(crate) struct Meas {
    pub(crate) value: i64,
    pub(crate) kind: i64,
    pub(crate) unit: i64,
    pub(crate) algo: i64,
    pub(crate) fm: i64,
    /// The body segment of a segmental measure (API notes §7.3); absent otherwise.
    pub(crate) position: Option<i64>,
}

/// A `getmeas` measure group.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub(crate) grpid: i64,
    pub(crate) attrib: i64,
    pub(crate) date: i64,
    pub(crate) created: i64,
    /// `modified` until [`edit`](Self::edit) happens.
    pub(crate) modified: i64,
    pub(crate) category: i64,
    pub(crate) device: Option<DeviceInfo>,
    pub(crate) measures: Vec<Meas>,
    /// A later change: from this instant on, `modified` is it and `attrib` is the second
    /// value (an ambiguous weigh-in the user confirmed, a manual entry corrected).
    pub(crate) edit: Option<(i64, i64)>,
    /// From this instant on the group is gone: the user deleted it. Withings says nothing
    /// about deletions (`lastupdate` does not list them); only a re-read shows them.
    pub(crate) deleted: Option<i64>,
    /// The attrib-8 copy of a group sent twice (API notes §12.14): not a record of its own.
    pub(crate) twin: bool,
}

impl Group {
    /// Whether the group exists at `now`.
    pub(crate) fn visible(&self, now: i64) -> bool {
        self.created <= now && self.deleted.is_none_or(|d| now < d)
    }

    fn edit_at(&self, now: i64) -> Option<(i64, i64)> {
        self.edit.filter(|&(at, _)| at <= now)
    }

    /// `modified` as seen at `now`.
    pub(crate) fn modified_at(&self, now: i64) -> i64 {
        self.edit_at(now).map_or(self.modified, |(at, _)| at)
    }

    /// `attrib` as seen at `now`.
    pub(crate) fn attrib_at(&self, now: i64) -> i64 {
        self.edit_at(now).map_or(self.attrib, |(_, attrib)| attrib)
    }

    /// Whether a measure of `types` (any when `None`) is in the group.
    pub(crate) fn has_types(&self, types: Option<&[i64]>) -> bool {
        self.measures
            .iter()
            .any(|m| types.is_none_or(|t| t.contains(&m.kind)))
    }

    /// The group as Withings sends it at `now`, keeping only the measures of `types` (all
    /// when `None`); `None` when no measure is left.
    pub(crate) fn to_json(&self, types: Option<&[i64]>, now: i64) -> Option<J> {
        let measures: Vec<J> = self
            .measures
            .iter()
            .filter(|m| types.is_none_or(|t| t.contains(&m.kind)))
            .map(|m| {
                let mut o = Obj::new()
                    .put("value", m.value)
                    .put("type", m.kind)
                    .put("unit", m.unit)
                    .put("algo", m.algo)
                    .put("fm", m.fm);
                if let Some(position) = m.position {
                    o.push("position", position);
                }
                o.into()
            })
            .collect();
        if measures.is_empty() {
            return None;
        }
        Some(
            Obj::new()
                .put("grpid", self.grpid)
                .put("attrib", self.attrib_at(now))
                .put("date", self.date)
                .put("created", self.created)
                .put("modified", self.modified_at(now))
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

/// One `getactivity` day, as it is once the day is over.
#[derive(Debug, Clone)]
pub(crate) struct ActivityDay {
    pub(crate) date: Date,
    /// When the day's values became final (the last sync after midnight).
    pub(crate) final_at: i64,
    /// How far behind "now" `modified` trails while the day is under way.
    pub(crate) lag: i64,
    /// A late re-sync: from this instant on, `modified` is it.
    pub(crate) resync: Option<i64>,
    pub(crate) source: Source,
    /// The data fields, in the order Withings sends them.
    pub(crate) fields: Vec<(&'static str, J)>,
}

impl ActivityDay {
    pub(crate) fn to_json(&self, fields: Option<&[String]>, modified: i64) -> J {
        let mut o = Obj::new();
        push_fields(&mut o, &self.fields, fields);
        let watch = self.source == Source::Watch;
        o.push("deviceid", watch.then_some(WATCH.id));
        o.push("hash_deviceid", watch.then_some(WATCH.id));
        o.push("timezone", TIME_ZONE_NAME);
        o.push("date", self.date.to_string());
        o.push("modified", modified);
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
    /// When it appeared; `modified` until [`edited`](Self::edited).
    pub(crate) modified: i64,
    /// A later edit (the user changed it in the app): from then on, `modified` is it.
    pub(crate) edited: Option<i64>,
    pub(crate) deviceid: Option<&'static str>,
    pub(crate) data: Vec<(&'static str, J)>,
}

impl WorkoutRec {
    pub(crate) fn visible(&self, now: i64) -> bool {
        self.modified <= now
    }

    pub(crate) fn modified_at(&self, now: i64) -> i64 {
        self.edited.filter(|&at| at <= now).unwrap_or(self.modified)
    }

    pub(crate) fn to_json(&self, fields: Option<&[String]>, now: i64) -> J {
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
            .put("modified", self.modified_at(now))
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

/// What recorded a night.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sleeper {
    /// The sleep monitor under the mattress: the main nights (sleep `model` 32).
    Monitor,
    /// The watch: naps on the sofa (sleep `model` 16, a tracker).
    Watch,
}

impl Sleeper {
    pub(crate) fn device(self) -> DeviceInfo {
        match self {
            Self::Monitor => SLEEP_MONITOR,
            Self::Watch => WATCH,
        }
    }

    /// The sleep `model` code (API notes §7.4): 32 sleep monitor, 16 tracker.
    pub(crate) fn model(self) -> i64 {
        match self {
            Self::Monitor => 32,
            Self::Watch => 16,
        }
    }

    /// The `sleep get` data fields this device records.
    pub(crate) fn fields(self) -> &'static [&'static str] {
        match self {
            Self::Monitor => SLEEP_FIELDS,
            Self::Watch => WATCH_SLEEP_FIELDS,
        }
    }
}

/// One night or nap: segments for `sleep get`, a summary for `getsummary`.
#[derive(Debug, Clone)]
pub(crate) struct Night {
    pub(crate) id: i64,
    pub(crate) start: i64,
    pub(crate) end: i64,
    pub(crate) date: Date,
    pub(crate) created: i64,
    /// A re-analysis: from this instant on, `modified` is it.
    pub(crate) reanalyzed: Option<i64>,
    pub(crate) hr_base: i64,
    pub(crate) sleeper: Sleeper,
    /// Chronological.
    pub(crate) segments: Vec<Segment>,
    /// The order `sleep get` sends the segments in: not sorted, as the real API (§5.5).
    pub(crate) order: Vec<usize>,
    /// The stream the summary's own values are drawn from, where the segments left it.
    pub(crate) rng: Rng,
    /// The summary data fields, in the order Withings sends them: computed from every
    /// minute's samples the first time they are asked for (`DemoData::summary`).
    pub(crate) summary: OnceLock<Vec<(&'static str, J)>>,
}

impl Night {
    pub(crate) fn visible(&self, now: i64) -> bool {
        self.created <= now
    }

    pub(crate) fn modified_at(&self, now: i64) -> i64 {
        self.reanalyzed
            .filter(|&at| at <= now)
            .unwrap_or(self.created)
    }
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

/// The `sleep get` data fields the watch records during a nap: no snoring microphone, no
/// chest sensor.
const WATCH_SLEEP_FIELDS: &[&str] = &["hr", "rr", "sdnn_1", "rmssd", "hrv_quality", "mvt_score"];

/// Summary fields a watch cannot fill (see [`WATCH_SLEEP_FIELDS`]).
const WATCH_LACKS: &[&str] = &[
    "snoring",
    "snoringepisodecount",
    "chest_movement_rate_average",
    "chest_movement_rate_min",
    "chest_movement_rate_max",
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
    pub(crate) fn visible(&self, now: i64) -> bool {
        self.modified <= now
    }

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

/// Everything the demo user has on one local calendar day, whatever the time: the view at a
/// given "now" is taken by the readers (`visible`, `modified_at`, `DemoData::activity_at`).
#[derive(Debug)]
pub(crate) struct Day {
    pub(crate) date: Date,
    /// Days before the start's day (negative after it).
    pub(crate) back: i64,
    /// Local midnight at the start and at the end of the day.
    pub(crate) midnight: i64,
    pub(crate) next_midnight: i64,
    /// Newest first, as `getmeas` sends them; the attrib-0 copy of the duplicated group
    /// comes before its attrib-8 twin.
    pub(crate) groups: Vec<Group>,
    /// The whole day's activity; `None` only if the calendar failed.
    pub(crate) activity: Option<ActivityDay>,
    /// Oldest first.
    pub(crate) workouts: Vec<WorkoutRec>,
    /// The night that ends this morning, then the naps of the day.
    pub(crate) nights: Vec<Night>,
    /// Newest first.
    pub(crate) ecgs: Vec<EcgRec>,
}

/// The demo user's account: its settings and the days generated so far.
#[derive(Debug)]
pub(crate) struct DemoData {
    pub(crate) seed: u64,
    pub(crate) tz: TimeZone,
    /// The instant the sandbox was built at: the odd records sit relative to its day.
    pub(crate) origin: i64,
    origin_ordinal: i64,
    /// The oldest day of the history.
    pub(crate) start_day: Date,
    /// Local midnight of the oldest day.
    pub(crate) first: i64,
    /// No periodic event (edit, deletion) happens from this instant to `origin`: the demo
    /// window stays as documented.
    quiet_from: i64,
    /// The days generated so far, by ordinal.
    days: Mutex<HashMap<i64, Arc<Day>>>,
    /// Added to every record id, so that the accounts of one sandbox never share an id
    /// (0 for the first account: the demo user's ids are what they always were).
    pub(crate) ids: i64,
    /// Weigh-ins added on request ([`DemoData::add_weigh_in`]), oldest first: the load
    /// tests' deterministic way of making data appear.
    added: Mutex<Vec<Group>>,
}

impl DemoData {
    /// The account of a sandbox started at `origin`, with `history_days` days of history
    /// (the start's day included). Generates nothing yet.
    pub(crate) fn new(seed: u64, origin: Timestamp, history_days: i64) -> Self {
        let tz = time_zone();
        let origin = origin.as_second();
        let today = local_date(&tz, origin).unwrap_or(Date::constant(2024, 6, 3));
        let back = history_days.max(1) - 1;
        let start_day = add_days(today, -back).unwrap_or(today);
        let first = local(&tz, start_day, 0, 0).unwrap_or(origin);
        let quiet_from = add_days(today, 1 - DEMO_DAYS)
            .and_then(|d| local(&tz, d, 0, 0))
            .unwrap_or(origin);
        Self {
            seed,
            origin,
            origin_ordinal: ordinal(today),
            start_day,
            first,
            quiet_from,
            days: Mutex::new(HashMap::new()),
            ids: 0,
            added: Mutex::new(Vec::new()),
            tz,
        }
    }

    /// The same account with every record id shifted by `ids` (a sandbox's second and later
    /// accounts).
    pub(crate) fn with_ids(mut self, ids: i64) -> Self {
        self.ids = ids;
        self
    }

    /// Adds a weigh-in taken at `at` and uploaded at `now` (its `created` and `modified`):
    /// weight and fat ratio from the Body+, values from the seed and the weigh-in's rank.
    /// Returns its `grpid`, in a range no generated group uses.
    pub(crate) fn add_weigh_in(&self, now: i64, at: i64) -> i64 {
        let mut added = self.added.lock().unwrap_or_else(PoisonError::into_inner);
        let rank = added.len() as i64 + 1;
        let mut r = Rng::stream(self.seed, TAG_ADDED, rank);
        let grams = 76_000 + r.range(0, 4_000);
        let ratio = 20_000 + r.range(0, 4_000);
        let grpid = self.ids + ADDED_IDS + rank;
        added.push(Group {
            grpid,
            attrib: 0,
            date: at,
            created: now,
            modified: now,
            category: 1,
            device: Some(SCALE),
            measures: vec![
                Meas {
                    value: grams,
                    kind: 1,
                    unit: -3,
                    algo: 3,
                    fm: 3,
                    position: None,
                },
                Meas {
                    value: ratio,
                    kind: 6,
                    unit: -3,
                    algo: 3,
                    fm: 3,
                    position: None,
                },
            ],
            edit: None,
            deleted: None,
            twin: false,
        });
        grpid
    }

    /// The added weigh-ins that exist at `now`, newest first (as `getmeas` sends groups).
    pub(crate) fn added_groups(&self, now: i64) -> Vec<Group> {
        let added = self.added.lock().unwrap_or_else(PoisonError::into_inner);
        let mut groups: Vec<Group> = added.iter().filter(|g| g.visible(now)).cloned().collect();
        groups.sort_by_key(|g| std::cmp::Reverse(g.date));
        groups
    }

    /// The local date of `now`, clamped to the history.
    pub(crate) fn today(&self, now: i64) -> Date {
        local_date(&self.tz, now)
            .unwrap_or(self.start_day)
            .max(self.start_day)
    }

    /// The local date of a request's unix second, `None` when it is beyond the calendar.
    pub(crate) fn date_of(&self, secs: i64) -> Option<Date> {
        if secs <= self.first {
            return Some(self.start_day);
        }
        local_date(&self.tz, secs)
    }

    /// The days from `from` to `to`, both included and clamped to the history (no day
    /// before its start, none after the day of `now`), oldest first. Generates the days not
    /// seen yet.
    pub(crate) fn days(&self, from: Date, to: Date, now: i64) -> Vec<Arc<Day>> {
        let from = ordinal(from.max(self.start_day));
        let to = ordinal(to.min(self.today(now)));
        if from > to {
            return Vec::new();
        }
        let mut cache = self.days.lock().unwrap_or_else(PoisonError::into_inner);
        (from..=to)
            .filter_map(|ord| {
                if let Some(day) = cache.get(&ord) {
                    return Some(Arc::clone(day));
                }
                let day = Arc::new(self.build_day(from_ordinal(ord)?)?);
                cache.insert(ord, Arc::clone(&day));
                Some(day)
            })
            .collect()
    }

    /// The whole history up to the day of `now`, oldest first.
    pub(crate) fn history(&self, now: i64) -> Vec<Arc<Day>> {
        self.days(self.start_day, self.today(now), now)
    }

    /// The day a record id was made for (ids encode the day's ordinal), when it is in the
    /// history.
    fn day_by_ordinal(&self, ord: i64, now: i64) -> Option<Arc<Day>> {
        let date = from_ordinal(ord)?;
        self.days(date, date, now).pop()
    }

    /// The summary of a night, computed once from its minute samples.
    pub(crate) fn summary<'a>(&self, night: &'a Night) -> &'a [(&'static str, J)] {
        night.summary.get_or_init(|| {
            let mut r = night.rng.clone();
            let mut summary = self.summarize(night, &mut r);
            if night.sleeper == Sleeper::Watch {
                summary.retain(|(name, _)| !WATCH_LACKS.contains(name));
            }
            summary
        })
    }

    /// Whether a periodic event at `at` falls in the quiet demo window.
    fn quiet(&self, at: i64) -> bool {
        (self.quiet_from..=self.origin).contains(&at)
    }
}

/// Whether a day `back` days before the start lies in the demo window, where no periodic
/// extra record is added.
fn in_demo_window(back: i64) -> bool {
    (0..DEMO_DAYS).contains(&back)
}

/// Adds the fields whose names are in `wanted` (all when `None`), in the record's order.
fn push_fields(o: &mut Obj, fields: &[(&'static str, J)], wanted: Option<&[String]>) {
    for (name, value) in fields {
        if wanted.is_none_or(|w| w.iter().any(|f| f == name)) {
            o.push(*name, value.clone());
        }
    }
}

#[cfg(test)]
mod tests;
