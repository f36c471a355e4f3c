//! Daily activity (`getactivity`) and intraday samples (`getintradayactivity`) as domain values.
//!
//! Durations (time spent at each activity level, in each heart-rate zone, covered by a
//! sample) are [`SignedDuration`]s built from the API's whole seconds; they serialize as ISO
//! 8601 durations (`PT57M`).
//!
//! Withings sends 0 for heart-rate fields when no heart-rate sensor recorded the period
//! (API notes §12.15). A heart rate of 0 bpm is never a measurement, so it becomes `None`
//! here: [`DailyActivity::heart_rate`] is `None` when every heart-rate field is 0 or absent,
//! and [`IntradaySample::heart_rate`] is `None` for 0.
//!
//! Heart rates, respiration rates, HRV quality and chest movement rates are [`Number`]s: the
//! API documents them as integers but has sent fractions, which are kept as received (API
//! notes §15). Steps, strokes, laps and every duration stay integers.
//!
//! A day (`body.activities[i]`) or a sample (`body.series.<seconds>`) that cannot be read is
//! left out and listed in the output's [`Records::rejected`] (API notes §15); an unknown time
//! zone fails the whole response: it is this machine's time zone database that is missing or
//! out of date, not the record.

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use withings_model::activity::{self as wire, GetActivityBody, GetIntradayActivityBody};
use withings_model::codes::{DeviceModel, NameOrCode};

use crate::time::{Zones, opt_timestamp, timestamp, ymd};
use crate::{Decode, DecodeError, Number, Records};

/// One day of activity from one source.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct DailyActivity {
    /// The local calendar day, in [`time_zone`](Self::time_zone).
    pub date: Date,
    /// IANA name of the user's time zone for that day (checked against the tz database).
    pub time_zone: String,
    /// Step count.
    pub steps: Option<i64>,
    /// Distance, metres.
    pub distance_m: Option<f64>,
    /// Floors climbed.
    pub elevation: Option<f64>,
    /// Time of light activity (`soft`).
    pub soft_duration: Option<SignedDuration>,
    /// Time of moderate activity.
    pub moderate_duration: Option<SignedDuration>,
    /// Time of intense activity.
    pub intense_duration: Option<SignedDuration>,
    /// Time active: moderate plus intense.
    pub active_duration: Option<SignedDuration>,
    /// Active kilocalories.
    pub calories: Option<f64>,
    /// Active plus passive kilocalories.
    pub total_calories: Option<f64>,
    /// Heart rate over the day; `None` when the API sent only zeros (no heart-rate sensor,
    /// API notes §12.15) or no heart-rate field at all.
    pub heart_rate: Option<HeartRateSummary>,
    /// Time in each heart-rate zone; `None` when every zone is 0 or absent.
    pub heart_rate_zones: Option<HeartRateZones>,
    /// Device id; `None` for aggregated or external sources.
    pub device_id: Option<String>,
    /// Hashed device id.
    pub hash_device_id: Option<String>,
    /// Source model, from `modelid` (or `model` when it arrives as a code).
    pub model: Option<DeviceModel>,
    /// Source model name as sent (`"GoogleFit tracker"`).
    pub model_name: Option<String>,
    /// Source brand: 1 = Withings, 18 = external (phone, HealthKit, Google Fit).
    pub brand: Option<i64>,
    /// Whether a Withings tracker recorded the day.
    pub is_tracker: Option<bool>,
    /// Last modification; `None` when the payload leaves it out (metadata: the day itself
    /// is still decoded).
    pub modified: Option<Timestamp>,
}

/// Heart-rate figures of a period, in bpm. Each is `None` when absent or 0: the API sends 0
/// when no heart-rate sensor was worn (API notes §12.15). Each is a [`Number`], as received:
/// documented as an integer, sent with a fraction at times (API notes §15).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[non_exhaustive]
pub struct HeartRateSummary {
    /// Average.
    pub average: Option<Number>,
    /// Minimum.
    pub min: Option<Number>,
    /// Maximum.
    pub max: Option<Number>,
}

