//! Workouts (`getworkouts`) as domain values.
//!
//! Start and end are instants and local times in the workout's own time zone; `date` is the
//! local day. Durations are [`SignedDuration`]s from the API's whole seconds. Heart-rate
//! fields of 0 ("no heart-rate sensor", API notes §12.15) and the "0 = not set" fields
//! (`intensity`, `manual_*`, API notes §5.4) become `None`; every other field is kept as
//! sent, `null` being `None`. Heart rates are [`Number`](crate::Number)s, as received (API
//! notes §15).
//!
//! A workout that cannot be read (`body.series[i]`) is left out and listed in the output's
//! [`Records::rejected`] (API notes §15); an unknown time zone fails the whole response (the
//! machine's time zone database is at fault, not the record).

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp, ZonedDateTime};
use serde::Serialize;
use withings_model::codes::{Attrib, DeviceModel};
use withings_model::workout::{self as wire, GetWorkoutsBody, WorkoutCategory};

use crate::activity::{HeartRateSummary, HeartRateZones, model_of, non_zero, seconds};
use crate::time::{Zones, timestamp, ymd};
use crate::{Decode, DecodeError, Records};

/// One workout.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Workout {
    /// Workout id; `None` when the payload leaves it out (metadata: key a workout by its
    /// start, end and category instead).
    pub id: Option<i64>,
    /// What kind of workout; unknown codes are kept.
    pub category: WorkoutCategory,
    /// Start.
    pub start: Timestamp,
    /// End.
    pub end: Timestamp,
    /// Start in the workout's time zone.
    pub local_start: ZonedDateTime,
    /// End in the workout's time zone.
    pub local_end: ZonedDateTime,
    /// The local day Withings files the workout under.
    pub date: Date,
    /// `end - start`, pauses included (see [`pause`](Self::pause)).
    pub duration: SignedDuration,
    /// Who the workout is attributed to.
    pub attrib: Option<Attrib>,
    /// Device id; `None` for external sources.
    pub device_id: Option<String>,
    /// Source model (an integer code on the wire, e.g. 1055 GoogleFit).
    pub model: Option<DeviceModel>,
    /// Source model name, if the API ever sends a name here instead of a code.
    pub model_name: Option<String>,
    /// Last modification.
    pub modified: Timestamp,
    /// Active kilocalories.
    pub calories: Option<f64>,
    /// Intensity 0–100; `None` when absent or 0 ("not set").
    pub intensity: Option<i64>,
    /// Intensity entered by the user; `None` when absent or 0 ("not set").
    pub manual_intensity: Option<i64>,
    /// Distance entered by the user, metres; `None` when absent or 0 (nothing entered).
    pub manual_distance_m: Option<f64>,
    /// Kilocalories entered by the user; `None` when absent or 0 (nothing entered).
    pub manual_calories: Option<f64>,
    /// Heart rate during the workout; `None` when the API sent only zeros (no heart-rate
    /// sensor, API notes §12.15), nulls, or nothing.
    pub heart_rate: Option<HeartRateSummary>,
    /// Time in each heart-rate zone; `None` when every zone is 0 or absent.
    pub heart_rate_zones: Option<HeartRateZones>,
    /// Time paused by the user.
    pub pause: Option<SignedDuration>,
    /// Time of pause detected by the device (swim).
    pub detected_pause: Option<SignedDuration>,
    /// Average SpO2, %.
    pub spo2_average: Option<f64>,
    /// Average core body temperature, °C.
    pub core_body_temperature_avg_c: Option<f64>,
    /// Minimum core body temperature, °C.
    pub core_body_temperature_min_c: Option<f64>,
    /// Maximum core body temperature, °C.
    pub core_body_temperature_max_c: Option<f64>,
    /// Core body temperature status as sent: `unknown`, `usual` or `elevated`.
    pub core_body_temperature_status: Option<String>,
    /// Step count.
    pub steps: Option<i64>,
    /// Distance, metres.
    pub distance_m: Option<f64>,
    /// Floors climbed.
    pub elevation: Option<f64>,
    /// Pool laps (swim).
    pub pool_laps: Option<i64>,
    /// Swim strokes.
    pub strokes: Option<i64>,
    /// Pool length, metres (swim).
    pub pool_length_m: Option<f64>,
    /// Effective duration (older docs' `effduration`), when sent.
    pub effective_duration: Option<SignedDuration>,
}

