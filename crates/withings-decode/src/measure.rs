//! getmeas: measure groups with exact values, physical units and local times.
//!
//! Rules:
//! - Every value is an exact [`Decimal`] `value × 10^unit`. A group that cannot be read — a
//!   measure with a `unit` outside ±[`MAX_EXPONENT`](crate::MAX_EXPONENT), a missing value, a
//!   `date` beyond ±9999 years — is left out and listed in [`Measurements::rejected`] with its
//!   path (`body.measuregrps[3]`), its error (`` at `measures[1].unit`: … ``) and its JSON
//!   text; the other groups decode (API notes §15).
//! - Local times are in the body's `timezone` (the user's zone), resolved once per response;
//!   an unknown zone is [`DecodeError::TimeZone`] at `body.timezone`.
//! - Groups that share a `grpid` are **merged** into the first one (API notes §12.14: the same
//!   group arrives twice, with attrib 0 and 8): the first occurrence keeps its place in the
//!   response order and its metadata (dates, device, model); measures of the later copies are
//!   appended unless the same `(kind, position, value)` is already there. The attribution does
//!   not depend on the order of the copies: 8 (`DeviceSame`, the duplicate) yields to 0
//!   (`Device`); otherwise the first copy's stays. [`Measurements::append`] applies the same
//!   merge across pages, so a pair split over two pages merges too. Otherwise the response
//!   order is kept.
//! - Codes Withings did not document (attrib 10000, meastype 999) are kept as `Unknown`.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::sync::Arc;

use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime};
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
use withings_model::codes::{Attrib, Category, DeviceModel, NameOrCode, Position};
use withings_model::measure::{self as wire, AfibClassification, GetMeasBody, MeasureType};

use crate::time::{opt_timestamp, time_zone, timestamp};
use crate::{Decimal, Decode, DecodeError, OnePass, Rejected};

mod build;
mod one_pass;

use build::{Device, DeviceKey, GroupList, Interner, Measures, ModelKey, Text};

/// The physical unit a measure type is expressed in (after applying `10^unit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PhysicalUnit {
    /// Kilograms (`kg`).
    Kilogram,
    /// Metres (`m`).
    Metre,
    /// Percent (`%`).
    Percent,
    /// Millimetres of mercury (`mmHg`).
    MillimetreOfMercury,
    /// Beats per minute (`bpm`).
    BeatsPerMinute,
    /// Degrees Celsius (`°C`).
    DegreeCelsius,
    /// Metres per second (`m/s`).
    MetrePerSecond,
    /// Millilitres of oxygen per minute per kilogram (`ml/min/kg`).
    MillilitrePerMinutePerKilogram,
    /// Milliseconds (`ms`).
    Millisecond,
    /// Years (`years`).
    Year,
    /// Kilocalories (`kcal`).
    Kilocalorie,
    /// Milligrams per decilitre (`mg/dL`).
    MilligramPerDecilitre,
    /// Microsiemens (`µS`), for skin conductance.
    Microsiemens,
    /// A score without a physical unit (`score`).
    Score,
    /// An index without a physical unit (`index`).
    Index,
    /// A classification code, not a quantity (`classification`): see [`AfibClassification`].
    Classification,
}

impl PhysicalUnit {
    /// The usual symbol: `kg`, `%`, `mmHg`, `bpm`, `°C`, `m/s`, `ml/min/kg`, `ms`, `years`…
    #[must_use]
    pub const fn symbol(self) -> &'static str {
        match self {
            Self::Kilogram => "kg",
            Self::Metre => "m",
            Self::Percent => "%",
            Self::MillimetreOfMercury => "mmHg",
            Self::BeatsPerMinute => "bpm",
            Self::DegreeCelsius => "°C",
            Self::MetrePerSecond => "m/s",
            Self::MillilitrePerMinutePerKilogram => "ml/min/kg",
            Self::Millisecond => "ms",
            Self::Year => "years",
            Self::Kilocalorie => "kcal",
            Self::MilligramPerDecilitre => "mg/dL",
            Self::Microsiemens => "µS",
            Self::Score => "score",
            Self::Index => "index",
            Self::Classification => "classification",
        }
    }
}

impl fmt::Display for PhysicalUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.symbol())
    }
}

/// Serializes as the symbol (`"kg"`).
impl Serialize for PhysicalUnit {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.symbol())
    }
}

