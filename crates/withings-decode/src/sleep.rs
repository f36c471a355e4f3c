//! `/v2/sleep`: state segments with their per-minute series, a [`Hypnogram`] of time per
//! state, and nightly summaries with local times and night events.
//!
//! Decisions (API notes §5.5, §5.6, §7.4, §7.5, §11, §12):
//! - Segments come back from the API in no particular order (§5.5): [`SleepSegments`] holds
//!   them sorted by start (then end, then state code). Segments are otherwise kept as sent:
//!   overlapping or duplicated ones are not dropped here; [`hypnogram`] counts each instant once.
//! - Each series (`hr`, `rr`, ...) is a time-sorted `Vec<SeriesPoint>`; a series that was not
//!   requested (absent), `null` or PHP's `[]` is an **empty** `Vec`, never `None`.
//! - Durations are [`SignedDuration`]s (serialized as ISO 8601, e.g. `PT8H10M`). The API sends
//!   whole seconds; a negative duration in a summary is kept as sent.
//! - A segment or summary that cannot be read — one that ends before it starts, a series key
//!   beyond ±9999 years, a missing state, a date that does not exist — is left out and listed
//!   in the output's `rejected` ([`SleepSegments::rejected`], [`Records::rejected`]) with its
//!   path, error and JSON text; the others decode (API notes §15). An unknown time zone fails
//!   the whole response (the machine's time zone database is at fault, not the record).
//! - The series and figures the API documents as integers (`hr`, `rr`, `snoring`,
//!   `hrv_quality`, `mvt_score`; heart and respiration rates, breathing disturbances) are
//!   [`Number`]s, kept as received when a fraction arrives (API notes §15).
//! - Summaries are sorted by start (then id) within a response; `date` is the night's local
//!   date as Withings assigns it (the morning it ended, §11), never recomputed.
//! - Heart-rate averages/min/max of 0 mean "no heart-rate sensor" and become `None`.
//! - `night_events` (shape unconfirmed, §14) is decoded when it is the documented dict of
//!   event type → offsets in seconds from the night's start, and kept raw otherwise: it never
//!   fails a response.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp, ZonedDateTime};
use serde::Serialize;
use withings_model::codes::{DeviceModel, NameOrCode};
use withings_model::sleep::{
    GetSleepBody, GetSleepSummaryBody, NightEventType, SleepModel, SleepSegment, SleepState,
    SleepSummary as WireSummary, SleepSummaryData,
};

use crate::time::{Zones, opt_timestamp, timestamp, ymd};
use crate::{Decode, DecodeError, Number, OnePass, Records, Rejected};

mod one_pass;

/// One value of a series, at the instant it was sampled.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[non_exhaustive]
pub struct SeriesPoint<T> {
    /// When the value was sampled.
    pub at: Timestamp,
    /// The value (unit: see the series).
    pub value: T,
}

/// The decoded body of `sleep get`: the night's segments, sorted by start.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct SleepSegments {
    /// The kind of device (tracker or sleep monitor), from the body's integer `model`.
    pub model: Option<SleepModel>,
    /// The segments, sorted by start, then end, then state code (the API does not sort them).
    pub segments: Vec<Segment>,
    /// The segments that could not be read, left out of `segments` (API notes §15). Not
    /// serialized when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rejected: Vec<Rejected>,
}

impl SleepSegments {
    /// Time spent in each state over these segments (see [`hypnogram`]).
    #[must_use]
    pub fn hypnogram(&self) -> Hypnogram {
        hypnogram(&self.segments)
    }
}

/// A span of time in one sleep state, with the series requested in `data_fields`.
///
/// A series that was not requested is an empty `Vec`. Every series is sorted by time. The
/// series documented as integers (`hr`, `rr`, `snoring`, `hrv_quality`, `mvt_score`) hold
/// [`Number`]s, as received: a `14.5` respiration rate stays `14.5` (API notes §15).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Segment {
    /// The sleep state; codes this library does not know are kept as `Unknown(code)`.
    pub state: SleepState,
    /// Start of the segment.
    pub start: Timestamp,
    /// End of the segment (never before `start`).
    pub end: Timestamp,
    /// `end - start`.
    pub duration: SignedDuration,
    /// The device model, from `model_id` (or from `model` when that is a code).
    pub device_model: Option<DeviceModel>,
    /// The device model name as sent in `model` (`"Aura Sensor V2"`).
    pub model_name: Option<String>,
    /// Hashed device id (absent on older tracker payloads).
    pub hash_device_id: Option<String>,
    /// Heart rate, beats per minute.
    pub hr: Vec<SeriesPoint<Number>>,
    /// Respiration rate, breaths per minute.
    pub rr: Vec<SeriesPoint<Number>>,
    /// Snoring.
    pub snoring: Vec<SeriesPoint<Number>>,
    /// Heart rate variability, SDNN over one minute, milliseconds.
    pub sdnn_1: Vec<SeriesPoint<f64>>,
    /// Heart rate variability, RMSSD, milliseconds.
    pub rmssd: Vec<SeriesPoint<f64>>,
    /// Quality of the heart rate variability signal.
    pub hrv_quality: Vec<SeriesPoint<Number>>,
    /// Movement score, 0–255.
    pub mvt_score: Vec<SeriesPoint<Number>>,
    /// Chest movement rate, events per minute.
    pub chest_movement_rate: Vec<SeriesPoint<f64>>,
    /// Withings index.
    pub withings_index: Vec<SeriesPoint<f64>>,
    /// Breathing sounds.
    pub breathing_sounds: Vec<SeriesPoint<f64>>,
}

