//! Code tables shared by several services, and a re-export of every other open code enum.
//!
//! Each enum is a known variant or `Unknown(raw)` (see the crate docs): a code this library
//! does not know never fails a response and serializes back to the same integer.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

pub use crate::heart::Afib;
pub use crate::measure::{AfibClassification, MeasureType};
pub use crate::notify::Appli;
pub use crate::sleep::{NightEventType, SleepModel, SleepState};
pub use crate::workout::WorkoutCategory;

open_enum! {
    /// Who a measure group (or workout) is attributed to (`attrib`, API notes §7.2).
    ///
    /// Codes 10, 10000, 10009 and 10010 arrive in real payloads undocumented (API notes
    /// §12.7); they are kept as `Unknown`. Code 3 is documented by other clients (API notes
    /// §15).
    pub enum Attrib {
        /// Captured by a device and known to belong to this user.
        Device = 0 => "device",
        /// Captured by a device, but it may belong to someone else (an ambiguous weigh-in).
        DeviceAmbiguous = 1 => "device_ambiguous",
        /// Entered manually for this user.
        Manual = 2 => "manual",
        /// Captured by a device; the user picked their own profile on the scale, so it is
        /// theirs (other clients call it `USER_PICKED`; API notes §15).
        UserPicked = 3 => "user_picked",
        /// Entered manually at account creation (may be inaccurate).
        ManualAtCreation = 4 => "manual_at_creation",
        /// Computed by a blood pressure monitor as the best of several readings.
        MeasureAuto = 5 => "measure_auto",
        /// Confirmed by the user.
        Confirmed = 7 => "confirmed",
        /// Same meaning as `Device` (0); seen duplicated beside it (API notes §12.14).
        DeviceSame = 8 => "device_same",
        /// Taken in guided conditions (Nerve Health Score).
        Guided = 15 => "guided",
        /// Taken in guided conditions for Nerve Health Score and ESC (older spec only).
        GuidedEsc = 17 => "guided_esc",
    }
}

impl Attrib {
    /// Whether the measurement may belong to someone else using the same device: device
    /// captures Withings could not attribute, and codes this library does not know (they are
    /// undocumented, so nothing says they are this user's).
    #[must_use]
    pub const fn may_be_someone_else(self) -> bool {
        matches!(self, Self::DeviceAmbiguous | Self::Unknown(_))
    }

    /// Whether a person typed the value in rather than a device measuring it.
    #[must_use]
    pub const fn is_manual(self) -> bool {
        matches!(self, Self::Manual | Self::ManualAtCreation)
    }
}

open_enum! {
    /// Measure group category (`category`).
    pub enum Category {
        /// A real measurement.
        Real = 1 => "real",
        /// A user objective (goal).
        Objective = 2 => "objective",
    }
}

open_enum! {
    /// Body or wear position (`measures[].position`, heart `wearposition`, stetho `position`;
    /// API notes §7.3).
    pub enum Position {
        /// Right wrist.
        RightWrist = 0 => "right_wrist",
        /// Left wrist.
        LeftWrist = 1 => "left_wrist",
        /// Right arm.
        RightArm = 2 => "right_arm",
        /// Left arm.
        LeftArm = 3 => "left_arm",
        /// Right foot.
        RightFoot = 4 => "right_foot",
        /// Left foot.
        LeftFoot = 5 => "left_foot",
        /// Between legs.
        BetweenLegs = 6 => "between_legs",
        /// Whole body (not in the spec; seen on Body Scan payloads).
        WholeBody = 7 => "whole_body",
        /// Left part of the body.
        LeftBody = 8 => "left_body",
        /// Right part of the body.
        RightBody = 9 => "right_body",
        /// Left leg.
        LeftLeg = 10 => "left_leg",
        /// Right leg.
        RightLeg = 11 => "right_leg",
        /// Torso.
        Torso = 12 => "torso",
        /// Left hand.
        LeftHand = 13 => "left_hand",
        /// Right hand.
        RightHand = 14 => "right_hand",
        /// Cardiac auscultation: aortic area.
        CardioAortic = 15 => "cardio_aortic",
        /// Cardiac auscultation: pulmonic area.
        CardioPulmonic = 16 => "cardio_pulmonic",
        /// Cardiac auscultation: tricuspid area.
        CardioTricuspid = 17 => "cardio_tricuspid",
        /// Cardiac auscultation: mitral area.
        CardioMitral = 18 => "cardio_mitral",
        /// Cardiac auscultation: apex.
        CardioApex = 19 => "cardio_apex",
        /// Pulmonary auscultation: front upper right.
        PulmonaryFrontUpperRight = 20 => "pulmonary_front_upper_right",
        /// Pulmonary auscultation: front upper left.
        PulmonaryFrontUpperLeft = 21 => "pulmonary_front_upper_left",
        /// Pulmonary auscultation: front bottom right.
        PulmonaryFrontBottomRight = 22 => "pulmonary_front_bottom_right",
        /// Pulmonary auscultation: front bottom left.
        PulmonaryFrontBottomLeft = 23 => "pulmonary_front_bottom_left",
        /// Pulmonary auscultation: back upper left.
        PulmonaryBackUpperLeft = 24 => "pulmonary_back_upper_left",
        /// Pulmonary auscultation: back upper right.
        PulmonaryBackUpperRight = 25 => "pulmonary_back_upper_right",
        /// Pulmonary auscultation: back bottom left.
        PulmonaryBackBottomLeft = 26 => "pulmonary_back_bottom_left",
        /// Pulmonary auscultation: back bottom right.
        PulmonaryBackBottomRight = 27 => "pulmonary_back_bottom_right",
        /// Wide mode area.
        WideMode = 28 => "wide_mode",
        /// Between arms.
        BetweenArms = 29 => "between_arms",
        /// Held in the right hand.
        HoldRight = 30 => "hold_right",
        /// Held in the left hand.
        HoldLeft = 31 => "hold_left",
    }
}

