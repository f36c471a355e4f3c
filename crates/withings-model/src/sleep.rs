//! `/v2/sleep`: `get` (the night as state segments with per-minute series) and `getsummary`
//! (one record of totals per night).
//!
//! Quirks handled here (API notes §5.5, §5.6, §6, §12):
//! - `model` is a **string** on each `get` segment (`"Aura Sensor V2"`) but an **integer** at
//!   the `get` body level and in `getsummary` (16 tracker, 32 sleep monitor).
//! - The `get` data fields (`hr`, `rr`, `snoring`...) are maps keyed by unix seconds written as
//!   strings (`{"1717369200": 61}`), not objects with a `timestamp` field as the Go client
//!   declares them (§12.1); PHP sends an empty map as `[]`.
//! - `get` segments are not sorted by time (§5.5); sorting is left to the decode crate.
//! - Sleep states and night event types grow over time (state 5 arrived undocumented, §12.7):
//!   they are open enums.
//! - `getsummary` pages with `more` (bool) + `offset` although `offset` is missing from the
//!   documented parameters (§12.9); `data` holds only the requested fields (or a default set).
//! - `night_events` has no real sample and two contradictory descriptions (§5.6, §13, §14): it
//!   is kept as raw JSON here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::codes::NameOrCode;
use crate::de;
use crate::endpoint::Body;
use crate::items::{Items, Record, check_date, check_opt_seconds, check_seconds, check_span};
use crate::number::Number;

open_enum! {
    /// The state of one `get` segment (`series[].state`, API notes §7.4).
    ///
    /// Older clients know only 0–3; 5 arrives in real payloads (API notes §12.7).
    pub enum SleepState {
        /// Awake.
        Awake = 0 => "awake",
        /// Light sleep.
        Light = 1 => "light",
        /// Deep sleep.
        Deep = 2 => "deep",
        /// REM sleep.
        Rem = 3 => "rem",
        /// Sleep entered manually by the user.
        Manual = 4 => "manual",
        /// Asleep, stage not specified.
        Unspecified = 5 => "unspecified",
        /// Out of bed (needs a specific plan).
        OutOfBed = 15 => "out_of_bed",
    }
}

open_enum! {
    /// The kind of a `night_events` entry in a sleep summary (API notes §7.5).
    pub enum NightEventType {
        /// Got in bed.
        GotInBed = 1 => "got_in_bed",
        /// Fell asleep.
        FellAsleep = 2 => "fell_asleep",
        /// Woke up.
        WokeUp = 3 => "woke_up",
        /// Got out of bed.
        GotOutOfBed = 4 => "got_out_of_bed",
        /// Start of a manually entered asleep period.
        ManualAsleepStart = 5 => "manual_asleep_start",
        /// Start of a manually entered awake period.
        ManualAwakeStart = 6 => "manual_awake_start",
    }
}

open_enum! {
    /// What kind of device recorded the night: the integer `model` of the `get` body and of
    /// each summary (API notes §5.5, §5.6, §7.4). Not a device model id (see `model_id`).
    pub enum SleepModel {
        /// A wearable activity tracker (watch).
        Tracker = 16 => "tracker",
        /// A sleep monitor under the mattress (Aura, Sleep Analyzer).
        SleepMonitor = 32 => "sleep_monitor",
    }
}

field_names! {
    /// A `data_fields` name of `sleep get`: each adds a timestamp → value map to every segment
    /// (API notes §5.5).
    pub enum SleepField {
        /// Heart rate (bpm).
        Hr => "hr",
        /// Respiration rate (breaths per minute).
        Rr => "rr",
        /// Snoring.
        Snoring => "snoring",
        /// Heart rate variability, SDNN over one minute (ms).
        Sdnn1 => "sdnn_1",
        /// Heart rate variability, RMSSD (ms).
        Rmssd => "rmssd",
        /// Quality of the heart rate variability signal.
        HrvQuality => "hrv_quality",
        /// Movement score, 0–255 (EU Sleep Analyzer / US Sleep Rx only).
        MvtScore => "mvt_score",
        /// Chest movement rate (events per minute).
        ChestMovementRate => "chest_movement_rate",
        /// Withings index (US Sleep Rx only).
        WithingsIndex => "withings_index",
        /// Breathing sounds.
        BreathingSounds => "breathing_sounds",
    }
}

