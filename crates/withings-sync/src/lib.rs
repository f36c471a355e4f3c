//! Incremental sync of a Withings account into a local database.
//!
//! [`Sync`] fetches a user's data through the [`withings`] façade (one declaration per
//! endpoint, its rate limiter and retries) and writes it page by page into a [`Store`]:
//! [`SqliteStore`], one SQLite file, by default. A second run asks only for what changed
//! since the first; a run that is killed goes on, at the next run, from the page it
//! stopped at.
//!
//! ```no_run
//! # async fn _run(client: withings::Client) -> withings_sync::Result<()> {
//! use withings::jiff::Timestamp;
//! use withings_sync::{SqliteStore, Sync, SyncOptions};
//!
//! let store = SqliteStore::open(withings_sync::default_db_path()?)?;
//! let user = client.tokens().await.ok().flatten().and_then(|t| t.userid().map(str::to_owned));
//! let sync = Sync::new(client, store, user.unwrap_or_default(), SyncOptions::new(Timestamp::now()));
//! let report = sync.run(|_progress| {}).await?;
//! println!("{} calls, {} rows written", report.total().calls, report.total().stats.written());
//! # Ok(()) }
//! ```
//!
//! # What the store holds
//! One table per [`DataType`], every row keyed by `user_id` and a natural key that never
//! depends on a field the API may leave out (API notes §15), plus `synced_at` (bookkeeping:
//! when the row was last inserted or changed):
//!
//! | table | one row per | natural key (after `user_id`) |
//! |---|---|---|
//! | `measures` | measure: group × type × position | `grpid`, `type`, `position` (−1: no position) |
//! | `activity` | local day | `date` (`YYYY-MM-DD`) |
//! | `workouts` | workout | `workout_key`: `id:<id>`; without an id, `t:<start>:<end>:<category>:<deviceid>` |
//! | `sleep_summaries` | night | `summary_key`: `id:<id>`; without an id, `t:<start>:<hash_deviceid or model>` (not the end: a night still being analysed grows) |
//! | `sleep_segments` | state segment, its series as JSON `[[t, v], …]` | `source` (hashed device id, else model code), `start_at` |
//! | `intraday` (opt-in) | sample | `source` (device id or `""`), `at` |
//! | `heart` | ECG / BPM Core record | `record_key`: `ecg:<signalid>`; without an ECG, `t:<timestamp>:<deviceid>` |
//! | `devices` | linked device | `device_key`: hashed id, else id, else `<type>:<model>` |
//! | `goals` | user | — |
//!
//! Measures keep the exact value three ways: `mantissa` and `exponent` (`value × 10^unit` as
//! sent) and `value`, its exact decimal text (`78.25`); never a float. Instants are unix
//! seconds; local times are RFC 3339 text with the offset of the record's zone, whose IANA
//! name is kept beside them. Workouts and nights also keep every decoded field as JSON
//! (`details`, `metrics`).
//!
//! Writing the same record twice changes nothing: an upsert inserts a new key, updates a
//! row only when a value differs, and leaves an equal row untouched (`synced_at` included).
//!
//! Records the decoder refuses go to `rejected` with their JSON, the JSON path and the error,
//! when first seen and how often tried; every run decodes them again (a newer decoder or tz
//! database may read them) and writes those that pass. They never hold a cursor back.
//!
//! # The cursor rule
//! A cursor per user × data type, in `cursors`:
//! - **`lastupdate` lists** (measures, activity, workouts, sleep summaries): the next
//!   `lastupdate` is the server's time at the start of the pass — getmeas' `updatetime` of
//!   the pass's first page — or, for the v2 lists that give no server time, the largest
//!   `modified` seen, minus a safety overlap ([`SyncOptions::overlap`], 1 hour), never below
//!   the previous value. The local clock is never a cursor.
//! - **`heart list`** has no `lastupdate`: its cursor is the latest recording time seen
//!   minus the overlap, and each pass reads from that cursor or from the start of a
//!   re-read window ([`SyncOptions::heart_reread`], default [`HEART_REREAD`]: the 30 days
//!   before the run's `now`), whichever is earlier. So every run reads the last 30 days
//!   again — in the same one call, a page holds far more than a month of records — and sees
//!   a record Withings revised or added late within them; an older change is seen by
//!   `--full` only, and a deleted record only by `--full` (as for every list).
//! - While a pass pages, `(lastupdate, offset)` and the next value learnt so far are stored
//!   with each page, so a run that stops goes on at the page after the last one written.
//! - **Sleep segments and intraday samples** have no cursor of their own: a night whose
//!   summary was inserted or changed (a day whose activity was, with intraday on) is queued
//!   in `pending` in the same transaction, and each queued window is fetched (`sleep get`,
//!   `getintradayactivity`, cut into ≤ 24 h calls by the endpoint's declaration), written and
//!   taken off the queue in one transaction.
//! - **Intraday turned on later**: the `intraday` cursor records whether every stored
//!   activity day has been queued. A run with intraday on and no such cursor (intraday never
//!   on) queues every stored activity day; a run with intraday off that writes activity
//!   moves the cursor back to the oldest day it wrote (in that page's transaction), and the
//!   next run with intraday on queues the stored days from there. Those entries and the
//!   cursor that marks them done go in one transaction (one small entry per day: about
//!   40 KB for five years). All stored days, not the last N: enabling intraday later then
//!   gives the database that having it on from the start gives, at the same cost (one
//!   `getintradayactivity` per day, which the first sync with it on pays anyway).
//! - Devices and goals are read whole at every run (one call each); a device no longer
//!   listed is deleted.
//!
//! # Crash safety
//! **A cursor advances only in the transaction that writes the page it covers.** Every
//! write is one [`Batch`] (records, rejected items, queue entries, then the cursor) that the
//! store applies in one transaction, so a crash at any point leaves either the page and its
//! cursor or neither: the next run fetches that page again, and the idempotent upserts make
//! a page written twice the same as once. Tested by killing a real `withings sync` process
//! inside that transaction and after commits, then comparing with an uninterrupted sync.
//!
//! # `--full`
//! [`SyncOptions::full`] re-reads a window after the incremental pass and deletes, in one
//! transaction at the end, the rows of that window Withings no longer returned (a deleted
//! weigh-in), counted in [`WriteStats::purged`]. The rows that belong to a purged row go
//! with it, counted in [`WriteStats::deleted`]: a night's sleep segments (those starting in
//! its `[start_at, end_at)`, unless a night that stays covers them too), declared once in
//! the schema ([`TableDef::owner`]) so that every store runs the same generated SQL.
//! Intraday samples belong to days, not nights, and activity days are purged on their own.
//! The keys seen are kept in `full_seen` page by page, so memory stays bounded; a window
//! that could not be read whole deletes nothing.
//!
//! # What a run catches
//! | data | incremental run | only `--full` (over its window) |
//! |---|---|---|
//! | measures, activity, workouts, sleep summaries | new and changed records (`lastupdate`) | deletions |
//! | sleep segments | those of every night inserted or changed | those of deleted nights (with the night) |
//! | intraday (opt-in) | those of every day inserted or changed; when turned on later, every stored day not yet fetched | — (a day's samples are replaced whole when it is fetched) |
//! | heart (ECG, BPM Core) | new records, and changes to records of the last [`SyncOptions::heart_reread`] (30 days) | changes older than that, deletions |
//! | devices, goals | everything (read whole; unlinked devices deleted) | — |
//!
//! # Memory
//! Bounded by one page (or one night, one day): pages are written as they arrive, exports
//! read in chunks.
//!
//! # Schema versions
//! [`schema::MIGRATIONS`], one frozen SQL script per version, recorded in SQLite's
//! `PRAGMA user_version`; opening a database migrates it. The SQL is the common subset of
//! SQLite and PostgreSQL, so a PostgreSQL [`Store`] runs the same scripts.
#![doc(test(attr(deny(warnings))))]

