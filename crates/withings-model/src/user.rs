//! `/v2/user`: the user's devices (`getdevice`) and goals (`getgoals`), API notes §5.10, §5.11.

use serde::{Deserialize, Serialize};

use crate::de;
use crate::endpoint::{Endpoint, Form, Service};
use crate::items::{Items, Record, check_opt_seconds};
use crate::scope::Scope;

/// `action=getdevice`: the devices linked to the user's account. Takes no parameters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GetDevice;

impl GetDevice {
    /// The request.
    #[must_use]
    pub fn new() -> Self {
        Self
    }
}

impl Endpoint for GetDevice {
    const SERVICE: Service = Service::User;
    const ACTION: &'static str = "getdevice";
    const IDEMPOTENT: bool = true;
    // Any user token (API notes §4.1: no scope is documented).
    const SCOPES: &'static [Scope] = &[];
    type Body = GetDeviceBody;

    fn encode(&self, _form: &mut Form) {}
}

/// The body of `user getdevice`: `{devices: [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GetDeviceBody {
    /// The devices. A device that cannot be read is left out and listed in
    /// [`rejected`](crate::Items::rejected) (API notes §15).
    pub devices: Items<Device>,
}

/// One device of `user getdevice`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Device {
    /// The device type: `Scale`, `Blood Pressure Monitor`, `Activity Tracker`, `Sleep
    /// Monitor`… (API notes §7.9).
    #[serde(rename = "type")]
    pub kind: String,
    /// Battery level: `high` (> 75 %), `medium` (> 30 %), `low`, and `unknown` seen in real
    /// payloads (API notes §6).
    pub battery: String,
    /// The model name, e.g. `Body+`; an empty string for some devices (a Sleep Analyzer,
    /// API notes §12.11).
    pub model: String,
    /// The model code (API notes §7.9).
    #[serde(default)]
    pub model_id: Option<i64>,
    /// The device id.
    #[serde(default, deserialize_with = "de::opt_id::deserialize")]
    pub deviceid: Option<String>,
    /// Hash of the device id.
    #[serde(default, deserialize_with = "de::opt_id::deserialize")]
    pub hash_deviceid: Option<String>,
    /// The device's IANA zone.
    pub timezone: String,
    /// First use (unix seconds); `null` seen in real payloads.
    #[serde(default)]
    pub first_session_date: Option<i64>,
    /// Last use (unix seconds); `null` seen in real payloads.
    #[serde(default)]
    pub last_session_date: Option<i64>,
    /// MAC address (advanced partners only).
    #[serde(default)]
    pub mac_address: Option<String>,
    /// Firmware version (advanced partners only).
    #[serde(default)]
    pub fw: Option<String>,
    /// Network (advanced partners only).
    #[serde(default)]
    pub network: Option<String>,
    /// Last network used (advanced partners only).
    #[serde(default)]
    pub last_used_network: Option<String>,
    /// SIM status of cellular devices (advanced partners only).
    #[serde(default)]
    pub sim_status: Option<String>,
}

/// A device is read on its own (see [`Items`]): its session dates must be instants the
/// decoder can represent.
impl Record for Device {
    const LIST: &'static str = "body.devices";

    fn check(&self) -> Result<(), String> {
        check_opt_seconds(self.first_session_date, "first_session_date")?;
        check_opt_seconds(self.last_session_date, "last_session_date")
    }
}

/// `action=getgoals`: the user's goals. Takes no parameters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GetGoals;

impl GetGoals {
    /// The request.
    #[must_use]
    pub fn new() -> Self {
        Self
    }
}

impl Endpoint for GetGoals {
    const SERVICE: Service = Service::User;
    const ACTION: &'static str = "getgoals";
    const IDEMPOTENT: bool = true;
    // Any user token (API notes §4.1: no scope is documented).
    const SCOPES: &'static [Scope] = &[];
    type Body = GetGoalsBody;

    fn encode(&self, _form: &mut Form) {}
}

/// The body of `user getgoals`: `{goals: {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GetGoalsBody {
    /// The goals; PHP sends `[]` when the user has none (API notes §6), read as no goals.
    #[serde(deserialize_with = "de::object_or_empty_array::deserialize")]
    pub goals: Goals,
}

/// The user's goals; any of them may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Goals {
    /// Steps per day.
    #[serde(default)]
    pub steps: Option<i64>,
    /// Sleep per night, in seconds.
    #[serde(default)]
    pub sleep: Option<i64>,
    /// Target weight.
    #[serde(default)]
    pub weight: Option<GoalWeight>,
}

/// A weight goal: `value × 10^unit` kg.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GoalWeight {
    /// The mantissa.
    pub value: i64,
    /// The power-of-ten exponent.
    pub unit: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{Reply, parse_reply};

    fn goals(json: &[u8]) -> Goals {
        let Reply::Ok(body) = parse_reply::<GetGoalsBody>(json).unwrap() else {
            panic!()
        };
        body.goals
    }

    #[test]
    fn requests_take_no_parameters() {
        assert_eq!(GetDevice::new().form().encode(), "action=getdevice");
        assert_eq!(GetGoals::new().form().encode(), "action=getgoals");
        assert_eq!(GetGoals::fixture_dir(), "v2-user-getgoals");
    }

    #[test]
    fn goals_empty_array_is_no_goals() {
        assert_eq!(
            goals(br#"{"status":0,"body":{"goals":[]}}"#),
            Goals::default()
        );
        let g = goals(br#"{"status":0,"body":{"goals":{"weight":{"value":72500,"unit":-3}}}}"#);
        assert_eq!(
            (g.steps, g.weight),
            (
                None,
                Some(GoalWeight {
                    value: 72500,
                    unit: -3
                })
            )
        );
        let e =
            parse_reply::<GetGoalsBody>(br#"{"status":0,"body":{"goals":[8000]}}"#).unwrap_err();
        assert_eq!(e.path(), "body.goals");
    }

    #[test]
    fn device_quirks() {
        let json = br#"{"status":0,"body":{"devices":[{"type":"Sleep Monitor","battery":"unknown","model":"","model_id":13,
            "timezone":"Europe\/Amsterdam","first_session_date":null,"last_session_date":null,
            "deviceid":"deadbeef","hash_deviceid":"deadbeef"}]}}"#;
        let Reply::Ok(body) = parse_reply::<GetDeviceBody>(json).unwrap() else {
            panic!()
        };
        let d = &body.devices[0];
        assert_eq!(
            (d.kind.as_str(), d.model.as_str(), d.first_session_date),
            ("Sleep Monitor", "", None)
        );
        assert_eq!(d.timezone, "Europe/Amsterdam");
    }
}

single_body!(GetDeviceBody, GetGoalsBody);