field_names! {
    /// A `data_fields` name of `sleep getsummary`: each adds a key to every summary's `data`
    /// (API notes §5.6).
    pub enum SleepSummaryField {
        /// `total_timeinbed` (s).
        TotalTimeInBed => "total_timeinbed",
        /// `total_sleep_time` (s): light + deep + REM.
        TotalSleepTime => "total_sleep_time",
        /// `asleepduration` (s): for nights from an external source.
        AsleepDuration => "asleepduration",
        /// `lightsleepduration` (s).
        LightSleepDuration => "lightsleepduration",
        /// `deepsleepduration` (s).
        DeepSleepDuration => "deepsleepduration",
        /// `remsleepduration` (s).
        RemSleepDuration => "remsleepduration",
        /// `sleep_efficiency`: ratio 0–1.
        SleepEfficiency => "sleep_efficiency",
        /// `sleep_latency` (s).
        SleepLatency => "sleep_latency",
        /// `wakeup_latency` (s).
        WakeupLatency => "wakeup_latency",
        /// `wakeupduration` (s).
        WakeupDuration => "wakeupduration",
        /// `wakeupcount`.
        WakeupCount => "wakeupcount",
        /// `waso` (s): wake after sleep onset.
        Waso => "waso",
        /// `nb_rem_episodes`.
        NbRemEpisodes => "nb_rem_episodes",
        /// `breathing_disturbances_intensity`.
        BreathingDisturbancesIntensity => "breathing_disturbances_intensity",
        /// `apnea_hypopnea_index` (EU/AU devices with the apnea feature).
        ApneaHypopneaIndex => "apnea_hypopnea_index",
        /// `withings_index` (US Sleep Rx).
        WithingsIndex => "withings_index",
        /// `breathing_quality_assessment`.
        BreathingQualityAssessment => "breathing_quality_assessment",
        /// `durationtosleep` (s, deprecated).
        DurationToSleep => "durationtosleep",
        /// `durationtowakeup` (s, deprecated).
        DurationToWakeup => "durationtowakeup",
        /// `out_of_bed_count`.
        OutOfBedCount => "out_of_bed_count",
        /// `hr_average` (bpm).
        HrAverage => "hr_average",
        /// `hr_min` (bpm).
        HrMin => "hr_min",
        /// `hr_max` (bpm).
        HrMax => "hr_max",
        /// `rr_average` (breaths per minute).
        RrAverage => "rr_average",
        /// `rr_min` (breaths per minute).
        RrMin => "rr_min",
        /// `rr_max` (breaths per minute).
        RrMax => "rr_max",
        /// `snoring` (s).
        Snoring => "snoring",
        /// `snoringepisodecount`.
        SnoringEpisodeCount => "snoringepisodecount",
        /// `sleep_score` (0–100).
        SleepScore => "sleep_score",
        /// `night_events`.
        NightEvents => "night_events",
        /// `mvt_score_avg`.
        MvtScoreAvg => "mvt_score_avg",
        /// `mvt_active_duration` (s).
        MvtActiveDuration => "mvt_active_duration",
        /// `rmssd_start_avg` (ms).
        RmssdStartAvg => "rmssd_start_avg",
        /// `rmssd_end_avg` (ms).
        RmssdEndAvg => "rmssd_end_avg",
        /// `chest_movement_rate_wellness_average`.
        ChestMovementRateWellnessAverage => "chest_movement_rate_wellness_average",
        /// `chest_movement_rate_wellness_min`.
        ChestMovementRateWellnessMin => "chest_movement_rate_wellness_min",
        /// `chest_movement_rate_wellness_max`.
        ChestMovementRateWellnessMax => "chest_movement_rate_wellness_max",
        /// `chest_movement_rate_average`.
        ChestMovementRateAverage => "chest_movement_rate_average",
        /// `chest_movement_rate_min`.
        ChestMovementRateMin => "chest_movement_rate_min",
        /// `chest_movement_rate_max`.
        ChestMovementRateMax => "chest_movement_rate_max",
        /// `breathing_sounds`.
        BreathingSounds => "breathing_sounds",
        /// `breathing_sounds_episode_count`.
        BreathingSoundsEpisodeCount => "breathing_sounds_episode_count",
        /// `core_body_temperature_min` (°C).
        CoreBodyTemperatureMin => "core_body_temperature_min",
        /// `core_body_temperature_max` (°C).
        CoreBodyTemperatureMax => "core_body_temperature_max",
        /// `core_body_temperature_avg` (°C).
        CoreBodyTemperatureAvg => "core_body_temperature_avg",
        /// `core_body_temperature_status` (`unknown` / `usual` / `elevated`).
        CoreBodyTemperatureStatus => "core_body_temperature_status",
    }
}