impl HeartRateSummary {
    /// The summary of the wire fields, or `None` when none of them is a real reading (all
    /// absent or 0, meaning "no heart-rate sensor").
    #[must_use]
    pub fn from_wire(
        average: Option<Number>,
        min: Option<Number>,
        max: Option<Number>,
    ) -> Option<Self> {
        let summary = Self {
            average: non_zero_number(average),
            min: non_zero_number(min),
            max: non_zero_number(max),
        };
        (summary.average.is_some() || summary.min.is_some() || summary.max.is_some())
            .then_some(summary)
    }
}

/// Time spent in each heart-rate zone (`hr_zone_0..3`). A zone of 0 is kept (0 s is a real
/// figure next to non-zero zones); each is `None` only when absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct HeartRateZones {
    /// Light zone (`hr_zone_0`).
    pub light: Option<SignedDuration>,
    /// Moderate zone (`hr_zone_1`).
    pub moderate: Option<SignedDuration>,
    /// Intense zone (`hr_zone_2`).
    pub intense: Option<SignedDuration>,
    /// Maximal zone (`hr_zone_3`).
    pub maximal: Option<SignedDuration>,
}

impl HeartRateZones {
    /// The zones of the wire fields (seconds), or `None` when every zone is absent or 0 (no
    /// heart-rate sensor, API notes §12.15).
    #[must_use]
    pub fn from_wire(zones: [Option<i64>; 4]) -> Option<Self> {
        if zones.iter().all(|z| z.unwrap_or(0) == 0) {
            return None;
        }
        let [light, moderate, intense, maximal] = zones.map(seconds);
        Some(Self {
            light,
            moderate,
            intense,
            maximal,
        })
    }
}

/// One intraday sample. Heart rate, respiration rate, HRV quality and chest movement rate are
/// [`Number`]s, as received (API notes §15); counts and the duration stay integers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct IntradaySample {
    /// Start of the sample.
    pub at: Timestamp,
    /// Time covered by the sample.
    pub duration: Option<SignedDuration>,
    /// Device id.
    pub device_id: Option<String>,
    /// Device model, from `model_id` (or `model` when it arrives as a code).
    pub model: Option<DeviceModel>,
    /// Device model name as sent (`"ScanWatch"`).
    pub model_name: Option<String>,
    /// Step count.
    pub steps: Option<i64>,
    /// Floors climbed.
    pub elevation: Option<f64>,
    /// Active kilocalories.
    pub calories: Option<f64>,
    /// Distance, metres.
    pub distance_m: Option<f64>,
    /// Swim strokes (`stroke`).
    pub strokes: Option<i64>,
    /// Pool laps (`pool_lap`).
    pub pool_laps: Option<i64>,
    /// Heart rate, bpm; `None` when absent or 0 (no heart-rate reading, API notes §12.15).
    pub heart_rate: Option<Number>,
    /// Automatic SpO2 reading, % (`spo2_auto`).
    pub spo2: Option<f64>,
    /// Heart-rate variability RMSSD, ms.
    pub hrv_rmssd_ms: Option<f64>,
    /// Heart-rate variability SDNN, ms (`sdnn1`).
    pub hrv_sdnn_ms: Option<f64>,
    /// Quality of the HRV reading.
    pub hrv_quality: Option<Number>,
    /// Core body temperature, °C.
    pub core_body_temperature_c: Option<f64>,
    /// Respiration rate, breaths per minute (`rr`).
    pub respiration_rate: Option<Number>,
    /// Chest movements per minute.
    pub chest_movement_rate: Option<Number>,
}

/// `Some(v)` unless `v` is 0: for fields where the API writes 0 for "no reading".
pub(crate) fn non_zero(v: Option<i64>) -> Option<i64> {
    v.filter(|&v| v != 0)
}