/// The physical unit of a measure type (API notes §7.1); `None` for types this library does
/// not know.
///
/// Units the reference does not state are presumed, and said so here:
/// - 135–138 (ECG intervals): ms, from one client's table (the spec gives none);
/// - 158, 159, 167 (Nerve Health Scores): a score;
/// - 196 (Nerve Response Score): a score, as newer copies of the official table say;
/// - 197, 198 (electrodermal activity) and 229 (ESC): µS, the usual unit of skin conductance;
/// - 226 (basal metabolic rate): kcal (per day), undocumented;
/// - 119 (glucose): mg/dL, and the type itself is unverified.
#[must_use]
pub const fn unit_of(kind: MeasureType) -> Option<PhysicalUnit> {
    use MeasureType as T;
    use PhysicalUnit as U;
    // Normalized first: `Unknown(1)` is weight too. The enum is non-exhaustive across crates,
    // so a forgotten new type falls to `None`; a unit test checks every known type has a unit.
    Some(match T::from_code(kind.code()) {
        T::Weight
        | T::FatFreeMass
        | T::FatMassWeight
        | T::MuscleMass
        | T::Hydration
        | T::BoneMass
        | T::ExtracellularWater
        | T::IntracellularWater
        | T::SegmentalFatFreeMass
        | T::SegmentalFatMass
        | T::SegmentalMuscleMass => U::Kilogram,
        T::Height => U::Metre,
        T::FatRatio | T::Spo2 => U::Percent,
        T::DiastolicBloodPressure | T::SystolicBloodPressure => U::MillimetreOfMercury,
        T::HeartPulse => U::BeatsPerMinute,
        T::Temperature | T::BodyTemperature | T::SkinTemperature => U::DegreeCelsius,
        T::PulseWaveVelocity => U::MetrePerSecond,
        T::Glucose => U::MilligramPerDecilitre,
        T::Vo2Max => U::MillilitrePerMinutePerKilogram,
        T::AfibEcg | T::AfibPpg => U::Classification,
        T::QrsInterval | T::PrInterval | T::QtInterval | T::CorrectedQtInterval => U::Millisecond,
        T::VascularAge | T::MetabolicAge => U::Year,
        T::NerveHealthScoreLeftFoot
        | T::NerveHealthScoreRightFoot
        | T::NerveHealthScoreFeet
        | T::NerveResponseScore => U::Score,
        T::VisceralFat => U::Index,
        T::ElectrodermalActivityLeftFoot
        | T::ElectrodermalActivityRightFoot
        | T::ElectrochemicalSkinConductance => U::Microsiemens,
        T::BasalMetabolicRate => U::Kilocalorie,
        _ => return None,
    })
}

/// A decoded getmeas response.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Measurements {
    /// Server time of the answer (`updatetime`).
    pub updated: Timestamp,
    /// The user's IANA time zone (`timezone`), in which [`MeasureGroup::local`] is expressed.
    pub timezone: String,
    /// The measure groups in response order, duplicates merged (see the module docs).
    pub groups: Vec<MeasureGroup>,
    /// The groups that could not be read, left out of `groups` (a group is the unit: a bad
    /// measure rejects its group; API notes §15). Not serialized when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rejected: Vec<Rejected>,
}

impl Measurements {
    /// Every measure of `kind`, with its group, in response order.
    pub fn of_kind(
        &self,
        kind: MeasureType,
    ) -> impl Iterator<Item = (&MeasureGroup, &Measurement)> + '_ {
        self.groups.iter().flat_map(move |g| {
            g.measures()
                .iter()
                .filter(move |m| m.kind() == kind)
                .map(move |m| (g, m))
        })
    }

    /// Takes in the next page of the same listing: its groups are appended, except that a
    /// group whose `grpid` is already here is merged into it, as within one response (the
    /// pair of API notes §12.14 can straddle two pages); the later `updated` is kept, and
    /// both pages' rejected groups. The `timezone` field stays this page's (each group keeps
    /// the zone of its own page for [`MeasureGroup::local`]).
    pub fn append(&mut self, next: Measurements) {
        self.updated = self.updated.max(next.updated);
        self.rejected.extend(next.rejected);
        let mut index: HashMap<i64, usize> = self
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.grpid, i))
            .collect();
        for g in next.groups {
            match index.entry(g.grpid) {
                Entry::Occupied(first) => {
                    if let Some(first) = self.groups.get_mut(*first.get()) {
                        merge_copy(first, &g);
                    }
                }
                Entry::Vacant(slot) => {
                    slot.insert(self.groups.len());
                    self.groups.push(g);
                }
            }
        }
    }
}

/// The measures taken by one device (or entered once by hand) at one time.
///
/// Kept compact, behind accessors (as [`Measurement`] is): a large response holds tens of
/// thousands of groups. Codes are kept as received and times as seconds; the accessors build
/// the values. Its local time is computed when asked for ([`MeasureGroup::local`]) from the
/// response's zone, which every group of a response shares; its device (ids, model name,
/// model code) is one record shared by every group of the response that names the same
/// device; and its measures are a range of a block shared by the groups read together. A
/// group holds no allocation of its own (112 bytes).
#[derive(Debug, Clone)]
pub struct MeasureGroup {
    grpid: i64,
    /// `date`, `created` and `modified`, in seconds: checked to be instants when read.
    date: i64,
    created: i64,
    modified: i64,
    attrib: i64,
    category: i64,
    probability: i64,
    /// Which of the optional fields are present (`HAS_*`).
    has: u8,
    /// The user's time zone (the body's `timezone`), shared by the groups of a response.
    zone: TimeZone,
    /// Its device ids, model and model code, shared by the groups of the response that give
    /// the same; `None` when it gives none.
    device: Option<Arc<Device>>,
    measures: Measures,
}

const HAS_ATTRIB: u8 = 1;
const HAS_CREATED: u8 = 1 << 1;
const HAS_MODIFIED: u8 = 1 << 2;
const HAS_PROBABILITY: u8 = 1 << 3;

