//! `/measure getmeas` (measure groups: weight, body composition, blood pressure, ECG
//! intervals…) and `/v2/measure confirmuser` (attribute an ambiguous group).
//!
//! Quirks handled here (API notes §5.1, §6, §12):
//! - `more` is `0`/`1` in getmeas (unlike every other paged action), sometimes `false`, often
//!   absent ([`de::more`](crate::de::more));
//! - `updatetime` is documented as a string but arrives as an integer (both are accepted);
//! - `deviceid`/`hash_deviceid`/`model`/`modelid` are `null` on manual entries, `deviceid` was
//!   once seen as a number, `model` once as an integer code, and the spec spells `modelid` as
//!   `model_id`;
//! - meastype and attrib codes arrive undocumented: both are open enums.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::codes::{Attrib, Category, NameOrCode, Position};
use crate::endpoint::{Endpoint, Form, RequestError, Service, TimeWindow};
use crate::envelope::EmptyBody;
use crate::items::{Items, Record, check_opt_seconds, check_seconds};
use crate::scope::Scope;

/// The largest power-of-ten `unit` (in magnitude) a measure may have: the decoder's exact
/// decimals hold `value × 10^unit` for `unit` in `-64..=64`. A group holding a measure beyond
/// it is rejected.
pub const MAX_UNIT: i64 = 64;

open_enum! {
    /// What a measure is (`meastype` parameter, `measures[].type`; API notes §7.1).
    ///
    /// The names are what a user types on a command line (`weight`, `fat_ratio`, `spo2`); the
    /// physical unit of each type is in `withings_decode::measure::unit_of`.
    pub enum MeasureType {
        /// Weight (kg).
        Weight = 1 => "weight",
        /// Height (m).
        Height = 4 => "height",
        /// Fat-free mass (kg).
        FatFreeMass = 5 => "fat_free_mass",
        /// Fat ratio (%).
        FatRatio = 6 => "fat_ratio",
        /// Fat mass weight (kg).
        FatMassWeight = 8 => "fat_mass_weight",
        /// Diastolic blood pressure (mmHg).
        DiastolicBloodPressure = 9 => "diastolic_blood_pressure",
        /// Systolic blood pressure (mmHg).
        SystolicBloodPressure = 10 => "systolic_blood_pressure",
        /// Heart pulse (bpm), from blood pressure monitors and scales.
        HeartPulse = 11 => "heart_pulse",
        /// Temperature (°C).
        Temperature = 12 => "temperature",
        /// Blood oxygen saturation (%).
        Spo2 = 54 => "spo2",
        /// Body temperature (°C).
        BodyTemperature = 71 => "body_temperature",
        /// Skin temperature (°C).
        SkinTemperature = 73 => "skin_temperature",
        /// Muscle mass (kg).
        MuscleMass = 76 => "muscle_mass",
        /// Hydration: body water (kg, not % as one client says; API notes §7.1).
        Hydration = 77 => "hydration",
        /// Bone mass (kg).
        BoneMass = 88 => "bone_mass",
        /// Pulse wave velocity (m/s).
        PulseWaveVelocity = 91 => "pulse_wave_velocity",
        /// Blood glucose (mg/dL). **Unverified**: only one integration says the official
        /// notification page lists it (for appli 58); it is not in the getmeas table.
        Glucose = 119 => "glucose",
        /// VO2 max (ml/min/kg).
        Vo2Max = 123 => "vo2_max",
        /// Atrial fibrillation result of an ECG (a classification: [`AfibClassification`]).
        AfibEcg = 130 => "afib_ecg",
        /// QRS interval of an ECG (ms).
        QrsInterval = 135 => "qrs_interval",
        /// PR interval of an ECG (ms).
        PrInterval = 136 => "pr_interval",
        /// QT interval of an ECG (ms). 137 is QT and 138 QTc (one client swaps them).
        QtInterval = 137 => "qt_interval",
        /// Corrected QT interval of an ECG (ms).
        CorrectedQtInterval = 138 => "corrected_qt_interval",
        /// Atrial fibrillation result from the optical (PPG) sensor (a classification).
        AfibPpg = 139 => "afib_ppg",
        /// Vascular age (years).
        VascularAge = 155 => "vascular_age",
        /// Nerve Health Score, left foot (not in the current spec; older reference).
        NerveHealthScoreLeftFoot = 158 => "nerve_health_score_left_foot",
        /// Nerve Health Score, right foot (not in the current spec; older reference).
        NerveHealthScoreRightFoot = 159 => "nerve_health_score_right_foot",
        /// Nerve Health Score, conductance with 2 electrodes, feet.
        NerveHealthScoreFeet = 167 => "nerve_health_score_feet",
        /// Extracellular water (kg).
        ExtracellularWater = 168 => "extracellular_water",
        /// Intracellular water (kg).
        IntracellularWater = 169 => "intracellular_water",
        /// Visceral fat (a unitless index).
        VisceralFat = 170 => "visceral_fat",
        /// Fat-free mass of one body segment (kg); one measure per `position`.
        SegmentalFatFreeMass = 173 => "segmental_fat_free_mass",
        /// Fat mass of one body segment (kg); one measure per `position`.
        SegmentalFatMass = 174 => "segmental_fat_mass",
        /// Muscle mass of one body segment (kg); one measure per `position`.
        SegmentalMuscleMass = 175 => "segmental_muscle_mass",
        /// Nerve Health / Nerve Response Score, feet: a score, no unit (newer copies of the
        /// official table; it used to be read as electrodermal activity in µS; API notes §15).
        NerveResponseScore = 196 => "nerve_response_score",
        /// Electrodermal activity, left foot (not in the current spec).
        ElectrodermalActivityLeftFoot = 197 => "electrodermal_activity_left_foot",
        /// Electrodermal activity, right foot (not in the current spec).
        ElectrodermalActivityRightFoot = 198 => "electrodermal_activity_right_foot",
        /// Basal metabolic rate (unit undocumented; kcal/day presumed).
        BasalMetabolicRate = 226 => "basal_metabolic_rate",
        /// Metabolic age (years).
        MetabolicAge = 227 => "metabolic_age",
        /// Electrochemical skin conductance (ESC).
        ElectrochemicalSkinConductance = 229 => "electrochemical_skin_conductance",
    }
}