/// As [`non_zero`], for a [`Number`] (`0` and `0.0` alike).
pub(crate) fn non_zero_number(v: Option<Number>) -> Option<Number> {
    v.filter(|v| !v.is_zero())
}

/// Whole seconds as a duration.
pub(crate) fn seconds(v: Option<i64>) -> Option<SignedDuration> {
    v.map(SignedDuration::from_secs)
}

/// Splits a `model` that is a name or a code, preferring the explicit model code field.
pub(crate) fn model_of(
    model: Option<NameOrCode>,
    model_id: Option<i64>,
) -> (Option<DeviceModel>, Option<String>) {
    match model {
        Some(NameOrCode::Name(name)) => (model_id.map(DeviceModel::from_code), Some(name)),
        Some(NameOrCode::Code(code)) => {
            (Some(DeviceModel::from_code(model_id.unwrap_or(code))), None)
        }
        None => (model_id.map(DeviceModel::from_code), None),
    }
}

impl Decode for GetActivityBody {
    type Output = Records<DailyActivity>;

    fn decode(self) -> Result<Records<DailyActivity>, DecodeError> {
        let mut zones = Zones::new();
        let (days, at, rejected) = self.activities.into_parts();
        let records = days
            .into_iter()
            .enumerate()
            .map(|(k, a)| {
                let i = at.of(k);
                let date = ymd(&a.date, || format!("body.activities[{i}].date"))?;
                zones.get(&a.timezone, || format!("body.activities[{i}].timezone"))?;
                let modified =
                    opt_timestamp(a.modified, || format!("body.activities[{i}].modified"))?;
                let (model, model_name) = model_of(a.model, a.modelid);
                Ok(DailyActivity {
                    date,
                    time_zone: a.timezone,
                    steps: a.steps,
                    distance_m: a.distance,
                    elevation: a.elevation,
                    soft_duration: seconds(a.soft),
                    moderate_duration: seconds(a.moderate),
                    intense_duration: seconds(a.intense),
                    active_duration: seconds(a.active),
                    calories: a.calories,
                    total_calories: a.totalcalories,
                    heart_rate: HeartRateSummary::from_wire(a.hr_average, a.hr_min, a.hr_max),
                    heart_rate_zones: HeartRateZones::from_wire([
                        a.hr_zone_0,
                        a.hr_zone_1,
                        a.hr_zone_2,
                        a.hr_zone_3,
                    ]),
                    device_id: a.deviceid,
                    hash_device_id: a.hash_deviceid,
                    model,
                    model_name,
                    brand: a.brand,
                    is_tracker: a.is_tracker,
                    modified,
                })
            })
            .collect::<Result<_, DecodeError>>()?;
        Ok(Records::new(records, rejected))
    }
}

impl Decode for GetIntradayActivityBody {
    /// Samples in time order.
    type Output = Records<IntradaySample>;

