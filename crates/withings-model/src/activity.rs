//! `/v2/measure` `getactivity` (daily aggregates) and `getintradayactivity` (fine-grained
//! samples): requests and response bodies (API notes §4.1, §5.2, §5.3).
//!
//! ```
//! use jiff::civil::date;
//! use withings_model::activity::{ActivityField, GetActivity};
//! use withings_model::Endpoint;
//!
//! let req = GetActivity::new().dates(date(2024, 6, 1), date(2024, 6, 3))
//!     .data_fields([ActivityField::Steps, ActivityField::Distance]);
//! assert_eq!(
//!     req.form().encode(),
//!     "action=getactivity&startdateymd=2024-06-01&enddateymd=2024-06-03&data_fields=steps%2Cdistance"
//! );
//! ```

use serde::{Deserialize, Serialize};

use crate::codes::NameOrCode;
use crate::de;
use crate::endpoint::Body;
use crate::items::{Items, Record, TimedItems, check_date, check_opt_seconds};
use crate::number::Number;

field_names! {
    /// A `getactivity` measurement that can be asked for in `data_fields` (API notes §5.2).
    /// Only the fields asked for come back (metadata such as `date` always does).
    pub enum ActivityField {
        /// `steps`: step count.
        Steps => "steps",
        /// `distance`: metres.
        Distance => "distance",
        /// `elevation`: floors climbed.
        Elevation => "elevation",
        /// `soft`: seconds of light activity.
        Soft => "soft",
        /// `moderate`: seconds of moderate activity.
        Moderate => "moderate",
        /// `intense`: seconds of intense activity.
        Intense => "intense",
        /// `active`: seconds of moderate plus intense activity.
        Active => "active",
        /// `calories`: active kilocalories.
        Calories => "calories",
        /// `totalcalories`: active plus passive kilocalories.
        TotalCalories => "totalcalories",
        /// `hr_average`: average heart rate (bpm).
        HrAverage => "hr_average",
        /// `hr_min`: minimum heart rate (bpm).
        HrMin => "hr_min",
        /// `hr_max`: maximum heart rate (bpm).
        HrMax => "hr_max",
        /// `hr_zone_0`: seconds in the light heart-rate zone.
        HrZone0 => "hr_zone_0",
        /// `hr_zone_1`: seconds in the moderate heart-rate zone.
        HrZone1 => "hr_zone_1",
        /// `hr_zone_2`: seconds in the intense heart-rate zone.
        HrZone2 => "hr_zone_2",
        /// `hr_zone_3`: seconds in the maximal heart-rate zone.
        HrZone3 => "hr_zone_3",
    }
}

field_names! {
    /// A `getintradayactivity` measurement that can be asked for in `data_fields`
    /// (API notes §5.3).
    pub enum IntradayField {
        /// `steps`: step count.
        Steps => "steps",
        /// `elevation`: floors climbed.
        Elevation => "elevation",
        /// `calories`: active kilocalories.
        Calories => "calories",
        /// `distance`: metres.
        Distance => "distance",
        /// `stroke`: swim strokes.
        Stroke => "stroke",
        /// `pool_lap`: pool laps.
        PoolLap => "pool_lap",
        /// `duration`: seconds covered by the sample.
        Duration => "duration",
        /// `heart_rate`: bpm.
        HeartRate => "heart_rate",
        /// `spo2_auto`: automatic SpO2 reading, %.
        Spo2Auto => "spo2_auto",
        /// `rmssd`: heart-rate variability (RMSSD), ms.
        Rmssd => "rmssd",
        /// `sdnn1`: heart-rate variability (SDNN), ms. Sleep calls it `sdnn_1`.
        Sdnn1 => "sdnn1",
        /// `hrv_quality`: quality of the HRV reading.
        HrvQuality => "hrv_quality",
        /// `core_body_temperature`: °C.
        CoreBodyTemperature => "core_body_temperature",
        /// `rr`: respiration rate, breaths per minute.
        Rr => "rr",
        /// `chest_movement_rate`: chest movements per minute.
        ChestMovementRate => "chest_movement_rate",
    }
}