open_enum! {
    /// The value of an ECG atrial fibrillation measure (meastype 130, [`MeasureType::AfibEcg`];
    /// API notes §7.1).
    pub enum AfibClassification {
        /// Negative: no atrial fibrillation.
        Negative = 0 => "negative",
        /// Positive: atrial fibrillation.
        Positive = 1 => "positive",
        /// Inconclusive.
        Inconclusive = 2 => "inconclusive",
        /// No signal.
        NoSignal = 3 => "no_signal",
        /// Other.
        Other = 4 => "other",
        /// Too much noise.
        Noise = 5 => "noise",
        /// Heart rate too low to classify.
        LowHeartRate = 6 => "low_heart_rate",
        /// Heart rate too high to classify.
        HighHeartRate = 7 => "high_heart_rate",
        /// Inconclusive (US classification).
        InconclusiveUs = 8 => "inconclusive_us",
        /// Negative, normal heart rate.
        NegativeNormalHeartRate = 9 => "negative_normal_heart_rate",
        /// Negative, high heart rate.
        NegativeHighHeartRate = 10 => "negative_high_heart_rate",
        /// Positive, normal heart rate.
        PositiveNormalHeartRate = 11 => "positive_normal_heart_rate",
        /// Positive, high heart rate.
        PositiveHighHeartRate = 12 => "positive_high_heart_rate",
        /// No diagnosis.
        NoDiagnosis = 13 => "no_diagnosis",
    }
}

