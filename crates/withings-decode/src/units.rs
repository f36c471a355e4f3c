//! Unit conversion on exact decimals, and the metric / imperial display units.
//!
//! Every conversion is done in exact rational arithmetic on the [`Decimal`]'s integer pair.
//! The result is [`Converted::Exact`] when the exact result is a finite decimal that fits a
//! [`Decimal`] — always so for a factor that is itself a finite decimal (lb → kg is
//! × 0.45359237, m → mi is ÷ 1609.344 only when it divides out, °C → °F is × 9/5 + 32) — and
//! [`Converted::Rounded`] otherwise (kg → lb is ÷ 0.45359237, a finite decimal only for some
//! values), **correctly rounded** to the number of digits after the decimal point that the
//! caller asks for: the exact result rounded once, half away from zero (2.25 → 2.3,
//! −2.25 → −2.3). Nothing goes through `f64`.
//!
//! The factors are the exact definitions: 1 lb = 0.45359237 kg, 1 st = 14 lb, 1 oz = 1/16 lb,
//! 1 in = 0.0254 m, 1 ft = 12 in, 1 yd = 3 ft, 1 mi = 1609.344 m, °F = °C × 9/5 + 32.
//!
//! [`UnitSystem`] maps a measure's physical unit to the unit to show it in (the CLI's
//! `--units metric|imperial`).

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use crate::Decimal;
use crate::measure::PhysicalUnit;

/// A unit a value can be converted to or from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Unit {
    /// Kilogram (`kg`).
    Kilogram,
    /// Gram (`g`).
    Gram,
    /// Pound, 0.45359237 kg exactly (`lb`).
    Pound,
    /// Ounce, 1/16 lb (`oz`).
    Ounce,
    /// Stone, 14 lb (`st`); see also [`stone_pounds`].
    Stone,
    /// Metre (`m`).
    Metre,
    /// Centimetre (`cm`).
    Centimetre,
    /// Kilometre (`km`).
    Kilometre,
    /// Inch, 0.0254 m exactly (`in`).
    Inch,
    /// Foot, 0.3048 m exactly (`ft`).
    Foot,
    /// Yard, 0.9144 m exactly (`yd`).
    Yard,
    /// Mile, 1609.344 m exactly (`mi`).
    Mile,
    /// Degree Celsius (`°C`).
    Celsius,
    /// Degree Fahrenheit (`°F`).
    Fahrenheit,
}

/// What a [`Unit`] measures: only units of one dimension convert into each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Dimension {
    /// Kilogram, gram, pound, ounce, stone.
    Mass,
    /// Metre, centimetre, kilometre, inch, foot, yard, mile.
    Length,
    /// Celsius, Fahrenheit.
    Temperature,
}

impl Unit {
    const ALL: [Self; 14] = [
        Self::Kilogram,
        Self::Gram,
        Self::Pound,
        Self::Ounce,
        Self::Stone,
        Self::Metre,
        Self::Centimetre,
        Self::Kilometre,
        Self::Inch,
        Self::Foot,
        Self::Yard,
        Self::Mile,
        Self::Celsius,
        Self::Fahrenheit,
    ];

    /// The symbol: `kg`, `g`, `lb`, `oz`, `st`, `m`, `cm`, `km`, `in`, `ft`, `yd`, `mi`, `°C`,
    /// `°F`.
    #[must_use]
    pub const fn symbol(self) -> &'static str {
        match self {
            Self::Kilogram => "kg",
            Self::Gram => "g",
            Self::Pound => "lb",
            Self::Ounce => "oz",
            Self::Stone => "st",
            Self::Metre => "m",
            Self::Centimetre => "cm",
            Self::Kilometre => "km",
            Self::Inch => "in",
            Self::Foot => "ft",
            Self::Yard => "yd",
            Self::Mile => "mi",
            Self::Celsius => "°C",
            Self::Fahrenheit => "°F",
        }
    }

    /// What the unit measures.
    #[must_use]
    pub const fn dimension(self) -> Dimension {
        match self {
            Self::Kilogram | Self::Gram | Self::Pound | Self::Ounce | Self::Stone => {
                Dimension::Mass
            }
            Self::Metre
            | Self::Centimetre
            | Self::Kilometre
            | Self::Inch
            | Self::Foot
            | Self::Yard
            | Self::Mile => Dimension::Length,
            Self::Celsius | Self::Fahrenheit => Dimension::Temperature,
        }
    }

    /// The unit of a measure's physical unit, when it is one of these (kg, m, °C).
    #[must_use]
    pub const fn of_physical(unit: PhysicalUnit) -> Option<Self> {
        match unit {
            PhysicalUnit::Kilogram => Some(Self::Kilogram),
            PhysicalUnit::Metre => Some(Self::Metre),
            PhysicalUnit::DegreeCelsius => Some(Self::Celsius),
            _ => None,
        }
    }

    /// The size of the unit in the dimension's base unit (kg, m) as an exact decimal
    /// `(mantissa, exponent)`; `None` for temperatures (not a plain factor).
    const fn factor(self) -> Option<(i128, i32)> {
        Some(match self {
            Self::Kilogram | Self::Metre => (1, 0),
            Self::Gram => (1, -3),
            Self::Pound => (45_359_237, -8),
            Self::Ounce => (28_349_523_125, -12),
            Self::Stone => (635_029_318, -8),
            Self::Centimetre => (1, -2),
            Self::Kilometre => (1, 3),
            Self::Inch => (254, -4),
            Self::Foot => (3_048, -4),
            Self::Yard => (9_144, -4),
            Self::Mile => (1_609_344, -3),
            Self::Celsius | Self::Fahrenheit => return None,
        })
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.symbol())
    }
}