/// Time spent in each sleep state over a set of segments.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Hypnogram {
    /// Awake (state 0).
    pub awake: SignedDuration,
    /// Light sleep (state 1).
    pub light: SignedDuration,
    /// Deep sleep (state 2).
    pub deep: SignedDuration,
    /// REM sleep (state 3).
    pub rem: SignedDuration,
    /// Manually entered sleep (state 4).
    pub manual: SignedDuration,
    /// Asleep, stage unspecified (state 5).
    pub unspecified: SignedDuration,
    /// Out of bed (state 15).
    pub out_of_bed: SignedDuration,
    /// States this library does not know, by code.
    pub unknown: BTreeMap<i64, SignedDuration>,
}

impl Hypnogram {
    /// The time spent in `state`.
    #[must_use]
    pub fn get(&self, state: SleepState) -> SignedDuration {
        match SleepState::from_code(state.code()) {
            SleepState::Awake => self.awake,
            SleepState::Light => self.light,
            SleepState::Deep => self.deep,
            SleepState::Rem => self.rem,
            SleepState::Manual => self.manual,
            SleepState::Unspecified => self.unspecified,
            SleepState::OutOfBed => self.out_of_bed,
            other => self.unknown.get(&other.code()).copied().unwrap_or_default(),
        }
    }

    /// Time asleep: light + deep + REM + manual + unspecified (not awake, out of bed or
    /// unknown states).
    #[must_use]
    pub fn asleep(&self) -> SignedDuration {
        [
            self.light,
            self.deep,
            self.rem,
            self.manual,
            self.unspecified,
        ]
        .into_iter()
        .fold(SignedDuration::ZERO, SignedDuration::saturating_add)
    }

    /// Time covered by at least one segment, whatever its state.
    #[must_use]
    pub fn total(&self) -> SignedDuration {
        self.unknown.values().copied().fold(
            self.asleep()
                .saturating_add(self.awake)
                .saturating_add(self.out_of_bed),
            SignedDuration::saturating_add,
        )
    }

    fn add(&mut self, state: SleepState, d: SignedDuration) {
        // Normalised so that a hand-built `Unknown(1)` still counts as light sleep.
        let slot = match SleepState::from_code(state.code()) {
            SleepState::Awake => &mut self.awake,
            SleepState::Light => &mut self.light,
            SleepState::Deep => &mut self.deep,
            SleepState::Rem => &mut self.rem,
            SleepState::Manual => &mut self.manual,
            SleepState::Unspecified => &mut self.unspecified,
            SleepState::OutOfBed => &mut self.out_of_bed,
            other => self.unknown.entry(other.code()).or_default(),
        };
        *slot = slot.saturating_add(d);
    }
}

/// Totals the time spent in each state over `segments` (in any order).
///
/// Overlaps are never counted twice: the segments are merged on a time line and each instant
/// is attributed to **one** segment, the one covering it that started most recently (on equal
/// starts, the one later in the slice; in [`SleepSegments`] order that is the later end, then
/// the higher state code). So an exact duplicate counts once, and a short segment nested in a
/// longer one takes its own span out of the longer one. Gaps between segments count for no
/// state. Empty or reversed segments count for nothing.
#[must_use]
pub fn hypnogram(segments: &[Segment]) -> Hypnogram {
    let mut events: Vec<(Timestamp, usize, bool)> = Vec::with_capacity(segments.len() * 2);
    for (i, s) in segments.iter().enumerate() {
        if s.end > s.start {
            events.push((s.start, i, true));
            events.push((s.end, i, false));
        }
    }
    events.sort_unstable_by_key(|e| e.0);

    let mut out = Hypnogram::default();
    // Segments covering the current instant, ordered so that the last one wins.
    let mut active: BTreeSet<(Timestamp, usize)> = BTreeSet::new();
    let mut prev: Option<Timestamp> = None;
    for (at, i, is_start) in events {
        if let (Some(from), Some(&(_, winner))) = (prev, active.last())
            && at > from
            && let Some(seg) = segments.get(winner)
        {
            out.add(seg.state, at.duration_since(from));
        }
        prev = Some(at);
        if let Some(seg) = segments.get(i) {
            if is_start {
                active.insert((seg.start, i));
            } else {
                active.remove(&(seg.start, i));
            }
        }
    }
    out
}

/// A series map (already sorted by the wire type's `BTreeMap`) as points.
fn series<T: Copy>(
    map: &BTreeMap<i64, T>,
    i: usize,
    name: &str,
) -> Result<Vec<SeriesPoint<T>>, DecodeError> {
    let mut out = Vec::with_capacity(map.len());
    for (&key, &value) in map {
        out.push(SeriesPoint {
            at: timestamp(key, || format!("body.series[{i}].{name}.{key}"))?,
            value,
        });
    }
    Ok(out)
}

/// The end of a span, checked not to precede its start.
fn span_end(start: Timestamp, end_secs: i64, i: usize) -> Result<Timestamp, DecodeError> {
    let path = || format!("body.series[{i}].enddate");
    let end = timestamp(end_secs, path)?;
    if end < start {
        return Err(DecodeError::Invalid {
            path: path(),
            problem: format!("ends at {end} before it starts at {start}"),
        });
    }
    Ok(end)
}