open_enum! {
    /// Device model (`model_id` / `modelid`, API notes §7.9).
    pub enum DeviceModel {
        /// Withings WBS01.
        Wbs01 = 1 => "wbs01",
        /// WS30.
        Ws30 = 2 => "ws30",
        /// Kid Scale.
        KidScale = 3 => "kid_scale",
        /// Smart Body Analyzer.
        SmartBodyAnalyzer = 4 => "smart_body_analyzer",
        /// Body+.
        BodyPlus = 5 => "body_plus",
        /// Body Cardio.
        BodyCardio = 6 => "body_cardio",
        /// Body.
        Body = 7 => "body",
        /// Body Pro.
        BodyPro = 9 => "body_pro",
        /// Body Scan.
        BodyScan = 10 => "body_scan",
        /// WBS10.
        Wbs10 = 11 => "wbs10",
        /// WBS11.
        Wbs11 = 12 => "wbs11",
        /// Sleep Analyzer **or** Body+ (WBS05S): both report 13 (API notes §15), so the code
        /// alone does not say which. [`DeviceModel::resolve_with_type`] tells them apart with
        /// the device `type` of `user getdevice`; elsewhere see [`DeviceModel::is_ambiguous`].
        SleepAnalyzerOrBodyPlus = 13 => "sleep_analyzer_or_body_plus",
        /// Body scale.
        BodyScale = 14 => "body_scale",
        /// Body Comp 2.
        BodyComp2 = 15 => "body_comp_2",
        /// Body Smart.
        BodySmart = 16 => "body_smart",
        /// Body Comp Pro.
        BodyCompPro = 17 => "body_comp_pro",
        /// Body Comp.
        BodyComp = 18 => "body_comp",
        /// Body Scan 2 (sold from mid-2026; reported by other clients' users, API notes §15).
        BodyScan2 = 19 => "body_scan_2",
        /// BodyFit (reported by other clients' users, API notes §15).
        BodyFit = 20 => "body_fit",
        /// Smart Baby Monitor.
        SmartBabyMonitor = 21 => "smart_baby_monitor",
        /// Withings Home.
        Home = 22 => "home",
        /// Withings Blood Pressure Monitor V1.
        BpmV1 = 41 => "bpm_v1",
        /// Withings Blood Pressure Monitor V2.
        BpmV2 = 42 => "bpm_v2",
        /// Withings Blood Pressure Monitor V3.
        BpmV3 = 43 => "bpm_v3",
        /// BPM Core.
        BpmCore = 44 => "bpm_core",
        /// BPM Connect.
        BpmConnect = 45 => "bpm_connect",
        /// BPM Connect Pro.
        BpmConnectPro = 46 => "bpm_connect_pro",
        /// BPM Pro 2.
        BpmPro2 = 47 => "bpm_pro_2",
        /// BPM Vision.
        BpmVision = 48 => "bpm_vision",
        /// Pulse.
        Pulse = 51 => "pulse",
        /// Activité.
        Activite = 52 => "activite",
        /// Activité (Pop, Steel).
        ActivitePopSteel = 53 => "activite_pop_steel",
        /// Withings Go.
        Go = 54 => "go",
        /// Activité Steel HR.
        ActiviteSteelHr = 55 => "activite_steel_hr",
        /// Pulse HR.
        PulseHr = 58 => "pulse_hr",
        /// Activité Steel HR Sport Edition.
        ActiviteSteelHrSport = 59 => "activite_steel_hr_sport",
        /// Aura Dock.
        AuraDock = 60 => "aura_dock",
        /// Aura Sensor.
        AuraSensor = 61 => "aura_sensor",
        /// Aura dock (as named in the workout table).
        AuraDock2 = 62 => "aura_dock_2",
        /// Aura Sensor V2 / Sleep sensor.
        AuraSensorV2 = 63 => "aura_sensor_v2",
        /// Thermo.
        Thermo = 70 => "thermo",
        /// BeamO.
        BeamO = 71 => "beamo",
        /// Move.
        Move = 90 => "move",
        /// Move ECG.
        MoveEcg = 91 => "move_ecg",
        /// Move ECG (second model code).
        MoveEcg2 = 92 => "move_ecg_2",
        /// ScanWatch.
        ScanWatch = 93 => "scanwatch",
        /// ScanWatch 2.
        ScanWatch2 = 94 => "scanwatch_2",
        /// ScanWatch Light.
        ScanWatchLight = 95 => "scanwatch_light",
        /// WUP01 gateway.
        Wup01 = 100 => "wup01",
        /// iOS step tracker.
        IosStepTracker = 1051 => "ios_step_tracker",
        /// iOS step tracker (second code).
        IosStepTracker2 = 1052 => "ios_step_tracker_2",
        /// Android step tracker.
        AndroidStepTracker = 1053 => "android_step_tracker",
        /// Android step tracker (second code).
        AndroidStepTracker2 = 1054 => "android_step_tracker_2",
        /// GoogleFit tracker.
        GoogleFitTracker = 1055 => "googlefit_tracker",
        /// Samsung Health tracker.
        SamsungHealthTracker = 1056 => "samsung_health_tracker",
        /// HealthKit step tracker, iPhone.
        HealthKitIphone = 1057 => "healthkit_iphone",
        /// HealthKit step tracker, Apple Watch.
        HealthKitAppleWatch = 1058 => "healthkit_apple_watch",
        /// HealthKit, other step tracker.
        HealthKitOther = 1059 => "healthkit_other",
        /// Google Health Connect.
        GoogleHealthConnect = 1060 => "google_health_connect",
        /// iGlucose glucometer.
        IGlucose = 1061 => "iglucose",
        /// Huawei tracker.
        HuaweiTracker = 1062 => "huawei_tracker",
        /// Lingo sensor.
        LingoSensor = 1063 => "lingo_sensor",
    }
}