/// `POST /measure action=getmeas`: measure groups, optionally filtered by type, category and
/// time, paged by `offset`.
///
/// ```
/// use withings_model::{Endpoint, measure::{GetMeas, MeasureType}};
/// use jiff::Timestamp;
///
/// let req = GetMeas::new()
///     .meastypes([MeasureType::Weight, MeasureType::FatRatio])
///     .updated_since(Timestamp::from_second(1_717_430_000).unwrap());
/// assert_eq!(req.form().encode(), "action=getmeas&meastypes=1%2C6&lastupdate=1717430000");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GetMeas {
    /// Types to return (all when empty). Always sent as one comma list in `meastypes`, never in
    /// `meastype`, which takes a single code (the Go client's bug, API notes §12.1).
    pub meastypes: Vec<MeasureType>,
    /// Real measurements or user objectives (`category`); both when `None`.
    pub category: Option<Category>,
    /// `startdate`+`enddate`, or `lastupdate`; everything when `None`.
    pub window: Option<TimeWindow>,
    /// `offset` of the page to fetch.
    pub offset: Option<i64>,
}

impl GetMeas {
    /// Every measure group of the user (paged).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns only these types (replaces any previous list).
    #[must_use]
    pub fn meastypes(mut self, types: impl IntoIterator<Item = MeasureType>) -> Self {
        self.meastypes = types.into_iter().collect();
        self
    }

    /// Adds one type to the list (still sent in `meastypes`).
    #[must_use]
    pub fn add_meastype(mut self, kind: MeasureType) -> Self {
        if !self.meastypes.contains(&kind) {
            self.meastypes.push(kind);
        }
        self
    }

    /// Returns only this category (real measurements or objectives).
    #[must_use]
    pub fn category(mut self, category: Category) -> Self {
        self.category = Some(category);
        self
    }

    /// Returns groups measured between `start` and `end` (`startdate`/`enddate`; replaces
    /// `updated_since`).
    #[must_use]
    pub fn between(mut self, start: Timestamp, end: Timestamp) -> Self {
        self.window = Some(TimeWindow::Range { start, end });
        self
    }

    /// Returns groups created or modified after `at` (`lastupdate`): the cursor for
    /// incremental sync (replaces `between`).
    #[must_use]
    pub fn updated_since(mut self, at: Timestamp) -> Self {
        self.window = Some(TimeWindow::LastUpdate(at));
        self
    }
}

impl Endpoint for GetMeas {
    const SERVICE: Service = Service::Measure;
    const ACTION: &'static str = "getmeas";
    const IDEMPOTENT: bool = true;
    const SCOPES: &'static [Scope] = &[Scope::UserMetrics];
    type Body = GetMeasBody;

    fn encode(&self, form: &mut Form) {
        // Codes, not names: `Display` of a MeasureType is its snake_case name.
        form.list("meastypes", self.meastypes.iter().map(|t| t.code()));
        if let Some(category) = self.category {
            form.int("category", category.code());
        }
        if let Some(window) = &self.window {
            form.time_window(window);
        }
        if let Some(offset) = self.offset {
            form.int("offset", offset);
        }
    }

    fn validate(&self) -> Result<(), RequestError> {
        match self.window {
            Some(TimeWindow::Range { start, end }) if end < start => {
                Err(RequestError::ReversedWindow {
                    action: Self::ACTION,
                    start: start.to_string(),
                    end: end.to_string(),
                })
            }
            _ => Ok(()),
        }
    }
}

paged!(GetMeas => GetMeasBody);

/// The body of a getmeas response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GetMeasBody {
    /// Server time of the answer, unix seconds. The spec says string; real payloads send an
    /// integer. Both are accepted.
    #[serde(deserialize_with = "crate::de::lenient_i64::deserialize")]
    pub updatetime: i64,
    /// IANA time zone of the user (`Europe/Paris`).
    pub timezone: String,
    /// The measure groups, in the order received (not guaranteed sorted; API notes §12.1).
    /// A group is the unit of rejection: a group that cannot be read — a measure among its
    /// measures included — is left out and listed in
    /// [`rejected`](crate::Items::rejected) (API notes §15).
    pub measuregrps: Items<MeasureGroup>,
    /// Whether another page follows: `0`/`1` here, sometimes `false`, often absent (= no).
    #[serde(default, deserialize_with = "crate::de::more::deserialize")]
    pub more: bool,
    /// The offset of the next page.
    #[serde(default, deserialize_with = "crate::de::opt_lenient_i64::deserialize")]
    pub offset: Option<i64>,
}

