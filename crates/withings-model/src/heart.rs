//! `/v2/heart`: ECG recordings (`list`) and their signals (`get`), API notes §4.1, §5.7, §5.8.

use serde::{Deserialize, Serialize};

use crate::codes::{NameOrCode, Position};
use crate::de;
use crate::endpoint::{Endpoint, Form, Service};
use crate::items::{Items, Record, check_opt_seconds, check_seconds};
use crate::number::Number;
use crate::scope::Scope;

open_enum! {
    /// ECG atrial-fibrillation classification (`ecg.afib`, API notes §7.7).
    pub enum Afib {
        /// No sign of atrial fibrillation.
        Negative = 0 => "negative",
        /// Signs of atrial fibrillation.
        Positive = 1 => "positive",
        /// The recording could not be classified.
        Inconclusive = 2 => "inconclusive",
    }
}

span_list_request! {
/// `action=list`: the user's ECG recordings, newest first, paged by `offset`.
HeartList {
    service: Heart,
    action: "list",
    scopes: [UserMetrics],
    body: HeartListBody,
}
}

/// The body of `heart list`: `{series, more, offset}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HeartListBody {
    /// The recordings. A recording that cannot be read is left out and listed in
    /// [`rejected`](crate::Items::rejected) (API notes §15).
    pub series: Items<HeartRecord>,
    /// Whether another page follows (a boolean here; absent means no).
    #[serde(default, deserialize_with = "de::more::deserialize")]
    pub more: bool,
    /// The offset of the next page.
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub offset: Option<i64>,
}

/// One recording of `heart list` (API notes §5.7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HeartRecord {
    /// The device that recorded it.
    #[serde(default, deserialize_with = "de::opt_id::deserialize")]
    pub deviceid: Option<String>,
    /// The device model: an integer code here (44 BPM Core, 91 Move ECG, 93 ScanWatch).
    #[serde(default)]
    pub model: Option<NameOrCode>,
    /// The ECG part, when the recording has one.
    #[serde(default)]
    pub ecg: Option<Ecg>,
    /// Blood pressure: only BPM Core records it; absent or `null` for every other device.
    #[serde(default)]
    pub bloodpressure: Option<BloodPressure>,
    /// The stethoscope part (newer spec; BPM Core).
    #[serde(default)]
    pub stetho: Option<HeartStetho>,
    /// Average heart rate in bpm; a [`Number`], kept as received when a fraction arrives
    /// (API notes §15).
    #[serde(default)]
    pub heart_rate: Option<Number>,
    /// When it was recorded (unix seconds).
    pub timestamp: i64,
    /// When it was last modified (unix seconds); absent in some payloads (metadata).
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub modified: Option<i64>,
    /// The IANA zone of the recording, when given (not in the documented shape).
    #[serde(default)]
    pub timezone: Option<String>,
}

/// A recording is read on its own (see [`Items`]): its `timestamp` and `modified` must be
/// instants the decoder can represent.
impl Record for HeartRecord {
    const LIST: &'static str = "body.series";

    fn check(&self) -> Result<(), String> {
        check_seconds(self.timestamp, "timestamp")?;
        check_opt_seconds(self.modified, "modified")
    }
}

/// `ecg` of a heart recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Ecg {
    /// The signal id to pass to `heart get`.
    pub signalid: i64,
    /// The atrial-fibrillation classification.
    pub afib: Afib,
}

/// `bloodpressure` of a heart recording (BPM Core only), in mmHg. Documented as integers;
/// [`Number`]s, kept as received when a fraction arrives (API notes §15).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BloodPressure {
    /// Diastolic pressure, mmHg.
    pub diastole: Number,
    /// Systolic pressure, mmHg.
    pub systole: Number,
}

/// `stetho` of a heart recording (newer spec).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HeartStetho {
    /// The signal id to pass to `stetho get`.
    pub signalid: i64,
    /// Valvular heart disease classification (code table undocumented).
    #[serde(default)]
    pub vhd: Option<i64>,
}

/// `action=get`: the samples of one ECG recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct HeartGet {
    /// `signalid` from `heart list`.
    pub signalid: i64,
    /// `with_filtered`: ask for the filtered signal.
    pub with_filtered: Option<bool>,
    /// `with_intervals`: ask for the intervals as well.
    pub with_intervals: Option<bool>,
}

impl HeartGet {
    /// The signal `signalid`, with the server's defaults.
    #[must_use]
    pub fn new(signalid: i64) -> Self {
        Self {
            signalid,
            with_filtered: None,
            with_intervals: None,
        }
    }

