//! Body mass index from a weight and the latest height.
//!
//! BMI = weight in kg ÷ (height in m)², computed exactly on the decimals, then **correctly
//! rounded to one decimal, half away from zero** (24.45 → 24.5), as BMI is usually given.
//! Withings sends no BMI (no measure type for it); the height is the latest real height
//! (meastype 4) of the user's own groups ([`LatestOptions::default`]), usually typed in
//! once by hand.

use withings_model::measure::MeasureType;

use super::latest::{LatestOptions, latest_of};
use crate::Decimal;
use crate::measure::MeasureGroup;
use crate::units::Ratio;

/// The BMI of `weight_kg` at `height_m`, rounded to one decimal; `None` when the height is
/// not positive, the weight is negative, or the numbers are too large to compute.
///
/// ```
/// use withings_decode::Decimal;
/// use withings_decode::query::bmi::bmi;
///
/// let d = |s: &str| s.parse::<Decimal>().unwrap();
/// // 72 / 1.75² = 23.5102…
/// assert_eq!(bmi(d("72"), d("1.75")), Some(d("23.5")));
/// assert_eq!(bmi(d("72"), d("0")), None);
/// ```
#[must_use]
pub fn bmi(weight_kg: Decimal, height_m: Decimal) -> Option<Decimal> {
    if height_m <= Decimal::ZERO || weight_kg < Decimal::ZERO {
        return None;
    }
    let h = i128::from(height_m.mantissa());
    let squared = (h.checked_mul(h)?, height_m.exponent().checked_mul(2)?);
    Ratio::from(weight_kg).div_dec(squared)?.round(1)
}

/// The BMI of `weight_kg` at the latest height (meastype 4) among `groups` (the user's own,
/// real measures); `None` without a height.
///
/// ```
/// use withings_decode::query::bmi::bmi_with_latest_height;
/// use withings_decode::{Reply, decode_reply};
/// use withings_model::measure::GetMeasBody;
///
/// let json = br#"{"status":0,"body":{"updatetime":1,"timezone":"UTC","measuregrps":[
///   {"grpid":1,"attrib":2,"date":1717200000,"category":1,"deviceid":null,"measures":[{"value":180,"type":4,"unit":-2}]},
///   {"grpid":2,"attrib":0,"date":1717300000,"category":1,"deviceid":"s","measures":[{"value":78250,"type":1,"unit":-3}]}]}}"#;
/// let Reply::Ok(meas) = decode_reply::<GetMeasBody>(json).unwrap() else { panic!() };
/// // 78.25 / 1.8² = 24.1512…
/// let bmi = bmi_with_latest_height(&meas.groups, "78.25".parse().unwrap());
/// assert_eq!(bmi.unwrap().to_string(), "24.2");
/// ```
#[must_use]
pub fn bmi_with_latest_height<'a, I>(groups: I, weight_kg: Decimal) -> Option<Decimal>
where
    I: IntoIterator<Item = &'a MeasureGroup>,
{
    let height = latest_of(groups, MeasureType::Height, None, LatestOptions::default())?;
    bmi(weight_kg, height.value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::test_support::{body, decode, group, group_in};

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn exact_then_rounded_to_one_decimal_half_away_from_zero() {
        // 97.8 / 2² = 24.45 exactly: the tie rounds up (half-even would give 24.4).
        assert_eq!(bmi(d("97.8"), d("2")), Some(d("24.5")));
        // 97.6 / 4 = 24.4 exactly.
        assert_eq!(bmi(d("97.6"), d("2")), Some(d("24.4")));
        // 97.79 / 4 = 24.4475 → 24.4.
        assert_eq!(bmi(d("97.79"), d("2")), Some(d("24.4")));
        // 70.005 / 1.82² = 70.005 / 3.3124 = 21.1342…
        assert_eq!(bmi(d("70.005"), d("1.82")), Some(d("21.1")));
        // 78.25 / 1.78² = 78.25 / 3.1684 = 24.6970… → 24.7.
        assert_eq!(bmi(d("78.25"), d("1.78")), Some(d("24.7")));
        assert_eq!(bmi(d("0"), d("1.8")), Some(d("0")));
        assert_eq!(bmi(d("70"), d("-1.8")), None);
        assert_eq!(bmi(d("-70"), d("1.8")), None);
        // Printed with its one decimal.
        assert_eq!(bmi(d("72"), d("1.2")).unwrap().exponent(), -1);
    }

    #[test]
    fn the_latest_own_real_height_is_used() {
        let h = |cm: i64| format!(r#"{{"value":{cm},"type":4,"unit":-2}}"#);
        let m = decode(&body(&[
            group(1, Some(2), 1_000, None, &h(175)),
            group(2, Some(2), 2_000, None, &h(200)),
            // Newer, but ambiguous or an objective: not used.
            group(3, Some(1), 3_000, Some("s"), &h(150)),
            group_in(2, 4, Some(2), 4_000, None, &h(150)),
        ]));
        assert_eq!(
            bmi_with_latest_height(&m.groups, d("97.8")),
            Some(d("24.5"))
        );
        let no_height = decode(&body(&[group(
            1,
            Some(0),
            1_000,
            Some("s"),
            r#"{"value":70000,"type":1,"unit":-3}"#,
        )]));
        assert_eq!(bmi_with_latest_height(&no_height.groups, d("70")), None);
    }
}