/// One measure group: the measures one device (or one manual entry) took at one time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MeasureGroup {
    /// Group id. The same id can appear twice in one response, with attrib 0 and 8
    /// (API notes §12.14).
    pub grpid: i64,
    /// Who the group is attributed to; absent in some payloads (then unknown, not "the
    /// user's").
    #[serde(default)]
    pub attrib: Option<Attrib>,
    /// When it was measured, unix seconds.
    pub date: i64,
    /// When it was stored, unix seconds; absent in some payloads (metadata).
    #[serde(default, deserialize_with = "crate::de::opt_lenient_i64::deserialize")]
    pub created: Option<i64>,
    /// When it was last modified, unix seconds (absent in older payloads).
    #[serde(default)]
    pub modified: Option<i64>,
    /// Real measurement or objective.
    pub category: Category,
    /// Device id: `null` for manual entries; once seen as a number (kept as its text).
    #[serde(default, deserialize_with = "crate::de::opt_id::deserialize")]
    pub deviceid: Option<String>,
    /// Hashed device id: `null` for manual entries.
    #[serde(default, deserialize_with = "crate::de::opt_id::deserialize")]
    pub hash_deviceid: Option<String>,
    /// The measures.
    #[serde(deserialize_with = "exact_measures::deserialize")]
    pub measures: Vec<Measure>,
    /// Device model code (API notes §7.9). Real payloads say `modelid`; the spec says
    /// `model_id`: both are read.
    #[serde(default, alias = "model_id")]
    pub modelid: Option<i64>,
    /// Device model name (`"Body+"`), once seen as an integer code; `null` for manual entries.
    #[serde(default)]
    pub model: Option<NameOrCode>,
    /// Deprecated, always empty or `null`.
    #[serde(default)]
    pub comment: Option<String>,
    /// Probability that the group belongs to the user (partner feature; one guide example).
    #[serde(default)]
    pub probability: Option<i64>,
}

/// A group is read on its own (see [`Items`]); its `date`, `created` and `modified` must be
/// instants the decoder can represent, and every measure's `unit` within ±[`MAX_UNIT`].
impl Record for MeasureGroup {
    const LIST: &'static str = "body.measuregrps";

    fn check(&self) -> Result<(), String> {
        check_seconds(self.date, "date")?;
        check_opt_seconds(self.created, "created")?;
        check_opt_seconds(self.modified, "modified")?;
        for (j, m) in self.measures.iter().enumerate() {
            if m.unit.unsigned_abs() > MAX_UNIT.unsigned_abs() {
                return Err(format!(
                    "at `measures[{j}].unit`: unit {} is outside -{MAX_UNIT}..={MAX_UNIT}",
                    m.unit
                ));
            }
        }
        Ok(())
    }
}

/// One measure: `value × 10^unit` of a [`MeasureType`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Measure {
    /// The mantissa: the real value is `value × 10^unit`.
    pub value: i64,
    /// The measure type (`type`).
    #[serde(rename = "type")]
    pub kind: MeasureType,
    /// The power-of-ten exponent (`-3` for grams expressed in kg).
    pub unit: i64,
    /// Deprecated.
    #[serde(default)]
    pub algo: Option<i64>,
    /// Deprecated.
    #[serde(default)]
    pub fm: Option<i64>,
    /// Body position, for segmental types 173–175 (7 = whole body) and others.
    #[serde(default)]
    pub position: Option<Position>,
    /// Undocumented; seen on manual entries.
    #[serde(default)]
    pub apppfmid: Option<i64>,
    /// Undocumented; seen on manual entries.
    #[serde(default)]
    pub appliver: Option<i64>,
}