/// Serializes as the symbol (`"lb"`).
impl Serialize for Unit {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.symbol())
    }
}

/// A text that is not a unit symbol or system name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownUnit(pub String);

impl fmt::Display for UnknownUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a known unit", self.0)
    }
}

impl std::error::Error for UnknownUnit {}

/// Parses a symbol (`lb`, `°F`; `C` and `F` too).
impl FromStr for Unit {
    type Err = UnknownUnit;
    fn from_str(s: &str) -> Result<Self, UnknownUnit> {
        let t = s.trim();
        match t {
            "C" | "degC" => return Ok(Self::Celsius),
            "F" | "degF" => return Ok(Self::Fahrenheit),
            _ => {}
        }
        Self::ALL
            .into_iter()
            .find(|u| u.symbol() == t)
            .ok_or_else(|| UnknownUnit(s.to_owned()))
    }
}

/// The result of a conversion: exact, or rounded and to how many digits.
///
/// Serializes as `{"value": "<exact text>", "exact": true}` or
/// `{"value": "…", "exact": false, "digits": N}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Converted {
    /// The exact result.
    Exact(Decimal),
    /// The exact result correctly rounded (half away from zero) to `digits` digits after the
    /// decimal point.
    Rounded {
        /// The rounded value.
        value: Decimal,
        /// Digits after the decimal point.
        digits: u32,
    },
}

impl Converted {
    /// The value, exact or rounded.
    #[must_use]
    pub const fn value(self) -> Decimal {
        match self {
            Self::Exact(v) | Self::Rounded { value: v, .. } => v,
        }
    }

    /// Whether the value is exact.
    #[must_use]
    pub const fn is_exact(self) -> bool {
        matches!(self, Self::Exact(_))
    }

    /// For display: the value with at most `digits` digits after the decimal point. An exact
    /// value that already has no more stays `Exact`; otherwise it is rounded (half away from
    /// zero). A `Rounded` value is rounded again only to fewer digits (rounding twice can
    /// differ from rounding the exact value once: prefer asking the conversion for the
    /// digits you show).
    ///
    /// ```
    /// use withings_decode::units::{Converted, Unit, convert};
    ///
    /// let kg = convert("70".parse().unwrap(), Unit::Pound, Unit::Kilogram, 2).unwrap();
    /// assert_eq!(kg, Converted::Exact("31.7514659".parse().unwrap()));
    /// assert_eq!(kg.round_to(2).to_string(), "31.75");
    /// assert_eq!(kg.round_to(7), kg);
    /// ```
    #[must_use]
    pub fn round_to(self, digits: u32) -> Self {
        match self {
            Self::Exact(v) if fraction_digits(v) <= i64::from(digits) => self,
            Self::Rounded { digits: held, .. } if held <= digits => self,
            other => match Ratio::from(other.value()).round(digits) {
                Some(value) => Self::Rounded { value, digits },
                None => other,
            },
        }
    }
}

/// Digits after the decimal point of the shortest form of `v` (0 for integers).
fn fraction_digits(v: Decimal) -> i64 {
    let n = v.normalized();
    (-i64::from(n.exponent())).max(0)
}

/// `Exact`: the exact text; `Rounded`: exactly `digits` digits after the point (`98.10`).
impl fmt::Display for Converted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Exact(v) => fmt::Display::fmt(&v, f),
            Self::Rounded { value, digits } => f.pad(&fixed(value, digits)),
        }
    }
}

/// `value` (which has at most `digits` fraction digits) with exactly `digits` of them.
fn fixed(value: Decimal, digits: u32) -> String {
    let text = value.to_string();
    if digits == 0 {
        return text;
    }
    let have = text.split_once('.').map_or(0, |(_, f)| f.len());
    let want = usize::try_from(digits).unwrap_or(usize::MAX);
    let mut out = text;
    if have == 0 {
        out.push('.');
    }
    out.extend(std::iter::repeat_n('0', want.saturating_sub(have)));
    out
}

impl Serialize for Converted {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        match *self {
            Self::Exact(v) => {
                let mut st = s.serialize_struct("Converted", 2)?;
                st.serialize_field("value", &v)?;
                st.serialize_field("exact", &true)?;
                st.end()
            }
            Self::Rounded { value, digits } => {
                let mut st = s.serialize_struct("Converted", 3)?;
                st.serialize_field("value", &value)?;
                st.serialize_field("exact", &false)?;
                st.serialize_field("digits", &digits)?;
                st.end()
            }
        }
    }
}

