//! Property tests of the exact decimal: its text is exact and its `f64` correctly rounded.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use proptest::prelude::*;
use withings_decode::{Decimal, MAX_EXPONENT};

fn any_decimal() -> impl Strategy<Value = Decimal> {
    (
        any::<i64>(),
        -i64::from(MAX_EXPONENT)..=i64::from(MAX_EXPONENT),
    )
        .prop_map(|(m, e)| Decimal::new(m, e).unwrap())
}

/// Withings' own range: small mantissas, units from -20 to +20.
fn wire_decimal() -> impl Strategy<Value = Decimal> {
    (-10_000_000i64..10_000_000, -20i64..=20).prop_map(|(m, e)| Decimal::new(m, e).unwrap())
}

fn hash_of(d: &Decimal) -> u64 {
    let mut h = DefaultHasher::new();
    d.hash(&mut h);
    h.finish()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn display_parses_back_to_the_same_value(d in any_decimal()) {
        let text = d.to_string();
        let back: Decimal = text.parse().unwrap();
        prop_assert_eq!(back, d);
        prop_assert_eq!(back.to_string(), text);
    }

    #[test]
    fn to_f64_is_the_correctly_rounded_parse_of_display(d in any_decimal()) {
        let expected: f64 = d.to_string().parse().unwrap();
        prop_assert_eq!(d.to_f64().to_bits(), expected.to_bits());
    }

    #[test]
    fn wire_range_to_f64_is_correctly_rounded(d in wire_decimal()) {
        let expected: f64 = d.to_string().parse().unwrap();
        prop_assert_eq!(d.to_f64().to_bits(), expected.to_bits());
    }

    #[test]
    fn scaling_by_ten_keeps_the_value(m in -100_000_000_000i64..100_000_000_000, e in -20i64..=20) {
        let a = Decimal::new(m, e).unwrap();
        let b = Decimal::new(m * 10, e - 1).unwrap();
        prop_assert_eq!(a, b);
        prop_assert_eq!(hash_of(&a), hash_of(&b));
        prop_assert_eq!(a.to_string(), b.to_string());
    }

    #[test]
    fn order_agrees_with_the_real_numbers(a in any_decimal(), b in any_decimal()) {
        let (fa, fb) = (a.to_f64(), b.to_f64());
        // Distinct doubles are a strict witness of the order of the exact values.
        if fa < fb { prop_assert!(a < b); }
        if fa > fb { prop_assert!(a > b); }
        prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
        if a == b { prop_assert_eq!(hash_of(&a), hash_of(&b)); }
    }

    #[test]
    fn serde_round_trips(d in any_decimal()) {
        let json = serde_json::to_string(&d).unwrap();
        prop_assert_eq!(serde_json::from_str::<Decimal>(&json).unwrap(), d);
    }
}