    /// Sets `with_filtered`.
    #[must_use]
    pub fn with_filtered(mut self, value: bool) -> Self {
        self.with_filtered = Some(value);
        self
    }

    /// Sets `with_intervals`.
    #[must_use]
    pub fn with_intervals(mut self, value: bool) -> Self {
        self.with_intervals = Some(value);
        self
    }
}

impl Endpoint for HeartGet {
    const SERVICE: Service = Service::Heart;
    const ACTION: &'static str = "get";
    const IDEMPOTENT: bool = true;
    const SCOPES: &'static [Scope] = &[Scope::UserMetrics];
    type Body = HeartGetBody;

    fn encode(&self, form: &mut Form) {
        form.int("signalid", self.signalid);
        if let Some(v) = self.with_filtered {
            form.flag("with_filtered", v);
        }
        if let Some(v) = self.with_intervals {
            form.flag("with_intervals", v);
        }
    }
}

/// The body of `heart get` (API notes §5.8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HeartGetBody {
    /// The samples, in µV: an array, or a string holding one as some payloads send it.
    #[serde(deserialize_with = "de::ints_or_json_string::deserialize")]
    pub signal: Vec<i64>,
    /// Samples per second (BPM Core 500, Move ECG and ScanWatch 300).
    pub sampling_frequency: i64,
    /// Where the device was worn.
    #[serde(default)]
    pub wearposition: Option<Position>,
    /// The device model (newer spec, an integer code).
    #[serde(default)]
    pub model: Option<NameOrCode>,
    /// Average heart rate in bpm (newer spec); a [`Number`], kept as received when a
    /// fraction arrives (API notes §15).
    #[serde(default)]
    pub heart_rate: Option<Number>,
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;
    use crate::endpoint::{Paged, PagedBody, TimeSpan};
    use crate::envelope::{Reply, parse_reply};

    #[test]
    fn list_encodes_span_and_offset() {
        let span = TimeSpan {
            start: Timestamp::from_second(1_717_200_000).unwrap(),
            end: Timestamp::from_second(1_717_430_000).unwrap(),
        };
        assert_eq!(HeartList::new().form().encode(), "action=list");
        let mut req = HeartList::new().span(span);
        req.set_offset(2);
        assert_eq!(
            req.form().encode(),
            "action=list&startdate=1717200000&enddate=1717430000&offset=2"
        );
    }

    #[test]
    fn get_encodes_flags_only_when_set() {
        assert_eq!(
            HeartGet::new(170_000_321).form().encode(),
            "action=get&signalid=170000321"
        );
        let form = HeartGet::new(7)
            .with_filtered(true)
            .with_intervals(false)
            .form();
        assert_eq!(form.get("with_filtered"), Some("true"));
        assert_eq!(form.get("with_intervals"), Some("false"));
    }

    #[test]
    fn bloodpressure_absent_or_null_and_unknown_afib() {
        let json = br#"{"status":0,"body":{"series":[
            {"deviceid":"a","model":93,"ecg":{"signalid":1,"afib":7},"bloodpressure":null,"heart_rate":0,"timestamp":1,"modified":2},
            {"deviceid":null,"model":44,"ecg":{"signalid":2,"afib":2},"timestamp":1,"modified":2}],"more":true,"offset":10}}"#;
        let Reply::Ok(body) = parse_reply::<HeartListBody>(json).unwrap() else {
            panic!()
        };
        assert!(body.more() && body.offset() == Some(10));
        assert_eq!(body.series[0].bloodpressure, None);
        assert_eq!(
            body.series[0].ecg.as_ref().unwrap().afib,
            Afib::from_code(7)
        );
        assert_eq!(
            body.series[1].ecg.as_ref().unwrap().afib,
            Afib::Inconclusive
        );
        assert_eq!(body.series[1].model, Some(NameOrCode::Code(44)));
    }

    #[test]
    fn a_record_missing_its_timestamp_is_rejected() {
        let json = br#"{"status":0,"body":{"series":[{"model":93,"modified":2},{"timestamp":5,"heart_rate":72.5}]}}"#;
        let Reply::Ok(body) = parse_reply::<HeartListBody>(json).unwrap() else {
            panic!()
        };
        assert_eq!(body.series.len(), 1);
        assert_eq!(body.series[0].heart_rate, Some(Number::Float(72.5)));
        let r = &body.series.rejected()[0];
        assert_eq!(
            (r.path.as_str(), r.error.as_str()),
            ("body.series[0]", "missing field `timestamp`")
        );
    }
}

single_body!(HeartGetBody);
