//! ECG recordings (`heart list`) and signals (`heart get`).
//!
//! A recording that cannot be read (`body.series[i]`) is left out of a `heart list` and
//! listed in the output's [`Records::rejected`] (API notes §15); a `heart get` is one record
//! and fails whole. Heart rates and blood pressures are [`Number`]s, as received (API notes
//! §15); the signal's samples stay integers.

use jiff::{SignedDuration, Timestamp, ZonedDateTime};
use serde::Serialize;
use withings_model::codes::{NameOrCode, Position};
use withings_model::heart::{self as wire, Afib};

use crate::time::{Zones, opt_timestamp, timestamp};
use crate::{Decode, DecodeError, Number, Records};

/// One ECG (or BPM Core) recording.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct HeartRecord {
    /// When it was recorded.
    pub taken_at: Timestamp,
    /// The same instant in the recording's zone, when the response gives one.
    pub local: Option<ZonedDateTime>,
    /// When it was last modified; `None` when the payload leaves it out (metadata).
    pub modified: Option<Timestamp>,
    /// The device that recorded it.
    pub device_id: Option<String>,
    /// The device model (a code here: 44 BPM Core, 91 Move ECG, 93 ScanWatch).
    pub model: Option<NameOrCode>,
    /// The ECG part: the signal to fetch and its classification.
    pub ecg: Option<EcgResult>,
    /// Blood pressure; only a BPM Core measures it.
    pub blood_pressure: Option<BloodPressure>,
    /// The stethoscope recording taken with it, if any.
    pub stethoscope: Option<StethoscopeRef>,
    /// Average heart rate in bpm; `None` when absent or 0 (Withings writes 0 when there is no
    /// reading).
    pub heart_rate: Option<Number>,
}

/// The ECG part of a [`HeartRecord`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct EcgResult {
    /// The id to fetch the samples with (`heart get`).
    pub signal_id: i64,
    /// Atrial-fibrillation classification; unknown codes are kept.
    pub afib: Afib,
}

/// Blood pressure in mmHg.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct BloodPressure {
    /// Systolic, mmHg.
    pub systolic_mmhg: Number,
    /// Diastolic, mmHg.
    pub diastolic_mmhg: Number,
}

/// A stethoscope recording referenced from a heart recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct StethoscopeRef {
    /// The id to fetch it with (`stetho get`).
    pub signal_id: i64,
    /// Valvular heart disease classification (undocumented codes).
    pub vhd: Option<i64>,
}

/// When the `i`-th record of a `series` list was taken, and the same instant in its zone when
/// the record names one (heart and stetho lists share this shape).
pub(crate) fn record_time(
    zones: &mut Zones,
    i: usize,
    at: i64,
    zone: Option<&str>,
) -> Result<(Timestamp, Option<ZonedDateTime>), DecodeError> {
    let taken_at = timestamp(at, || format!("body.series[{i}].timestamp"))?;
    let local = match zone {
        Some(name) => Some(
            taken_at.to_zoned_datetime(zones.get(name, || format!("body.series[{i}].timezone"))?),
        ),
        None => None,
    };
    Ok((taken_at, local))
}

/// The heart rate, with 0 read as "no reading".
pub(crate) fn heart_rate(bpm: Option<Number>) -> Option<Number> {
    bpm.filter(|v| !v.is_zero())
}

impl Decode for wire::HeartListBody {
    type Output = Records<HeartRecord>;

    fn decode(self) -> Result<Records<HeartRecord>, DecodeError> {
        let mut zones = Zones::new();
        let (series, at, rejected) = self.series.into_parts();
        let records = series
            .into_iter()
            .enumerate()
            .map(|(k, r)| {
                let i = at.of(k);
                let (taken_at, local) =
                    record_time(&mut zones, i, r.timestamp, r.timezone.as_deref())?;
                Ok(HeartRecord {
                    taken_at,
                    local,
                    modified: opt_timestamp(r.modified, || format!("body.series[{i}].modified"))?,
                    device_id: r.deviceid,
                    model: r.model,
                    ecg: r.ecg.map(|e| EcgResult {
                        signal_id: e.signalid,
                        afib: e.afib,
                    }),
                    blood_pressure: r.bloodpressure.map(|bp| BloodPressure {
                        systolic_mmhg: bp.systole,
                        diastolic_mmhg: bp.diastole,
                    }),
                    stethoscope: r.stetho.map(|s| StethoscopeRef {
                        signal_id: s.signalid,
                        vhd: s.vhd,
                    }),
                    heart_rate: heart_rate(r.heart_rate),
                })
            })
            .collect::<Result<_, DecodeError>>()?;
        Ok(Records::new(records, rejected))
    }
}