mod engine;
mod error;
pub mod rows;
pub mod schema;
pub mod series;
mod sqlite;
pub mod store;

use std::path::PathBuf;

pub use engine::{
    FullWindow, HEART_REREAD, HISTORY_START, HookFn, HookPoint, Progress, Report, Sync,
    SyncOptions, TypeReport,
};
pub use error::{Error, Result};
pub use schema::{DataType, TableDef, Value};
pub use sqlite::SqliteStore;
#[doc(hidden)]
pub use sqlite::{query, sql_type, table_columns};
pub use store::{
    Batch, Cursor, Hook, Op, Pending, ReadQuery, ReadStatement, Rejected, Row, Store, WriteStats,
};

/// The default database file: `$XDG_DATA_HOME/withings/withings.db`, else
/// `~/.local/share/withings/withings.db`.
///
/// # Errors
/// [`Error::NoDataDir`] when neither `XDG_DATA_HOME` nor `HOME` is set.
pub fn default_db_path() -> Result<PathBuf> {
    db_path_from(
        std::env::var_os("XDG_DATA_HOME").map(PathBuf::from),
        std::env::var_os("HOME").map(PathBuf::from),
    )
}

/// [`default_db_path`] from given `XDG_DATA_HOME` and `HOME` values (an empty or relative
/// `XDG_DATA_HOME` is ignored, as the XDG spec says).
///
/// ```
/// use std::path::PathBuf;
/// let p = withings_sync::db_path_from(None, Some(PathBuf::from("/home/ada")))?;
/// assert_eq!(p, PathBuf::from("/home/ada/.local/share/withings/withings.db"));
/// # Ok::<(), withings_sync::Error>(())
/// ```
///
/// # Errors
/// [`Error::NoDataDir`] when neither gives a folder.
pub fn db_path_from(xdg_data_home: Option<PathBuf>, home: Option<PathBuf>) -> Result<PathBuf> {
    let base = match xdg_data_home.filter(|p| p.is_absolute()) {
        Some(x) => x,
        None => home
            .filter(|h| !h.as_os_str().is_empty())
            .ok_or(Error::NoDataDir)?
            .join(".local")
            .join("share"),
    };
    Ok(base.join("withings").join("withings.db"))
}