/// `measures` collected into a Vec of exactly the right capacity.
///
/// serde_json gives no length hint, so a plain `Vec` grows 4 → 8 → 16 and keeps on average a
/// third of its slots empty: with 112-byte measures that alone made a 30 MB getmeas response
/// take 45 MB instead of 34 MB. Measures are gathered in a per-thread scratch buffer and then
/// moved into one exact allocation.
mod exact_measures {
    use std::cell::RefCell;
    use std::fmt;

    use serde::de::{Deserializer, SeqAccess, Visitor};

    use super::Measure;

    /// A buffer that grew beyond this many measures is released rather than kept per thread.
    const KEEP: usize = 1024;

    thread_local! {
        static SCRATCH: RefCell<Vec<Measure>> = const { RefCell::new(Vec::new()) };
    }

    struct V;

    impl<'de> Visitor<'de> for V {
        type Value = Vec<Measure>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array of measures")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Measure>, A::Error> {
            SCRATCH.with(|cell| {
                // Only a re-entrant call (none exists today) would find the buffer taken.
                let Ok(mut buf) = cell.try_borrow_mut() else {
                    let mut out = Vec::new();
                    while let Some(m) = seq.next_element()? {
                        out.push(m);
                    }
                    out.shrink_to_fit();
                    return Ok(out);
                };
                buf.clear();
                let filled = (|| {
                    while let Some(m) = seq.next_element()? {
                        buf.push(m);
                    }
                    Ok(())
                })();
                let out = filled.map(|()| buf.drain(..).collect());
                buf.clear();
                if buf.capacity() > KEEP {
                    *buf = Vec::new();
                }
                out
            })
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Measure>, D::Error> {
        d.deserialize_seq(V)
    }
}

/// `POST /v2/measure action=confirmuser`: says whether an ambiguous measure group (attrib 1)
/// belongs to the user. Answers `{}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfirmUser {
    /// The group (`grpid`).
    pub grpid: i64,
    /// `true`: it is the user's; `false`: it is not (`is_confirmed`).
    pub is_confirmed: bool,
}

impl ConfirmUser {
    /// Confirms (`true`) or rejects (`false`) group `grpid` as the user's.
    #[must_use]
    pub fn new(grpid: i64, is_confirmed: bool) -> Self {
        Self {
            grpid,
            is_confirmed,
        }
    }
}

impl Endpoint for ConfirmUser {
    const SERVICE: Service = Service::MeasureV2;
    const ACTION: &'static str = "confirmuser";
    // Setting the same answer twice leaves the group as once.
    const IDEMPOTENT: bool = true;
    const SCOPES: &'static [Scope] = &[Scope::UserMetrics];
    type Body = EmptyBody;

