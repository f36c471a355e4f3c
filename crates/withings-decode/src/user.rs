//! The user's devices (`user getdevice`) and goals (`user getgoals`).

use std::fmt;

use jiff::{SignedDuration, Timestamp};
use serde::{Serialize, Serializer};
use withings_model::codes::{DeviceModel, ResolvedModel};
use withings_model::user as wire;

use crate::time::opt_timestamp;
use crate::{Decimal, Decode, DecodeError, Records};

/// A battery level as the API reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Battery {
    /// `high`: above 75 %.
    High,
    /// `medium`: above 30 %.
    Medium,
    /// `low`.
    Low,
    /// Any other text, kept as received; real payloads send `unknown` (API notes §6).
    Unknown(String),
}

impl Battery {
    /// The level for the API's text.
    #[must_use]
    pub fn from_wire(text: &str) -> Self {
        match text {
            "high" => Self::High,
            "medium" => Self::Medium,
            "low" => Self::Low,
            other => Self::Unknown(other.to_owned()),
        }
    }

    /// The API's text for this level.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
            Self::Unknown(text) => text,
        }
    }
}

impl fmt::Display for Battery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Serializes as the API's text.
impl Serialize for Battery {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A device linked to the user's account.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Device {
    /// The device type: `Scale`, `Blood Pressure Monitor`, `Activity Tracker`…
    pub kind: String,
    /// Battery level.
    pub battery: Battery,
    /// The model name; `None` when the API sends an empty string (API notes §12.11).
    pub model_name: Option<String>,
    /// The model code.
    pub model: Option<DeviceModel>,
    /// The model with the device type taken into account: code 13 is a Body+ WBS05S on a
    /// `Scale` and a Sleep Analyzer on a `Sleep Monitor`, ambiguous with any other type
    /// ([`DeviceModel::resolve_with_type`], API notes §15); `None` without a model code.
    pub resolved_model: Option<ResolvedModel>,
    /// The device id.
    pub device_id: Option<String>,
    /// Hash of the device id.
    pub device_hash: Option<String>,
    /// The device's IANA zone name, as sent.
    pub time_zone: String,
    /// First use, when known.
    pub first_session: Option<Timestamp>,
    /// Last use, when known.
    pub last_session: Option<Timestamp>,
    /// MAC address (advanced partners only).
    pub mac_address: Option<String>,
    /// Firmware version (advanced partners only).
    pub firmware: Option<String>,
    /// Network (advanced partners only).
    pub network: Option<String>,
    /// Last network used (advanced partners only).
    pub last_used_network: Option<String>,
    /// SIM status (advanced partners only).
    pub sim_status: Option<String>,
}

/// A device that cannot be read (`body.devices[i]`) is left out and listed in the output's
/// [`Records::rejected`] (API notes §15).
impl Decode for wire::GetDeviceBody {
    type Output = Records<Device>;

    fn decode(self) -> Result<Records<Device>, DecodeError> {
        let (devices, at, rejected) = self.devices.into_parts();
        let records = devices
            .into_iter()
            .enumerate()
            .map(|(k, d)| {
                let i = at.of(k);
                Ok(Device {
                    battery: Battery::from_wire(&d.battery),
                    model_name: Some(d.model).filter(|m| !m.is_empty()),
                    model: d.model_id.map(DeviceModel::from_code),
                    resolved_model: d
                        .model_id
                        .map(|c| DeviceModel::from_code(c).resolve_with_type(&d.kind)),
                    first_session: opt_timestamp(d.first_session_date, || {
                        format!("body.devices[{i}].first_session_date")
                    })?,
                    last_session: opt_timestamp(d.last_session_date, || {
                        format!("body.devices[{i}].last_session_date")
                    })?,
                    kind: d.kind,
                    device_id: d.deviceid,
                    device_hash: d.hash_deviceid,
                    time_zone: d.timezone,
                    mac_address: d.mac_address,
                    firmware: d.fw,
                    network: d.network,
                    last_used_network: d.last_used_network,
                    sim_status: d.sim_status,
                })
            })
            .collect::<Result<_, DecodeError>>()?;
        Ok(Records::new(records, rejected))
    }
}

/// The user's goals; `None` for each goal not set (all of them when the API sends
/// `"goals": []`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Goals {
    /// Steps per day.
    pub steps: Option<i64>,
    /// Sleep per night.
    pub sleep: Option<SignedDuration>,
    /// Target weight in kg.
    pub weight_kg: Option<Decimal>,
}

impl Decode for wire::GetGoalsBody {
    type Output = Goals;

    fn decode(self) -> Result<Goals, DecodeError> {
        let g = self.goals;
        let weight_kg = match g.weight {
            Some(w) => Some(
                Decimal::new(w.value, w.unit).map_err(|_| DecodeError::Unit {
                    path: "body.goals.weight.unit".to_owned(),
                    unit: w.unit,
                })?,
            ),
            None => None,
        };
        Ok(Goals {
            steps: g.steps,
            sleep: g.sleep.map(SignedDuration::from_secs),
            weight_kg,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode_reply;
    use withings_model::Reply;

    #[test]
    fn battery_keeps_unknown_text() {
        assert_eq!(Battery::from_wire("medium"), Battery::Medium);
        assert_eq!(
            Battery::from_wire("unknown"),
            Battery::Unknown("unknown".into())
        );
        assert_eq!(
            serde_json::to_string(&Battery::Unknown("unknown".into())).unwrap(),
            r#""unknown""#
        );
        assert_eq!(Battery::High.to_string(), "high");
    }

    #[test]
    fn empty_model_and_null_sessions_are_none() {
        let json = br#"{"status":0,"body":{"devices":[{"type":"Sleep Monitor","battery":"unknown","model":"","model_id":13,
            "timezone":"Europe\/Amsterdam","first_session_date":null,"last_session_date":1717400000,"deviceid":"d","hash_deviceid":"d"}]}}"#;
        let Reply::Ok(devices) = decode_reply::<wire::GetDeviceBody>(json).unwrap() else {
            panic!()
        };
        let d = &devices[0];
        assert_eq!(
            (d.model_name.as_deref(), d.model),
            (None, Some(DeviceModel::SleepAnalyzerOrBodyPlus))
        );
        assert_eq!(d.resolved_model, Some(ResolvedModel::SleepAnalyzer));
        assert_eq!(d.first_session, None);
        assert_eq!(d.last_session.unwrap().as_second(), 1_717_400_000);
    }

    #[test]
    fn goals_decode_exactly_and_empty_is_all_none() {
        let json = br#"{"status":0,"body":{"goals":{"steps":8000,"sleep":27000,"weight":{"value":72500,"unit":-3}}}}"#;
        let Reply::Ok(g) = decode_reply::<wire::GetGoalsBody>(json).unwrap() else {
            panic!()
        };
        assert_eq!(g.weight_kg.unwrap().to_string(), "72.5");
        assert_eq!(
            g.sleep,
            Some(SignedDuration::from_hours(7) + SignedDuration::from_mins(30))
        );
        let Reply::Ok(g) =
            decode_reply::<wire::GetGoalsBody>(br#"{"status":0,"body":{"goals":[]}}"#).unwrap()
        else {
            panic!()
        };
        assert_eq!(g, Goals::default());
        let bad = br#"{"status":0,"body":{"goals":{"weight":{"value":1,"unit":99}}}}"#;
        assert_eq!(
            decode_reply::<wire::GetGoalsBody>(bad).unwrap_err().path(),
            "body.goals.weight.unit"
        );
    }
}