impl SleepSummaryField {
    /// The fields the API returns when `data_fields` is omitted (API notes §5.6, seen in a
    /// real payload without `data_fields`).
    pub const DEFAULT: &'static [Self] = &[
        Self::WakeupDuration,
        Self::WakeupCount,
        Self::DurationToSleep,
        Self::RemSleepDuration,
        Self::DurationToWakeup,
        Self::TotalTimeInBed,
        Self::TotalSleepTime,
        Self::SleepEfficiency,
        Self::SleepLatency,
        Self::WakeupLatency,
        Self::Waso,
        Self::NbRemEpisodes,
        Self::OutOfBedCount,
        Self::LightSleepDuration,
        Self::DeepSleepDuration,
    ];
}

split_request! {
/// `POST /v2/sleep action=get`: the sleep state segments of one night, with optional
/// per-minute series (`data_fields`).
///
/// The API returns **at most 24 hours of data from `startdate`**, whatever `enddate` says
/// (API notes §4.1 and §12.18; one field description claims 7 days, the operation text says
/// 24 h and is trusted, §13): a longer span is sent as consecutive calls of at most 24 h
/// ([`Endpoint::calls`](crate::Endpoint::calls)) and their answers merged. The spec also lists a
/// `meastypes` parameter of unknown purpose; it is not offered here.
///
/// ```
/// use jiff::Timestamp;
/// use withings_model::sleep::{GetSleep, SleepField};
/// use withings_model::{Endpoint, TimeSpan};
///
/// let span = TimeSpan { start: Timestamp::from_second(1717365600)?, end: Timestamp::from_second(1717408800)? };
/// let req = GetSleep::new().span(span).data_fields([SleepField::Hr, SleepField::Rr]);
/// assert_eq!(req.form().encode(), "action=get&startdate=1717365600&enddate=1717408800&data_fields=hr%2Crr");
/// # Ok::<(), jiff::Error>(())
/// ```
GetSleep {
    service: Sleep,
    action: "get",
    scopes: [UserActivity],
    fields: SleepField,
    body: GetSleepBody,
    span_required: true,
}
}

/// Segments of adjacent calls are concatenated; a segment on a seam, returned by both calls
/// (same start, end and state), is kept once, and a rejected one (same text) too. The body's
/// `model` is the first one given.
impl Body for GetSleepBody {
    fn append(&mut self, next: Self) {
        if self.model.is_none() {
            self.model = next.model;
        }
        let seen: std::collections::HashSet<(i64, i64, i64)> = self
            .series
            .iter()
            .map(|s| (s.startdate, s.enddate, s.state.code()))
            .collect();
        self.series.append_where(next.series, |s| {
            !seen.contains(&(s.startdate, s.enddate, s.state.code()))
        });
    }

    fn number_rejected(&mut self, response: usize) {
        self.series.number_rejected(response);
    }
}

dated_request! {
/// `POST /v2/sleep action=getsummary`: one summary per night, selected by the night's local
/// date or by `lastupdate` (created or modified since), paged with `offset` (missing from
/// the documented parameters, but officially supported: API notes §12.9).
///
/// ```
/// use jiff::civil::date;
/// use withings_model::sleep::{GetSleepSummary, SleepSummaryField};
/// use withings_model::Endpoint;
///
/// let req = GetSleepSummary::new()
///     .dates(date(2024, 6, 1), date(2024, 6, 3))
///     .data_fields([SleepSummaryField::TotalSleepTime, SleepSummaryField::HrAverage]);
/// assert_eq!(
///     req.form().encode(),
///     "action=getsummary&startdateymd=2024-06-01&enddateymd=2024-06-03&data_fields=total_sleep_time%2Chr_average",
/// );
/// ```
GetSleepSummary {
    service: Sleep,
    action: "getsummary",
    scopes: [UserActivity],
    fields: SleepSummaryField,
    body: GetSleepSummaryBody,
}
}

/// The body of `sleep get` (API notes §5.5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GetSleepBody {
    /// The state segments, **in no particular order** (API notes §5.5). A segment that
    /// cannot be read is left out and listed in [`rejected`](crate::Items::rejected) (API
    /// notes §15).
    pub series: Items<SleepSegment>,
    /// The kind of device, as an integer here (16 tracker, 32 sleep monitor).
    #[serde(default)]
    pub model: Option<SleepModel>,
}