/// `Some(v)` unless `v` is 0.0: for the manual-entry fields, where 0 means "nothing entered".
fn non_zero_f64(v: Option<f64>) -> Option<f64> {
    v.filter(|&v| v != 0.0)
}

impl Decode for GetWorkoutsBody {
    type Output = Records<Workout>;

    fn decode(self) -> Result<Records<Workout>, DecodeError> {
        let mut zones = Zones::new();
        let (workouts, at, rejected) = self.series.into_parts();
        let records = workouts
            .into_iter()
            .enumerate()
            .map(|(k, w): (usize, wire::Workout)| {
                let i = at.of(k);
                let tz = zones.get(&w.timezone, || format!("body.series[{i}].timezone"))?;
                let start = timestamp(w.startdate, || format!("body.series[{i}].startdate"))?;
                let end = timestamp(w.enddate, || format!("body.series[{i}].enddate"))?;
                let date = ymd(&w.date, || format!("body.series[{i}].date"))?;
                let modified = timestamp(w.modified, || format!("body.series[{i}].modified"))?;
                let (model, model_name) = model_of(w.model, None);
                let d = w.data;
                Ok(Workout {
                    id: w.id,
                    category: w.category,
                    start,
                    end,
                    local_start: start.to_zoned_datetime(tz.clone()),
                    local_end: end.to_zoned_datetime(tz),
                    date,
                    duration: end.duration_since(start),
                    attrib: w.attrib,
                    device_id: w.deviceid,
                    model,
                    model_name,
                    modified,
                    calories: d.calories,
                    intensity: non_zero(d.intensity),
                    manual_intensity: non_zero(d.manual_intensity),
                    manual_distance_m: non_zero_f64(d.manual_distance),
                    manual_calories: non_zero_f64(d.manual_calories),
                    heart_rate: HeartRateSummary::from_wire(d.hr_average, d.hr_min, d.hr_max),
                    heart_rate_zones: HeartRateZones::from_wire([
                        d.hr_zone_0,
                        d.hr_zone_1,
                        d.hr_zone_2,
                        d.hr_zone_3,
                    ]),
                    pause: seconds(d.pause_duration),
                    detected_pause: seconds(d.algo_pause_duration),
                    spo2_average: d.spo2_average,
                    core_body_temperature_avg_c: d.core_body_temperature_avg,
                    core_body_temperature_min_c: d.core_body_temperature_min,
                    core_body_temperature_max_c: d.core_body_temperature_max,
                    core_body_temperature_status: d.core_body_temperature_status,
                    steps: d.steps,
                    distance_m: d.distance,
                    elevation: d.elevation,
                    pool_laps: d.pool_laps,
                    strokes: d.strokes,
                    pool_length_m: d.pool_length,
                    effective_duration: seconds(d.effduration),
                })
            })
            .collect::<Result<_, DecodeError>>()?;
        Ok(Records::new(records, rejected))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Number;
    use withings_model::envelope::{Reply, parse_reply};

    fn workouts(series: &str) -> Result<Records<Workout>, DecodeError> {
        let bytes =
            format!(r#"{{"status":0,"body":{{"series":[{series}],"more":false,"offset":0}}}}"#);
        match parse_reply::<GetWorkoutsBody>(bytes.as_bytes())? {
            Reply::Ok(body) => body.decode(),
            Reply::Status(s) => panic!("status {s}"),
        }
    }

    const META: &str = r#""id":3900000123,"category":2,"timezone":"Europe\/Paris","model":93,"attrib":7,
        "startdate":1717398000,"enddate":1717400700,"date":"2024-06-03","deviceid":"ab12","modified":1717401000"#;

    #[test]
    fn times_are_local_to_the_workout_zone() {
        let w = &workouts(&format!("{{{META}}}")).unwrap()[0];
        assert_eq!(
            w.local_start.to_string(),
            "2024-06-03T09:00:00+02:00[Europe/Paris]"
        );
        assert_eq!(
            w.local_end.to_string(),
            "2024-06-03T09:45:00+02:00[Europe/Paris]"
        );
        assert_eq!(w.duration, SignedDuration::from_mins(45));
        assert_eq!(w.date, jiff::civil::date(2024, 6, 3));
        assert_eq!(w.category, WorkoutCategory::Run);
        assert_eq!(w.model, Some(DeviceModel::ScanWatch));
        assert_eq!(w.attrib, Some(Attrib::Confirmed));
        assert_eq!(w.heart_rate, None);
    }

    #[test]
    fn heart_rate_zeros_and_unset_fields_are_none() {
        let w = &workouts(&format!(
            r#"{{{META},"data":{{"calories":82,"intensity":0,"manual_distance":0,"manual_calories":0,"hr_average":0,
               "hr_min":0,"hr_max":0,"hr_zone_0":0,"hr_zone_1":0,"hr_zone_2":0,"hr_zone_3":0,"pause_duration":0,
               "steps":1450,"distance":1294}}}}"#
        ))
        .unwrap()[0];
        assert_eq!(w.heart_rate, None);
        assert_eq!(w.heart_rate_zones, None);
        assert_eq!(w.intensity, None);
        assert_eq!(w.manual_distance_m, None);
        assert_eq!(w.manual_calories, None);
        assert_eq!(w.pause, Some(SignedDuration::ZERO));
        assert_eq!(w.calories, Some(82.0));
        assert_eq!(w.steps, Some(1450));
    }

    #[test]
    fn null_data_fields_and_floats() {
        let w = &workouts(&format!(
            r#"{{{META},"data":{{"calories":318.4,"distance":7012.5,"algo_pause_duration":null,"spo2_average":null,
               "hr_average":151,"hr_min":96,"hr_max":176}}}}"#
        ))
        .unwrap()[0];
        assert_eq!(w.detected_pause, None);
        assert_eq!(w.spo2_average, None);
        assert_eq!(w.calories, Some(318.4));
        assert_eq!(w.distance_m, Some(7012.5));
        assert_eq!(
            w.heart_rate,
            Some(HeartRateSummary {
                average: Some(Number::Int(151)),
                min: Some(Number::Int(96)),
                max: Some(Number::Int(176))
            })
        );
        let w = &workouts(&format!(r#"{{{META},"data":null}}"#)).unwrap()[0];
        assert_eq!(w.calories, None);
    }

    #[test]
    fn unknown_category_is_kept() {
        let w = &workouts(&format!(
            "{{{}}}",
            META.replace(r#""category":2"#, r#""category":999"#)
        ))
        .unwrap()[0];
        assert_eq!(w.category, WorkoutCategory::from_code(999));
        assert_eq!(serde_json::to_value(w).unwrap()["category"], 999);
    }

    #[test]
    fn bad_values_reject_their_workout_and_a_bad_zone_fails_the_response() {
        let bad_date = format!(
            "{{{META}}},{{{}}}",
            META.replace("2024-06-03", "2024-13-45")
        );
        let out = workouts(&bad_date).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out.rejected[0].path, "body.series[1]");
        assert_eq!(
            out.rejected[0].error,
            "at `date`: `2024-13-45` is not a valid YYYY-MM-DD date"
        );
        let e = workouts(&format!(
            "{{{}}}",
            META.replace("Europe\\/Paris", "Nowhere\\/Land")
        ))
        .unwrap_err();
        assert_eq!(e.path(), "body.series[0].timezone");
        let out = workouts(&format!(
            "{{{}}}",
            META.replace("1717400700", "999999999999999")
        ))
        .unwrap();
        assert!(out.is_empty());
        assert_eq!(
            out.rejected[0].error,
            "at `enddate`: timestamp 999999999999999 is out of range"
        );
    }
}