/// Converts `value` from one unit to another of the same [`Dimension`]: exact when the exact
/// result is a finite decimal that fits a [`Decimal`], otherwise rounded to `digits` digits
/// after the decimal point (see the [module docs](self)).
///
/// `None` when the units measure different things, or when the result is too large for a
/// [`Decimal`] (a 64-bit mantissa) even rounded.
///
/// ```
/// use withings_decode::Decimal;
/// use withings_decode::units::{Converted, Unit, convert};
///
/// let d = |s: &str| s.parse::<Decimal>().unwrap();
/// // lb → kg: the factor is a finite decimal, so the result is exact.
/// assert_eq!(convert(d("1"), Unit::Pound, Unit::Kilogram, 2), Some(Converted::Exact(d("0.45359237"))));
/// // kg → lb: 70 / 0.45359237 = 154.3235835…, rounded to two digits.
/// assert_eq!(
///     convert(d("70"), Unit::Kilogram, Unit::Pound, 2),
///     Some(Converted::Rounded { value: d("154.32"), digits: 2 })
/// );
/// // °C → °F is exact: 36.6 × 9/5 + 32.
/// assert_eq!(convert(d("36.6"), Unit::Celsius, Unit::Fahrenheit, 1), Some(Converted::Exact(d("97.88"))));
/// assert_eq!(convert(d("1"), Unit::Kilogram, Unit::Metre, 2), None);
/// ```
#[must_use]
pub fn convert(value: Decimal, from: Unit, to: Unit, digits: u32) -> Option<Converted> {
    if from.dimension() != to.dimension() {
        return None;
    }
    to_unit(to_base(Ratio::from(value), from)?, to)?.finish(digits)
}

/// A mass as whole stones and pounds, the British way of giving a weight (`11 st 0.3 lb`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub struct StonePounds {
    /// Whole stones, toward zero.
    pub stone: i64,
    /// The pounds left, below 14 (the same sign as the mass), exact or rounded.
    pub pounds: Converted,
}

impl fmt::Display for StonePounds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} st {} lb", self.stone, self.pounds)
    }
}

/// A mass in `from` (kg, lb…) as stones and pounds; the pounds are exact or rounded to
/// `digits` digits, and a remainder that rounds to 14 lb carries into the stones
/// (13.96 lb at one digit is 1 st 0.0 lb more, not 14.0 lb).
///
/// `None` when `from` is not a mass or the value is too large.
///
/// ```
/// use withings_decode::units::{Converted, Unit, stone_pounds};
///
/// let sp = stone_pounds("70".parse().unwrap(), Unit::Kilogram, 1).unwrap();
/// assert_eq!(sp.stone, 11);
/// assert_eq!(sp.pounds, Converted::Rounded { value: "0.3".parse().unwrap(), digits: 1 });
/// assert_eq!(sp.to_string(), "11 st 0.3 lb");
/// ```
#[must_use]
pub fn stone_pounds(value: Decimal, from: Unit, digits: u32) -> Option<StonePounds> {
    if from.dimension() != Dimension::Mass {
        return None;
    }
    let pounds = to_unit(to_base(Ratio::from(value), from)?, Unit::Pound)?;
    let whole = pounds.trunc()?;
    let mut stone = whole / 14;
    let mut rest = pounds.add(-stone.checked_mul(14)?, 0)?.finish(digits)?;
    let fourteen = Decimal::new(14, 0).ok()?;
    let minus_fourteen = Decimal::new(-14, 0).ok()?;
    let v = rest.value();
    if v >= fourteen || v <= minus_fourteen {
        let sign: i128 = if v.mantissa() > 0 { 1 } else { -1 };
        stone = stone.checked_add(sign)?;
        let carried = Ratio::from(v).add(-14 * sign, 0)?;
        rest = match rest {
            Converted::Exact(_) => carried.finish(digits)?,
            Converted::Rounded { digits, .. } => Converted::Rounded {
                value: carried.round(digits)?,
                digits,
            },
        };
    }
    Some(StonePounds {
        stone: i64::try_from(stone).ok()?,
        pounds: rest,
    })
}

/// A value in the unit a [`UnitSystem`] shows it in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub struct Quantity {
    /// The value, exact or rounded.
    pub value: Converted,
    /// The unit's symbol (`lb`, `°F`, `%`, `bpm`…).
    pub symbol: &'static str,
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.value, self.symbol)
    }
}

/// The units values are shown in: the CLI's `--units metric|imperial`.
///
/// | physical unit | metric | imperial |
/// |---|---|---|
/// | kg (weight, masses) | kg | lb |
/// | m (height) | m | in |
/// | °C (temperatures) | °C | °F |
/// | distance in m (activity, workouts, intraday) | m | mi |
/// | anything else (%, bpm, mmHg, m/s, …) | unchanged | unchanged |
///
/// Pulse-wave velocity stays in m/s: it is given in m/s everywhere. Activity `elevation` is
/// a count of floors, not a length: it is not converted.
///
/// ```
/// use withings_decode::Decimal;
/// use withings_decode::measure::PhysicalUnit;
/// use withings_decode::units::UnitSystem;
///
/// let kg: Decimal = "70".parse().unwrap();
/// let shown = UnitSystem::Imperial.show(kg, PhysicalUnit::Kilogram, 1);
/// assert_eq!(shown.to_string(), "154.3 lb");
/// assert_eq!(UnitSystem::Metric.show(kg, PhysicalUnit::Kilogram, 1).to_string(), "70 kg");
/// assert_eq!("imperial".parse::<UnitSystem>().unwrap(), UnitSystem::Imperial);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum UnitSystem {
    /// The API's own units (kg, m, °C); the default.
    #[default]
    Metric,
    /// Pounds, inches, miles, °F.
    Imperial,
}