/// One segment of `sleep get`: a span of time in one state, with the requested series.
///
/// Each series is a map from unix seconds (sent as string keys) to a value, present only when
/// requested in `data_fields`; an absent series, `null` or PHP's `[]` is an empty map. The Go
/// client models them as `{"timestamp": int}` objects, which is wrong (API notes §12.1).
/// The series documented as integers (`hr`, `rr`, `snoring`, `hrv_quality`, `mvt_score`)
/// hold [`Number`]s, kept as received when a fraction arrives (a `14.5` in `rr`, API notes
/// §15).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SleepSegment {
    /// Start of the segment (unix seconds).
    pub startdate: i64,
    /// End of the segment (unix seconds).
    pub enddate: i64,
    /// The sleep state during the segment.
    pub state: SleepState,
    /// The device's model **name** here (`"Aura Sensor V2"`, `"Activite Steel HR"`), unlike the
    /// integer `model` of the body (API notes §5.5, §6).
    #[serde(default)]
    pub model: Option<NameOrCode>,
    /// The device model code (`DeviceModel`).
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub model_id: Option<i64>,
    /// Hashed device id; missing on older tracker payloads (API notes §5.5).
    #[serde(default, deserialize_with = "de::opt_id::deserialize")]
    pub hash_deviceid: Option<String>,
    /// Heart rate (bpm) per timestamp.
    #[serde(
        default,
        deserialize_with = "de::timestamp_map::deserialize",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub hr: BTreeMap<i64, Number>,
    /// Respiration rate (breaths per minute) per timestamp.
    #[serde(
        default,
        deserialize_with = "de::timestamp_map::deserialize",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub rr: BTreeMap<i64, Number>,
    /// Snoring per timestamp.
    #[serde(
        default,
        deserialize_with = "de::timestamp_map::deserialize",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub snoring: BTreeMap<i64, Number>,
    /// SDNN over one minute (ms) per timestamp; may be fractional.
    #[serde(
        default,
        deserialize_with = "de::timestamp_map::deserialize",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub sdnn_1: BTreeMap<i64, f64>,
    /// RMSSD (ms) per timestamp; may be fractional.
    #[serde(
        default,
        deserialize_with = "de::timestamp_map::deserialize",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub rmssd: BTreeMap<i64, f64>,
    /// Heart rate variability signal quality per timestamp.
    #[serde(
        default,
        deserialize_with = "de::timestamp_map::deserialize",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub hrv_quality: BTreeMap<i64, Number>,
    /// Movement score (0–255) per timestamp.
    #[serde(
        default,
        deserialize_with = "de::timestamp_map::deserialize",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub mvt_score: BTreeMap<i64, Number>,
    /// Chest movement rate (events per minute) per timestamp. The reference does not pin an
    /// integer type for this and the following series, so they are read as numbers.
    #[serde(
        default,
        deserialize_with = "de::timestamp_map::deserialize",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub chest_movement_rate: BTreeMap<i64, f64>,
    /// Withings index per timestamp.
    #[serde(
        default,
        deserialize_with = "de::timestamp_map::deserialize",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub withings_index: BTreeMap<i64, f64>,
    /// Breathing sounds per timestamp.
    #[serde(
        default,
        deserialize_with = "de::timestamp_map::deserialize",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub breathing_sounds: BTreeMap<i64, f64>,
}

/// A segment is read on its own (see [`Items`]): its `startdate` and `enddate` must be
/// instants the decoder can represent, the end not before the start, and every series key
/// unix seconds in range.
impl Record for SleepSegment {
    const LIST: &'static str = "body.series";

    fn check(&self) -> Result<(), String> {
        check_seconds(self.startdate, "startdate")?;
        check_seconds(self.enddate, "enddate")?;
        check_span(self.startdate, self.enddate)
    }
}

/// The body of `sleep getsummary` (API notes §5.6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GetSleepSummaryBody {
    /// One summary per night. A night that cannot be read is left out and listed in
    /// [`rejected`](crate::Items::rejected) (API notes §15).
    pub series: Items<SleepSummary>,
    /// Whether another page follows (a boolean here; absent means no).
    #[serde(default, deserialize_with = "de::more::deserialize")]
    pub more: bool,
    /// The offset to ask for next.
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub offset: Option<i64>,
}

/// The summary of one night (`getsummary` `series[]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SleepSummary {
    /// Summary id; absent in some payloads (metadata).
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub id: Option<i64>,
    /// IANA zone of the night (`"Europe\/Paris"` on the wire).
    pub timezone: String,
    /// The kind of device, an integer here (16 tracker, 32 sleep monitor).
    #[serde(default)]
    pub model: Option<SleepModel>,
    /// The device model code (`DeviceModel`).
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub model_id: Option<i64>,
    /// Hashed device id.
    #[serde(default, deserialize_with = "de::opt_id::deserialize")]
    pub hash_deviceid: Option<String>,
    /// Start of the night (unix seconds).
    pub startdate: i64,
    /// End of the night (unix seconds).
    pub enddate: i64,
    /// The night's local date (`YYYY-MM-DD`) in `timezone`: the date of the morning it ended
    /// (API notes §11).
    pub date: String,
    /// When the summary was created (unix seconds); absent in some payloads (metadata).
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub created: Option<i64>,
    /// When the summary was last modified (unix seconds).
    pub modified: i64,
    /// Whether the night is complete (in the spec only; not seen in payloads).
    #[serde(default)]
    pub completed: Option<bool>,
    /// The requested fields (or the default set); PHP sends `[]` when there are none.
    #[serde(default, deserialize_with = "de::object_or_empty_array::deserialize")]
    pub data: SleepSummaryData,
}