    fn encode(&self, form: &mut Form) {
        form.int("grpid", self.grpid)
            .flag("is_confirmed", self.is_confirmed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::{Paged, PagedBody};
    use crate::envelope::{Reply, parse_reply};

    fn ts(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    #[test]
    fn getmeas_sends_types_as_one_comma_list_in_meastypes() {
        let req = GetMeas::new()
            .meastypes([MeasureType::Weight, MeasureType::from_code(999)])
            .add_meastype(MeasureType::FatRatio);
        let form = req.form();
        assert_eq!(form.get("meastypes"), Some("1,999,6"));
        assert_eq!(form.get("meastype"), None);
        assert_eq!(form.encode(), "action=getmeas&meastypes=1%2C999%2C6");
    }

    #[test]
    fn getmeas_encodes_range_category_and_offset() {
        let req = GetMeas::new()
            .category(Category::Real)
            .between(ts(1_717_000_000), ts(1_717_430_000))
            .offset(300);
        assert_eq!(
            req.form().encode(),
            "action=getmeas&category=1&startdate=1717000000&enddate=1717430000&offset=300"
        );
        // The window is one or the other: last_update replaces the range.
        let req = req.updated_since(ts(1_717_430_000));
        let form = req.form();
        assert_eq!(form.get("lastupdate"), Some("1717430000"));
        assert_eq!(form.get("startdate"), None);
        assert_eq!(form.get("enddate"), None);
    }

    #[test]
    fn getmeas_with_nothing_set_sends_only_the_action() {
        assert_eq!(GetMeas::new().form().encode(), "action=getmeas");
        assert_eq!(GetMeas::fixture_dir(), "measure-getmeas");
        assert_eq!(GetMeas::SERVICE.path(), "/measure");
    }

    #[test]
    fn set_offset_pages() {
        let mut req = GetMeas::new().offset(1);
        req.set_offset(200);
        assert_eq!(req.form().get("offset"), Some("200"));
    }

    #[test]
    fn confirmuser_encodes_grpid_and_flag() {
        assert_eq!(
            ConfirmUser::new(5_123_456_789, true).form().encode(),
            "action=confirmuser&grpid=5123456789&is_confirmed=true"
        );
        assert_eq!(
            ConfirmUser::new(1, false).form().get("is_confirmed"),
            Some("false")
        );
        assert_eq!(ConfirmUser::fixture_dir(), "v2-measure-confirmuser");
        assert_eq!(ConfirmUser::SERVICE.path(), "/v2/measure");
    }

    #[test]
    fn measure_type_names_and_codes() {
        assert_eq!(
            "weight".parse::<MeasureType>().unwrap(),
            MeasureType::Weight
        );
        assert_eq!(
            "fat_ratio".parse::<MeasureType>().unwrap(),
            MeasureType::FatRatio
        );
        assert_eq!("SPO2".parse::<MeasureType>().unwrap(), MeasureType::Spo2);
        assert_eq!(
            "173".parse::<MeasureType>().unwrap(),
            MeasureType::SegmentalFatFreeMass
        );
        assert_eq!(
            "999".parse::<MeasureType>().unwrap(),
            MeasureType::from_code(999)
        );
        assert!("weigth".parse::<MeasureType>().is_err());
        assert_eq!(MeasureType::Glucose.code(), 119);
        assert_eq!(MeasureType::KNOWN.len(), 40);
        let mut names: Vec<_> = MeasureType::KNOWN
            .iter()
            .map(|t| t.name().unwrap())
            .collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 40, "names are unique");
        assert_eq!(
            AfibClassification::from_code(13),
            AfibClassification::NoDiagnosis
        );
    }

    fn body(json: &str) -> GetMeasBody {
        match parse_reply::<GetMeasBody>(json.as_bytes()).unwrap() {
            Reply::Ok(b) => b,
            Reply::Status(s) => panic!("{s}"),
        }
    }

    const GROUP: &str = r#"{"grpid":1,"attrib":0,"date":1717429800,"created":1717429900,"category":1,"measures":[{"value":70005,"type":1,"unit":-3}]}"#;

    #[test]
    fn more_is_an_int_a_bool_or_absent_and_updatetime_may_be_a_string() {
        let b = body(&format!(
            r#"{{"status":0,"body":{{"updatetime":"1717430000","timezone":"UTC","measuregrps":[{GROUP}],"more":1,"offset":300}}}}"#
        ));
        assert_eq!(b.updatetime, 1_717_430_000);
        assert!(b.more());
        assert_eq!(b.offset(), Some(300));
        let b = body(
            r#"{"status":0,"body":{"updatetime":1,"timezone":"UTC","measuregrps":[],"more":false}}"#,
        );
        assert!(!b.more());
        let b = body(r#"{"status":0,"body":{"updatetime":1,"timezone":"UTC","measuregrps":[]}}"#);
        assert!(!b.more());
        assert_eq!(b.offset(), None);
    }

    #[test]
    fn manual_groups_have_nulls_and_absent_optionals() {
        let b = body(&format!(
            r#"{{"status":0,"body":{{"updatetime":1,"timezone":"UTC","measuregrps":[{GROUP}]}}}}"#
        ));
        let g = &b.measuregrps[0];
        assert_eq!(
            (
                g.deviceid.as_deref(),
                g.modelid,
                g.model.as_ref(),
                g.modified
            ),
            (None, None, None, None)
        );
        let m = &g.measures[0];
        assert_eq!(
            (m.value, m.kind, m.unit, m.position),
            (70005, MeasureType::Weight, -3, None)
        );
        let b = body(
            r#"{"status":0,"body":{"updatetime":1,"timezone":"UTC","measuregrps":[{"grpid":1,"attrib":2,"date":1,"created":1,"modified":1,"category":1,"deviceid":null,"hash_deviceid":null,"measures":[],"modelid":null,"model":null,"comment":null}]}}"#,
        );
        assert_eq!(b.measuregrps[0].deviceid, None);
        assert_eq!(b.measuregrps[0].attrib, Some(Attrib::Manual));
    }

    #[test]
    fn device_id_number_model_code_and_model_id_spelling() {
        let b = body(
            r#"{"status":0,"body":{"updatetime":1,"timezone":"UTC","measuregrps":[{"grpid":1,"attrib":10000,"date":1,"created":1,"category":1,"deviceid":14546187,"measures":[{"value":5,"type":999,"unit":0,"position":7}],"model_id":10,"model":10,"probability":80,"brand":18}]}}"#,
        );
        let g = &b.measuregrps[0];
        assert_eq!(g.deviceid.as_deref(), Some("14546187"));
        assert_eq!(g.modelid, Some(10));
        assert_eq!(g.model, Some(NameOrCode::Code(10)));
        assert_eq!(g.attrib, Some(Attrib::from_code(10000)));
        assert_eq!(g.probability, Some(80));
        assert_eq!(g.measures[0].kind, MeasureType::from_code(999));
        assert_eq!(g.measures[0].position, Some(Position::WholeBody));
    }

    #[test]
    fn a_bad_measure_rejects_its_group_with_the_path_inside_it() {
        let b = body(&format!(
            r#"{{"status":0,"body":{{"updatetime":1,"timezone":"UTC","measuregrps":[{GROUP},{{"grpid":2,"attrib":0,"date":1,"created":1,"category":1,"measures":[{{"type":1,"unit":-3}}]}}]}}}}"#
        ));
        assert_eq!(b.measuregrps.len(), 1);
        let r = &b.measuregrps.rejected()[0];
        assert_eq!(r.path, "body.measuregrps[1]");
        assert_eq!(r.error, "at `measures[0]`: missing field `value`");
        assert!(r.raw().starts_with(r#"{"grpid":2,"#));
        // A unit the decoder cannot hold, or a date it cannot represent, rejects the group.
        let b = body(
            r#"{"status":0,"body":{"updatetime":1,"timezone":"UTC","measuregrps":[{"grpid":1,"date":1,"category":1,"measures":[{"value":1,"type":1,"unit":0},{"value":1,"type":1,"unit":-65}]},{"grpid":2,"date":99999999999999,"category":1,"measures":[]},{"grpid":3,"date":1,"category":1,"measures":[{"value":1,"type":1,"unit":64}]}]}}"#,
        );
        assert_eq!(b.measuregrps.len(), 1);
        assert_eq!(b.measuregrps[0].grpid, 3);
        let errors: Vec<_> = b.measuregrps.rejected().iter().map(|r| &r.error).collect();
        assert_eq!(
            errors,
            [
                "at `measures[1].unit`: unit -65 is outside -64..=64",
                "at `date`: timestamp 99999999999999 is out of range"
            ]
        );
        // An error outside the groups is the whole response's.
        let e = parse_reply::<GetMeasBody>(
            br#"{"status":0,"body":{"updatetime":1,"timezone":"UTC","measuregrps":[{"grpid":2}],"more":7}}"#,
        )
        .unwrap_err();
        assert_eq!(e.path(), "body.more");
    }
}