/// What a group is built from, by either path: codes as received, times in seconds that
/// [`Timestamp::from_second`] accepts (each path checks them with its own error first).
struct GroupParts {
    grpid: i64,
    attrib: Option<i64>,
    category: i64,
    date: i64,
    created: Option<i64>,
    modified: Option<i64>,
    /// `deviceid`, `hash_deviceid`, `model` and `modelid`, as the interner numbers them.
    device: DeviceKey,
    probability: Option<i64>,
}

impl MeasureGroup {
    /// A group of `parts` in `zone`, its device shared through `ids`, without measures yet
    /// (the list it goes to gives them).
    fn new(parts: GroupParts, zone: TimeZone, ids: &mut Interner) -> Self {
        let flag = |present: bool, bit: u8| if present { bit } else { 0 };
        Self {
            grpid: parts.grpid,
            date: parts.date,
            created: parts.created.unwrap_or(0),
            modified: parts.modified.unwrap_or(0),
            attrib: parts.attrib.unwrap_or(0),
            category: parts.category,
            probability: parts.probability.unwrap_or(0),
            has: flag(parts.attrib.is_some(), HAS_ATTRIB)
                | flag(parts.created.is_some(), HAS_CREATED)
                | flag(parts.modified.is_some(), HAS_MODIFIED)
                | flag(parts.probability.is_some(), HAS_PROBABILITY),
            zone,
            device: ids.device(parts.device),
            measures: Measures::default(),
        }
    }

    /// The value of an optional field, when `bit` says it is present.
    const fn when(&self, bit: u8, value: i64) -> Option<i64> {
        if self.has & bit != 0 {
            Some(value)
        } else {
            None
        }
    }

    /// Group id (`grpid`).
    #[must_use]
    pub const fn grpid(&self) -> i64 {
        self.grpid
    }

    /// Who the group is attributed to, as sent (unknown codes kept); `None` when the payload
    /// leaves it out.
    #[must_use]
    pub const fn attrib(&self) -> Option<Attrib> {
        match self.when(HAS_ATTRIB, self.attrib) {
            Some(code) => Some(Attrib::from_code(code)),
            None => None,
        }
    }

    /// Whether the measures may be someone else's (ambiguous, undocumented or absent
    /// attribution): see [`Attrib::may_be_someone_else`].
    #[must_use]
    pub fn may_be_someone_else(&self) -> bool {
        // No attribution at all is no evidence that the measures are the user's.
        self.attrib().is_none_or(Attrib::may_be_someone_else)
    }

    /// Whether a person typed the values in (see [`Attrib::is_manual`]); `false` when the
    /// attribution is absent.
    #[must_use]
    pub fn manual(&self) -> bool {
        self.attrib().is_some_and(Attrib::is_manual)
    }

    /// Real measurement or objective (`category`).
    #[must_use]
    pub const fn category(&self) -> Category {
        Category::from_code(self.category)
    }

    /// When the measures were taken (`date`).
    #[must_use]
    pub fn taken_at(&self) -> Timestamp {
        instant(self.date)
    }

    /// When Withings stored the group (`created`); `None` when the payload leaves it out
    /// (metadata).
    #[must_use]
    pub fn created(&self) -> Option<Timestamp> {
        self.when(HAS_CREATED, self.created).map(instant)
    }

    /// When it was last modified (`modified`; absent in older payloads).
    #[must_use]
    pub fn modified(&self) -> Option<Timestamp> {
        self.when(HAS_MODIFIED, self.modified).map(instant)
    }

    /// Device id (`deviceid`); `None` for manual entries. One shared copy per device and
    /// response.
    #[must_use]
    pub fn device_id(&self) -> Option<&str> {
        self.device.as_ref()?.id.as_deref()
    }

    /// Hashed device id (`hash_deviceid`); `None` for manual entries. Shared as `device_id`.
    #[must_use]
    pub fn hash_device_id(&self) -> Option<&str> {
        self.device.as_ref()?.hash_id.as_deref()
    }

    /// Device model name (or code, in one observed payload); a name is shared as `device_id`.
    #[must_use]
    pub fn model(&self) -> Option<&ModelName> {
        self.device.as_ref()?.model.as_ref()
    }

    /// Device model code (`modelid`).
    #[must_use]
    pub fn model_id(&self) -> Option<DeviceModel> {
        self.device.as_ref()?.model_id.map(DeviceModel::from_code)
    }

    /// Probability that the group is the user's (partner feature; rarely present).
    #[must_use]
    pub const fn probability(&self) -> Option<i64> {
        self.when(HAS_PROBABILITY, self.probability)
    }

    /// The measures, in response order.
    #[must_use]
    pub fn measures(&self) -> &[Measurement] {
        self.measures.as_slice()
    }

    /// The first measure of `kind` (for segmental types 173–175, see [`MeasureGroup::get_at`]).
    #[must_use]
    pub fn get(&self, kind: MeasureType) -> Option<&Measurement> {
        self.measures().iter().find(|m| m.kind() == kind)
    }

    /// The measure of `kind` at `position` (`None`: a measure without a position).
    #[must_use]
    pub fn get_at(&self, kind: MeasureType, position: Option<Position>) -> Option<&Measurement> {
        self.measures()
            .iter()
            .find(|m| m.kind() == kind && m.position() == position)
    }