dated_request! {
/// `getactivity`: one aggregate per local day, selected by local dates or by `lastupdate`
/// (the two are mutually exclusive, so the window is one [`DateWindow`](crate::DateWindow)). Pages with
/// `more`/`offset`.
///
/// ```
/// use withings_model::Endpoint;
/// use withings_model::activity::{ActivityField, GetActivity};
/// use jiff::civil::date;
///
/// let req = GetActivity::new()
///     .dates(date(2024, 6, 1), date(2024, 6, 3))
///     .data_fields([ActivityField::Steps]);
/// assert_eq!(
///     req.form().encode(),
///     "action=getactivity&startdateymd=2024-06-01&enddateymd=2024-06-03&data_fields=steps"
/// );
/// ```
GetActivity {
    service: MeasureV2,
    action: "getactivity",
    scopes: [UserActivity],
    fields: ActivityField,
    body: GetActivityBody,
}
}

/// The body of a `getactivity` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GetActivityBody {
    /// One entry per local day (and per source, when several trackers report). A day that
    /// cannot be read is left out and listed in [`rejected`](crate::Items::rejected) (API
    /// notes §15).
    pub activities: Items<Activity>,
    /// Whether another page follows. Stop on this, not on `offset`: a last page may carry a
    /// non-zero `offset` (API notes §6).
    #[serde(default, deserialize_with = "de::more::deserialize")]
    pub more: bool,
    /// The offset of the next page.
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub offset: Option<i64>,
}

/// One day of activity (API notes §5.2). Only the measurements asked for in `data_fields`
/// are present, so every measurement is an `Option`.
///
/// The heart rates (`hr_average`, `hr_min`, `hr_max`) are [`Number`]s: documented as
/// integers, kept as received when a fraction arrives (API notes §15). Step counts and the
/// seconds of the activity levels and heart-rate zones stay integers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Activity {
    /// The local day, `YYYY-MM-DD`, in `timezone`.
    pub date: String,
    /// IANA name of the user's time zone for that day (`"Europe/Paris"`).
    pub timezone: String,
    /// Device id; `null` for aggregated or external sources (a phone, Google Fit…).
    #[serde(default, deserialize_with = "de::opt_id::deserialize")]
    pub deviceid: Option<String>,
    /// Hashed device id; `null` like `deviceid`.
    #[serde(default, deserialize_with = "de::opt_id::deserialize")]
    pub hash_deviceid: Option<String>,
    /// Source brand: 1 = Withings, 18 = external (phone, HealthKit, Google Fit).
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub brand: Option<i64>,
    /// Whether a Withings tracker recorded the day.
    #[serde(default)]
    pub is_tracker: Option<bool>,
    /// Last modification, unix seconds; absent in some payloads (metadata, API notes §15).
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub modified: Option<i64>,
    /// Source model: a name here (`"GoogleFit tracker"`); a code is accepted too, since the
    /// same field is an integer elsewhere (API notes §6).
    #[serde(default)]
    pub model: Option<NameOrCode>,
    /// Source model code (API notes §7.9). Real payloads say `modelid`; `model_id` is
    /// accepted because the spec and other endpoints use it (API notes §6, §13).
    #[serde(
        default,
        alias = "model_id",
        deserialize_with = "de::opt_lenient_i64::deserialize"
    )]
    pub modelid: Option<i64>,
    /// Step count.
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub steps: Option<i64>,
    /// Metres; a float in real data (`1028.559`).
    #[serde(default, deserialize_with = "de::opt_f64::deserialize")]
    pub distance: Option<f64>,
    /// Floors climbed.
    #[serde(default, deserialize_with = "de::opt_f64::deserialize")]
    pub elevation: Option<f64>,
    /// Seconds of light activity.
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub soft: Option<i64>,
    /// Seconds of moderate activity.
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub moderate: Option<i64>,
    /// Seconds of intense activity.
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub intense: Option<i64>,
    /// Seconds of moderate plus intense activity.
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub active: Option<i64>,
    /// Active kilocalories; a float in real data.
    #[serde(default, deserialize_with = "de::opt_f64::deserialize")]
    pub calories: Option<f64>,
    /// Active plus passive kilocalories; a float in real data.
    #[serde(default, deserialize_with = "de::opt_f64::deserialize")]
    pub totalcalories: Option<f64>,
    /// Average heart rate, bpm; 0 when no heart-rate sensor recorded the day (§12.15).
    #[serde(default)]
    pub hr_average: Option<Number>,
    /// Minimum heart rate, bpm; 0 without a sensor.
    #[serde(default)]
    pub hr_min: Option<Number>,
    /// Maximum heart rate, bpm; 0 without a sensor.
    #[serde(default)]
    pub hr_max: Option<Number>,
    /// Seconds in the light heart-rate zone.
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub hr_zone_0: Option<i64>,
    /// Seconds in the moderate heart-rate zone.
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub hr_zone_1: Option<i64>,
    /// Seconds in the intense heart-rate zone.
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub hr_zone_2: Option<i64>,
    /// Seconds in the maximal heart-rate zone.
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub hr_zone_3: Option<i64>,
}

