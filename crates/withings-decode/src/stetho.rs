//! Stethoscope recordings (`stetho list`) and signals (`stetho get`).
//!
//! No real payload of either action was found (API notes §5.9, §14): the values whose meaning
//! or unit is undocumented are passed through as received.
//!
//! A recording that cannot be read (`body.series[i]`) is left out of a `stetho list` and
//! listed in the output's [`Records::rejected`] (API notes §15); a `stetho get` is one record
//! and fails whole.

use jiff::{SignedDuration, Timestamp, ZonedDateTime};
use serde::Serialize;
use withings_model::codes::{NameOrCode, Position};
use withings_model::stetho as wire;

use crate::heart::record_time;
use crate::heart::signal_duration;
use crate::time::Zones;
use crate::{Decode, DecodeError, Records};

/// One stethoscope recording.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct StethoRecord {
    /// The id to fetch the samples with (`stetho get`).
    pub signal_id: i64,
    /// When it was recorded.
    pub taken_at: Timestamp,
    /// The same instant in the recording's zone, when the response gives one.
    pub local: Option<ZonedDateTime>,
    /// Hash of the device id.
    pub device_hash: Option<String>,
    /// Valvular heart disease classification (undocumented codes).
    pub vhd: Option<i64>,
}

impl Decode for wire::StethoListBody {
    type Output = Records<StethoRecord>;

    fn decode(self) -> Result<Records<StethoRecord>, DecodeError> {
        let mut zones = Zones::new();
        let (series, at, rejected) = self.series.into_parts();
        let records = series
            .into_iter()
            .enumerate()
            .map(|(k, r)| {
                let i = at.of(k);
                let (taken_at, local) =
                    record_time(&mut zones, i, r.timestamp, r.timezone.as_deref())?;
                Ok(StethoRecord {
                    signal_id: r.signalid,
                    taken_at,
                    local,
                    device_hash: r.hash_deviceid,
                    vhd: r.vhd,
                })
            })
            .collect::<Result<_, DecodeError>>()?;
        Ok(Records::new(records, rejected))
    }
}

/// The samples of one stethoscope recording.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct StethoSignal {
    /// The samples as sent: A-law (G.711) codes per the spec, not decoded here.
    pub samples: Vec<i64>,
    /// Samples per second (about 4 kHz).
    pub frequency_hz: Option<i64>,
    /// Samples ÷ frequency, when the frequency is given.
    pub duration: Option<SignedDuration>,
    /// `duration` as sent (unit undocumented; seconds presumed).
    pub reported_duration: Option<i64>,
    /// `format` as sent (undocumented code).
    pub format: Option<i64>,
    /// `size` as sent (undocumented).
    pub size: Option<i64>,
    /// `resolution` as sent (undocumented).
    pub resolution: Option<i64>,
    /// Number of channels.
    pub channels: Option<i64>,
    /// The device model (71 BeamO, 44 BPM Core).
    pub model: Option<NameOrCode>,
    /// Where the stethoscope was placed.
    pub position: Option<Position>,
    /// Valvular heart disease classification (undocumented codes).
    pub vhd: Option<i64>,
}

impl Decode for wire::StethoGetBody {
    type Output = StethoSignal;

    fn decode(self) -> Result<StethoSignal, DecodeError> {
        let duration = self
            .frequency
            .map(|hz| signal_duration(self.signal.len(), hz, || "body.frequency".to_owned()))
            .transpose()?;
        Ok(StethoSignal {
            samples: self.signal,
            frequency_hz: self.frequency,
            duration,
            reported_duration: self.duration,
            format: self.format,
            size: self.size,
            resolution: self.resolution,
            channels: self.channel,
            model: self.model,
            position: self.position,
            vhd: self.vhd,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode_reply;
    use withings_model::Reply;

    #[test]
    fn signal_duration_needs_a_positive_frequency() {
        let ok =
            br#"{"status":0,"body":{"signal":[213,85,85,213],"frequency":4000,"position":15}}"#;
        let Reply::Ok(s) = decode_reply::<wire::StethoGetBody>(ok).unwrap() else {
            panic!()
        };
        assert_eq!(s.duration, Some(SignedDuration::from_micros(1000)));
        assert_eq!(s.position, Some(Position::CardioAortic));
        let none = br#"{"status":0,"body":{"signal":[1]}}"#;
        let Reply::Ok(s) = decode_reply::<wire::StethoGetBody>(none).unwrap() else {
            panic!()
        };
        assert_eq!(s.duration, None);
        let zero = br#"{"status":0,"body":{"signal":[1],"frequency":0}}"#;
        assert_eq!(
            decode_reply::<wire::StethoGetBody>(zero)
                .unwrap_err()
                .path(),
            "body.frequency"
        );
    }

    #[test]
    fn list_gives_local_times_when_zoned() {
        let json = br#"{"status":0,"body":{"series":[{"hash_deviceid":"h","signalid":3,"vhd":0,"timestamp":1717420000,"timezone":"Europe\/Paris"}],"more":false,"offset":0}}"#;
        let Reply::Ok(list) = decode_reply::<wire::StethoListBody>(json).unwrap() else {
            panic!()
        };
        assert_eq!(
            list[0].local.as_ref().unwrap().to_string(),
            "2024-06-03T15:06:40+02:00[Europe/Paris]"
        );
        let bad = br#"{"status":0,"body":{"series":[{"signalid":3,"timestamp":1717420000,"timezone":"Mars\/Base"}]}}"#;
        assert_eq!(
            decode_reply::<wire::StethoListBody>(bad)
                .unwrap_err()
                .path(),
            "body.series[0].timezone"
        );
    }
}
