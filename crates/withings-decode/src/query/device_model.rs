//! A record's device model, resolved with the user's device list where the record alone
//! cannot say.
//!
//! Model 13 is reported by Sleep Analyzers and by Body+ WBS05S scales (API notes §15). Only
//! `user getdevice` sends the device `type` that tells them apart; measure groups, activity,
//! intraday, sleep and workout records carry the model code (and a device id or its hash).
//! [`resolve_model`] looks the record's device up in the device list by id or hash: found
//! with the same model code, the device's resolution is used; otherwise the code alone
//! decides ([`DeviceModel::resolution`]), which leaves 13 ambiguous rather than guessed.

use withings_model::codes::{DeviceModel, ResolvedModel};

use crate::user::Device;

/// `model` (a record's model code) resolved with `devices` (from `user getdevice`): the
/// device whose `deviceid` or `hash_deviceid` is `device` and whose model code is `model`
/// gives its [`Device::resolved_model`]; without one, [`DeviceModel::resolution`].
///
/// ```
/// use withings_decode::query::device_model::resolve_model;
/// use withings_decode::{Reply, decode_reply};
/// use withings_model::codes::{DeviceModel, ResolvedModel};
/// use withings_model::user::GetDeviceBody;
///
/// let json = br#"{"status":0,"body":{"devices":[{"type":"Scale","battery":"high","model":"Body+",
///   "model_id":13,"timezone":"Europe/Paris","deviceid":"scale-1","hash_deviceid":"h1"}]}}"#;
/// let Reply::Ok(devices) = decode_reply::<GetDeviceBody>(json).unwrap() else { panic!() };
/// let thirteen = DeviceModel::from_code(13);
/// assert_eq!(resolve_model(thirteen, Some("h1"), &devices), ResolvedModel::BodyPlusWbs05s);
/// assert!(resolve_model(thirteen, Some("other"), &devices).is_ambiguous());
/// assert!(resolve_model(thirteen, None, &devices).is_ambiguous());
/// ```
#[must_use]
pub fn resolve_model(
    model: DeviceModel,
    device: Option<&str>,
    devices: &[Device],
) -> ResolvedModel {
    device
        .and_then(|id| {
            devices.iter().find(|d| {
                d.model == Some(model)
                    && (d.device_id.as_deref() == Some(id) || d.device_hash.as_deref() == Some(id))
            })
        })
        .and_then(|d| d.resolved_model)
        .unwrap_or_else(|| model.resolution())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode_reply;
    use withings_model::Reply;
    use withings_model::activity::GetActivityBody;
    use withings_model::measure::GetMeasBody;
    use withings_model::sleep::GetSleepSummaryBody;
    use withings_model::user::GetDeviceBody;

    /// The hand-written fixtures for model 13.
    fn fixture(path: &str) -> Vec<u8> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        std::fs::read(root.join(path)).unwrap()
    }

    fn devices() -> Vec<Device> {
        let bytes = fixture("v2-user-getdevice/model_13_scale_and_sleep_monitor.json");
        match decode_reply::<GetDeviceBody>(&bytes).unwrap() {
            Reply::Ok(d) => d.into_vec(),
            Reply::Status(s) => panic!("{s}"),
        }
    }

    #[test]
    fn getdevice_resolves_13_by_type() {
        let d = devices();
        assert_eq!(
            d.iter()
                .map(|d| (d.kind.as_str(), d.resolved_model))
                .collect::<Vec<_>>(),
            [
                ("Scale", Some(ResolvedModel::BodyPlusWbs05s)),
                ("Sleep Monitor", Some(ResolvedModel::SleepAnalyzer)),
            ]
        );
        assert!(
            d.iter()
                .all(|d| d.model.is_some_and(DeviceModel::is_ambiguous))
        );
    }

    #[test]
    fn a_sleep_record_with_13_is_ambiguous_alone_and_resolved_with_the_device_list() {
        let bytes = fixture("v2-sleep-getsummary/model-id-13-needs-the-device-list.json");
        let Reply::Ok(s) = decode_reply::<GetSleepSummaryBody>(&bytes).unwrap() else {
            panic!()
        };
        let model = s[0].device_model.unwrap();
        assert!(model.is_ambiguous());
        assert_eq!(model.resolution(), ResolvedModel::Ambiguous(model));
        let hash = s[0].hash_device_id.as_deref();
        assert_eq!(
            resolve_model(model, hash, &devices()),
            ResolvedModel::SleepAnalyzer
        );
        assert!(resolve_model(model, hash, &[]).is_ambiguous());
    }

    #[test]
    fn a_measure_group_with_13_is_ambiguous_alone_and_resolved_with_the_device_list() {
        let bytes = fixture("measure-getmeas/modelid-13-ambiguous.json");
        let Reply::Ok(m) = decode_reply::<GetMeasBody>(&bytes).unwrap() else {
            panic!()
        };
        let g = &m.groups[0];
        let model = g.model_id().unwrap();
        assert!(model.resolution().is_ambiguous());
        assert_eq!(
            model.resolution().to_string(),
            "sleep_analyzer_or_body_plus"
        );
        assert_eq!(
            resolve_model(model, g.device_id(), &devices()),
            ResolvedModel::BodyPlusWbs05s
        );
    }

    #[test]
    fn an_activity_record_with_13_is_ambiguous() {
        let json = br#"{"status":0,"body":{"activities":[{"date":"2024-06-03","timezone":"Europe\/Amsterdam",
            "deviceid":"unlisted","hash_deviceid":"unlisted","brand":1,"is_tracker":false,"modified":1717400000,
            "model_id":13,"steps":0}],"more":false,"offset":0}}"#;
        let Reply::Ok(a) = decode_reply::<GetActivityBody>(json).unwrap() else {
            panic!()
        };
        let model = a[0].model.unwrap();
        assert_eq!(model, DeviceModel::SleepAnalyzerOrBodyPlus);
        // Not in the device list: not guessed.
        assert!(resolve_model(model, Some("unlisted"), &devices()).is_ambiguous());
    }

    #[test]
    fn the_record_may_name_its_device_by_id_or_by_hash() {
        let json = br#"{"status":0,"body":{"devices":[{"type":"Scale","battery":"high","model":"Body+",
            "model_id":13,"timezone":"Europe\/Paris","deviceid":"id-1","hash_deviceid":"hash-1"}]}}"#;
        let Reply::Ok(d) = decode_reply::<GetDeviceBody>(json).unwrap() else {
            panic!()
        };
        let thirteen = DeviceModel::from_code(13);
        for id in ["id-1", "hash-1"] {
            assert_eq!(
                resolve_model(thirteen, Some(id), &d),
                ResolvedModel::BodyPlusWbs05s,
                "{id}"
            );
        }
        assert!(resolve_model(thirteen, Some("id-2"), &d).is_ambiguous());
    }

    #[test]
    fn a_device_with_another_model_code_does_not_resolve() {
        // The same id with another code (a stale list): the code alone decides.
        let scanwatch = DeviceModel::ScanWatch;
        let d = devices();
        assert_eq!(
            resolve_model(
                scanwatch,
                Some("5c0b00000000000000000000000000000000000c"),
                &d
            ),
            ResolvedModel::Model(scanwatch)
        );
        assert_eq!(
            resolve_model(
                DeviceModel::from_code(13),
                Some("5c0b00000000000000000000000000000000000c"),
                &d
            ),
            ResolvedModel::BodyPlusWbs05s
        );
    }
}
