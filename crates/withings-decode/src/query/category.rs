//! Real measures or objectives: the `category` of measure groups (API notes §7.2).
//!
//! A weight objective is a measure group too (category 2), dated when it was set: a question
//! about what was measured must leave it out, which is why [`CategoryFilter::Real`] is the
//! default. Categories this library does not know are kept only by [`CategoryFilter::All`].

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use withings_model::codes::Category;

use super::attribution::UnknownChoice;
use crate::measure::MeasureGroup;

/// Which categories of measure groups to keep (the CLI's `meas --category`).
///
/// ```
/// use withings_decode::query::category::CategoryFilter;
/// use withings_model::codes::Category;
///
/// assert_eq!(CategoryFilter::default(), CategoryFilter::Real);
/// assert!(CategoryFilter::Real.keeps(Category::Real));
/// assert!(!CategoryFilter::Real.keeps(Category::Objective));
/// assert_eq!("objective".parse::<CategoryFilter>().unwrap(), CategoryFilter::Objective);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CategoryFilter {
    /// Real measurements (category 1); the default.
    #[default]
    Real,
    /// Objectives (category 2).
    Objective,
    /// Every category, unknown codes included.
    All,
}

impl CategoryFilter {
    /// Whether groups of `category` are kept.
    #[must_use]
    pub const fn keeps(self, category: Category) -> bool {
        match self {
            Self::Real => category.code() == Category::Real.code(),
            Self::Objective => category.code() == Category::Objective.code(),
            Self::All => true,
        }
    }

    /// Whether the group is kept.
    #[must_use]
    pub const fn accepts(self, group: &MeasureGroup) -> bool {
        self.keeps(group.category())
    }

    /// `real`, `objective` or `all`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Real => "real",
            Self::Objective => "objective",
            Self::All => "all",
        }
    }
}

impl fmt::Display for CategoryFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// Parses `real`, `objective` or `all` (ASCII case ignored).
impl FromStr for CategoryFilter {
    type Err = UnknownChoice;
    fn from_str(s: &str) -> Result<Self, UnknownChoice> {
        [Self::Real, Self::Objective, Self::All]
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownChoice {
                what: "category",
                expected: "real, objective or all",
                given: s.to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::test_support::{body, decode, group_in};

    #[test]
    fn real_objective_and_unknown_categories() {
        let w = r#"{"value":70000,"type":1,"unit":-3}"#;
        let m = decode(&body(&[
            group_in(1, 1, Some(0), 10, Some("d"), w),
            group_in(2, 2, Some(2), 20, None, w),
            group_in(3, 3, Some(0), 30, Some("d"), w),
        ]));
        let ids = |f: CategoryFilter| {
            m.groups
                .iter()
                .filter(|g| f.accepts(g))
                .map(|g| g.grpid())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(CategoryFilter::Real), [1]);
        assert_eq!(ids(CategoryFilter::Objective), [2]);
        assert_eq!(ids(CategoryFilter::All), [1, 2, 3]);
    }

    #[test]
    fn names_parse_and_print() {
        for f in [
            CategoryFilter::Real,
            CategoryFilter::Objective,
            CategoryFilter::All,
        ] {
            assert_eq!(f.to_string().parse::<CategoryFilter>().unwrap(), f);
        }
        assert_eq!(
            " ALL".parse::<CategoryFilter>().unwrap(),
            CategoryFilter::All
        );
        assert_eq!(
            "goals".parse::<CategoryFilter>().unwrap_err().to_string(),
            "`goals` is not a valid category: expected real, objective or all"
        );
    }
}
