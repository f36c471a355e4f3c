//! Whose measures: attribution classes and filters over measure groups.
//!
//! The API's `attrib` (API notes §7.2) says who a group belongs to. Its codes fall in three
//! classes:
//!
//! | class | codes | why |
//! |---|---|---|
//! | [`Attribution::Device`] | 0, 3, 5, 7, 8, 15, 17 | captured by a device and the user's: attributed (0, 8), the user picked their profile on the scale (3, API notes §15), a BPM's best of several (5), confirmed by the user (7), guided Nerve Health Score / ESC (15, 17) |
//! | [`Attribution::Manual`] | 2, 4 | typed in for this user (4: at account creation, may be inaccurate) |
//! | [`Attribution::Ambiguous`] | 1, any undocumented code (10, 10000, 10009, 10010…), absent | may be someone else's: Withings could not attribute it, or nothing says it is the user's |
//!
//! The user's own measures are `Device` and `Manual`: [`AttributionFilter::OWN`], the default.
//! The classes follow [`Attrib::may_be_someone_else`] and [`Attrib::is_manual`], so they
//! agree with [`MeasureGroup::may_be_someone_else`] and [`MeasureGroup::manual`].

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use withings_model::codes::Attrib;

use crate::measure::MeasureGroup;

/// The class of a group's attribution (see the [module docs](self) for the table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Attribution {
    /// Captured by a device, and the user's.
    Device,
    /// Typed in for this user.
    Manual,
    /// May be someone else's (ambiguous, undocumented or absent `attrib`).
    Ambiguous,
}

impl Attribution {
    /// The class of an `attrib` as decoded (`None`: the payload left it out, which is no
    /// evidence that the measures are the user's).
    ///
    /// ```
    /// use withings_decode::query::attribution::Attribution;
    /// use withings_model::codes::Attrib;
    ///
    /// assert_eq!(Attribution::of_attrib(Some(Attrib::UserPicked)), Attribution::Device);
    /// assert_eq!(Attribution::of_attrib(Some(Attrib::Manual)), Attribution::Manual);
    /// assert_eq!(Attribution::of_attrib(Some(Attrib::from_code(10))), Attribution::Ambiguous);
    /// assert_eq!(Attribution::of_attrib(None), Attribution::Ambiguous);
    /// ```
    #[must_use]
    pub const fn of_attrib(attrib: Option<Attrib>) -> Self {
        match attrib {
            None => Self::Ambiguous,
            Some(a) if a.may_be_someone_else() => Self::Ambiguous,
            Some(a) if a.is_manual() => Self::Manual,
            Some(_) => Self::Device,
        }
    }

    /// The class of a group's attribution.
    #[must_use]
    pub const fn of(group: &MeasureGroup) -> Self {
        Self::of_attrib(group.attrib())
    }

    /// `device`, `manual` or `ambiguous`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Device => "device",
            Self::Manual => "manual",
            Self::Ambiguous => "ambiguous",
        }
    }
}

impl fmt::Display for Attribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// What to do with groups that may be someone else's ([`Attribution::Ambiguous`]): the
/// policy of [`latest`](super::latest::latest) and the CLI's `--ambiguous`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AmbiguousPolicy {
    /// Leave them out: only the user's own groups (the default).
    #[default]
    Skip,
    /// Take them with the user's own.
    Include,
    /// Take only them (to review weigh-ins Withings could not attribute).
    Only,
}

impl AmbiguousPolicy {
    /// `skip`, `include` or `only`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Skip => "skip",
            Self::Include => "include",
            Self::Only => "only",
        }
    }
}

impl fmt::Display for AmbiguousPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// A text that names no [`AmbiguousPolicy`] (or no [`CategoryFilter`](super::category::CategoryFilter)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownChoice {
    /// What was parsed, e.g. `ambiguous policy`.
    pub what: &'static str,
    /// The accepted names.
    pub expected: &'static str,
    /// The text given.
    pub given: String,
}

impl fmt::Display for UnknownChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a valid {}: expected {}",
            self.given, self.what, self.expected
        )
    }
}

impl std::error::Error for UnknownChoice {}