impl DeviceModel {
    /// Whether more than one product reports this code, so that the code alone does not say
    /// which: 13 (Sleep Analyzer and Body+ WBS05S scales, API notes §15).
    ///
    /// ```
    /// use withings_model::codes::DeviceModel;
    ///
    /// assert!(DeviceModel::from_code(13).is_ambiguous());
    /// assert!(!DeviceModel::BodyScan.is_ambiguous());
    /// ```
    #[must_use]
    pub const fn is_ambiguous(self) -> bool {
        self.code() == 13
    }

    /// What the code alone says: the model, or [`ResolvedModel::Ambiguous`] for a code that
    /// several products report. For records that carry only the code (measure groups,
    /// activity, intraday, sleep, workouts).
    ///
    /// ```
    /// use withings_model::codes::{DeviceModel, ResolvedModel};
    ///
    /// let m = DeviceModel::from_code(13);
    /// assert_eq!(m.resolution(), ResolvedModel::Ambiguous(m));
    /// assert_eq!(DeviceModel::BodyScan.resolution(), ResolvedModel::Model(DeviceModel::BodyScan));
    /// ```
    #[must_use]
    pub const fn resolution(self) -> ResolvedModel {
        if self.is_ambiguous() {
            ResolvedModel::Ambiguous(self)
        } else {
            ResolvedModel::Model(self)
        }
    }

