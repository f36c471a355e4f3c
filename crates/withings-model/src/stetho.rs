//! `/v2/stetho`: stethoscope recordings (`list`) and their signals (`get`), API notes §4.1,
//! §5.9. No real payload of either action was found: only the fields the spec names are
//! modelled, and every one whose presence is not certain is optional.

use serde::{Deserialize, Serialize};

use crate::codes::{NameOrCode, Position};
use crate::de;
use crate::endpoint::{Endpoint, Form, Service};
use crate::items::{Items, Record, check_seconds};
use crate::scope::Scope;

span_list_request! {
/// `action=list`: the user's stethoscope recordings, paged by `offset`.
StethoList {
    service: Stetho,
    action: "list",
    scopes: [UserMetrics],
    body: StethoListBody,
}
}

/// The body of `stetho list`: `{series, more, offset}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StethoListBody {
    /// The recordings. A recording that cannot be read is left out and listed in
    /// [`rejected`](crate::Items::rejected) (API notes §15).
    pub series: Items<StethoRecord>,
    /// Whether another page follows; absent means no.
    #[serde(default, deserialize_with = "de::more::deserialize")]
    pub more: bool,
    /// The offset of the next page.
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub offset: Option<i64>,
}

/// One recording of `stetho list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StethoRecord {
    /// Hash of the device that recorded it.
    #[serde(default, deserialize_with = "de::opt_id::deserialize")]
    pub hash_deviceid: Option<String>,
    /// The signal id to pass to `stetho get`.
    pub signalid: i64,
    /// Valvular heart disease classification (code table undocumented).
    #[serde(default)]
    pub vhd: Option<i64>,
    /// When it was recorded (unix seconds).
    pub timestamp: i64,
    /// The IANA zone of the recording.
    #[serde(default)]
    pub timezone: Option<String>,
}

/// A recording is read on its own (see [`Items`]): its `timestamp` must be an instant the
/// decoder can represent.
impl Record for StethoRecord {
    const LIST: &'static str = "body.series";

    fn check(&self) -> Result<(), String> {
        check_seconds(self.timestamp, "timestamp")
    }
}

/// `action=get`: the samples of one stethoscope recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct StethoGet {
    /// `signalid` from `stetho list`.
    pub signalid: i64,
}

impl StethoGet {
    /// The signal `signalid`.
    #[must_use]
    pub fn new(signalid: i64) -> Self {
        Self { signalid }
    }
}

impl Endpoint for StethoGet {
    const SERVICE: Service = Service::Stetho;
    const ACTION: &'static str = "get";
    const IDEMPOTENT: bool = true;
    const SCOPES: &'static [Scope] = &[Scope::UserMetrics];
    type Body = StethoGetBody;

    fn encode(&self, form: &mut Form) {
        form.int("signalid", self.signalid);
    }
}

/// The body of `stetho get` (API notes §5.9).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StethoGetBody {
    /// The samples, A-law (G.711) encoded.
    pub signal: Vec<i64>,
    /// Samples per second (about 4 kHz).
    #[serde(default)]
    pub frequency: Option<i64>,
    /// Length of the recording (unit undocumented; seconds presumed).
    #[serde(default)]
    pub duration: Option<i64>,
    /// Sample format code (undocumented).
    #[serde(default)]
    pub format: Option<i64>,
    /// Size of the signal (undocumented unit).
    #[serde(default)]
    pub size: Option<i64>,
    /// Sample resolution (undocumented unit).
    #[serde(default)]
    pub resolution: Option<i64>,
    /// Number of channels.
    #[serde(default)]
    pub channel: Option<i64>,
    /// The device model (71 BeamO, 44 BPM Core).
    #[serde(default)]
    pub model: Option<NameOrCode>,
    /// Where the stethoscope was placed (cardiac and pulmonary areas, API notes §7.3).
    #[serde(default)]
    pub position: Option<Position>,
    /// Valvular heart disease classification (code table undocumented).
    #[serde(default)]
    pub vhd: Option<i64>,
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;
    use crate::endpoint::{Paged, TimeSpan};
    use crate::envelope::{Reply, parse_reply};

    #[test]
    fn requests_encode() {
        let span = TimeSpan {
            start: Timestamp::from_second(1_717_200_000).unwrap(),
            end: Timestamp::from_second(1_717_430_000).unwrap(),
        };
        let mut list = StethoList::new().span(span);
        list.set_offset(50);
        assert_eq!(
            list.form().encode(),
            "action=list&startdate=1717200000&enddate=1717430000&offset=50"
        );
        assert_eq!(StethoGet::new(42).form().encode(), "action=get&signalid=42");
    }

    #[test]
    fn get_needs_only_the_signal() {
        let Reply::Ok(body) =
            parse_reply::<StethoGetBody>(br#"{"status":0,"body":{"signal":[213,85]}}"#).unwrap()
        else {
            panic!()
        };
        assert_eq!(body.signal, [213, 85]);
        assert_eq!(body.frequency, None);
        let e =
            parse_reply::<StethoGetBody>(br#"{"status":0,"body":{"frequency":4000}}"#).unwrap_err();
        assert_eq!(e.path(), "body");
    }
}

single_body!(StethoGetBody);