/// Parses `skip`, `include` or `only` (ASCII case ignored).
impl FromStr for AmbiguousPolicy {
    type Err = UnknownChoice;
    fn from_str(s: &str) -> Result<Self, UnknownChoice> {
        [Self::Skip, Self::Include, Self::Only]
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownChoice {
                what: "ambiguous policy",
                expected: "skip, include or only",
                given: s.to_owned(),
            })
    }
}

/// A set of [`Attribution`] classes to keep.
///
/// ```
/// use withings_decode::query::attribution::{AmbiguousPolicy, Attribution, AttributionFilter};
///
/// let own = AttributionFilter::default();
/// assert_eq!(own, AttributionFilter::OWN);
/// assert!(own.keeps(Attribution::Manual) && !own.keeps(Attribution::Ambiguous));
/// assert_eq!(AttributionFilter::from(AmbiguousPolicy::Only), AttributionFilter::AMBIGUOUS);
/// let devices = AttributionFilter::NONE.with(Attribution::Device);
/// assert!(!devices.keeps(Attribution::Manual));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AttributionFilter {
    device: bool,
    manual: bool,
    ambiguous: bool,
}

impl AttributionFilter {
    /// Nothing (a start for [`with`](Self::with)).
    pub const NONE: Self = Self {
        device: false,
        manual: false,
        ambiguous: false,
    };
    /// The user's own: captured by a device or typed in (the default).
    pub const OWN: Self = Self {
        device: true,
        manual: true,
        ambiguous: false,
    };
    /// Everything.
    pub const ALL: Self = Self {
        device: true,
        manual: true,
        ambiguous: true,
    };
    /// Only groups that may be someone else's.
    pub const AMBIGUOUS: Self = Self {
        device: false,
        manual: false,
        ambiguous: true,
    };

    /// This set with `class` added.
    #[must_use]
    pub const fn with(mut self, class: Attribution) -> Self {
        match class {
            Attribution::Device => self.device = true,
            Attribution::Manual => self.manual = true,
            Attribution::Ambiguous => self.ambiguous = true,
        }
        self
    }

    /// This set with `class` removed.
    #[must_use]
    pub const fn without(mut self, class: Attribution) -> Self {
        match class {
            Attribution::Device => self.device = false,
            Attribution::Manual => self.manual = false,
            Attribution::Ambiguous => self.ambiguous = false,
        }
        self
    }

    /// Whether the set holds `class`.
    #[must_use]
    pub const fn keeps(self, class: Attribution) -> bool {
        match class {
            Attribution::Device => self.device,
            Attribution::Manual => self.manual,
            Attribution::Ambiguous => self.ambiguous,
        }
    }

    /// Whether the group's attribution class is in the set.
    #[must_use]
    pub const fn accepts(self, group: &MeasureGroup) -> bool {
        self.keeps(Attribution::of(group))
    }

    /// The groups the filter accepts, in their order.
    pub fn apply<'a, I>(self, groups: I) -> impl Iterator<Item = &'a MeasureGroup>
    where
        I: IntoIterator<Item = &'a MeasureGroup>,
    {
        groups.into_iter().filter(move |g| self.accepts(g))
    }
}

/// [`OWN`](Self::OWN).
impl Default for AttributionFilter {
    fn default() -> Self {
        Self::OWN
    }
}