/// A night is read on its own (see [`Items`]): its `startdate`, `enddate`, `created` and
/// `modified` must be instants the decoder can represent, the end not before the start, and
/// its `date` a real `YYYY-MM-DD` date.
impl Record for SleepSummary {
    const LIST: &'static str = "body.series";

    fn check(&self) -> Result<(), String> {
        check_seconds(self.startdate, "startdate")?;
        check_seconds(self.enddate, "enddate")?;
        check_span(self.startdate, self.enddate)?;
        check_date(&self.date, "date")?;
        check_opt_seconds(self.created, "created")?;
        check_seconds(self.modified, "modified")
    }
}

/// The `data` of a sleep summary: every field of API notes §5.6, each absent unless requested
/// (or in the default set), and `null` where the source has no value (nights from an external
/// source have `asleepduration` and `null` light/deep/REM durations).
///
/// Durations are seconds. Integers accept integral floats and numeric strings; the fields the
/// reference types as "num" (or does not type) are `f64`. The heart and respiration rates
/// (`hr_*`, `rr_*`) and `breathing_disturbances_intensity` are [`Number`]s: documented as
/// integers, kept as received when a fraction arrives (API notes §15). Durations, counts,
/// `sleep_score` and `breathing_quality_assessment` stay integers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
#[allow(clippy::struct_field_names)]
pub struct SleepSummaryData {
    /// Time in bed (s).
    #[serde(
        default,
        deserialize_with = "de::opt_lenient_i64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_timeinbed: Option<i64>,
    /// Total sleep time (s): light + deep + REM.
    #[serde(
        default,
        deserialize_with = "de::opt_lenient_i64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_sleep_time: Option<i64>,
    /// Time asleep (s), for nights from an external source (light/deep/REM are then null).
    #[serde(
        default,
        deserialize_with = "de::opt_lenient_i64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub asleepduration: Option<i64>,
    /// Light sleep (s).
    #[serde(
        default,
        deserialize_with = "de::opt_lenient_i64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub lightsleepduration: Option<i64>,
    /// Deep sleep (s).
    #[serde(
        default,
        deserialize_with = "de::opt_lenient_i64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub deepsleepduration: Option<i64>,
    /// REM sleep (s).
    #[serde(
        default,
        deserialize_with = "de::opt_lenient_i64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub remsleepduration: Option<i64>,
    /// Sleep efficiency: a ratio 0–1 (e.g. `0.89`), not a percentage.
    #[serde(
        default,
        deserialize_with = "de::opt_f64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub sleep_efficiency: Option<f64>,
    /// Time to fall asleep (s).
    #[serde(
        default,
        deserialize_with = "de::opt_lenient_i64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub sleep_latency: Option<i64>,
    /// Time from waking to getting up (s).
    #[serde(
        default,
        deserialize_with = "de::opt_lenient_i64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub wakeup_latency: Option<i64>,
    /// Time awake (s).
    #[serde(
        default,
        deserialize_with = "de::opt_lenient_i64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub wakeupduration: Option<i64>,
    /// Number of awakenings.
    #[serde(
        default,
        deserialize_with = "de::opt_lenient_i64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub wakeupcount: Option<i64>,
    /// Wake after sleep onset (s).
    #[serde(
        default,
        deserialize_with = "de::opt_lenient_i64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub waso: Option<i64>,
    /// Number of REM episodes.
    #[serde(
        default,
        deserialize_with = "de::opt_lenient_i64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub nb_rem_episodes: Option<i64>,
    /// Breathing disturbances intensity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breathing_disturbances_intensity: Option<Number>,
    /// Apnea-hypopnea index (events per hour; EU/AU devices with the apnea feature).
    #[serde(
        default,
        deserialize_with = "de::opt_f64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub apnea_hypopnea_index: Option<f64>,
    /// Withings index (US Sleep Rx; 0–15 none/mild, 15–30 moderate, above 30 severe).
    #[serde(
        default,
        deserialize_with = "de::opt_f64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub withings_index: Option<f64>,
    /// Breathing quality assessment.
    #[serde(
        default,
        deserialize_with = "de::opt_lenient_i64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub breathing_quality_assessment: Option<i64>,
    /// Time to fall asleep (s, deprecated).
    #[serde(
        default,
        deserialize_with = "de::opt_lenient_i64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub durationtosleep: Option<i64>,
    /// Time to wake up (s, deprecated).
    #[serde(
        default,
        deserialize_with = "de::opt_lenient_i64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub durationtowakeup: Option<i64>,
    /// Number of times out of bed.
    #[serde(
        default,
        deserialize_with = "de::opt_lenient_i64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub out_of_bed_count: Option<i64>,
    /// Average heart rate (bpm); 0 when the device has no HR sensor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hr_average: Option<Number>,
    /// Minimum heart rate (bpm); 0 when the device has no HR sensor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hr_min: Option<Number>,
    /// Maximum heart rate (bpm); 0 when the device has no HR sensor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hr_max: Option<Number>,
    /// Average respiration rate (breaths per minute).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rr_average: Option<Number>,
    /// Minimum respiration rate (breaths per minute).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rr_min: Option<Number>,
    /// Maximum respiration rate (breaths per minute).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rr_max: Option<Number>,
    /// Time snoring (s).
    #[serde(
        default,
        deserialize_with = "de::opt_lenient_i64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub snoring: Option<i64>,
    /// Number of snoring episodes.
    #[serde(
        default,
        deserialize_with = "de::opt_lenient_i64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub snoringepisodecount: Option<i64>,
    /// Sleep score (0–100).
    #[serde(
        default,
        deserialize_with = "de::opt_lenient_i64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub sleep_score: Option<i64>,
    /// Night events, kept as raw JSON: no real sample exists and the docs disagree (prose: a
    /// dict of event type → offsets in seconds from `startdate`, e.g. `{"1":[0],"2":[540]}`;
    /// schema: an array). Reference §5.6, §13, §14. The decode crate interprets the dict
    /// shape and keeps anything else as is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub night_events: Option<serde_json::Value>,
    /// Average movement score.
    #[serde(
        default,
        deserialize_with = "de::opt_f64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub mvt_score_avg: Option<f64>,
    /// Time with movement (s).
    #[serde(
        default,
        deserialize_with = "de::opt_lenient_i64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub mvt_active_duration: Option<i64>,
    /// Average RMSSD at the start of the night (ms).
    #[serde(
        default,
        deserialize_with = "de::opt_f64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub rmssd_start_avg: Option<f64>,
    /// Average RMSSD at the end of the night (ms).
    #[serde(
        default,
        deserialize_with = "de::opt_f64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub rmssd_end_avg: Option<f64>,
    /// Average chest movement rate, wellness algorithm (per minute).
    #[serde(
        default,
        deserialize_with = "de::opt_f64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub chest_movement_rate_wellness_average: Option<f64>,
    /// Minimum chest movement rate, wellness algorithm (per minute).
    #[serde(
        default,
        deserialize_with = "de::opt_f64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub chest_movement_rate_wellness_min: Option<f64>,
    /// Maximum chest movement rate, wellness algorithm (per minute).
    #[serde(
        default,
        deserialize_with = "de::opt_f64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub chest_movement_rate_wellness_max: Option<f64>,
    /// Average chest movement rate (per minute).
    #[serde(
        default,
        deserialize_with = "de::opt_f64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub chest_movement_rate_average: Option<f64>,
    /// Minimum chest movement rate (per minute).
    #[serde(
        default,
        deserialize_with = "de::opt_f64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub chest_movement_rate_min: Option<f64>,
    /// Maximum chest movement rate (per minute).
    #[serde(
        default,
        deserialize_with = "de::opt_f64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub chest_movement_rate_max: Option<f64>,
    /// Breathing sounds (unit undocumented).
    #[serde(
        default,
        deserialize_with = "de::opt_f64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub breathing_sounds: Option<f64>,
    /// Number of breathing sound episodes.
    #[serde(
        default,
        deserialize_with = "de::opt_lenient_i64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub breathing_sounds_episode_count: Option<i64>,
    /// Minimum core body temperature (°C).
    #[serde(
        default,
        deserialize_with = "de::opt_f64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub core_body_temperature_min: Option<f64>,
    /// Maximum core body temperature (°C).
    #[serde(
        default,
        deserialize_with = "de::opt_f64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub core_body_temperature_max: Option<f64>,
    /// Average core body temperature (°C).
    #[serde(
        default,
        deserialize_with = "de::opt_f64::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub core_body_temperature_avg: Option<f64>,
    /// Core body temperature status: `unknown`, `usual` or `elevated` (a string in sleep
    /// payloads, though the workout schema types it as an integer; API notes §13).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub core_body_temperature_status: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::{Endpoint, Paged, PagedBody};
    use crate::envelope::{Reply, parse_reply};
    use jiff::Timestamp;
    use jiff::civil::date;