    /// The model, told apart by the device `type` that `user getdevice` sends beside the code
    /// (API notes §7.9, §15): 13 with `Scale` is a Body+ WBS05S, 13 with `Sleep Monitor` a
    /// Sleep Analyzer (compared without regard to ASCII case or surrounding spaces). 13 with
    /// any other type stays [`ResolvedModel::Ambiguous`]; other codes do not depend on the
    /// type.
    ///
    /// ```
    /// use withings_model::codes::{DeviceModel, ResolvedModel};
    ///
    /// let m = DeviceModel::from_code(13);
    /// assert_eq!(m.resolve_with_type("Scale"), ResolvedModel::BodyPlusWbs05s);
    /// assert_eq!(m.resolve_with_type("Sleep Monitor"), ResolvedModel::SleepAnalyzer);
    /// assert!(m.resolve_with_type("Gateway").is_ambiguous());
    /// ```
    #[must_use]
    pub fn resolve_with_type(self, device_type: &str) -> ResolvedModel {
        if self.code() != 13 {
            return ResolvedModel::Model(self);
        }
        let t = device_type.trim();
        if t.eq_ignore_ascii_case("Scale") {
            ResolvedModel::BodyPlusWbs05s
        } else if t.eq_ignore_ascii_case("Sleep Monitor") {
            ResolvedModel::SleepAnalyzer
        } else {
            ResolvedModel::Ambiguous(self)
        }
    }
}

/// A device model once what the response says about the device is taken into account: a
/// model code names one product, except 13, which Sleep Analyzers and Body+ WBS05S scales
/// both report (API notes §15). Made by [`DeviceModel::resolution`] (the code alone) or
/// [`DeviceModel::resolve_with_type`] (the code and the device `type`).
///
/// Serializes as its [`name`](Self::name) (`"body_plus_wbs05s"`), or `unknown(<code>)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResolvedModel {
    /// A code that names one model whatever the device's type (every code but 13), known or
    /// not.
    Model(DeviceModel),
    /// Code 13 on a device of type `Sleep Monitor`: a Sleep Analyzer.
    SleepAnalyzer,
    /// Code 13 on a device of type `Scale`: a Body+ scale (WBS05S).
    BodyPlusWbs05s,
    /// A code several products report (13), where nothing in the response tells which:
    /// records that carry only the code, or a device `type` that is neither `Scale` nor
    /// `Sleep Monitor`. Not guessed.
    Ambiguous(DeviceModel),
}

impl ResolvedModel {
    /// The model code as sent (13 for the two resolutions of 13).
    #[must_use]
    pub const fn code(self) -> i64 {
        match self {
            Self::Model(m) | Self::Ambiguous(m) => m.code(),
            Self::SleepAnalyzer | Self::BodyPlusWbs05s => 13,
        }
    }

    /// The stable snake_case name: `sleep_analyzer`, `body_plus_wbs05s`, the code's
    /// [`DeviceModel::name`] otherwise (`sleep_analyzer_or_body_plus` for an ambiguous 13);
    /// `None` for a code this library does not know.
    #[must_use]
    pub const fn name(self) -> Option<&'static str> {
        match self {
            Self::Model(m) | Self::Ambiguous(m) => m.name(),
            Self::SleepAnalyzer => Some("sleep_analyzer"),
            Self::BodyPlusWbs05s => Some("body_plus_wbs05s"),
        }
    }

    /// Whether the product is unknown among several that report the same code.
    #[must_use]
    pub const fn is_ambiguous(self) -> bool {
        matches!(self, Self::Ambiguous(_))
    }
}

/// The name, or `unknown(<code>)`.
impl fmt::Display for ResolvedModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "unknown({})", self.code()),
        }
    }
}

/// Serializes as the [`Display`](fmt::Display) text.
impl Serialize for ResolvedModel {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A `model` field that is a name in some responses (`"Body+"`, getmeas, getdevice, sleep
/// series) and a code in others (getworkouts, heart list; one getmeas dump shows `10`;
/// API notes §6).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NameOrCode {
    /// A model name such as `"Body Scan"` (may be empty: API notes §12.11).
    Name(String),
    /// A model code (see [`DeviceModel`]).
    Code(i64),
}

impl fmt::Display for NameOrCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Name(n) => f.write_str(n),
            Self::Code(c) => write!(f, "{}", DeviceModel::from_code(*c)),
        }
    }
}

impl Serialize for NameOrCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Name(n) => s.serialize_str(n),
            Self::Code(c) => s.serialize_i64(*c),
        }
    }
}