    /// `taken_at` in the user's time zone (the body's `timezone`).
    #[must_use]
    pub fn local(&self) -> ZonedDateTime {
        self.taken_at().to_zoned_datetime(self.zone.clone())
    }

    /// The user's time zone (the body's `timezone`), in which [`MeasureGroup::local`] is.
    #[must_use]
    pub const fn time_zone(&self) -> &TimeZone {
        &self.zone
    }
}

/// The instant `seconds` after the epoch; a group's times were checked when read, so the
/// fallback is never taken.
fn instant(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// A device model as a measure group names it (`model`): a name such as `"Body Scan"`, one
/// shared copy per name and response, or an integer code, as in one observed payload (API
/// notes §6). Displayed and serialized as the wire model's [`NameOrCode`] is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ModelName {
    /// A model name (may be empty: API notes §12.11).
    Name(Arc<str>),
    /// A model code (see [`DeviceModel`]).
    Code(i64),
}

impl fmt::Display for ModelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Name(n) => f.write_str(n),
            Self::Code(c) => NameOrCode::Code(*c).fmt(f),
        }
    }
}

impl Serialize for ModelName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Name(n) => s.serialize_str(n),
            Self::Code(c) => s.serialize_i64(*c),
        }
    }
}

/// Field by field, `local` as an instant (as [`ZonedDateTime`] compares): the zone is the
/// response's, not a property of the group.
impl PartialEq for MeasureGroup {
    fn eq(&self, other: &Self) -> bool {
        self.grpid == other.grpid
            && self.attrib() == other.attrib()
            && self.category == other.category
            && self.date == other.date
            && self.created() == other.created()
            && self.modified() == other.modified()
            && self.device_id() == other.device_id()
            && self.hash_device_id() == other.hash_device_id()
            && self.model() == other.model()
            && self.model_id() == other.model_id()
            && self.probability() == other.probability()
            && self.measures() == other.measures()
    }
}

/// The accessors in the order above, with `local` (the zoned time) after `taken_at`.
impl Serialize for MeasureGroup {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("MeasureGroup", 15)?;
        st.serialize_field("grpid", &self.grpid)?;
        st.serialize_field("attrib", &self.attrib())?;
        st.serialize_field("may_be_someone_else", &self.may_be_someone_else())?;
        st.serialize_field("manual", &self.manual())?;
        st.serialize_field("category", &self.category())?;
        st.serialize_field("taken_at", &self.taken_at())?;
        st.serialize_field("local", &self.local())?;
        st.serialize_field("created", &self.created())?;
        st.serialize_field("modified", &self.modified())?;
        st.serialize_field("device_id", &self.device_id())?;
        st.serialize_field("hash_device_id", &self.hash_device_id())?;
        st.serialize_field("model", &self.model())?;
        st.serialize_field("model_id", &self.model_id())?;
        st.serialize_field("probability", &self.probability())?;
        st.serialize_field("measures", self.measures())?;
        st.end()
    }
}

/// One measure.
///
/// Kept as the codes and the exact pair it arrived as — 32 bytes, where the enums, the
/// [`Decimal`] and the unit side by side took 56: a large response holds hundreds of
/// thousands of measures. The accessors build the values, at the cost of a `match`.
#[derive(Clone, Copy)]
pub struct Measurement {
    mantissa: i64,
    kind: i64,
    position: i64,
    /// Within ±[`MAX_EXPONENT`](crate::MAX_EXPONENT): it comes from a [`Decimal`].
    exponent: i8,
    has_position: bool,
}

impl Measurement {
    /// A measure of `kind`, `value` and `position`.
    ///
    /// ```
    /// use withings_decode::Decimal;
    /// use withings_decode::measure::{Measurement, PhysicalUnit};
    /// use withings_model::measure::MeasureType;
    ///
    /// let m = Measurement::new(MeasureType::Weight, Decimal::new(70005, -3).unwrap(), None);
    /// assert_eq!((m.kind(), m.value().to_string()), (MeasureType::Weight, "70.005".into()));
    /// assert_eq!((m.unit(), m.position()), (Some(PhysicalUnit::Kilogram), None));
    /// ```
    #[must_use]
    pub fn new(kind: MeasureType, value: Decimal, position: Option<Position>) -> Self {
        Self::from_codes(kind.code(), value, position.map(Position::code))
    }

    /// As [`Measurement::new`], from the codes of the kind and the position.
    #[inline]
    fn from_codes(kind: i64, value: Decimal, position: Option<i64>) -> Self {
        Self {
            mantissa: value.mantissa(),
            kind,
            position: position.unwrap_or(0),
            // A Decimal's exponent is within ±MAX_EXPONENT (64), so it fits.
            exponent: i8::try_from(value.exponent()).unwrap_or(0),
            has_position: position.is_some(),
        }
    }

    /// What is measured (`type`).
    #[must_use]
    #[inline]
    pub const fn kind(&self) -> MeasureType {
        MeasureType::from_code(self.kind)
    }

    /// The exact value, `value × 10^unit`, in [`Measurement::unit`].
    #[must_use]
    #[inline]
    pub fn value(&self) -> Decimal {
        // The pair came from a Decimal (see `new`): it cannot be out of range.
        Decimal::new(self.mantissa, i64::from(self.exponent)).unwrap_or(Decimal::ZERO)
    }