impl UnitSystem {
    /// `metric` or `imperial`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Metric => "metric",
            Self::Imperial => "imperial",
        }
    }

    /// The unit to show a measure of `unit` in; `None` when it is shown in its physical unit
    /// unchanged (%, bpm, mmHg, m/s, scores…).
    #[must_use]
    pub const fn unit_for(self, unit: PhysicalUnit) -> Option<Unit> {
        match (self, Unit::of_physical(unit)) {
            (_, None) => None,
            (Self::Metric, Some(u)) => Some(u),
            (Self::Imperial, Some(Unit::Kilogram)) => Some(Unit::Pound),
            (Self::Imperial, Some(Unit::Metre)) => Some(Unit::Inch),
            (Self::Imperial, Some(Unit::Celsius)) => Some(Unit::Fahrenheit),
            (Self::Imperial, Some(u)) => Some(u),
        }
    }

    /// A measure's value (in its physical `unit`) in this system's unit; an inexact result
    /// is rounded to `digits` digits after the point. A value too large to convert is shown
    /// unchanged in its physical unit.
    #[must_use]
    pub fn show(self, value: Decimal, unit: PhysicalUnit, digits: u32) -> Quantity {
        match Unit::of_physical(unit).zip(self.unit_for(unit)) {
            Some((from, to)) => convert_or_keep(value, from, to, digits),
            None => Quantity {
                value: Converted::Exact(value),
                symbol: unit.symbol(),
            },
        }
    }

    /// The unit for a distance (activity `distance`, in metres): m or mi.
    #[must_use]
    pub const fn distance_unit(self) -> Unit {
        match self {
            Self::Metric => Unit::Metre,
            Self::Imperial => Unit::Mile,
        }
    }

    /// A distance given in metres, in [`distance_unit`](Self::distance_unit).
    #[must_use]
    pub fn distance(self, metres: Decimal, digits: u32) -> Quantity {
        convert_or_keep(metres, Unit::Metre, self.distance_unit(), digits)
    }
}

fn convert_or_keep(value: Decimal, from: Unit, to: Unit, digits: u32) -> Quantity {
    match convert(value, from, to, digits) {
        Some(v) => Quantity {
            value: v,
            symbol: to.symbol(),
        },
        None => Quantity {
            value: Converted::Exact(value),
            symbol: from.symbol(),
        },
    }
}

impl fmt::Display for UnitSystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// Parses `metric` or `imperial` (ASCII case ignored).
impl FromStr for UnitSystem {
    type Err = UnknownUnit;
    fn from_str(s: &str) -> Result<Self, UnknownUnit> {
        [Self::Metric, Self::Imperial]
            .into_iter()
            .find(|u| u.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownUnit(s.to_owned()))
    }
}

/// `value` in the dimension's base unit (kg, m, °C).
fn to_base(value: Ratio, from: Unit) -> Option<Ratio> {
    match from {
        // (°F − 32) × 5/9
        Unit::Fahrenheit => value.add(-32, 0)?.mul_frac(5, 9),
        Unit::Celsius => Some(value),
        other => value.mul_dec(other.factor()?),
    }
}

/// `value` (in the base unit) in `to`.
fn to_unit(value: Ratio, to: Unit) -> Option<Ratio> {
    match to {
        // °C × 9/5 + 32
        Unit::Fahrenheit => value.mul_frac(9, 5)?.add(32, 0),
        Unit::Celsius => Some(value),
        other => value.div_dec(other.factor()?),
    }
}

/// An exact rational `num / den × 10^exp`, `den > 0`, in checked 128-bit arithmetic: every
/// operation returns `None` rather than overflow.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ratio {
    num: i128,
    den: i128,
    exp: i32,
}