fn segment(s: SleepSegment, i: usize) -> Result<Segment, DecodeError> {
    let start = timestamp(s.startdate, || format!("body.series[{i}].startdate"))?;
    let end = span_end(start, s.enddate, i)?;
    let (device_model, model_name) = device(s.model, s.model_id);
    Ok(Segment {
        state: s.state,
        start,
        end,
        duration: end.duration_since(start),
        device_model,
        model_name,
        hash_device_id: s.hash_deviceid,
        hr: series(&s.hr, i, "hr")?,
        rr: series(&s.rr, i, "rr")?,
        snoring: series(&s.snoring, i, "snoring")?,
        sdnn_1: series(&s.sdnn_1, i, "sdnn_1")?,
        rmssd: series(&s.rmssd, i, "rmssd")?,
        hrv_quality: series(&s.hrv_quality, i, "hrv_quality")?,
        mvt_score: series(&s.mvt_score, i, "mvt_score")?,
        chest_movement_rate: series(&s.chest_movement_rate, i, "chest_movement_rate")?,
        withings_index: series(&s.withings_index, i, "withings_index")?,
        breathing_sounds: series(&s.breathing_sounds, i, "breathing_sounds")?,
    })
}

/// A segment's device: its model from `model_id` (or from `model` when that is a code), and
/// the model name `model` gives.
fn device(
    model: Option<NameOrCode>,
    model_id: Option<i64>,
) -> (Option<DeviceModel>, Option<String>) {
    let (name, code) = match model {
        Some(NameOrCode::Name(n)) => (Some(n), None),
        Some(NameOrCode::Code(c)) => (None, Some(c)),
        None => (None, None),
    };
    (model_id.or(code).map(DeviceModel::from_code), name)
}

/// By start, then end, then state code (the API does not sort them); segments equal in all
/// three keep their order. The order is found on the keys and applied by swaps: sorting the
/// segments themselves (hundreds of bytes each) took a scratch copy of half of them.
fn sort_segments(segments: &mut [Segment]) {
    let key = |s: &Segment| (s.start, s.end, s.state.code());
    if segments.is_sorted_by_key(key) {
        return;
    }
    let mut order: Vec<usize> = (0..segments.len()).collect();
    order.sort_by_key(|&i| segments.get(i).map(key));
    // Position `j` receives the segment at `order[j]`, one cycle of the permutation at a time.
    for i in 0..order.len() {
        let mut j = i;
        while let Some(&next) = order.get(j)
            && next != i
        {
            segments.swap(j, next);
            if let Some(o) = order.get_mut(j) {
                *o = j;
            }
            j = next;
        }
        if let Some(o) = order.get_mut(j) {
            *o = j;
        }
    }
}

impl Decode for GetSleepBody {
    type Output = SleepSegments;

    /// Reads a successful sleep get response straight into [`SleepSegments`], without the
    /// wire model's list of segments (`sleep/one_pass.rs`); it declines a status other than 0,
    /// a segment to be rejected, a repeated key, anything out of the ordinary.
    fn decode_one_pass(bytes: &[u8]) -> Option<OnePass<SleepSegments>> {
        one_pass::decode(bytes).map(OnePass::new)
    }

    fn decode(self) -> Result<SleepSegments, DecodeError> {
        // Decoded in wire order so that error paths name the index as received.
        let (series, at, rejected) = self.series.into_parts();
        let mut segments = series
            .into_iter()
            .enumerate()
            .map(|(k, s)| segment(s, at.of(k)))
            .collect::<Result<Vec<_>, _>>()?;
        sort_segments(&mut segments);
        Ok(SleepSegments {
            model: self.model,
            segments,
            rejected,
        })
    }
}

/// One night's summary, with local times in the night's zone.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct SleepSummary {
    /// Summary id; `None` when the payload leaves it out (metadata: key a night by its
    /// `date` and device instead).
    pub id: Option<i64>,
    /// The night's local date, as Withings assigns it (the morning it ended, API notes §11).
    pub date: Date,
    /// IANA zone of the night.
    pub timezone: String,
    /// Start of the night.
    pub start: Timestamp,
    /// End of the night (never before `start`).
    pub end: Timestamp,
    /// Start of the night in `timezone`.
    pub local_start: ZonedDateTime,
    /// End of the night in `timezone`.
    pub local_end: ZonedDateTime,
    /// When the summary was created; `None` when the payload leaves it out (metadata).
    pub created: Option<Timestamp>,
    /// When the summary was last modified (use `lastupdate` to sync on it).
    pub modified: Timestamp,
    /// The kind of device (tracker or sleep monitor).
    pub model: Option<SleepModel>,
    /// The device model, from `model_id`.
    pub device_model: Option<DeviceModel>,
    /// Hashed device id.
    pub hash_device_id: Option<String>,
    /// Whether the night is complete (spec only; usually absent).
    pub completed: Option<bool>,
    /// The measured values.
    pub metrics: SleepMetrics,
}