/// `Skip` is [`OWN`](AttributionFilter::OWN), `Include` [`ALL`](AttributionFilter::ALL), `Only`
/// [`AMBIGUOUS`](AttributionFilter::AMBIGUOUS).
impl From<AmbiguousPolicy> for AttributionFilter {
    fn from(policy: AmbiguousPolicy) -> Self {
        match policy {
            AmbiguousPolicy::Skip => Self::OWN,
            AmbiguousPolicy::Include => Self::ALL,
            AmbiguousPolicy::Only => Self::AMBIGUOUS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::test_support::{body, decode, group};

    #[test]
    fn every_documented_attrib_has_its_class() {
        let cases = [
            (0, Attribution::Device),
            (1, Attribution::Ambiguous),
            (2, Attribution::Manual),
            (3, Attribution::Device),
            (4, Attribution::Manual),
            (5, Attribution::Device),
            (7, Attribution::Device),
            (8, Attribution::Device),
            (10, Attribution::Ambiguous),
            (15, Attribution::Device),
            (17, Attribution::Device),
            (10000, Attribution::Ambiguous),
        ];
        let groups: Vec<String> = cases
            .iter()
            .enumerate()
            .map(|(i, &(attrib, _))| {
                let id = i64::try_from(i).unwrap();
                group(
                    id,
                    Some(attrib),
                    1_717_400_000,
                    Some("d"),
                    r#"{"value":1,"type":1,"unit":0}"#,
                )
            })
            .collect();
        let m = decode(&body(&groups));
        for (g, &(attrib, class)) in m.groups.iter().zip(&cases) {
            assert_eq!(Attribution::of(g), class, "attrib {attrib}");
            // Consistent with the decoded flags.
            assert_eq!(
                g.may_be_someone_else(),
                class == Attribution::Ambiguous,
                "{attrib}"
            );
            assert_eq!(g.manual(), class == Attribution::Manual, "{attrib}");
        }
    }

    #[test]
    fn an_absent_attrib_is_ambiguous() {
        let m = decode(&body(&[group(
            1,
            None,
            1_717_400_000,
            Some("d"),
            r#"{"value":1,"type":1,"unit":0}"#,
        )]));
        assert_eq!(Attribution::of(&m.groups[0]), Attribution::Ambiguous);
        assert!(!AttributionFilter::OWN.accepts(&m.groups[0]));
        assert!(AttributionFilter::AMBIGUOUS.accepts(&m.groups[0]));
    }

    #[test]
    fn filters_keep_their_classes_in_order() {
        let w = r#"{"value":1,"type":1,"unit":0}"#;
        let m = decode(&body(&[
            group(1, Some(0), 1, Some("d"), w),
            group(2, Some(1), 2, Some("d"), w),
            group(3, Some(2), 3, None, w),
            group(4, Some(3), 4, Some("d"), w),
        ]));
        let ids = |f: AttributionFilter| f.apply(&m.groups).map(|g| g.grpid()).collect::<Vec<_>>();
        assert_eq!(ids(AttributionFilter::OWN), [1, 3, 4]);
        assert_eq!(ids(AttributionFilter::ALL), [1, 2, 3, 4]);
        assert_eq!(ids(AttributionFilter::AMBIGUOUS), [2]);
        assert_eq!(ids(AttributionFilter::NONE), Vec::<i64>::new());
        assert_eq!(ids(AttributionFilter::NONE.with(Attribution::Manual)), [3]);
        assert_eq!(
            ids(AttributionFilter::ALL.without(Attribution::Manual)),
            [1, 2, 4]
        );
        assert_eq!(ids(AmbiguousPolicy::Include.into()), [1, 2, 3, 4]);
        assert_eq!(ids(AmbiguousPolicy::Skip.into()), [1, 3, 4]);
        assert_eq!(ids(AmbiguousPolicy::Only.into()), [2]);
    }

    #[test]
    fn policies_parse_and_print() {
        assert_eq!(
            "skip".parse::<AmbiguousPolicy>().unwrap(),
            AmbiguousPolicy::Skip
        );
        assert_eq!(
            " Include ".parse::<AmbiguousPolicy>().unwrap(),
            AmbiguousPolicy::Include
        );
        assert_eq!(
            "ONLY".parse::<AmbiguousPolicy>().unwrap(),
            AmbiguousPolicy::Only
        );
        let e = "sometimes".parse::<AmbiguousPolicy>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "`sometimes` is not a valid ambiguous policy: expected skip, include or only"
        );
        assert_eq!(AmbiguousPolicy::default(), AmbiguousPolicy::Skip);
        assert_eq!(AmbiguousPolicy::Only.to_string(), "only");
        assert_eq!(Attribution::Manual.to_string(), "manual");
        assert_eq!(
            serde_json::to_string(&Attribution::Ambiguous).unwrap(),
            r#""ambiguous""#
        );
    }
}
