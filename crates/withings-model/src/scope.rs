//! OAuth scopes: what a user grants an application, and what each endpoint needs.

use std::fmt;

/// An OAuth scope (API notes §3.1). Withings joins scopes with commas, not spaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scope {
    /// `user.info`: user get/link/unlink (needs a Withings contract).
    UserInfo,
    /// `user.metrics`: measures (getmeas), heart.
    UserMetrics,
    /// `user.activity`: activity, intraday, workouts, sleep.
    UserActivity,
    /// `user.sleepevents`: bed in/out notifications only.
    UserSleepEvents,
}

/// Parses Withings' spelling (`user.metrics`); `users.activity`, a misspelling found in some
/// copies of the official docs (API notes §3.1), is accepted as `user.activity`.
impl std::str::FromStr for Scope {
    type Err = UnknownScope;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t == "users.activity" {
            return Ok(Self::UserActivity);
        }
        Self::ALL
            .into_iter()
            .find(|scope| scope.as_str() == t)
            .ok_or_else(|| UnknownScope(t.to_owned()))
    }
}

/// A scope name that is not one of `user.info`, `user.metrics`, `user.activity`,
/// `user.sleepevents`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownScope(pub String);

impl std::fmt::Display for UnknownScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` is not a Withings scope (user.info, user.metrics, user.activity, user.sleepevents)",
            self.0
        )
    }
}

impl std::error::Error for UnknownScope {}

impl Scope {
    /// The scope as Withings spells it.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::UserInfo => "user.info",
            Self::UserMetrics => "user.metrics",
            Self::UserActivity => "user.activity",
            Self::UserSleepEvents => "user.sleepevents",
        }
    }

    /// Every scope.
    pub const ALL: [Self; 4] = [
        Self::UserInfo,
        Self::UserMetrics,
        Self::UserActivity,
        Self::UserSleepEvents,
    ];

    /// The scopes joined as Withings wants them: with commas (`user.metrics,user.activity`).
    #[must_use]
    pub fn join(scopes: &[Scope]) -> String {
        scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_from_their_spelling() {
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>(), Ok(scope));
        }
        assert_eq!("users.activity".parse::<Scope>(), Ok(Scope::UserActivity));
        assert!(
            "user.everything"
                .parse::<Scope>()
                .unwrap_err()
                .to_string()
                .contains("user.everything")
        );
    }
}