    /// The physical unit of the kind ([`unit_of`]); `None` for unknown types.
    #[must_use]
    #[inline]
    pub const fn unit(&self) -> Option<PhysicalUnit> {
        unit_of(self.kind())
    }

    /// Body position (segmental types; 7 = whole body).
    #[must_use]
    #[inline]
    pub const fn position(&self) -> Option<Position> {
        if self.has_position {
            Some(Position::from_code(self.position))
        } else {
            None
        }
    }

    /// The ECG atrial fibrillation result, for a [`MeasureType::AfibEcg`] measure whose value is
    /// an integer. (Meastype 139, from the optical sensor, is also a classification, but the
    /// reference lists the values only for 130.)
    #[must_use]
    pub fn afib_classification(&self) -> Option<AfibClassification> {
        if self.kind() != MeasureType::AfibEcg {
            return None;
        }
        let n = self.value().normalized();
        let scale = 10_i64.checked_pow(u32::try_from(n.exponent()).ok()?)?;
        n.mantissa()
            .checked_mul(scale)
            .map(AfibClassification::from_code)
    }
}

/// By kind, value (numerically: `78250e-3` is `7825e-2`) and position.
impl PartialEq for Measurement {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
            && self.position() == other.position()
            && self.value() == other.value()
    }
}

impl fmt::Debug for Measurement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Measurement")
            .field("kind", &self.kind())
            .field("value", &self.value())
            .field("unit", &self.unit())
            .field("position", &self.position())
            .finish()
    }
}

/// As a struct of `kind` (the code), `value` (the exact text), `unit` (the symbol) and
/// `position` (the code).
impl Serialize for Measurement {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Measurement", 4)?;
        st.serialize_field("kind", &self.kind())?;
        st.serialize_field("value", &self.value())?;
        st.serialize_field("unit", &self.unit())?;
        st.serialize_field("position", &self.position())?;
        st.end()
    }
}

impl Decode for GetMeasBody {
    type Output = Measurements;

    /// Reads a successful getmeas response straight into [`Measurements`], without the wire
    /// model's list of groups (`measure/one_pass.rs`), with the body's `more` and `offset`.
    /// It declines a status other than 0, a group to be rejected, an unknown time zone, a
    /// quirk only the wire model reads (a numeric `deviceid`, `model` as a code, `model_id`),
    /// any shape out of the ordinary; wherever it answers, the answer is the wire path's
    /// (each value is read by the wire type's own deserializer).
    fn decode_one_pass(bytes: &[u8]) -> Option<OnePass<Measurements>> {
        one_pass::decode(bytes).map(|(m, more, offset)| OnePass::paged(m, more, offset))
    }

    fn decode(self) -> Result<Measurements, DecodeError> {
        let updated = timestamp(self.updatetime, || "body.updatetime".to_owned())?;
        let tz = time_zone(&self.timezone, || "body.timezone".to_owned())?;
        let (wire_groups, at, rejected) = self.measuregrps.into_parts();
        let mut ids = Interner::default();
        let mut list = GroupList::with_capacity(wire_groups.len());
        for (i, mut g) in wire_groups.into_iter().enumerate() {
            let i = at.of(i);
            let start = list.block_len();
            measurements(std::mem::take(&mut g.measures), i, list.block_mut())?;
            list.push(group(g, i, &tz, &mut ids)?, start);
        }
        Ok(Measurements {
            updated,
            timezone: self.timezone,
            groups: list.into_groups(),
            rejected,
        })
    }
}

/// Group `i` of the response, without its measures; its device ids and model name shared
/// through `ids`.
fn group(
    g: wire::MeasureGroup,
    i: usize,
    tz: &TimeZone,
    ids: &mut Interner,
) -> Result<MeasureGroup, DecodeError> {
    timestamp(g.date, || format!("body.measuregrps[{i}].date"))?;
    opt_timestamp(g.created, || format!("body.measuregrps[{i}].created"))?;
    opt_timestamp(g.modified, || format!("body.measuregrps[{i}].modified"))?;
    let parts = GroupParts {
        grpid: g.grpid,
        attrib: g.attrib.map(Attrib::code),
        category: g.category.code(),
        date: g.date,
        created: g.created,
        modified: g.modified,
        device: DeviceKey {
            id: g.deviceid.as_deref().map(|id| ids.text(id)),
            hash_id: g.hash_deviceid.as_deref().map(|id| ids.text(id)),
            model: g.model.map(|m| match m {
                NameOrCode::Name(n) => ModelKey::Name(ids.text(&n)),
                NameOrCode::Code(c) => ModelKey::Code(c),
            }),
            model_id: g.modelid,
        },
        probability: g.probability,
    };
    Ok(MeasureGroup::new(parts, tz.clone(), ids))
}

/// The measures of group `i`, appended to `out` (the wire measures, three and a half times
/// larger, are freed at once).
fn measurements(
    wire: Vec<wire::Measure>,
    i: usize,
    out: &mut Vec<Measurement>,
) -> Result<(), DecodeError> {
    for (j, m) in wire.into_iter().enumerate() {
        out.push(measurement(&m, i, j)?);
    }
    Ok(())
}

