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