/// A day is read on its own (see [`Items`]): its `date` must be a real `YYYY-MM-DD` date and
/// its `modified` an instant the decoder can represent.
impl Record for Activity {
    const LIST: &'static str = "body.activities";

    fn check(&self) -> Result<(), String> {
        check_date(&self.date, "date")?;
        check_opt_seconds(self.modified, "modified")
    }
}

split_request! {
/// `getintradayactivity`: fine-grained samples.
///
/// The API returns **at most 24 hours** of data counted from `startdate`, whatever `enddate`
/// says (API notes §4.1, §12.18): a longer span is sent as consecutive calls of at most 24 h
/// ([`Endpoint::calls`](crate::Endpoint::calls)) and their answers merged. Without a span it returns the most recent
/// data. There is no paging.
GetIntradayActivity {
    service: MeasureV2,
    action: "getintradayactivity",
    scopes: [UserActivity],
    fields: IntradayField,
    body: GetIntradayActivityBody,
    span_required: false,
}
}

/// Samples of adjacent calls are merged by their start: one on a seam is kept once, as the
/// earlier call returned it (a rejected one too).
impl Body for GetIntradayActivityBody {
    fn append(&mut self, next: Self) {
        self.series.append(next.series);
    }

    fn number_rejected(&mut self, response: usize) {
        self.series.number_rejected(response);
    }
}

/// The body of a `getintradayactivity` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GetIntradayActivityBody {
    /// Samples keyed by their start in unix seconds. The JSON is an object keyed by the
    /// seconds as strings, and `[]` when there are no samples (PHP's empty map, §6). A sample
    /// that cannot be read (or whose key is not unix seconds) is left out and listed in
    /// [`rejected`](crate::TimedItems::rejected) (API notes §15).
    pub series: TimedItems<IntradaySample>,
}

/// One intraday sample (API notes §5.3); every field is optional since only the asked-for
/// `data_fields` (plus the device) come back. No real payload was found: the shape is from
/// the spec only (API notes §14).
///
/// `heart_rate`, `rr`, `hrv_quality` and `chest_movement_rate` are [`Number`]s: documented as
/// integers, kept as received when a fraction arrives (API notes §15). Counts (`steps`,
/// `stroke`, `pool_lap`) and `duration` (seconds) stay integers.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IntradaySample {
    /// Device id.
    #[serde(default, deserialize_with = "de::opt_id::deserialize")]
    pub deviceid: Option<String>,
    /// Device model, a name here (`"ScanWatch"`); a code is accepted too (API notes §6).
    #[serde(default)]
    pub model: Option<NameOrCode>,
    /// Device model code (API notes §7.9); `modelid` is accepted too (API notes §6).
    #[serde(
        default,
        alias = "modelid",
        deserialize_with = "de::opt_lenient_i64::deserialize"
    )]
    pub model_id: Option<i64>,
    /// Step count.
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub steps: Option<i64>,
    /// Floors climbed.
    #[serde(default, deserialize_with = "de::opt_f64::deserialize")]
    pub elevation: Option<f64>,
    /// Active kilocalories.
    #[serde(default, deserialize_with = "de::opt_f64::deserialize")]
    pub calories: Option<f64>,
    /// Metres.
    #[serde(default, deserialize_with = "de::opt_f64::deserialize")]
    pub distance: Option<f64>,
    /// Swim strokes.
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub stroke: Option<i64>,
    /// Pool laps.
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub pool_lap: Option<i64>,
    /// Seconds covered by the sample.
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub duration: Option<i64>,
    /// Heart rate, bpm.
    #[serde(default)]
    pub heart_rate: Option<Number>,
    /// Automatic SpO2 reading, %.
    #[serde(default, deserialize_with = "de::opt_f64::deserialize")]
    pub spo2_auto: Option<f64>,
    /// Heart-rate variability (RMSSD), ms.
    #[serde(default, deserialize_with = "de::opt_f64::deserialize")]
    pub rmssd: Option<f64>,
    /// Heart-rate variability (SDNN), ms. Named `sdnn1` here, `sdnn_1` in sleep.
    #[serde(default, deserialize_with = "de::opt_f64::deserialize")]
    pub sdnn1: Option<f64>,
    /// Quality of the HRV reading.
    #[serde(default)]
    pub hrv_quality: Option<Number>,
    /// Core body temperature, °C.
    #[serde(default, deserialize_with = "de::opt_f64::deserialize")]
    pub core_body_temperature: Option<f64>,
    /// Respiration rate, breaths per minute.
    #[serde(default)]
    pub rr: Option<Number>,
    /// Chest movements per minute.
    #[serde(default)]
    pub chest_movement_rate: Option<Number>,
}