    fn ts(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    #[test]
    fn get_encodes_span_and_fields_in_order_without_duplicates() {
        let req = GetSleep::new()
            .between(ts(1_717_365_600), ts(1_717_408_800))
            .data_fields([
                SleepField::Hr,
                SleepField::Sdnn1,
                SleepField::Hr,
                SleepField::ChestMovementRate,
            ]);
        let form = req.form();
        assert_eq!(form.get("action"), Some("get"));
        assert_eq!(form.get("startdate"), Some("1717365600"));
        assert_eq!(form.get("enddate"), Some("1717408800"));
        assert_eq!(
            form.get("data_fields"),
            Some("hr,sdnn_1,chest_movement_rate")
        );
        assert_eq!(GetSleep::fixture_dir(), "v2-sleep-get");
        assert_eq!(GetSleep::SERVICE.path(), "/v2/sleep");
    }

    #[test]
    fn get_without_fields_sends_no_data_fields() {
        let form = GetSleep::new().between(ts(1), ts(2)).form();
        assert_eq!(form.encode(), "action=get&startdate=1&enddate=2");
    }

    #[test]
    fn get_all_fields_lists_every_series_name() {
        let form = GetSleep::new().between(ts(1), ts(2)).all_fields().form();
        assert_eq!(
            form.get("data_fields"),
            Some(
                "hr,rr,snoring,sdnn_1,rmssd,hrv_quality,mvt_score,chest_movement_rate,withings_index,breathing_sounds"
            )
        );
    }

    #[test]
    fn getsummary_encodes_dates_fields_and_offset() {
        let mut req = GetSleepSummary::new()
            .dates(date(2024, 6, 1), date(2024, 6, 3))
            .data_fields([
                SleepSummaryField::SleepEfficiency,
                SleepSummaryField::NightEvents,
            ]);
        assert_eq!(
            req.form().encode(),
            "action=getsummary&startdateymd=2024-06-01&enddateymd=2024-06-03&data_fields=sleep_efficiency%2Cnight_events"
        );
        req.set_offset(300);
        assert_eq!(req.form().get("offset"), Some("300"));
        assert_eq!(GetSleepSummary::fixture_dir(), "v2-sleep-getsummary");
    }

    #[test]
    fn getsummary_since_sends_lastupdate_only() {
        let form = GetSleepSummary::new()
            .updated_since(ts(1_717_430_000))
            .offset(200)
            .form();
        assert_eq!(
            form.encode(),
            "action=getsummary&lastupdate=1717430000&offset=200"
        );
    }

    #[test]
    fn summary_field_names_round_trip_and_default_set_is_known() {
        for f in SleepSummaryField::ALL {
            assert_eq!(SleepSummaryField::from_name(f.as_str()), Some(*f));
            assert_eq!(f.to_string(), f.as_str());
        }
        for f in SleepField::ALL {
            assert_eq!(SleepField::from_name(f.as_str()), Some(*f));
        }
        assert_eq!(SleepSummaryField::ALL.len(), 46);
        assert_eq!(SleepSummaryField::DEFAULT.len(), 15);
        assert_eq!(SleepSummaryField::from_name("HR_AVERAGE"), None);
    }

    #[test]
    fn segment_series_are_timestamp_maps_and_model_is_a_name() {
        let json = br#"{"status":0,"body":{"series":[{"startdate":1717369200,"state":1,"enddate":1717369800,
            "model":"Aura Sensor V2","model_id":63,"hr":{"1717369260":59,"1717369200":61},"rr":[],
            "sdnn_1":{"1717369200":41.5}}],"model":32}}"#;
        let Reply::Ok(body) = parse_reply::<GetSleepBody>(json).unwrap() else {
            panic!()
        };
        let seg = &body.series[0];
        assert_eq!(body.model, Some(SleepModel::SleepMonitor));
        assert_eq!(seg.model, Some(NameOrCode::Name("Aura Sensor V2".into())));
        assert_eq!(
            seg.hr.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>(),
            [
                (1_717_369_200, Number::Int(61)),
                (1_717_369_260, Number::Int(59))
            ]
        );
        assert!(seg.rr.is_empty());
        assert!(seg.snoring.is_empty());
        assert_eq!(seg.sdnn_1.get(&1_717_369_200), Some(&41.5));
        assert_eq!(seg.hash_deviceid, None);
    }

    #[test]
    fn unknown_states_are_kept() {
        let s: SleepState = serde_json::from_str("99").unwrap();
        assert_eq!(s, SleepState::from_code(99));
        assert_eq!(
            serde_json::from_str::<SleepState>("5").unwrap(),
            SleepState::Unspecified
        );
        assert_eq!(serde_json::to_string(&s).unwrap(), "99");
        assert_eq!(
            NightEventType::from_code(6),
            NightEventType::ManualAwakeStart
        );
    }

    #[test]
    fn a_segment_missing_its_state_or_ending_early_is_rejected() {
        let json = br#"{"status":0,"body":{"series":[{"startdate":1,"enddate":2,"state":0},{"startdate":2,"enddate":3},{"startdate":5,"enddate":4,"state":1},{"startdate":5,"enddate":6,"state":1,"hr":{"99999999999999":60}},{"startdate":6,"enddate":7,"state":2,"rr":{"6":14.5}}]}}"#;
        let Reply::Ok(body) = parse_reply::<GetSleepBody>(json).unwrap() else {
            panic!()
        };
        assert_eq!(body.series.len(), 2);
        assert_eq!(body.series[1].rr.get(&6), Some(&Number::Float(14.5)));
        assert_eq!(body.series.index_of(1), 4);
        let got: Vec<_> = body
            .series
            .rejected()
            .iter()
            .map(|r| (r.path.as_str(), r.error.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("body.series[1]", "missing field `state`"),
                (
                    "body.series[2]",
                    "at `enddate`: ends at 4 before it starts at 5"
                ),
                (
                    "body.series[3]",
                    "at `hr.99999999999999`: timestamp 99999999999999 is out of range"
                ),
            ]
        );
    }

    #[test]
    fn append_keeps_the_rejected_segments_of_both_calls_once() {
        let body = |json: &str| match parse_reply::<GetSleepBody>(json.as_bytes()).unwrap() {
            Reply::Ok(b) => b,
            Reply::Status(s) => panic!("{s}"),
        };
        let mut first = body(
            r#"{"status":0,"body":{"series":[{"startdate":1,"enddate":2,"state":0},{"startdate":5,"enddate":9}]}}"#,
        );
        let mut second = body(
            r#"{"status":0,"body":{"series":[{"startdate":5,"enddate":9},{"startdate":1,"enddate":2,"state":0},{"startdate":9,"enddate":8,"state":1}],"model":16}}"#,
        );
        first.number_rejected(1);
        second.number_rejected(2);
        first.append(second);
        assert_eq!(first.series.len(), 1, "the seam segment is kept once");
        assert_eq!(first.model, Some(SleepModel::Tracker));
        let got: Vec<_> = first
            .series
            .rejected()
            .iter()
            .map(|r| (r.path.as_str(), r.response))
            .collect();
        assert_eq!(
            got,
            [("body.series[1]", Some(1)), ("body.series[2]", Some(2))],
            "the rejected seam segment is kept once, as the first call returned it"
        );
    }

    #[test]
    fn summary_data_may_be_an_empty_array_and_efficiency_is_a_ratio() {
        let json = br#"{"status":0,"body":{"series":[
            {"id":1,"timezone":"Europe\/Paris","model":32,"startdate":1,"enddate":2,"date":"2024-06-03",
             "created":3,"modified":3,"data":[]},
            {"id":2,"timezone":"Europe\/Paris","model":16,"startdate":1,"enddate":2,"date":"2024-06-03",
             "created":3,"modified":3,"data":{"sleep_efficiency":0.86,"lightsleepduration":null,
             "night_events":{"1":[0]}}}],"more":true,"offset":10}}"#;
        let Reply::Ok(body) = parse_reply::<GetSleepSummaryBody>(json).unwrap() else {
            panic!()
        };
        assert_eq!(body.series[0].data, SleepSummaryData::default());
        assert_eq!(body.series[1].data.sleep_efficiency, Some(0.86));
        assert_eq!(body.series[1].data.lightsleepduration, None);
        assert_eq!(
            body.series[1].data.night_events,
            Some(serde_json::json!({"1": [0]}))
        );
        assert!(PagedBody::more(&body));
        assert_eq!(PagedBody::offset(&body), Some(10));
    }

    #[test]
    fn summary_efficiency_as_a_string_rejects_the_night_with_a_path() {
        let json = br#"{"status":0,"body":{"series":[{"id":1,"timezone":"UTC","startdate":1,"enddate":2,
            "date":"2024-06-03","created":3,"modified":3,"data":{"sleep_efficiency":"0.86"}}],"more":false}}"#;
        let Reply::Ok(body) = parse_reply::<GetSleepSummaryBody>(json).unwrap() else {
            panic!()
        };
        assert!(body.series.is_empty());
        let r = &body.series.rejected()[0];
        assert_eq!(r.path, "body.series[0]");
        assert!(
            r.error
                .starts_with("at `data.sleep_efficiency`: invalid type"),
            "{}",
            r.error
        );
    }
}