impl<'de> Deserialize<'de> for NameOrCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = NameOrCode;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a model name or an integer model code")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<NameOrCode, E> {
                Ok(NameOrCode::Name(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<NameOrCode, E> {
                Ok(NameOrCode::Name(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NameOrCode, E> {
                Ok(NameOrCode::Code(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NameOrCode, E> {
                i64::try_from(v)
                    .map(NameOrCode::Code)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attrib_3_is_the_users_own_and_devices_19_and_20_are_known() {
        let picked = Attrib::from_code(3);
        assert_eq!(picked, Attrib::UserPicked);
        assert!(!picked.may_be_someone_else() && !picked.is_manual());
        assert!(Attrib::from_code(1).may_be_someone_else());
        assert!(Attrib::from_code(10).may_be_someone_else());
        assert_eq!(DeviceModel::from_code(19).name(), Some("body_scan_2"));
        assert_eq!(DeviceModel::from_code(20).name(), Some("body_fit"));
        assert_eq!(
            crate::measure::MeasureType::from_code(196).name(),
            Some("nerve_response_score")
        );
    }

    #[test]
    fn model_13_is_resolved_by_the_device_type_and_ambiguous_without_it() {
        let m = DeviceModel::from_code(13);
        assert_eq!(m, DeviceModel::SleepAnalyzerOrBodyPlus);
        assert!(m.is_ambiguous());
        assert_eq!(m.to_string(), "sleep_analyzer_or_body_plus");
        assert_eq!(m.resolution(), ResolvedModel::Ambiguous(m));
        assert_eq!(m.resolve_with_type("Scale"), ResolvedModel::BodyPlusWbs05s);
        assert_eq!(
            m.resolve_with_type(" scale "),
            ResolvedModel::BodyPlusWbs05s
        );
        assert_eq!(
            m.resolve_with_type("Sleep Monitor"),
            ResolvedModel::SleepAnalyzer
        );
        assert_eq!(
            m.resolve_with_type("SLEEP MONITOR"),
            ResolvedModel::SleepAnalyzer
        );
        for other in ["", "Activity Tracker", "Scales", "Sleep"] {
            assert_eq!(
                m.resolve_with_type(other),
                ResolvedModel::Ambiguous(m),
                "{other:?}"
            );
        }
        for r in [
            ResolvedModel::BodyPlusWbs05s,
            ResolvedModel::SleepAnalyzer,
            ResolvedModel::Ambiguous(m),
        ] {
            assert_eq!(r.code(), 13);
        }
        assert!(ResolvedModel::Ambiguous(m).is_ambiguous());
        assert!(!ResolvedModel::SleepAnalyzer.is_ambiguous());
        assert_eq!(
            serde_json::to_string(&ResolvedModel::BodyPlusWbs05s).unwrap(),
            r#""body_plus_wbs05s""#
        );
        assert_eq!(ResolvedModel::SleepAnalyzer.to_string(), "sleep_analyzer");
        assert_eq!(
            ResolvedModel::Ambiguous(m).to_string(),
            "sleep_analyzer_or_body_plus"
        );
        // Other codes do not depend on the type, known or not.
        for code in [5, 10, 12, 14, 63, 7777] {
            let other = DeviceModel::from_code(code);
            assert!(!other.is_ambiguous(), "{code}");
            assert_eq!(other.resolution(), ResolvedModel::Model(other));
            assert_eq!(
                other.resolve_with_type("Scale"),
                ResolvedModel::Model(other)
            );
            assert_eq!(ResolvedModel::Model(other).code(), code);
        }
        assert_eq!(
            ResolvedModel::Model(DeviceModel::from_code(7777)).to_string(),
            "unknown(7777)"
        );
        assert_eq!(
            ResolvedModel::Model(DeviceModel::BodyPlus).to_string(),
            "body_plus"
        );
    }

    #[test]
    fn unknown_codes_round_trip() {
        let a: Attrib = serde_json::from_str("10000").unwrap();
        assert_eq!(a, Attrib::from_code(10000));
        assert_eq!(serde_json::to_string(&a).unwrap(), "10000");
        assert!(a.may_be_someone_else());
        assert_eq!(a.to_string(), "unknown(10000)");
        assert_eq!("unknown(10000)".parse::<Attrib>().unwrap(), a);
        assert_eq!(Attrib::from_code(2), Attrib::Manual);
    }

    #[test]
    fn names_and_codes_parse() {
        assert_eq!(
            "whole_body".parse::<Position>().unwrap(),
            Position::WholeBody
        );
        assert_eq!("7".parse::<Position>().unwrap(), Position::WholeBody);
        assert!("elbow".parse::<Position>().is_err());
        assert_eq!(
            serde_json::from_str::<DeviceModel>("\"63\"").unwrap(),
            DeviceModel::AuraSensorV2
        );
    }

    #[test]
    fn model_is_a_name_or_a_code() {
        assert_eq!(
            serde_json::from_str::<NameOrCode>("\"Body+\"").unwrap(),
            NameOrCode::Name("Body+".into())
        );
        assert_eq!(
            serde_json::from_str::<NameOrCode>("10").unwrap(),
            NameOrCode::Code(10)
        );
        assert!(serde_json::from_str::<NameOrCode>("true").is_err());
        assert_eq!(NameOrCode::Code(93).to_string(), "scanwatch");
    }
}
