//! Counts of the demo account's records, for tests that check what a sync stored.

/// How many records the demo account holds, counted the way a store keeps them: what
/// [`RunningSandbox::inventory`](crate::RunningSandbox::inventory) says exists at the
/// sandbox's "now", or what
/// [`RunningSandbox::updated_since`](crate::RunningSandbox::updated_since) says a
/// `lastupdate` call would return.
///
/// ```no_run
/// use withings_sandbox::{Inventory, Sandbox};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), withings_sandbox::Error> {
/// let sandbox = Sandbox::builder().build().start().await?;
/// let all: Inventory = sandbox.inventory();
/// assert!(all.measure_groups > 1000, "five years of weigh-ins");
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Inventory {
    /// Measure groups (`getmeas`), once per `grpid`: the group Withings sends twice
    /// (API notes §12.14) counts once. Weight objectives (category 2) included.
    pub measure_groups: usize,
    /// Measures of those groups: one per group × type × position.
    pub measures: usize,
    /// Days of activity (`getactivity`), today's included once it has begun.
    pub activity_days: usize,
    /// Workouts (`getworkouts`).
    pub workouts: usize,
    /// Sleep summaries (`sleep getsummary`): main nights and naps.
    pub sleep_summaries: usize,
    /// Sleep segments (`sleep get`) of those nights and naps.
    pub sleep_segments: usize,
    /// ECG recordings (`heart list`).
    pub ecgs: usize,
}

/// A measure group as the sandbox holds it now: what
/// [`RunningSandbox::ground_truth`](crate::RunningSandbox::ground_truth) lists for a store's
/// rows to be compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub struct GroupTruth {
    /// The group's id, unique in the sandbox (accounts never share one).
    pub grpid: i64,
    /// When the measure was taken (unix seconds).
    pub date: i64,
    /// Its `modified` now (unix seconds).
    pub modified: i64,
    /// Its `attrib` now.
    pub attrib: i64,
    /// How many measures it holds (one row each in a store).
    pub measures: usize,
}

/// A token pair minted by
/// [`RunningSandbox::issue_tokens`](crate::RunningSandbox::issue_tokens), as a token
/// response would carry it.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IssuedTokens {
    /// The account the tokens read.
    pub userid: String,
    /// The access token (`Authorization: Bearer …`).
    pub access_token: String,
    /// The refresh token; it rotates on every refresh.
    pub refresh_token: String,
    /// Seconds the access token lives, in time of the sandbox's clock.
    pub expires_in: i64,
    /// The scopes granted, comma-separated (all of them).
    pub scope: String,
}

impl std::fmt::Debug for IssuedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Invented tokens on loopback, but a habit worth keeping: no token in logs.
        f.debug_struct("IssuedTokens")
            .field("userid", &self.userid)
            .field("access_token", &"[redacted]")
            .field("refresh_token", &"[redacted]")
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish()
    }
}

/// The application-wide limit as the sandbox saw it, from
/// [`RunningSandbox::app_limit_stats`](crate::RunningSandbox::app_limit_stats). A fleet that
/// shares one budget correctly shows `refused == 0` and `max_in_window <= limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppLimitStats {
    /// Requests that arrived, all users and endpoints together (the authorize page and the
    /// index page excepted), refused ones included.
    pub requests: u64,
    /// Of those, how many the application limit refused with status 601.
    pub refused: u64,
    /// The most requests that arrived within any window of the period (sliding, on arrival
    /// times, refused ones included); 0 when the sandbox has no application limit.
    pub max_in_window: u64,
    /// The limit: at most this many requests in any window of this period; `None` when
    /// turned off ([`SandboxBuilder::no_app_limit`](crate::SandboxBuilder::no_app_limit)).
    pub limit: Option<(u32, std::time::Duration)>,
}