/// The values of one night. Each is `None` when it was not requested (or not in the default
/// set), `null`, or — for heart rates — 0. Fields that are `None` are left out when
/// serialized. Durations are [`SignedDuration`]s built from the API's seconds. Heart and
/// respiration rates and the breathing disturbances intensity are [`Number`]s, as received
/// (API notes §15); counts and the score stay integers.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct SleepMetrics {
    /// Time in bed (`total_timeinbed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_in_bed: Option<SignedDuration>,
    /// Time asleep: light + deep + REM (`total_sleep_time`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_sleep_time: Option<SignedDuration>,
    /// Time asleep for nights from an external source, which have no light/deep/REM split
    /// (`asleepduration`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asleep_duration: Option<SignedDuration>,
    /// Light sleep (`lightsleepduration`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub light_sleep: Option<SignedDuration>,
    /// Deep sleep (`deepsleepduration`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deep_sleep: Option<SignedDuration>,
    /// REM sleep (`remsleepduration`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rem_sleep: Option<SignedDuration>,
    /// Time asleep / time in bed, as a ratio 0–1 (not a percentage).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sleep_efficiency: Option<f64>,
    /// Time to fall asleep (`sleep_latency`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sleep_latency: Option<SignedDuration>,
    /// Time from waking up to getting up (`wakeup_latency`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wakeup_latency: Option<SignedDuration>,
    /// Time awake (`wakeupduration`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub awake_duration: Option<SignedDuration>,
    /// Number of awakenings (`wakeupcount`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wakeup_count: Option<i64>,
    /// Time awake after first falling asleep (`waso`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wake_after_sleep_onset: Option<SignedDuration>,
    /// Number of REM episodes (`nb_rem_episodes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rem_episodes: Option<i64>,
    /// Breathing disturbances intensity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breathing_disturbances_intensity: Option<Number>,
    /// Apnea-hypopnea index, events per hour (EU/AU devices with the apnea feature).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apnea_hypopnea_index: Option<f64>,
    /// Withings index (US Sleep Rx; 0–15 none/mild, 15–30 moderate, above 30 severe).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withings_index: Option<f64>,
    /// Breathing quality assessment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breathing_quality_assessment: Option<i64>,
    /// Time to fall asleep, deprecated field (`durationtosleep`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_to_sleep: Option<SignedDuration>,
    /// Time to wake up, deprecated field (`durationtowakeup`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_to_wakeup: Option<SignedDuration>,
    /// Number of times out of bed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_of_bed_count: Option<i64>,
    /// Average heart rate, bpm; `None` when 0 (the device has no heart-rate sensor).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heart_rate_average: Option<Number>,
    /// Minimum heart rate, bpm; `None` when 0 (no heart-rate sensor).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heart_rate_min: Option<Number>,
    /// Maximum heart rate, bpm; `None` when 0 (no heart-rate sensor).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heart_rate_max: Option<Number>,
    /// Average respiration rate, breaths per minute (kept as sent, 0 included).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub respiration_rate_average: Option<Number>,
    /// Minimum respiration rate, breaths per minute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub respiration_rate_min: Option<Number>,
    /// Maximum respiration rate, breaths per minute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub respiration_rate_max: Option<Number>,
    /// Time snoring (`snoring`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snoring_duration: Option<SignedDuration>,
    /// Number of snoring episodes (`snoringepisodecount`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snoring_episodes: Option<i64>,
    /// Sleep score, 0–100.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sleep_score: Option<i64>,
    /// Night events (see [`NightEvents`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub night_events: Option<NightEvents>,
    /// Average movement score (`mvt_score_avg`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub movement_score_average: Option<f64>,
    /// Time with movement (`mvt_active_duration`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub movement_active_duration: Option<SignedDuration>,
    /// Average RMSSD at the start of the night, milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rmssd_start_average: Option<f64>,
    /// Average RMSSD at the end of the night, milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rmssd_end_average: Option<f64>,
    /// Average chest movement rate (wellness algorithm), per minute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chest_movement_rate_wellness_average: Option<f64>,
    /// Minimum chest movement rate (wellness algorithm), per minute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chest_movement_rate_wellness_min: Option<f64>,
    /// Maximum chest movement rate (wellness algorithm), per minute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chest_movement_rate_wellness_max: Option<f64>,
    /// Average chest movement rate, per minute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chest_movement_rate_average: Option<f64>,
    /// Minimum chest movement rate, per minute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chest_movement_rate_min: Option<f64>,
    /// Maximum chest movement rate, per minute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chest_movement_rate_max: Option<f64>,
    /// Breathing sounds (unit undocumented; kept as sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breathing_sounds: Option<f64>,
    /// Number of breathing sound episodes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breathing_sounds_episodes: Option<i64>,
    /// Minimum core body temperature, °C.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub core_body_temperature_min: Option<f64>,
    /// Maximum core body temperature, °C.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub core_body_temperature_max: Option<f64>,
    /// Average core body temperature, °C.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub core_body_temperature_average: Option<f64>,
    /// Core body temperature status as sent: `unknown`, `usual` or `elevated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub core_body_temperature_status: Option<String>,
}

/// The `night_events` of a summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NightEvents {
    /// The documented shape, `{"<type>": [<seconds from the night's start>, ...]}` (PHP's `[]`
    /// for none), as events sorted by time, then type.
    Events(Vec<NightEvent>),
    /// Any other shape, kept as received: no real sample has been seen (API notes §14), so an
    /// unexpected shape must not fail the response.
    Raw(serde_json::Value),
}

/// One event of the night.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct NightEvent {
    /// What happened (API notes §7.5); unknown codes are kept.
    pub kind: NightEventType,
    /// When: the night's start plus the offset sent.
    pub at: Timestamp,
}

/// An offset in whole seconds: an integer, or a float with no fractional part.
fn offset_seconds(v: &serde_json::Value) -> Option<i64> {
    let n = v.as_number()?;
    n.as_i64().or_else(|| {
        let f = n.as_f64()?;
        // In range and integral, so the cast is exact.
        #[allow(clippy::cast_possible_truncation)]
        (f.fract() == 0.0 && f.abs() < 1e15).then_some(f as i64)
    })
}

fn night_event_list(raw: &serde_json::Value, start: Timestamp) -> Option<Vec<NightEvent>> {
    let map = match raw {
        serde_json::Value::Object(map) => map,
        serde_json::Value::Array(a) if a.is_empty() => return Some(Vec::new()),
        _ => return None,
    };
    let mut events = Vec::new();
    for (key, offsets) in map {
        let kind = NightEventType::from_code(key.trim().parse().ok()?);
        for offset in offsets.as_array()? {
            let at = start
                .checked_add(SignedDuration::from_secs(offset_seconds(offset)?))
                .ok()?;
            events.push(NightEvent { kind, at });
        }
    }
    events.sort_by_key(|e| (e.at, e.kind));
    Some(events)
}