fn measurement(m: &wire::Measure, i: usize, j: usize) -> Result<Measurement, DecodeError> {
    let value = Decimal::new(m.value, m.unit).map_err(|_| DecodeError::Unit {
        path: format!("body.measuregrps[{i}].measures[{j}].unit"),
        unit: m.unit,
    })?;
    Ok(Measurement::new(m.kind, value, m.position))
}

/// Merges a later copy of `first`'s grpid into it: its attribution when it is 0 and
/// `first`'s is the duplicate code 8 (API notes §12.14), and its measures that `first` does
/// not already hold (same kind, position and value).
fn merge_copy(first: &mut MeasureGroup, copy: &MeasureGroup) {
    merge_attrib(first, copy.attrib());
    first.measures = Measures::own(merged(first.measures(), copy.measures()));
}

/// 8 (`DeviceSame`) is the duplicate of 0 (`Device`): whichever copy comes first, the merged
/// group says 0.
fn merge_attrib(first: &mut MeasureGroup, copy: Option<Attrib>) {
    if first.attrib() == Some(Attrib::DeviceSame) && copy == Some(Attrib::Device) {
        first.attrib = Attrib::Device.code();
    }
}

/// `first`'s measures followed by those of a repeated group that `first` does not already
/// hold (same kind, position and value).
fn merged(first: &[Measurement], copy: &[Measurement]) -> Vec<Measurement> {
    let mut out = first.to_vec();
    for m in copy {
        if !out.contains(m) {
            out.push(*m);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Reply, decode_reply};

    fn decode(body: &str) -> Result<Measurements, DecodeError> {
        let json = format!(r#"{{"status":0,"body":{body}}}"#);
        match decode_reply::<GetMeasBody>(json.as_bytes())? {
            Reply::Ok(m) => Ok(m),
            Reply::Status(s) => panic!("{s}"),
        }
    }

    fn grp(grpid: i64, attrib: i64, measures: &str) -> String {
        format!(
            r#"{{"grpid":{grpid},"attrib":{attrib},"date":1717429800,"created":1717429900,"category":1,"deviceid":"0a1b","hash_deviceid":"0a1b","measures":[{measures}],"modelid":10,"model":"Body Scan"}}"#
        )
    }

    fn body(groups: &[String]) -> String {
        format!(
            r#"{{"updatetime":1717430000,"timezone":"Europe\/Berlin","measuregrps":[{}],"more":0}}"#,
            groups.join(",")
        )
    }

    #[test]
    fn values_are_exact_decimals_with_units_and_local_times() {
        let m = decode(&body(&[grp(
            1,
            0,
            r#"{"value":70005,"type":1,"unit":-3},{"value":2210,"type":6,"unit":-2}"#,
        )]))
        .unwrap();
        assert_eq!(m.updated.as_second(), 1_717_430_000);
        let g = &m.groups[0];
        assert_eq!(g.measures()[0].value().to_string(), "70.005");
        assert_eq!(g.measures()[0].unit(), Some(PhysicalUnit::Kilogram));
        assert_eq!(
            g.get(MeasureType::FatRatio).unwrap().value().to_string(),
            "22.1"
        );
        assert_eq!(
            g.get(MeasureType::FatRatio)
                .unwrap()
                .unit()
                .unwrap()
                .symbol(),
            "%"
        );
        assert_eq!(
            g.local().to_string(),
            "2024-06-03T17:50:00+02:00[Europe/Berlin]"
        );
        assert_eq!(g.model_id(), Some(DeviceModel::BodyScan));
        assert!(!g.may_be_someone_else() && !g.manual());
        assert_eq!(m.of_kind(MeasureType::Weight).count(), 1);
        assert_eq!(m.of_kind(MeasureType::Height).count(), 0);
    }

    #[test]
    fn repeated_grpids_are_merged_into_the_first_without_duplicate_measures() {
        let w = r#"{"value":78250,"type":1,"unit":-3}"#;
        let fat = r#"{"value":2210,"type":6,"unit":-2}"#;
        let m = decode(&body(&[
            grp(7, 0, w),
            grp(3, 2, r#"{"value":182,"type":4,"unit":-2}"#),
            grp(7, 8, &format!("{w},{fat}")),
        ]))
        .unwrap();
        assert_eq!(
            m.groups.iter().map(|g| g.grpid()).collect::<Vec<_>>(),
            [7, 3]
        );
        let g = &m.groups[0];
        assert_eq!(
            g.attrib(),
            Some(Attrib::Device),
            "the first occurrence's metadata wins (and 8 yields to 0)"
        );
        assert_eq!(g.measures().len(), 2);
        assert_eq!(g.measures()[1].kind(), MeasureType::FatRatio);
        assert!(m.groups[1].manual());
        // The same value in another scale is the same value.
        let m = decode(&body(&[
            grp(7, 0, r#"{"value":78250,"type":1,"unit":-3}"#),
            grp(7, 8, r#"{"value":7825,"type":1,"unit":-2}"#),
        ]))
        .unwrap();
        assert_eq!(m.groups.len(), 1);
        assert_eq!(m.groups[0].measures().len(), 1);
    }

    #[test]
    fn the_duplicate_attrib_8_yields_to_0_whichever_copy_comes_first() {
        let w = r#"{"value":78250,"type":1,"unit":-3}"#;
        for order in [[0, 8], [8, 0]] {
            let m = decode(&body(&[grp(7, order[0], w), grp(7, order[1], w)])).unwrap();
            assert_eq!(m.groups.len(), 1);
            assert_eq!(
                m.groups[0].attrib(),
                Some(Attrib::Device),
                "order {order:?}"
            );
            assert!(!m.groups[0].may_be_someone_else());
        }
        // Any other pair keeps the first copy's attribution.
        let m = decode(&body(&[grp(7, 1, w), grp(7, 0, w)])).unwrap();
        assert_eq!(m.groups[0].attrib(), Some(Attrib::DeviceAmbiguous));
        assert!(m.groups[0].may_be_someone_else());
    }

    #[test]
    fn append_merges_a_grpid_repeated_on_the_next_page() {
        let w = r#"{"value":78250,"type":1,"unit":-3}"#;
        let fat = r#"{"value":2210,"type":6,"unit":-2}"#;
        let mut first = decode(&body(&[grp(3, 2, w), grp(7, 8, w)])).unwrap();
        let second = decode(&body(&[grp(7, 0, &format!("{w},{fat}")), grp(9, 0, w)])).unwrap();
        first.append(second);
        assert_eq!(
            first.groups.iter().map(|g| g.grpid()).collect::<Vec<_>>(),
            [3, 7, 9]
        );
        let g = &first.groups[1];
        assert_eq!(g.attrib(), Some(Attrib::Device));
        assert_eq!(
            g.measures().iter().map(|m| m.kind()).collect::<Vec<_>>(),
            [MeasureType::Weight, MeasureType::FatRatio]
        );
    }

    #[test]
    fn segmental_measures_with_equal_values_at_different_positions_are_kept() {
        let seg = r#"{"value":1350,"type":173,"unit":-2,"position":10},{"value":1350,"type":173,"unit":-2,"position":11}"#;
        let m = decode(&body(&[grp(9, 0, seg), grp(9, 8, seg)])).unwrap();
        let g = &m.groups[0];
        assert_eq!(g.measures().len(), 2);
        assert_eq!(
            g.get_at(MeasureType::SegmentalFatFreeMass, Some(Position::RightLeg))
                .unwrap()
                .value()
                .to_string(),
            "13.5"
        );
        assert!(g.get_at(MeasureType::SegmentalFatFreeMass, None).is_none());
    }

    #[test]
    fn unknown_meastype_and_attrib_are_kept() {
        let m = decode(&body(&[grp(
            1,
            10000,
            r#"{"value":5,"type":999,"unit":0}"#,
        )]))
        .unwrap();
        let g = &m.groups[0];
        assert_eq!(g.attrib(), Some(Attrib::from_code(10000)));
        assert!(g.may_be_someone_else());
        assert_eq!(g.measures()[0].kind(), MeasureType::from_code(999));
        assert_eq!(g.measures()[0].unit(), None);
        let out = serde_json::to_value(&m).unwrap();
        assert_eq!(out["groups"][0]["attrib"], 10000);
        assert_eq!(out["groups"][0]["measures"][0]["kind"], 999);
        assert_eq!(out["groups"][0]["measures"][0]["value"], "5");
    }

    #[test]
    fn a_unit_out_of_range_rejects_its_group() {
        let second = grp(
            2,
            0,
            r#"{"value":1,"type":1,"unit":0},{"value":5,"type":1,"unit":99}"#,
        );
        let m = decode(&body(&[
            grp(1, 0, r#"{"value":1,"type":1,"unit":0}"#),
            second.clone(),
            grp(3, 0, r#"{"value":7,"type":1,"unit":0}"#),
        ]))
        .unwrap();
        assert_eq!(
            m.groups.iter().map(|g| g.grpid()).collect::<Vec<_>>(),
            [1, 3]
        );
        assert_eq!(m.rejected.len(), 1);
        let r = &m.rejected[0];
        assert_eq!(r.path, "body.measuregrps[1]");
        assert_eq!(
            r.error,
            "at `measures[1].unit`: unit 99 is outside -64..=64"
        );
        assert_eq!(r.raw(), second);
        // Also a later copy of a grpid: the first keeps its measures, the copy is rejected.
        let m = decode(&body(&[
            grp(1, 0, "{\"value\":1,\"type\":1,\"unit\":0}"),
            grp(1, 8, "{\"value\":1,\"type\":1,\"unit\":-65}"),
        ]))
        .unwrap();
        assert_eq!(m.groups[0].measures().len(), 1);
        assert_eq!(m.rejected[0].path, "body.measuregrps[1]");
        // Every group bad: no group, every one listed.
        let m = decode(&body(&[second.clone(), second])).unwrap();
        assert!(m.groups.is_empty());
        assert_eq!(m.rejected.len(), 2);
        // The model's bound is the decoder's.
        assert_eq!(
            i64::from(crate::MAX_EXPONENT),
            withings_model::measure::MAX_UNIT
        );
    }

    #[test]
    fn a_bad_group_with_an_error_outside_the_groups_fails_the_response() {
        let bad = grp(2, 0, r#"{"type":1,"unit":0}"#);
        let e = decode(&format!(
            r#"{{"updatetime":1,"timezone":"Mars\/Olympus_Mons","measuregrps":[{bad}]}}"#
        ))
        .unwrap_err();
        assert_eq!(e.path(), "body.timezone");
        let e = decode(&format!(
            r#"{{"updatetime":1,"timezone":"UTC","measuregrps":[{bad}],"offset":"x"}}"#
        ))
        .unwrap_err();
        assert_eq!(e.path(), "body.offset");
    }

    #[test]
    fn a_bad_time_zone_is_an_error_at_body_timezone() {
        let e = decode(r#"{"updatetime":1,"timezone":"Mars\/Olympus_Mons","measuregrps":[]}"#)
            .unwrap_err();
        assert!(
            matches!(&e, DecodeError::TimeZone { path, name } if path == "body.timezone" && name == "Mars/Olympus_Mons"),
            "{e:?}"
        );
    }

    #[test]
    fn a_date_out_of_range_rejects_its_group() {
        let g = r#"{"grpid":1,"attrib":0,"date":1,"created":1,"modified":99999999999999,"category":1,"measures":[]}"#;
        let m = decode(&format!(
            r#"{{"updatetime":1,"timezone":"UTC","measuregrps":[{g}]}}"#
        ))
        .unwrap();
        assert!(m.groups.is_empty());
        assert_eq!(
            m.rejected[0].error,
            "at `modified`: timestamp 99999999999999 is out of range"
        );
    }

    /// What a large response costs per group and per measure (issue 15): a group was 232
    /// bytes and an allocation of its own before it kept codes and seconds.
    #[test]
    fn a_group_is_compact() {
        assert_eq!(std::mem::size_of::<MeasureGroup>(), 112);
    }

    #[test]
    fn a_measurement_keeps_every_code_and_exponent_it_is_given() {
        assert_eq!(std::mem::size_of::<Measurement>(), 32);
        for (kind, mantissa, exponent, position) in [
            (1, 70_005, -3, None),
            (i64::MAX, i64::MIN, 64, Some(i64::MIN)),
            (i64::MIN, i64::MAX, -64, Some(i64::MAX)),
            (173, 0, 0, Some(0)),
        ] {
            let value = Decimal::new(mantissa, exponent).unwrap();
            let position = position.map(Position::from_code);
            let m = Measurement::new(MeasureType::from_code(kind), value, position);
            assert_eq!(m.kind().code(), kind);
            assert_eq!(
                (m.value().mantissa(), i64::from(m.value().exponent())),
                (mantissa, exponent)
            );
            assert_eq!(m.position(), position);
            assert_eq!(m.unit(), unit_of(m.kind()));
        }
        // Equal by value, as the merge of repeated groups compares them.
        let w = |m, e| Measurement::new(MeasureType::Weight, Decimal::new(m, e).unwrap(), None);
        assert_eq!(w(78_250, -3), w(7_825, -2));
        assert_ne!(w(78_250, -3), w(78_251, -3));
        assert_eq!(
            format!("{:?}", w(1, 0)),
            "Measurement { kind: Weight, value: Decimal(1 = 1e0), unit: Some(Kilogram), position: None }"
        );
    }

    #[test]
    fn units_cover_every_known_type() {
        for kind in MeasureType::KNOWN {
            assert!(unit_of(*kind).is_some(), "{kind}");
        }
        assert_eq!(unit_of(MeasureType::from_code(999)), None);
        assert_eq!(
            serde_json::to_string(&PhysicalUnit::DegreeCelsius).unwrap(),
            "\"°C\""
        );
        assert_eq!(
            unit_of(MeasureType::PulseWaveVelocity).unwrap().to_string(),
            "m/s"
        );
    }

    #[test]
    fn afib_values_are_classifications() {
        let m = decode(&body(&[grp(
            1,
            0,
            r#"{"value":10,"type":130,"unit":0},{"value":1,"type":139,"unit":0}"#,
        )]))
        .unwrap();
        let g = &m.groups[0];
        assert_eq!(
            g.measures()[0].afib_classification(),
            Some(AfibClassification::NegativeHighHeartRate)
        );
        assert_eq!(g.measures()[1].afib_classification(), None);
    }

    #[test]
    fn empty_and_manual_groups() {
        let m = decode(r#"{"updatetime":1,"timezone":"UTC","measuregrps":[]}"#).unwrap();
        assert!(m.groups.is_empty());
        let g = r#"{"grpid":1,"attrib":2,"date":1717300000,"created":1717300005,"modified":1717300005,"category":1,"deviceid":null,"hash_deviceid":null,"measures":[{"value":182,"type":4,"unit":-2,"algo":0,"fm":128}],"modelid":null,"model":null,"comment":null}"#;
        let m = decode(&format!(
            r#"{{"updatetime":1,"timezone":"UTC","measuregrps":[{g}]}}"#
        ))
        .unwrap();
        let g = &m.groups[0];
        assert!(g.manual());
        assert_eq!((g.device_id(), g.model(), g.model_id()), (None, None, None));
        assert_eq!(g.measures()[0].value().to_string(), "1.82");
    }
}