/// A sample is read on its own, keyed by its start (see [`TimedItems`]).
impl Record for IntradaySample {
    const LIST: &'static str = "body.series";
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
    fn getactivity_encodes_dates_as_ymd() {
        let req = GetActivity::new().dates(date(2024, 6, 1), date(2024, 6, 30));
        let form = req.form();
        assert_eq!(form.get("action"), Some("getactivity"));
        assert_eq!(form.get("startdateymd"), Some("2024-06-01"));
        assert_eq!(form.get("enddateymd"), Some("2024-06-30"));
        assert_eq!(form.get("lastupdate"), None);
        assert_eq!(form.get("data_fields"), None);
        assert_eq!(form.get("offset"), None);
        assert_eq!(GetActivity::fixture_dir(), "v2-measure-getactivity");
    }

    #[test]
    fn getactivity_encodes_lastupdate_fields_and_offset() {
        let mut req = GetActivity::new()
            .updated_since(ts(1_717_430_000))
            .data_fields([
                ActivityField::TotalCalories,
                ActivityField::HrZone3,
                ActivityField::Steps,
            ]);
        req.set_offset(200);
        assert_eq!(
            req.form().encode(),
            "action=getactivity&lastupdate=1717430000&data_fields=totalcalories%2Chr_zone_3%2Csteps&offset=200"
        );
        assert_eq!(req.form().get("startdateymd"), None);
        assert_eq!(
            GetActivity::new()
                .updated_since(ts(1))
                .offset(7)
                .form()
                .get("offset"),
            Some("7")
        );
    }

    #[test]
    fn field_names_are_the_wire_names() {
        let all: Vec<_> = ActivityField::ALL.iter().map(|f| f.as_str()).collect();
        assert_eq!(
            all.join(","),
            "steps,distance,elevation,soft,moderate,intense,active,calories,totalcalories,\
             hr_average,hr_min,hr_max,hr_zone_0,hr_zone_1,hr_zone_2,hr_zone_3"
        );
        let all: Vec<_> = IntradayField::ALL.iter().map(|f| f.to_string()).collect();
        assert_eq!(
            all.join(","),
            "steps,elevation,calories,distance,stroke,pool_lap,duration,heart_rate,spo2_auto,\
             rmssd,sdnn1,hrv_quality,core_body_temperature,rr,chest_movement_rate"
        );
        assert_eq!(
            "HR_ZONE_2".parse::<ActivityField>().unwrap(),
            ActivityField::HrZone2
        );
        assert!("sdnn_1".parse::<IntradayField>().is_err());
    }

    #[test]
    fn intraday_encodes_span_as_unix_seconds() {
        let req = GetIntradayActivity::new()
            .between(ts(1_717_369_200), ts(1_717_455_600))
            .data_fields([IntradayField::HeartRate, IntradayField::Steps]);
        assert_eq!(
            req.form().encode(),
            "action=getintradayactivity&startdate=1717369200&enddate=1717455600&data_fields=heart_rate%2Csteps"
        );
        let bare = GetIntradayActivity::new().form();
        assert_eq!(bare.encode(), "action=getintradayactivity");
        assert_eq!(
            GetIntradayActivity::fixture_dir(),
            "v2-measure-getintradayactivity"
        );
    }