fn night_events(raw: serde_json::Value, start: Timestamp) -> NightEvents {
    match night_event_list(&raw, start) {
        Some(events) => NightEvents::Events(events),
        None => NightEvents::Raw(raw),
    }
}

fn secs(v: Option<i64>) -> Option<SignedDuration> {
    v.map(SignedDuration::from_secs)
}

/// 0 means the device has no heart-rate sensor (API notes §12.15).
fn heart_rate(v: Option<Number>) -> Option<Number> {
    v.filter(|bpm| !bpm.is_zero())
}

fn metrics(d: SleepSummaryData, start: Timestamp) -> SleepMetrics {
    SleepMetrics {
        time_in_bed: secs(d.total_timeinbed),
        total_sleep_time: secs(d.total_sleep_time),
        asleep_duration: secs(d.asleepduration),
        light_sleep: secs(d.lightsleepduration),
        deep_sleep: secs(d.deepsleepduration),
        rem_sleep: secs(d.remsleepduration),
        sleep_efficiency: d.sleep_efficiency,
        sleep_latency: secs(d.sleep_latency),
        wakeup_latency: secs(d.wakeup_latency),
        awake_duration: secs(d.wakeupduration),
        wakeup_count: d.wakeupcount,
        wake_after_sleep_onset: secs(d.waso),
        rem_episodes: d.nb_rem_episodes,
        breathing_disturbances_intensity: d.breathing_disturbances_intensity,
        apnea_hypopnea_index: d.apnea_hypopnea_index,
        withings_index: d.withings_index,
        breathing_quality_assessment: d.breathing_quality_assessment,
        duration_to_sleep: secs(d.durationtosleep),
        duration_to_wakeup: secs(d.durationtowakeup),
        out_of_bed_count: d.out_of_bed_count,
        heart_rate_average: heart_rate(d.hr_average),
        heart_rate_min: heart_rate(d.hr_min),
        heart_rate_max: heart_rate(d.hr_max),
        respiration_rate_average: d.rr_average,
        respiration_rate_min: d.rr_min,
        respiration_rate_max: d.rr_max,
        snoring_duration: secs(d.snoring),
        snoring_episodes: d.snoringepisodecount,
        sleep_score: d.sleep_score,
        night_events: d.night_events.map(|raw| night_events(raw, start)),
        movement_score_average: d.mvt_score_avg,
        movement_active_duration: secs(d.mvt_active_duration),
        rmssd_start_average: d.rmssd_start_avg,
        rmssd_end_average: d.rmssd_end_avg,
        chest_movement_rate_wellness_average: d.chest_movement_rate_wellness_average,
        chest_movement_rate_wellness_min: d.chest_movement_rate_wellness_min,
        chest_movement_rate_wellness_max: d.chest_movement_rate_wellness_max,
        chest_movement_rate_average: d.chest_movement_rate_average,
        chest_movement_rate_min: d.chest_movement_rate_min,
        chest_movement_rate_max: d.chest_movement_rate_max,
        breathing_sounds: d.breathing_sounds,
        breathing_sounds_episodes: d.breathing_sounds_episode_count,
        core_body_temperature_min: d.core_body_temperature_min,
        core_body_temperature_max: d.core_body_temperature_max,
        core_body_temperature_average: d.core_body_temperature_avg,
        core_body_temperature_status: d.core_body_temperature_status,
    }
}

fn summary(s: WireSummary, i: usize, zones: &mut Zones) -> Result<SleepSummary, DecodeError> {
    let start = timestamp(s.startdate, || format!("body.series[{i}].startdate"))?;
    let end = span_end(start, s.enddate, i)?;
    let tz = zones.get(&s.timezone, || format!("body.series[{i}].timezone"))?;
    Ok(SleepSummary {
        id: s.id,
        date: ymd(&s.date, || format!("body.series[{i}].date"))?,
        local_start: start.to_zoned_datetime(tz.clone()),
        local_end: end.to_zoned_datetime(tz),
        timezone: s.timezone,
        start,
        end,
        created: opt_timestamp(s.created, || format!("body.series[{i}].created"))?,
        modified: timestamp(s.modified, || format!("body.series[{i}].modified"))?,
        model: s.model,
        device_model: s.model_id.map(DeviceModel::from_code),
        hash_device_id: s.hash_deviceid,
        completed: s.completed,
        metrics: metrics(s.data, start),
    })
}

impl Decode for GetSleepSummaryBody {
    type Output = Records<SleepSummary>;