/// The samples of one ECG recording.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct EcgSignal {
    /// The samples, in µV.
    pub samples: Vec<i64>,
    /// Samples per second.
    pub sampling_frequency_hz: i64,
    /// Length of the recording: samples ÷ frequency (BPM Core 20 s, Move ECG and ScanWatch
    /// 30 s).
    pub duration: SignedDuration,
    /// Where the device was worn.
    pub wear_position: Option<Position>,
    /// The device model, when given.
    pub model: Option<NameOrCode>,
    /// Average heart rate in bpm; `None` when absent or 0.
    pub heart_rate: Option<Number>,
}

/// The duration of `count` samples at `frequency` Hz, to the nanosecond.
pub(crate) fn signal_duration(
    count: usize,
    frequency: i64,
    path: impl Fn() -> String,
) -> Result<SignedDuration, DecodeError> {
    if frequency <= 0 {
        return Err(DecodeError::Invalid {
            path: path(),
            problem: format!("sampling frequency {frequency} Hz is not positive"),
        });
    }
    // usize and i64 both fit an i128 with room for the ×10^9.
    let nanos = (count as i128) * 1_000_000_000 / i128::from(frequency);
    SignedDuration::try_from_nanos_i128(nanos).ok_or_else(|| DecodeError::Invalid {
        path: path(),
        problem: "the signal is too long to represent".to_owned(),
    })
}

impl Decode for wire::HeartGetBody {
    type Output = EcgSignal;

    fn decode(self) -> Result<EcgSignal, DecodeError> {
        let duration = signal_duration(self.signal.len(), self.sampling_frequency, || {
            "body.sampling_frequency".to_owned()
        })?;
        Ok(EcgSignal {
            samples: self.signal,
            sampling_frequency_hz: self.sampling_frequency,
            duration,
            wear_position: self.wearposition,
            model: self.model,
            heart_rate: heart_rate(self.heart_rate),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode_reply;
    use withings_model::Reply;

    #[test]
    fn list_decodes_ecg_blood_pressure_and_zero_heart_rate() {
        let json = br#"{"status":0,"body":{"series":[
            {"deviceid":"d","model":44,"ecg":{"signalid":5,"afib":0},"bloodpressure":{"diastole":78,"systole":121},
             "heart_rate":0,"timestamp":1717420000,"modified":1717420100,"timezone":"Europe\/Paris"},
            {"model":93,"ecg":{"signalid":6,"afib":9},"heart_rate":71,"timestamp":1717330000,"modified":1717330050}]}}"#;
        let Reply::Ok(list) = decode_reply::<wire::HeartListBody>(json).unwrap() else {
            panic!()
        };
        assert_eq!(
            list[0].blood_pressure,
            Some(BloodPressure {
                systolic_mmhg: Number::Int(121),
                diastolic_mmhg: Number::Int(78)
            })
        );
        assert_eq!(list[0].heart_rate, None);
        assert_eq!(
            list[0].local.as_ref().unwrap().to_string(),
            "2024-06-03T15:06:40+02:00[Europe/Paris]"
        );
        assert_eq!(
            list[1].ecg,
            Some(EcgResult {
                signal_id: 6,
                afib: Afib::from_code(9)
            })
        );
        assert_eq!(
            (list[1].heart_rate, list[1].local.is_none()),
            (Some(Number::Int(71)), true)
        );
    }

    #[test]
    fn duration_is_samples_over_frequency() {
        assert_eq!(
            signal_duration(9000, 300, String::new).unwrap(),
            SignedDuration::from_secs(30)
        );
        assert_eq!(
            signal_duration(7, 300, String::new).unwrap(),
            SignedDuration::from_nanos(23_333_333)
        );
        assert_eq!(
            signal_duration(0, 500, String::new).unwrap(),
            SignedDuration::ZERO
        );
    }

    #[test]
    fn zero_or_negative_frequency_is_an_error_at_its_path() {
        let json =
            br#"{"status":0,"body":{"signal":[1,2,3],"sampling_frequency":0,"wearposition":1}}"#;
        let e = decode_reply::<wire::HeartGetBody>(json).unwrap_err();
        assert_eq!(e.path(), "body.sampling_frequency");
        assert!(signal_duration(3, -5, || "p".into()).is_err());
    }
}