    #[test]
    fn activity_accepts_floats_nulls_and_both_model_id_spellings() {
        let json = br#"{"status":0,"body":{"activities":[
            {"date":"2023-10-20","timezone":"Europe\/Amsterdam","deviceid":null,"hash_deviceid":null,
             "brand":18,"is_tracker":false,"modified":1697884856,"model":"GoogleFit tracker","modelid":1055,
             "steps":1209,"distance":1028.559,"elevation":0,"calories":85.497,"totalcalories":2303.788},
            {"date":"2023-10-21","timezone":"Europe\/Paris","deviceid":"ab12","modified":1,"model_id":93,
             "hr_average":0,"hr_min":0,"hr_max":0,"steps":"12","active":60.0}],
            "more":false,"offset":200}}"#;
        let Reply::Ok(body) = parse_reply::<GetActivityBody>(json).unwrap() else {
            panic!()
        };
        assert!(!body.more());
        assert_eq!(body.offset(), Some(200));
        let a = &body.activities[0];
        assert_eq!(a.timezone, "Europe/Amsterdam");
        assert_eq!(a.deviceid, None);
        assert_eq!(a.model, Some(NameOrCode::Name("GoogleFit tracker".into())));
        assert_eq!(a.modelid, Some(1055));
        assert_eq!(a.distance, Some(1028.559));
        assert_eq!(a.calories, Some(85.497));
        assert_eq!(a.hr_average, None);
        let b = &body.activities[1];
        assert_eq!(b.modelid, Some(93));
        assert_eq!(b.steps, Some(12));
        assert_eq!(b.active, Some(60));
        assert_eq!(b.hr_average, Some(Number::Int(0)));
        assert_eq!(b.brand, None);
    }

    #[test]
    fn a_bad_day_is_rejected_with_the_path_inside_it() {
        let body = |json: &[u8]| match parse_reply::<GetActivityBody>(json).unwrap() {
            Reply::Ok(b) => b,
            Reply::Status(s) => panic!("{s}"),
        };
        let json = br#"{"status":0,"body":{"activities":[{"date":"2024-06-02","timezone":"UTC","modified":1,"steps":"lots"},{"date":"2024-06-03","timezone":"UTC"}],"more":true}}"#;
        let b = body(json);
        assert_eq!(b.activities.len(), 1);
        let r = &b.activities.rejected()[0];
        assert_eq!(r.path, "body.activities[0]");
        assert!(
            r.error.starts_with("at `steps`: invalid value"),
            "{}",
            r.error
        );
        // `modified` is metadata: absent, the day still decodes. `date` is essential, and
        // must be a real date.
        assert_eq!(b.activities[0].modified, None);
        let json = br#"{"status":0,"body":{"activities":[{"timezone":"UTC","modified":1},{"date":"2024-13-45","timezone":"UTC"}]}}"#;
        let b = body(json);
        assert!(b.activities.is_empty());
        let errors: Vec<_> = b.activities.rejected().iter().map(|r| &r.error).collect();
        assert_eq!(
            errors,
            [
                "missing field `date`",
                "at `date`: `2024-13-45` is not a valid YYYY-MM-DD date"
            ]
        );
        // Outside the days, an error is the whole response's.
        let json = br#"{"status":0,"body":{"activities":[{"timezone":"UTC"}],"more":"perhaps"}}"#;
        let e = parse_reply::<GetActivityBody>(json).unwrap_err();
        assert_eq!(e.path(), "body.more");
    }

    #[test]
    fn intraday_series_is_keyed_by_time_and_may_be_an_empty_array() {
        let json = br#"{"status":0,"body":{"series":{
            "1717369260":{"deviceid":"ab12","model":"ScanWatch","model_id":93,"heart_rate":61,"spo2_auto":97.5},
            "1717369200":{"steps":14,"calories":0.71,"distance":9.6,"duration":60,"sdnn1":41.2}}}}"#;
        let Reply::Ok(body) = parse_reply::<GetIntradayActivityBody>(json).unwrap() else {
            panic!()
        };
        let keys: Vec<_> = body.series.keys().copied().collect();
        assert_eq!(keys, [1_717_369_200, 1_717_369_260]);
        assert_eq!(
            body.series[&1_717_369_260].heart_rate,
            Some(Number::Int(61))
        );
        assert_eq!(body.series[&1_717_369_260].model_id, Some(93));
        assert_eq!(body.series[&1_717_369_200].sdnn1, Some(41.2));
        let Reply::Ok(empty) =
            parse_reply::<GetIntradayActivityBody>(br#"{"status":0,"body":{"series":[]}}"#)
                .unwrap()
        else {
            panic!()
        };
        assert!(empty.series.is_empty());
        let Reply::Ok(noon) = parse_reply::<GetIntradayActivityBody>(
            br#"{"status":0,"body":{"series":{"noon":{},"1717369200":{"heart_rate":61.5}}}}"#,
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(noon.series.rejected()[0].path, "body.series.noon");
        assert_eq!(
            noon.series[&1_717_369_200].heart_rate,
            Some(Number::Float(61.5))
        );
    }
}