    /// Summaries sorted by start, then id. Paging (`more`, `offset`) stays on the wire body.
    fn decode(self) -> Result<Records<SleepSummary>, DecodeError> {
        let mut zones = Zones::new();
        let (series, at, rejected) = self.series.into_parts();
        let mut out = series
            .into_iter()
            .enumerate()
            .map(|(k, s)| summary(s, at.of(k), &mut zones))
            .collect::<Result<Vec<_>, _>>()?;
        out.sort_by_key(|s| (s.start, s.id));
        Ok(Records::new(out, rejected))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use withings_model::Reply;

    fn ts(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    fn get(body: &str) -> Result<SleepSegments, DecodeError> {
        let json = format!(r#"{{"status":0,"body":{body}}}"#);
        match crate::decode_reply::<GetSleepBody>(json.as_bytes())? {
            Reply::Ok(v) => Ok(v),
            Reply::Status(s) => panic!("status {s}"),
        }
    }

    fn summaries(series: &str) -> Result<Records<SleepSummary>, DecodeError> {
        let json =
            format!(r#"{{"status":0,"body":{{"series":[{series}],"more":false,"offset":0}}}}"#);
        match crate::decode_reply::<GetSleepSummaryBody>(json.as_bytes())? {
            Reply::Ok(v) => Ok(v),
            Reply::Status(s) => panic!("status {s}"),
        }
    }

    fn night(id: i64, start: i64, date: &str, data: &str) -> String {
        format!(
            r#"{{"id":{id},"timezone":"Europe\/Paris","model":32,"model_id":63,"startdate":{start},"enddate":{},"date":"{date}","created":1717394500,"modified":1717394500,"data":{data}}}"#,
            start + 29_400
        )
    }

    fn seg(state: i64, start: i64, end: i64) -> String {
        format!(r#"{{"startdate":{start},"enddate":{end},"state":{state}}}"#)
    }

    /// Segments built through the decoder, so they are exactly what callers get.
    fn segments(list: &[(i64, i64, i64)]) -> Vec<Segment> {
        let series: Vec<String> = list.iter().map(|&(state, a, b)| seg(state, a, b)).collect();
        get(&format!(r#"{{"series":[{}]}}"#, series.join(",")))
            .unwrap()
            .segments
    }

    /// The sort by swaps gives the stable sort's order, equal keys included.
    #[test]
    fn sorting_segments_by_swaps_is_a_stable_sort() {
        let mut x: u64 = 7;
        let mut next = |m: u64| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            i64::try_from((x >> 33) % m).unwrap()
        };
        for n in [0, 1, 2, 3, 10, 200] {
            let list: Vec<(i64, i64, i64)> = (0..n)
                .map(|_| {
                    let a = 1_717_000_000 + 60 * next(8);
                    (next(3), a, a + 60 * next(3))
                })
                .collect();
            let mut ours = segments(&list);
            // Shuffled (the decoder sorted them), then tagged with their place through a
            // field the key ignores, so that equal keys show their order.
            for k in (1..ours.len()).rev() {
                let j = usize::try_from(next(k as u64 + 1)).unwrap();
                ours.swap(k, j);
            }
            for (k, s) in ours.iter_mut().enumerate() {
                s.model_name = Some(k.to_string());
            }
            let mut stable = ours.clone();
            stable.sort_by_key(|s| (s.start, s.end, s.state.code()));
            sort_segments(&mut ours);
            assert_eq!(ours, stable, "{n}");
            if n == 200 {
                assert_ne!(
                    stable.first().map(|s| &s.model_name),
                    Some(&Some("0".into()))
                );
            }
        }
    }

    #[test]
    fn segments_are_sorted_by_start_with_durations_and_models() {
        let out = get(
            r#"{"series":[
            {"startdate":1717369200,"state":1,"enddate":1717369800,"model":"Aura Sensor V2","model_id":63,"hash_deviceid":"f00d"},
            {"startdate":1717368000,"state":0,"enddate":1717369200,"model":"Aura Sensor V2","model_id":63}],"model":32}"#,
        )
        .unwrap();
        assert_eq!(out.model, Some(SleepModel::SleepMonitor));
        let starts: Vec<i64> = out.segments.iter().map(|s| s.start.as_second()).collect();
        assert_eq!(starts, [1_717_368_000, 1_717_369_200]);
        let first = &out.segments[0];
        assert_eq!(first.state, SleepState::Awake);
        assert_eq!(first.duration, SignedDuration::from_mins(20));
        assert_eq!(first.device_model, Some(DeviceModel::AuraSensorV2));
        assert_eq!(first.model_name.as_deref(), Some("Aura Sensor V2"));
        assert_eq!(first.hash_device_id, None);
        assert_eq!(out.segments[1].hash_device_id.as_deref(), Some("f00d"));
    }

    #[test]
    fn series_are_time_sorted_points_and_absent_series_are_empty() {
        let out = get(
            r#"{"series":[{"startdate":1717369200,"state":1,"enddate":1717369800,
            "hr":{"1717369260":59,"1717369200":61},"rr":[],"rmssd":{"1717369200":38.25}}]}"#,
        )
        .unwrap();
        let s = &out.segments[0];
        assert_eq!(
            s.hr,
            [
                SeriesPoint {
                    at: ts(1_717_369_200),
                    value: Number::Int(61)
                },
                SeriesPoint {
                    at: ts(1_717_369_260),
                    value: Number::Int(59)
                }
            ]
        );
        assert!(s.rr.is_empty());
        assert!(s.snoring.is_empty());
        assert_eq!(
            s.rmssd,
            [SeriesPoint {
                at: ts(1_717_369_200),
                value: 38.25
            }]
        );
        assert_eq!(out.model, None);
    }

    #[test]
    fn out_of_range_series_key_rejects_the_segment_naming_series_and_key() {
        let out = get(r#"{"series":[{"startdate":1,"state":1,"enddate":2},
            {"startdate":1,"state":1,"enddate":2,"hr":{"99999999999999":60}}]}"#)
        .unwrap();
        assert_eq!(out.segments.len(), 1);
        let r = &out.rejected[0];
        assert_eq!(r.path, "body.series[1]");
        assert_eq!(
            r.error,
            "at `hr.99999999999999`: timestamp 99999999999999 is out of range"
        );
    }