    fn decode(self) -> Result<Records<IntradaySample>, DecodeError> {
        // The wire map is a BTreeMap keyed by seconds, so this is already sorted by time
        // whatever order the JSON object had.
        let (series, rejected) = self.series.into_parts();
        let records = series
            .into_iter()
            .map(|(at, s): (i64, wire::IntradaySample)| {
                let at = timestamp(at, || format!("body.series.{at}"))?;
                let (model, model_name) = model_of(s.model, s.model_id);
                Ok(IntradaySample {
                    at,
                    duration: seconds(s.duration),
                    device_id: s.deviceid,
                    model,
                    model_name,
                    steps: s.steps,
                    elevation: s.elevation,
                    calories: s.calories,
                    distance_m: s.distance,
                    strokes: s.stroke,
                    pool_laps: s.pool_lap,
                    heart_rate: non_zero_number(s.heart_rate),
                    spo2: s.spo2_auto,
                    hrv_rmssd_ms: s.rmssd,
                    hrv_sdnn_ms: s.sdnn1,
                    hrv_quality: s.hrv_quality,
                    core_body_temperature_c: s.core_body_temperature,
                    respiration_rate: s.rr,
                    chest_movement_rate: s.chest_movement_rate,
                })
            })
            .collect::<Result<_, DecodeError>>()?;
        Ok(Records::new(records, rejected))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use withings_model::envelope::{Reply, parse_reply};

    fn activity(json: &str) -> Result<Records<DailyActivity>, DecodeError> {
        let bytes =
            format!(r#"{{"status":0,"body":{{"activities":[{json}],"more":false,"offset":0}}}}"#);
        match parse_reply::<GetActivityBody>(bytes.as_bytes())? {
            Reply::Ok(body) => body.decode(),
            Reply::Status(s) => panic!("status {s}"),
        }
    }

    const META: &str =
        r#""date":"2024-06-02","timezone":"America\/New_York","modified":1717390000"#;

    #[test]
    fn heart_rate_zeros_mean_no_sensor() {
        let days = activity(&format!(
            r#"{{{META},"hr_average":0,"hr_min":0,"hr_max":0,"hr_zone_0":0,"hr_zone_1":0,"hr_zone_2":0,"hr_zone_3":0}}"#
        ))
        .unwrap();
        assert_eq!(days[0].heart_rate, None);
        assert_eq!(days[0].heart_rate_zones, None);
    }

    #[test]
    fn absent_heart_rate_is_none_and_real_values_are_kept() {
        let days = activity(&format!(r#"{{{META}}}"#)).unwrap();
        assert_eq!(days[0].heart_rate, None);
        let days = activity(&format!(
            r#"{{{META},"hr_average":74,"hr_min":52,"hr_max":138,"hr_zone_0":41000,"hr_zone_1":2400,"hr_zone_2":600,"hr_zone_3":0}}"#
        ))
        .unwrap();
        assert_eq!(
            days[0].heart_rate,
            Some(HeartRateSummary {
                average: Some(Number::Int(74)),
                min: Some(Number::Int(52)),
                max: Some(Number::Int(138))
            })
        );
        let zones = days[0].heart_rate_zones.unwrap();
        assert_eq!(zones.light, Some(SignedDuration::from_secs(41_000)));
        assert_eq!(zones.maximal, Some(SignedDuration::ZERO));
    }

    #[test]
    fn floats_durations_and_metadata_decode() {
        let days = activity(&format!(
            r#"{{{META},"steps":9120,"distance":6843.2,"elevation":7,"soft":3420,"active":1260,"calories":412.6,
               "totalcalories":2380.4,"deviceid":null,"brand":18,"modelid":1055,"model":"GoogleFit tracker","is_tracker":false}}"#
        ))
        .unwrap();
        let d = &days[0];
        assert_eq!(d.date, jiff::civil::date(2024, 6, 2));
        assert_eq!(d.time_zone, "America/New_York");
        assert_eq!(d.distance_m, Some(6843.2));
        assert_eq!(d.total_calories, Some(2380.4));
        assert_eq!(d.soft_duration, Some(SignedDuration::from_mins(57)));
        assert_eq!(d.moderate_duration, None);
        assert_eq!(d.model, Some(DeviceModel::GoogleFitTracker));
        assert_eq!(d.model_name.as_deref(), Some("GoogleFit tracker"));
        assert_eq!(d.device_id, None);
        assert_eq!(
            d.modified.map(jiff::Timestamp::as_second),
            Some(1_717_390_000)
        );
    }

    #[test]
    fn a_bad_date_rejects_its_day_and_an_unknown_zone_fails_the_response() {
        let days = activity(&format!(
            r#"{{"date":"2024-13-45","timezone":"UTC","modified":1}},{{{META}}}"#
        ))
        .unwrap();
        assert_eq!(days.len(), 1);
        assert_eq!(days[0].date, jiff::civil::date(2024, 6, 2));
        let r = &days.rejected[0];
        assert_eq!(r.path, "body.activities[0]");
        assert_eq!(
            r.error,
            "at `date`: `2024-13-45` is not a valid YYYY-MM-DD date"
        );
        assert_eq!(
            r.raw(),
            r#"{"date":"2024-13-45","timezone":"UTC","modified":1}"#
        );
        // The machine's zone database is at fault, not the day: the whole response fails,
        // naming the day by its index as received.
        let e =
            activity(r#"{"steps":"x"},{"date":"2024-06-02","timezone":"Mars\/Base","modified":1}"#)
                .unwrap_err();
        assert!(matches!(e, DecodeError::TimeZone { .. }));
        assert_eq!(e.path(), "body.activities[1].timezone");
    }

    #[test]
    fn model_prefers_the_code_field() {
        assert_eq!(
            model_of(Some(NameOrCode::Code(93)), None),
            (Some(DeviceModel::ScanWatch), None)
        );
        assert_eq!(
            model_of(None, Some(1055)),
            (Some(DeviceModel::GoogleFitTracker), None)
        );
        assert_eq!(
            model_of(Some(NameOrCode::Name("ScanWatch".into())), Some(93)),
            (Some(DeviceModel::ScanWatch), Some("ScanWatch".into()))
        );
        assert_eq!(
            model_of(Some(NameOrCode::Code(7777)), None).0,
            Some(DeviceModel::from_code(7777))
        );
    }

    #[test]
    fn intraday_is_sorted_and_heart_rate_zero_is_none() {
        let json = br#"{"status":0,"body":{"series":{
            "1717369320":{"heart_rate":0,"steps":3},
            "1717369200":{"deviceid":"ab12","model":"ScanWatch","model_id":93,"heart_rate":61,"duration":60},
            "1717369260":{"heart_rate":64,"sdnn1":40.5,"rr":14}}}}"#;
        let Reply::Ok(body) = parse_reply::<GetIntradayActivityBody>(json).unwrap() else {
            panic!()
        };
        let samples = body.decode().unwrap();
        let at: Vec<_> = samples.iter().map(|s| s.at.as_second()).collect();
        assert_eq!(at, [1_717_369_200, 1_717_369_260, 1_717_369_320]);
        assert_eq!(samples[0].heart_rate, Some(Number::Int(61)));
        assert_eq!(samples[0].model, Some(DeviceModel::ScanWatch));
        assert_eq!(samples[0].duration, Some(SignedDuration::from_secs(60)));
        assert_eq!(samples[1].hrv_sdnn_ms, Some(40.5));
        assert_eq!(samples[2].heart_rate, None);
        assert_eq!(samples[2].steps, Some(3));
    }

    #[test]
    fn intraday_samples_that_cannot_be_read_are_rejected_by_key() {
        let json = br#"{"status":0,"body":{"series":{"99999999999999":{"steps":1},
            "1717369200":{"heart_rate":61.5,"rr":14.5,"steps":3},"1717369260":{"steps":2.5}}}}"#;
        let Reply::Ok(body) = parse_reply::<GetIntradayActivityBody>(json).unwrap() else {
            panic!()
        };
        let samples = body.decode().unwrap();
        assert_eq!(samples.len(), 1);
        assert_eq!(samples[0].heart_rate, Some(Number::Float(61.5)));
        assert_eq!(samples[0].respiration_rate, Some(Number::Float(14.5)));
        let got: Vec<_> = samples
            .rejected
            .iter()
            .map(|r| (r.path.as_str(), r.raw()))
            .collect();
        assert_eq!(
            got,
            [
                ("body.series.99999999999999", r#"{"steps":1}"#),
                ("body.series.1717369260", r#"{"steps":2.5}"#),
            ],
            "in the order received"
        );
        assert!(
            samples.rejected[1]
                .error
                .starts_with("at `steps`: invalid value: floating point `2.5`"),
            "{}",
            samples.rejected[1].error
        );
    }
}