impl From<Decimal> for Ratio {
    fn from(d: Decimal) -> Self {
        Self {
            num: i128::from(d.mantissa()),
            den: 1,
            exp: d.exponent(),
        }
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn pow10(n: u32) -> Option<i128> {
    10_i128.checked_pow(n)
}

impl Ratio {
    /// Lowest terms (keeps the numbers small between operations).
    fn reduced(self) -> Self {
        let g = gcd(self.num.unsigned_abs(), self.den.unsigned_abs());
        match i128::try_from(g) {
            Ok(g) if g > 1 => Self {
                num: self.num / g,
                den: self.den / g,
                exp: self.exp,
            },
            _ => self,
        }
    }

    /// × `m × 10^e`.
    pub(crate) fn mul_dec(self, (m, e): (i128, i32)) -> Option<Self> {
        Some(
            Self {
                num: self.num.checked_mul(m)?,
                den: self.den,
                exp: self.exp.checked_add(e)?,
            }
            .reduced(),
        )
    }

    /// ÷ `m × 10^e`; `None` unless `m > 0`.
    pub(crate) fn div_dec(self, (m, e): (i128, i32)) -> Option<Self> {
        if m <= 0 {
            return None;
        }
        Some(
            Self {
                num: self.num,
                den: self.den.checked_mul(m)?,
                exp: self.exp.checked_sub(e)?,
            }
            .reduced(),
        )
    }

    /// × `a / b`, `b > 0`.
    fn mul_frac(self, a: i128, b: i128) -> Option<Self> {
        if b <= 0 {
            return None;
        }
        Some(
            Self {
                num: self.num.checked_mul(a)?,
                den: self.den.checked_mul(b)?,
                exp: self.exp,
            }
            .reduced(),
        )
    }

    /// + `m × 10^e`.
    fn add(self, m: i128, e: i32) -> Option<Self> {
        let low = self.exp.min(e);
        let scale = |from: i32| pow10(u32::try_from(from.checked_sub(low)?).ok()?);
        let mine = self.num.checked_mul(scale(self.exp)?)?;
        let theirs = m.checked_mul(self.den)?.checked_mul(scale(e)?)?;
        Some(
            Self {
                num: mine.checked_add(theirs)?,
                den: self.den,
                exp: low,
            }
            .reduced(),
        )
    }

    /// The integer part, toward zero.
    fn trunc(self) -> Option<i128> {
        if self.exp >= 0 {
            self.num
                .checked_mul(pow10(u32::try_from(self.exp).ok()?)?)
                .map(|n| n / self.den)
        } else {
            match pow10(self.exp.unsigned_abs()).and_then(|p| self.den.checked_mul(p)) {
                Some(d) => Some(self.num / d),
                // The denominator passed 10^38 > |num|: the value is below 1 in magnitude.
                None => Some(0),
            }
        }
    }

    /// The exact value as a [`Decimal`], if it is a finite decimal that fits one.
    fn exact(self) -> Option<Decimal> {
        let r = self.reduced();
        // den = 2^a × 5^b × rest: a finite decimal only when rest is 1.
        let (mut rest, mut twos, mut fives) = (r.den, 0_u32, 0_u32);
        while rest % 2 == 0 {
            rest /= 2;
            twos += 1;
        }
        while rest % 5 == 0 {
            rest /= 5;
            fives += 1;
        }
        if rest != 1 {
            return None;
        }
        let k = twos.max(fives);
        let mut num = r
            .num
            .checked_mul(2_i128.checked_pow(k - twos)?)?
            .checked_mul(5_i128.checked_pow(k - fives)?)?;
        let mut exp = i64::from(r.exp) - i64::from(k);
        while num != 0 && num % 10 == 0 {
            num /= 10;
            exp += 1;
        }
        Decimal::new(i64::try_from(num).ok()?, exp).ok()
    }

    /// Correctly rounded to `digits` digits after the point, half away from zero.
    pub(crate) fn round(self, digits: u32) -> Option<Decimal> {
        let shift = i64::from(self.exp) + i64::from(digits);
        let (n, d) = if shift >= 0 {
            (
                self.num.checked_mul(pow10(u32::try_from(shift).ok()?)?)?,
                self.den,
            )
        } else {
            match pow10(u32::try_from(-shift).ok()?).and_then(|p| self.den.checked_mul(p)) {
                Some(d) => (self.num, d),
                // The divisor passed 10^38, over twice any |num| reached here: rounds to 0.
                None => (0, 1),
            }
        };
        let (mut q, r) = (n / d, n % d);
        if r.unsigned_abs().checked_mul(2)? >= d.unsigned_abs() {
            q = q.checked_add(n.signum())?;
        }
        Decimal::new(i64::try_from(q).ok()?, -i64::from(digits)).ok()
    }

    /// Exact if it can be, else rounded to `digits`.
    fn finish(self, digits: u32) -> Option<Converted> {
        match self.exact() {
            Some(v) => Some(Converted::Exact(v)),
            None => Some(Converted::Rounded {
                value: self.round(digits)?,
                digits,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn exact(s: &str) -> Option<Converted> {
        Some(Converted::Exact(d(s)))
    }

    fn rounded(s: &str, digits: u32) -> Option<Converted> {
        Some(Converted::Rounded {
            value: d(s),
            digits,
        })
    }

    #[test]
    fn pounds_to_kilograms_is_exact() {
        // 154.32 × 0.45359237 = 69.9983745384 (by hand: 15432 × 45359237 = 699983745384).
        assert_eq!(
            convert(d("154.32"), Unit::Pound, Unit::Kilogram, 2),
            exact("69.9983745384")
        );
        assert_eq!(convert(d("14"), Unit::Pound, Unit::Stone, 2), exact("1"));
        assert_eq!(
            convert(d("1"), Unit::Stone, Unit::Kilogram, 0),
            exact("6.35029318")
        );
        assert_eq!(convert(d("16"), Unit::Ounce, Unit::Pound, 0), exact("1"));
        assert_eq!(
            convert(d("1"), Unit::Ounce, Unit::Gram, 0),
            exact("28.349523125")
        );
    }

    #[test]
    fn kilograms_to_pounds_is_rounded_unless_it_divides_out() {
        // 70 / 0.45359237 = 154.32358352941…
        assert_eq!(
            convert(d("70"), Unit::Kilogram, Unit::Pound, 2),
            rounded("154.32", 2)
        );
        assert_eq!(
            convert(d("70"), Unit::Kilogram, Unit::Pound, 4),
            rounded("154.3236", 4)
        );
        assert_eq!(
            convert(d("70"), Unit::Kilogram, Unit::Pound, 0),
            rounded("154", 0)
        );
        // 78.25 / 0.45359237 = 172.51175…
        assert_eq!(
            convert(d("78.25"), Unit::Kilogram, Unit::Pound, 1),
            rounded("172.5", 1)
        );
        // Exactly one pound's worth of kilograms comes back exact.
        assert_eq!(
            convert(d("0.45359237"), Unit::Kilogram, Unit::Pound, 2),
            exact("1")
        );
        assert_eq!(
            convert(d("90.718474"), Unit::Kilogram, Unit::Pound, 2),
            exact("200")
        );
        assert_eq!(convert(d("0"), Unit::Kilogram, Unit::Pound, 2), exact("0"));
    }

    #[test]
    fn exact_results_with_powers_of_two_and_five_in_the_denominator() {
        // 1 st = 6.35029318 kg = 2 × 3.17514659 kg: half a stone is a denominator of 2.
        assert_eq!(
            convert(d("3.17514659"), Unit::Kilogram, Unit::Stone, 0),
            exact("0.5")
        );
        // A quarter stone: 4 in the denominator.
        assert_eq!(
            convert(d("1.587573295"), Unit::Kilogram, Unit::Stone, 0),
            exact("0.25")
        );
        // °C → °F divides by 5.
        assert_eq!(
            convert(d("0.1"), Unit::Celsius, Unit::Fahrenheit, 0),
            exact("32.18")
        );
        // The exact result is given in its shortest pair (trailing zeros removed).
        let one = convert(d("0.45359237"), Unit::Kilogram, Unit::Pound, 0)
            .unwrap()
            .value();
        assert_eq!((one.mantissa(), one.exponent()), (1, 0));
        // 100.0 as the pair (1000, -1), as the API might send it.
        let hundred = Decimal::new(1000, -1).unwrap();
        let kg = convert(hundred, Unit::Pound, Unit::Kilogram, 0)
            .unwrap()
            .value();
        assert_eq!((kg.mantissa(), kg.exponent()), (45_359_237, -6));
        let half = convert(d("3.17514659"), Unit::Kilogram, Unit::Stone, 0)
            .unwrap()
            .value();
        assert_eq!((half.mantissa(), half.exponent()), (5, -1));
    }

    #[test]
    fn celsius_and_fahrenheit_both_ways_with_negatives() {
        assert_eq!(
            convert(d("37"), Unit::Celsius, Unit::Fahrenheit, 1),
            exact("98.6")
        );
        assert_eq!(
            convert(d("-40"), Unit::Celsius, Unit::Fahrenheit, 1),
            exact("-40")
        );
        assert_eq!(
            convert(d("-17.5"), Unit::Celsius, Unit::Fahrenheit, 1),
            exact("0.5")
        );
        assert_eq!(
            convert(d("-20.25"), Unit::Celsius, Unit::Fahrenheit, 1),
            exact("-4.45")
        );
        assert_eq!(
            convert(d("36.65"), Unit::Celsius, Unit::Fahrenheit, 1),
            exact("97.97")
        );
        // °F → °C divides by 9: 100 °F = 37.777… °C.
        assert_eq!(
            convert(d("100"), Unit::Fahrenheit, Unit::Celsius, 2),
            rounded("37.78", 2)
        );
        assert_eq!(
            convert(d("98.6"), Unit::Fahrenheit, Unit::Celsius, 2),
            exact("37")
        );
        // 0 °F = −17.777… °C: rounds away from zero.
        assert_eq!(
            convert(d("0"), Unit::Fahrenheit, Unit::Celsius, 1),
            rounded("-17.8", 1)
        );
        // −1 °F = −18.333… °C.
        assert_eq!(
            convert(d("-1"), Unit::Fahrenheit, Unit::Celsius, 1),
            rounded("-18.3", 1)
        );
    }

    #[test]
    fn lengths() {
        // 1 m = 1/0.3048 ft = 3.2808398950…
        assert_eq!(
            convert(d("1"), Unit::Metre, Unit::Foot, 3),
            rounded("3.281", 3)
        );
        assert_eq!(convert(d("0.3048"), Unit::Metre, Unit::Foot, 3), exact("1"));
        assert_eq!(convert(d("1.8288"), Unit::Metre, Unit::Foot, 3), exact("6"));
        // 1.78 m = 70.0787… in.
        assert_eq!(
            convert(d("1.78"), Unit::Metre, Unit::Inch, 1),
            rounded("70.1", 1)
        );
        assert_eq!(
            convert(d("254"), Unit::Centimetre, Unit::Inch, 1),
            exact("100")
        );
        // 180 cm ÷ 2.54 = 70.866… in.
        assert_eq!(
            convert(d("180"), Unit::Centimetre, Unit::Inch, 2),
            rounded("70.87", 2)
        );
        assert_eq!(
            convert(d("1"), Unit::Mile, Unit::Kilometre, 0),
            exact("1.609344")
        );
        // 10 km = 6.2137119… mi.
        assert_eq!(
            convert(d("10"), Unit::Kilometre, Unit::Mile, 3),
            rounded("6.214", 3)
        );
        assert_eq!(convert(d("1760"), Unit::Yard, Unit::Mile, 0), exact("1"));
        assert_eq!(convert(d("1"), Unit::Mile, Unit::Foot, 0), exact("5280"));
        assert_eq!(convert(d("12"), Unit::Inch, Unit::Foot, 0), exact("1"));
        // 5000 m = 3.1068559… mi.
        assert_eq!(
            convert(d("5000"), Unit::Metre, Unit::Mile, 2),
            rounded("3.11", 2)
        );
    }

    #[test]
    fn ties_round_half_away_from_zero() {
        // The exact value of an inexact conversion is never at a half (it is not a finite
        // decimal); ties come from rounding exact values for display.
        let r = |s: &str, digits| Converted::Exact(d(s)).round_to(digits);
        assert_eq!(
            r("2.25", 1),
            Converted::Rounded {
                value: d("2.3"),
                digits: 1
            }
        );
        assert_eq!(
            r("-2.25", 1),
            Converted::Rounded {
                value: d("-2.3"),
                digits: 1
            }
        );
        assert_eq!(
            r("2.35", 1),
            Converted::Rounded {
                value: d("2.4"),
                digits: 1
            }
        );
        assert_eq!(
            r("0.5", 0),
            Converted::Rounded {
                value: d("1"),
                digits: 0
            }
        );
        assert_eq!(
            r("-0.5", 0),
            Converted::Rounded {
                value: d("-1"),
                digits: 0
            }
        );
        assert_eq!(
            r("2.2499", 1),
            Converted::Rounded {
                value: d("2.2"),
                digits: 1
            }
        );
        assert_eq!(
            r("-4.45", 1),
            Converted::Rounded {
                value: d("-4.5"),
                digits: 1
            }
        );
        // −20.25 °C is −4.45 °F exactly; shown to one digit it is −4.5.
        let f = convert(d("-20.25"), Unit::Celsius, Unit::Fahrenheit, 1).unwrap();
        assert_eq!(f.round_to(1).to_string(), "-4.5");
        // Already short enough: stays exact.
        assert_eq!(r("2.2", 1), Converted::Exact(d("2.2")));
        assert_eq!(r("2", 0), Converted::Exact(d("2")));
        // A rounded value is not rounded again to more digits.
        let two = rounded("154.32", 2).unwrap();
        assert_eq!(two.round_to(4), two);
        assert_eq!(
            two.round_to(1),
            Converted::Rounded {
                value: d("154.3"),
                digits: 1
            }
        );
    }

    #[test]
    fn display_and_serialization_say_which() {
        assert_eq!(rounded("98.1", 2).unwrap().to_string(), "98.10");
        assert_eq!(rounded("98", 1).unwrap().to_string(), "98.0");
        assert_eq!(rounded("-4", 0).unwrap().to_string(), "-4");
        assert_eq!(exact("98.10").unwrap().to_string(), "98.1");
        assert_eq!(
            serde_json::to_value(rounded("154.32", 2).unwrap()).unwrap(),
            serde_json::json!({"value": "154.32", "exact": false, "digits": 2})
        );
        assert_eq!(
            serde_json::to_value(exact("0.45359237").unwrap()).unwrap(),
            serde_json::json!({"value": "0.45359237", "exact": true})
        );
        assert!(exact("1").unwrap().is_exact());
        assert!(!rounded("1", 0).unwrap().is_exact());
        assert_eq!(rounded("1.5", 1).unwrap().value(), d("1.5"));
    }

    #[test]
    fn mismatched_dimensions_and_overflow_are_none() {
        assert_eq!(convert(d("1"), Unit::Celsius, Unit::Kilogram, 1), None);
        assert_eq!(convert(d("1"), Unit::Metre, Unit::Pound, 1), None);
        assert_eq!(stone_pounds(d("1"), Unit::Metre, 1), None);
        // 9.2e18 kg in pounds does not fit a 64-bit mantissa, even rounded.
        let huge = Decimal::new(i64::MAX, 0).unwrap();
        assert_eq!(convert(huge, Unit::Kilogram, Unit::Pound, 0), None);
        // A tiny value rounds to zero.
        let tiny = Decimal::new(1, -64).unwrap();
        assert_eq!(
            convert(tiny, Unit::Kilogram, Unit::Pound, 2),
            rounded("0", 2)
        );
        // An exact result with more digits than a mantissa holds is rounded instead:
        // 9223372036854775807 lb × 0.45359237 has 27 significant digits.
        assert_eq!(
            convert(huge, Unit::Pound, Unit::Kilogram, 0),
            rounded("4183651181588685104", 0)
        );
    }

    #[test]
    fn stones_and_pounds_carry_at_fourteen() {
        // 70 kg = 154.3236 lb = 11 st 0.3236 lb.
        let sp = stone_pounds(d("70"), Unit::Kilogram, 2).unwrap();
        assert_eq!((sp.stone, sp.pounds), (11, rounded("0.32", 2).unwrap()));
        assert_eq!(sp.to_string(), "11 st 0.32 lb");
        // Exact input in pounds stays exact.
        let sp = stone_pounds(d("168.5"), Unit::Pound, 1).unwrap();
        assert_eq!((sp.stone, sp.pounds), (12, exact("0.5").unwrap()));
        // 27.96 lb = 1 st 13.96 lb, exact: not rounded, so no carry.
        let sp = stone_pounds(d("27.96"), Unit::Pound, 1).unwrap();
        assert_eq!((sp.stone, sp.pounds), (1, exact("13.96").unwrap()));
        // 12.7 kg = 27.99870… lb = 1 st 13.99870… lb: at one digit that is 14.0, so it
        // carries: 2 st 0.0 lb.
        let sp = stone_pounds(d("12.7"), Unit::Kilogram, 1).unwrap();
        assert_eq!((sp.stone, sp.pounds), (2, rounded("0", 1).unwrap()));
        assert_eq!(sp.to_string(), "2 st 0.0 lb");
        // At three digits it does not carry: 13.99870… → 13.999.
        let sp = stone_pounds(d("12.7"), Unit::Kilogram, 3).unwrap();
        assert_eq!((sp.stone, sp.pounds), (1, rounded("13.999", 3).unwrap()));
        // A whole number of stones.
        let sp = stone_pounds(d("6.35029318"), Unit::Kilogram, 1).unwrap();
        assert_eq!((sp.stone, sp.pounds), (1, exact("0").unwrap()));
        // Negative masses mirror positive ones.
        let sp = stone_pounds(d("-12.7"), Unit::Kilogram, 1).unwrap();
        assert_eq!((sp.stone, sp.pounds), (-2, rounded("0", 1).unwrap()));
        let sp = stone_pounds(d("-15"), Unit::Pound, 1).unwrap();
        assert_eq!((sp.stone, sp.pounds), (-1, exact("-1").unwrap()));
    }

    #[test]
    fn unit_systems_map_physical_units() {
        use PhysicalUnit as P;
        let m = UnitSystem::Metric;
        let i = UnitSystem::Imperial;
        assert_eq!(m.unit_for(P::Kilogram), Some(Unit::Kilogram));
        assert_eq!(i.unit_for(P::Kilogram), Some(Unit::Pound));
        assert_eq!(i.unit_for(P::Metre), Some(Unit::Inch));
        assert_eq!(i.unit_for(P::DegreeCelsius), Some(Unit::Fahrenheit));
        for p in [
            P::Percent,
            P::BeatsPerMinute,
            P::MetrePerSecond,
            P::MillimetreOfMercury,
        ] {
            assert_eq!(i.unit_for(p), None, "{p}");
            assert_eq!(m.unit_for(p), None, "{p}");
        }
        assert_eq!(
            i.show(d("36.6"), P::DegreeCelsius, 1).to_string(),
            "97.88 °F"
        );
        assert_eq!(i.show(d("1.78"), P::Metre, 1).to_string(), "70.1 in");
        assert_eq!(m.show(d("1.78"), P::Metre, 1).to_string(), "1.78 m");
        assert_eq!(
            i.show(d("8.1"), P::MetrePerSecond, 1).to_string(),
            "8.1 m/s"
        );
        assert_eq!(i.show(d("22.1"), P::Percent, 1).to_string(), "22.1 %");
        assert_eq!(i.distance(d("5000"), 2).to_string(), "3.11 mi");
        assert_eq!(m.distance(d("5000"), 2).to_string(), "5000 m");
        // 100 m = 328.08398… ft.
        assert_eq!(
            convert(d("100"), Unit::Metre, Unit::Foot, 0),
            rounded("328", 0)
        );
        // Too large to convert: kept in its own unit.
        let huge = Decimal::new(i64::MAX, 0).unwrap();
        assert_eq!(i.show(huge, P::Kilogram, 0).symbol, "kg");
        assert_eq!(UnitSystem::default(), m);
        assert_eq!(" Metric".parse::<UnitSystem>().unwrap(), m);
        assert!("si".parse::<UnitSystem>().is_err());
        assert_eq!(i.to_string(), "imperial");
    }

    #[test]
    fn unit_symbols_parse_back() {
        for u in Unit::ALL {
            assert_eq!(u.symbol().parse::<Unit>().unwrap(), u);
            assert_eq!(u.to_string(), u.symbol());
        }
        assert_eq!("F".parse::<Unit>().unwrap(), Unit::Fahrenheit);
        assert_eq!("degF".parse::<Unit>().unwrap(), Unit::Fahrenheit);
        assert_eq!("C".parse::<Unit>().unwrap(), Unit::Celsius);
        assert_eq!(" degC ".parse::<Unit>().unwrap(), Unit::Celsius);
        assert_eq!(
            "furlong".parse::<Unit>().unwrap_err().to_string(),
            "`furlong` is not a known unit"
        );
        assert_eq!(serde_json::to_string(&Unit::Pound).unwrap(), r#""lb""#);
    }
}