    #[test]
    fn out_of_range_start_and_reversed_segment_are_rejected_by_wire_index() {
        let out = get(&format!(
            r#"{{"series":[{},{}]}}"#,
            seg(1, 10, 20),
            seg(1, -99_999_999_999_999, 20)
        ))
        .unwrap();
        assert_eq!(out.rejected[0].path, "body.series[1]");
        assert!(out.rejected[0].error.starts_with("at `startdate`"));
        let out = get(&format!(
            r#"{{"series":[{},{},{}]}}"#,
            seg(1, 30, 40),
            seg(2, 50, 45),
            seg(1, 10, 20)
        ))
        .unwrap();
        // Sorted by start, the bad one left out wherever it was.
        let starts: Vec<_> = out.segments.iter().map(|s| s.start.as_second()).collect();
        assert_eq!(starts, [10, 30]);
        assert_eq!(out.rejected[0].path, "body.series[1]");
        assert_eq!(
            out.rejected[0].error,
            "at `enddate`: ends at 45 before it starts at 50"
        );
        assert_eq!(out.rejected[0].raw(), seg(2, 50, 45));
        // A series value with a fraction is kept as it came.
        let out =
            get(r#"{"series":[{"startdate":1,"state":1,"enddate":2,"rr":{"1":14.5,"2":15}}]}"#)
                .unwrap();
        let rr: Vec<_> = out.segments[0].rr.iter().map(|p| p.value).collect();
        assert_eq!(rr, [Number::Float(14.5), Number::Int(15)]);
        assert!(out.rejected.is_empty());
    }

    #[test]
    fn unknown_states_are_kept_and_totalled_by_code() {
        let segs = segments(&[
            (5, 0, 600),
            (99, 600, 660),
            (1, 660, 1260),
            (99, 1260, 1320),
        ]);
        assert_eq!(segs[0].state, SleepState::Unspecified);
        assert_eq!(segs[1].state, SleepState::from_code(99));
        let h = hypnogram(&segs);
        assert_eq!(h.unspecified, SignedDuration::from_secs(600));
        assert_eq!(h.light, SignedDuration::from_secs(600));
        assert_eq!(
            h.unknown,
            BTreeMap::from([(99, SignedDuration::from_secs(120))])
        );
        assert_eq!(
            h.get(SleepState::from_code(99)),
            SignedDuration::from_secs(120)
        );
        assert_eq!(h.asleep(), SignedDuration::from_secs(1200));
        assert_eq!(h.total(), SignedDuration::from_secs(1320));
    }

    #[test]
    fn hypnogram_totals_each_state() {
        let h = hypnogram(&segments(&[
            (0, 0, 300),
            (1, 300, 1500),
            (2, 1500, 2700),
            (3, 2700, 3300),
            (1, 3300, 3600),
            (15, 3600, 3900),
            (4, 4000, 4100),
        ]));
        assert_eq!(h.awake, SignedDuration::from_secs(300));
        assert_eq!(h.light, SignedDuration::from_secs(1500));
        assert_eq!(h.deep, SignedDuration::from_secs(1200));
        assert_eq!(h.rem, SignedDuration::from_secs(600));
        assert_eq!(h.out_of_bed, SignedDuration::from_secs(300));
        assert_eq!(h.manual, SignedDuration::from_secs(100));
        // The gap 3900..4000 counts for nothing.
        assert_eq!(h.total(), SignedDuration::from_secs(4000));
    }

    #[test]
    fn hypnogram_counts_duplicates_and_overlaps_once() {
        // An exact duplicate counts once.
        let h = hypnogram(&segments(&[(1, 0, 600), (1, 0, 600)]));
        assert_eq!(h.light, SignedDuration::from_secs(600));
        assert_eq!(h.total(), SignedDuration::from_secs(600));
        // A nested segment takes its span out of the longer one (latest start wins).
        let h = hypnogram(&segments(&[(1, 0, 1000), (2, 200, 500)]));
        assert_eq!(h.light, SignedDuration::from_secs(700));
        assert_eq!(h.deep, SignedDuration::from_secs(300));
        // A partial overlap: the later-starting segment owns the shared part.
        let h = hypnogram(&segments(&[(0, 0, 600), (1, 400, 1000)]));
        assert_eq!(h.awake, SignedDuration::from_secs(400));
        assert_eq!(h.light, SignedDuration::from_secs(600));
        assert_eq!(h.total(), SignedDuration::from_secs(1000));
        // Input order does not matter.
        let mut segs = segments(&[(0, 0, 600), (1, 400, 1000), (2, 1000, 1300)]);
        segs.reverse();
        let h = hypnogram(&segs);
        assert_eq!(
            (h.awake, h.light, h.deep),
            (
                SignedDuration::from_secs(400),
                SignedDuration::from_secs(600),
                SignedDuration::from_secs(300)
            )
        );
        assert_eq!(hypnogram(&[]), Hypnogram::default());
    }

    #[test]
    fn summary_has_local_times_dates_and_durations() {
        let out = summaries(&night(
            2_500_000_456,
            1_717_364_400,
            "2024-06-03",
            r#"{"total_timeinbed":29400,"total_sleep_time":26100,"sleep_efficiency":0.89,"hr_average":58,"hr_min":49,"hr_max":77,"rr_average":14}"#,
        ))
        .unwrap();
        let s = &out[0];
        assert_eq!(s.date, jiff::civil::date(2024, 6, 3));
        assert_eq!(
            s.local_start.to_string(),
            "2024-06-02T23:40:00+02:00[Europe/Paris]"
        );
        assert_eq!(
            s.local_end.to_string(),
            "2024-06-03T07:50:00+02:00[Europe/Paris]"
        );
        assert_eq!(s.model, Some(SleepModel::SleepMonitor));
        assert_eq!(s.device_model, Some(DeviceModel::AuraSensorV2));
        assert_eq!(
            s.metrics.time_in_bed,
            Some(SignedDuration::from_secs(29_400))
        );
        assert_eq!(s.metrics.sleep_efficiency, Some(0.89));
        assert_eq!(s.metrics.heart_rate_average, Some(Number::Int(58)));
        assert_eq!(s.metrics.respiration_rate_average, Some(Number::Int(14)));
        assert_eq!(s.metrics.light_sleep, None);
    }

    #[test]
    fn heart_rate_zeros_mean_no_sensor() {
        let out = summaries(&night(
            1,
            1_717_364_400,
            "2024-06-03",
            r#"{"hr_average":0,"hr_min":0,"hr_max":0,"rr_average":0}"#,
        ))
        .unwrap();
        let m = &out[0].metrics;
        assert_eq!(
            (m.heart_rate_average, m.heart_rate_min, m.heart_rate_max),
            (None, None, None)
        );
        // Respiration rates are kept as sent: only HR zeros are documented as "no sensor".
        assert_eq!(m.respiration_rate_average, Some(Number::Int(0)));
    }

    #[test]
    fn summaries_are_sorted_by_start() {
        let out = summaries(&format!(
            "{},{}",
            night(2, 1_717_450_800, "2024-06-04", "[]"),
            night(1, 1_717_364_400, "2024-06-03", "[]")
        ))
        .unwrap();
        assert_eq!(
            out.iter().map(|s| s.id).collect::<Vec<_>>(),
            [Some(1), Some(2)]
        );
        assert_eq!(out[0].metrics, SleepMetrics::default());
    }

    #[test]
    fn a_bad_date_rejects_its_night_and_a_bad_zone_fails_the_response() {
        let bad = night(2, 1_717_450_800, "2024-02-30", "{}");
        let out = summaries(&format!(
            "{},{bad}",
            night(
                1,
                1_717_364_400,
                "2024-06-03",
                r#"{"hr_average":61.5,"rr_average":14}"#
            ),
        ))
        .unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].metrics.heart_rate_average, Some(Number::Float(61.5)));
        assert_eq!(
            out[0].metrics.respiration_rate_average,
            Some(Number::Int(14))
        );
        assert_eq!(out.rejected[0].path, "body.series[1]");
        assert_eq!(
            out.rejected[0].error,
            "at `date`: `2024-02-30` is not a valid YYYY-MM-DD date"
        );
        assert_eq!(out.rejected[0].raw(), bad);
        let bad_zone = night(1, 1_717_364_400, "2024-06-03", "{}")
            .replace(r"Europe\/Paris", "Mars/Olympus_Mons");
        assert_eq!(
            summaries(&bad_zone).unwrap_err().path(),
            "body.series[0].timezone"
        );
    }

    #[test]
    fn night_events_dict_becomes_sorted_events() {
        let out = summaries(&night(
            1,
            1_717_364_400,
            "2024-06-03",
            r#"{"night_events":{"3":[27000],"1":[0],"2":[540.0],"9":[60]}}"#,
        ))
        .unwrap();
        let Some(NightEvents::Events(events)) = &out[0].metrics.night_events else {
            panic!()
        };
        let got: Vec<(NightEventType, i64)> = events
            .iter()
            .map(|e| (e.kind, e.at.as_second() - 1_717_364_400))
            .collect();
        assert_eq!(
            got,
            [
                (NightEventType::GotInBed, 0),
                (NightEventType::from_code(9), 60),
                (NightEventType::FellAsleep, 540),
                (NightEventType::WokeUp, 27_000)
            ]
        );
    }

    #[test]
    fn night_events_in_other_shapes_are_kept_raw() {
        for (raw, expect_raw) in [
            (r#"[{"type":1,"timestamp":0}]"#, true),
            (r#"{"one":[0]}"#, true),
            (r#"{"1":0}"#, true),
            (r#"{"1":[0.5]}"#, true),
            (r#"{"1":[99999999999999999]}"#, true),
            ("[]", false),
        ] {
            let out = summaries(&night(
                1,
                1_717_364_400,
                "2024-06-03",
                &format!(r#"{{"night_events":{raw}}}"#),
            ))
            .unwrap();
            match &out[0].metrics.night_events {
                Some(NightEvents::Raw(v)) => {
                    assert!(expect_raw, "{raw} should decode");
                    assert_eq!(v, &serde_json::from_str::<serde_json::Value>(raw).unwrap());
                }
                Some(NightEvents::Events(e)) => {
                    assert!(!expect_raw, "{raw} should stay raw");
                    assert!(e.is_empty());
                }
                None => panic!("night_events lost for {raw}"),
            }
        }
        let out = summaries(&night(
            1,
            1_717_364_400,
            "2024-06-03",
            r#"{"night_events":null}"#,
        ))
        .unwrap();
        assert_eq!(out[0].metrics.night_events, None);
    }

    #[test]
    fn external_source_nights_have_asleep_duration_only() {
        let out = summaries(&night(
            1,
            1_717_364_400,
            "2024-06-03",
            r#"{"asleepduration":25200,"lightsleepduration":null,"deepsleepduration":null,"remsleepduration":null}"#,
        ))
        .unwrap();
        let m = &out[0].metrics;
        assert_eq!(m.asleep_duration, Some(SignedDuration::from_hours(7)));
        assert_eq!(
            (m.light_sleep, m.deep_sleep, m.rem_sleep),
            (None, None, None)
        );
    }
}
