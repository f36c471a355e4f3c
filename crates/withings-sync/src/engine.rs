//! The sync engine: pages fetched through the façade, each written with its cursor in one
//! transaction.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use serde::Serialize;
use serde::de::DeserializeOwned;
use withings::decode::measure::Measurements;
use withings::decode::sleep::SleepSegments;
use withings::decode::{Decode, DecodeError, OnePass};
use withings::model::activity::{
    GetActivity, GetActivityBody, GetIntradayActivity, GetIntradayActivityBody,
};
use withings::model::heart::{HeartList, HeartListBody};
use withings::model::measure::{GetMeas, GetMeasBody};
use withings::model::sleep::{GetSleep, GetSleepBody, GetSleepSummary, GetSleepSummaryBody};
use withings::model::user::{GetDevice, GetDeviceBody, GetGoals, GetGoalsBody};
use withings::model::workout::{GetWorkouts, GetWorkoutsBody};
use withings::model::{Body, Endpoint, Paged, PagedBody};
use withings::{Output, Received};

use crate::rows;
use crate::schema::{ACTIVITY, DataType, Value};
use crate::store::{Batch, Cursor, Hook, Op, Pending, ReadQuery, Rejected, Row, Store, WriteStats};
use crate::{Error, Result};

/// The first `lastupdate` of an empty store: before any Withings device existed, so the
/// first pass reads the whole history.
pub const HISTORY_START: Timestamp = Timestamp::constant(1_199_145_600, 0); // 2008-01-01Z

/// Where a test hook is called (see [`SyncOptions::hook`]).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HookPoint {
    /// Inside the transaction of the `page`-th write of this run (from 1), after its records
    /// and before its cursor (or queue entry) moves.
    BeforeCursor {
        /// The write's number.
        page: u64,
    },
    /// After the `page`-th write of this run has committed.
    Committed {
        /// The write's number.
        page: u64,
    },
}

/// The default [`SyncOptions::heart_reread`]: 30 days. A month of ECG and BPM Core records
/// is a handful, well within the one page an incremental pass asks anyway, so reading them
/// again costs no extra call; and it covers what is changed after the fact (a revised ECG
/// classification, a recording uploaded late by a device that was offline).
pub const HEART_REREAD: SignedDuration = SignedDuration::from_hours(30 * 24);

/// The test hook's callback.
#[doc(hidden)]
pub type HookFn = Arc<dyn Fn(HookPoint) + Send + std::marker::Sync>;

/// The window a `--full` pass re-reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FullWindow {
    /// Start (inclusive).
    pub from: Timestamp,
    /// End (inclusive).
    pub to: Timestamp,
}

/// What a [`Sync`] fetches and how.
#[derive(Clone)]
#[non_exhaustive]
pub struct SyncOptions {
    /// The data types to sync; every type but [`DataType::Intraday`] when empty.
    pub only: BTreeSet<DataType>,
    /// Also fetch intraday samples, for the days whose activity changed.
    pub intraday: bool,
    /// Re-read this window and delete what Withings no longer returns in it.
    pub full: Option<FullWindow>,
    /// Taken off the next `lastupdate`, so that records committed by Withings shortly
    /// after the time it was computed from are fetched again (default 1 hour).
    pub overlap: SignedDuration,
    /// How far back every incremental `heart list` pass reads again (default 30 days):
    /// `heart list` has no `lastupdate`, so an old record Withings changes (an ECG's
    /// classification revised) or adds late is only seen by reading its time again. Older
    /// edits need `--full`.
    pub heart_reread: SignedDuration,
    /// The current time, from the caller's clock: the `synced_at` of written rows and the
    /// end of the `heart list` window. Never a cursor on its own.
    pub now: Timestamp,
    /// The first `lastupdate` of an empty store (default [`HISTORY_START`]).
    pub history_start: Timestamp,
    /// Test hook: called after each committed write and inside each write's transaction
    /// before its cursor moves (the crash tests stop the process there).
    #[doc(hidden)]
    pub hook: Option<HookFn>,
}

impl fmt::Debug for SyncOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncOptions")
            .field("only", &self.only)
            .field("intraday", &self.intraday)
            .field("full", &self.full)
            .field("overlap", &self.overlap)
            .field("heart_reread", &self.heart_reread)
            .field("now", &self.now)
            .field("history_start", &self.history_start)
            .field("hook", &self.hook.as_ref().map(|_| "Hook"))
            .finish()
    }
}

impl SyncOptions {
    /// Every data type but intraday, incrementally, `now` as the current time.
    #[must_use]
    pub fn new(now: Timestamp) -> Self {
        Self {
            only: BTreeSet::new(),
            intraday: false,
            full: None,
            overlap: SignedDuration::from_hours(1),
            heart_reread: HEART_REREAD,
            now,
            history_start: HISTORY_START,
            hook: None,
        }
    }

    /// Only these data types.
    #[must_use]
    pub fn only(mut self, types: impl IntoIterator<Item = DataType>) -> Self {
        self.only = types.into_iter().collect();
        self
    }

    /// Intraday samples too (for the days whose activity changed).
    #[must_use]
    pub fn intraday(mut self, on: bool) -> Self {
        self.intraday = on;
        self
    }

    /// A `--full` pass over `window`.
    #[must_use]
    pub fn full(mut self, window: FullWindow) -> Self {
        self.full = Some(window);
        self
    }

    /// The safety overlap taken off each next `lastupdate`.
    #[must_use]
    pub fn overlap(mut self, overlap: SignedDuration) -> Self {
        self.overlap = overlap;
        self
    }

    /// How far back each incremental `heart list` pass reads again
    /// ([`heart_reread`](Self::heart_reread)).
    #[must_use]
    pub fn heart_reread(mut self, window: SignedDuration) -> Self {
        self.heart_reread = window;
        self
    }

    /// The test hook.
    #[doc(hidden)]
    #[must_use]
    pub fn hook(mut self, hook: HookFn) -> Self {
        self.hook = Some(hook);
        self
    }

    /// Whether `t` is synced.
    #[must_use]
    pub fn includes(&self, t: DataType) -> bool {
        let chosen = if self.only.is_empty() {
            t != DataType::Intraday
        } else {
            self.only.contains(&t)
        };
        chosen || (t == DataType::Intraday && self.intraday)
    }
}

/// What one data type's sync did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TypeReport {
    /// Calls sent to Withings.
    pub calls: u64,
    /// Writes (pages, nights, days) committed.
    pub pages: u64,
    /// Records received.
    pub records: u64,
    /// What the writes did.
    pub stats: WriteStats,
    /// Rejected records that decoded this time and were written.
    pub recovered: u64,
}

/// What a [`Sync::run`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// Per data type, in the order synced.
    pub types: Vec<(DataType, TypeReport)>,
    /// Things the user should know (a page whose paging could not go on…).
    pub warnings: Vec<String>,
}

impl Report {
    /// The sums over every data type.
    #[must_use]
    pub fn total(&self) -> TypeReport {
        let mut t = TypeReport::default();
        for (_, r) in &self.types {
            t.calls += r.calls;
            t.pages += r.pages;
            t.records += r.records;
            t.recovered += r.recovered;
            t.stats.add(&r.stats);
        }
        t
    }

    fn entry(&mut self, t: DataType) -> &mut TypeReport {
        let i = match self.types.iter().position(|(x, _)| *x == t) {
            Some(i) => i,
            None => {
                self.types.push((t, TypeReport::default()));
                self.types.len() - 1
            }
        };
        &mut self.types[i].1
    }
}

/// Progress of a run, for a progress line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Progress {
    /// A data type starts.
    Start(DataType),
    /// A call to Withings is about to be sent (`calls`: calls of this run so far, this one
    /// included).
    Call {
        /// The data type.
        data_type: DataType,
        /// Calls so far.
        calls: u64,
    },
    /// A write committed.
    Page {
        /// The data type.
        data_type: DataType,
        /// Writes of this data type so far.
        pages: u64,
        /// Records received for this data type so far.
        records: u64,
        /// Rows inserted, changed or deleted for this data type so far.
        written: u64,
    },
    /// Queued nights or days left to fetch.
    Queue {
        /// The data type.
        data_type: DataType,
        /// Entries left (at most the batch read).
        left: usize,
    },
}

/// A sync of one user's data from a [`withings::Client`] into a [`Store`].
///
/// ```no_run
/// # async fn _run(client: withings::Client) -> withings_sync::Result<()> {
/// use withings::jiff::Timestamp;
/// use withings_sync::{SqliteStore, Sync, SyncOptions};
///
/// let store = SqliteStore::open(withings_sync::default_db_path()?)?;
/// let options = SyncOptions::new(Timestamp::now());
/// let report = Sync::new(client, store, "10203040", options)
///     .run(|p| println!("{p:?}"))
///     .await?;
/// println!("{} rows written", report.total().stats.written());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Sync<S: Store> {
    client: withings::Client,
    store: S,
    user: String,
    options: SyncOptions,
}

/// The state of one run.
struct Run<'a> {
    report: Report,
    calls: u64,
    pages: u64,
    on_progress: &'a mut (dyn FnMut(Progress) + Send),
    /// With intraday off: the `intraday` cursor as stored (see [`INTRADAY_COVERED`]), which
    /// the activity pages this run writes move back; `None` when there is none (every
    /// stored day is queued when intraday is turned on).
    intraday_from: Option<i64>,
}

/// The `intraday` cursor when every stored activity day has been queued for its samples.
/// Otherwise its `lastupdate` is the start of the oldest day stored while intraday was off
/// (whose samples may be missing); no cursor: intraday was never on.
const INTRADAY_COVERED: i64 = i64::MAX;

/// Stored activity days read per chunk when queueing their intraday samples.
const BACKFILL_CHUNK: usize = 512;

impl<S: Store> Sync<S> {
    /// A sync of `user`'s data (their Withings user id: cursors and rows are per user).
    #[must_use]
    pub fn new(
        client: withings::Client,
        store: S,
        user: impl Into<String>,
        options: SyncOptions,
    ) -> Self {
        Self {
            client,
            store,
            user: user.into(),
            options,
        }
    }

    /// The store.
    #[must_use]
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Runs the sync: rejected records first (retried), then each data type, each page
    /// written with its cursor as it arrives. `on_progress` is called before each call and
    /// after each write.
    ///
    /// # Errors
    /// The first failure: [`Error::Api`] for a call that failed after the façade's retries
    /// (the pages before it are kept; a new run goes on from the page that failed), a
    /// database error.
    pub async fn run(&self, mut on_progress: impl FnMut(Progress) + Send) -> Result<Report> {
        let intraday_from = if self.options.includes(DataType::Intraday) {
            None
        } else {
            self.store
                .cursor(&self.user, DataType::Intraday)
                .await?
                .map(|c| c.lastupdate)
        };
        let mut run = Run {
            report: Report::default(),
            calls: 0,
            pages: 0,
            on_progress: &mut on_progress,
            intraday_from,
        };
        self.retry_rejected(&mut run).await?;
        for &t in DataType::ALL {
            if !self.options.includes(t) {
                continue;
            }
            (run.on_progress)(Progress::Start(t));
            run.report.entry(t);
            match t {
                DataType::Measures => self.listed::<Meas>(&mut run).await?,
                DataType::Activity => self.listed::<Activity>(&mut run).await?,
                DataType::Workouts => self.listed::<Workouts>(&mut run).await?,
                DataType::SleepSummaries => self.listed::<Summaries>(&mut run).await?,
                DataType::Heart => self.listed::<Heart>(&mut run).await?,
                DataType::SleepSegments => self.queued::<Segments>(&mut run).await?,
                DataType::Intraday => {
                    self.backfill_intraday(&mut run).await?;
                    self.queued::<Intraday>(&mut run).await?;
                }
                DataType::Devices => self.single::<Devices>(&mut run).await?,
                DataType::Goals => self.single::<Goals>(&mut run).await?,
            }
        }
        Ok(run.report)
    }

    /// Sends one call (or the calls of one split request) through the façade: the answer
    /// read in one pass where the façade's reader answers, else the wire body
    /// ([`withings::Client::send_received`]).
    async fn send<E>(
        &self,
        run: &mut Run<'_>,
        t: DataType,
        request: &E,
    ) -> Result<Received<OnePass<Output<E>>, E::Body>>
    where
        E: Endpoint,
        E::Body: Decode,
    {
        let n = request.calls().map_or(1, |c| c.len() as u64);
        for _ in 0..n {
            run.calls += 1;
            run.report.entry(t).calls += 1;
            (run.on_progress)(Progress::Call {
                data_type: t,
                calls: run.calls,
            });
        }
        self.client
            .send_received(request)
            .await
            .map_err(|source| Error::Api {
                data_type: t,
                source,
            })
    }

    /// Fetches and decodes a page of `R` ([`send`](Self::send)): read in one pass, whose
    /// output has no rejected records and gives `more` and `offset`; or the wire body, whose
    /// `more` and `offset` `paging` reads ([`paged`] or [`unpaged`]) before [`decode_page`]
    /// decodes it, keeping the records the decoder refuses.
    async fn fetch<R, E>(
        &self,
        run: &mut Run<'_>,
        t: DataType,
        request: &E,
        paging: fn(&R::Body) -> (bool, Option<i64>),
    ) -> Result<DecodedPage<Out<R>>>
    where
        R: Records,
        E: Endpoint<Body = R::Body>,
    {
        Ok(match self.send(run, t, request).await? {
            Received::OnePass(read) => decoded::<R>(t, read.output, read.more, read.offset),
            Received::Wire(body) => {
                let (more, offset) = paging(&body);
                decode_page::<R>(t, body, more, offset)
            }
        })
    }

    /// Writes `ops` as the next page: the hook inside the transaction before the last op
    /// (the cursor or queue entry that the page moves), then the hook after the commit.
    async fn commit(
        &self,
        run: &mut Run<'_>,
        t: DataType,
        mut ops: Vec<Op>,
        cursor: Option<Op>,
        records: u64,
    ) -> Result<WriteStats> {
        run.pages += 1;
        let page = run.pages;
        if let Some(hook) = &self.options.hook {
            let hook = Arc::clone(hook);
            ops.push(Op::Hook(Hook(Arc::new(move || {
                hook(HookPoint::BeforeCursor { page });
            }))));
        }
        ops.extend(cursor);
        let batch = Batch {
            user: self.user.clone(),
            synced_at: self.options.now.as_second(),
            ops,
        };
        let stats = self.store.write(batch).await?;
        let r = run.report.entry(t);
        r.pages += 1;
        r.records += records;
        r.stats.add(&stats);
        let progress = Progress::Page {
            data_type: t,
            pages: r.pages,
            records: r.records,
            written: r.stats.written(),
        };
        (run.on_progress)(progress);
        if let Some(hook) = &self.options.hook {
            hook(HookPoint::Committed { page });
        }
        Ok(stats)
    }

    /// A paged list: incrementally from its cursor, then (with `--full`) the window again.
    async fn listed<K: Listed>(&self, run: &mut Run<'_>) -> Result<()> {
        self.incremental::<K>(run).await?;
        if let Some(window) = self.options.full {
            self.full_pass::<K>(run, window).await?;
        }
        Ok(())
    }

    async fn incremental<K: Listed>(&self, run: &mut Run<'_>) -> Result<()> {
        let t = K::DATA_TYPE;
        let cursor = self.store.cursor(&self.user, t).await?;
        let (stored, mut offset, mut next) = match cursor {
            Some(c) => (c.lastupdate, c.offset, c.next_lastupdate),
            None => (self.options.history_start.as_second(), None, None),
        };
        // A list without `lastupdate` (heart) reads its re-read window again at each new
        // pass; a pass resumed at an offset asks the window it started with (stored with
        // its pages below).
        let since = match (offset, K::reread_from(&self.options)) {
            (None, Some(r)) => stored.min(r),
            _ => stored,
        };
        let since_ts = Timestamp::from_second(since).unwrap_or(self.options.history_start);
        loop {
            let mut request = K::incremental(since_ts, self.options.now);
            if let Some(o) = offset {
                request.set_offset(o);
            }
            let page = self.fetch::<K, _>(run, t, &request, paged).await?;
            let (more, next_offset) = (page.more, page.offset);
            let mut ops = Vec::new();
            let mut records = 0;
            let mut mark = Mark::default();
            if let Some(out) = page.output {
                records = K::ops(self, out, &mut ops, false, &mut mark);
            }
            ops.extend(intraday_gap(run, &mark));
            ops.extend(page.rejected.into_iter().map(Op::Reject));
            next = match (next, mark.server_time, mark.max_modified) {
                // getmeas: the server's time when the pass started (its first page).
                (n, Some(server), _) => Some(n.map_or(server, |n| n.min(server))),
                // The v2 lists: the largest `modified` seen.
                (n, None, Some(m)) => Some(n.map_or(m, |n| n.max(m))),
                (n, None, None) => n,
            };
            let current = offset.unwrap_or(0);
            let go_on = more && next_offset.is_some_and(|o| o > current);
            if more && !go_on {
                run.report.warnings.push(format!(
                    "{t}: Withings said more pages follow page offset {current} but gave no usable offset ({next_offset:?}); the cursor was kept, the next sync asks again"
                ));
            }
            let cursor = if go_on {
                Cursor {
                    data_type: t,
                    lastupdate: since,
                    offset: next_offset,
                    next_lastupdate: next,
                }
            } else {
                let advanced = match next {
                    Some(n) if !more => {
                        n.saturating_sub(self.options.overlap.as_secs()).max(stored)
                    }
                    _ => stored,
                };
                Cursor {
                    data_type: t,
                    lastupdate: advanced,
                    offset: None,
                    next_lastupdate: None,
                }
            };
            self.commit(run, t, ops, Some(Op::SetCursor(cursor)), records)
                .await?;
            if !go_on {
                return Ok(());
            }
            offset = next_offset;
        }
    }

    async fn full_pass<K: Listed>(&self, run: &mut Run<'_>, w: FullWindow) -> Result<()> {
        let t = K::DATA_TYPE;
        let table = t.table();
        let mut request = K::window(w);
        let mut first = true;
        loop {
            let page = self.fetch::<K, _>(run, t, &request, paged).await?;
            let (more, next_offset) = (page.more, page.offset);
            let mut ops = Vec::new();
            if first {
                ops.push(Op::BeginFull(table));
                first = false;
            }
            let mut records = 0;
            let mut mark = Mark::default();
            if let Some(out) = page.output {
                records = K::ops(self, out, &mut ops, true, &mut mark);
            }
            ops.extend(intraday_gap(run, &mark));
            let rejected = !page.rejected.is_empty();
            ops.extend(page.rejected.into_iter().map(Op::Reject));
            let current = request.current_offset().unwrap_or(0);
            let go_on = more && next_offset.is_some_and(|o| o > current);
            let end = if go_on {
                None
            } else if more || rejected {
                // The window was not read whole: deleting what was not seen would delete
                // what was not received.
                run.report.warnings.push(format!(
                    "{t}: the --full window could not be read whole; nothing was deleted"
                ));
                None
            } else {
                let (start, end) = K::purge_range(w);
                Some(Op::PurgeUnseen { table, start, end })
            };
            self.commit(run, t, ops, end, records).await?;
            match next_offset {
                Some(o) if go_on => request.set_offset(o),
                _ => return Ok(()),
            }
        }
    }

    /// Nights or days queued by the lists: fetched one window at a time, each written (and
    /// taken off the queue) in one transaction.
    async fn queued<K: Queued>(&self, run: &mut Run<'_>) -> Result<()> {
        let t = K::DATA_TYPE;
        loop {
            let batch = self.store.pending(&self.user, t, 64).await?;
            if batch.is_empty() {
                return Ok(());
            }
            (run.on_progress)(Progress::Queue {
                data_type: t,
                left: batch.len(),
            });
            for p in batch {
                let (Ok(start), Ok(end)) = (
                    Timestamp::from_second(p.start),
                    Timestamp::from_second(p.end),
                ) else {
                    self.commit(run, t, Vec::new(), Some(Op::Done(p)), 0)
                        .await?;
                    continue;
                };
                let request = K::request(start, end);
                let page = self.fetch::<K, _>(run, t, &request, unpaged).await?;
                let mut rows = Vec::new();
                if let Some(out) = page.output {
                    rows = K::rows(out, p.start, p.end);
                }
                let records = rows.len() as u64;
                let mut ops = vec![Op::Replace {
                    table: t.table(),
                    start: Some(p.start),
                    end: Some(p.end),
                    rows,
                }];
                ops.extend(page.rejected.into_iter().map(Op::Reject));
                self.commit(run, t, ops, Some(Op::Done(p)), records).await?;
            }
        }
    }

    /// An unpaged endpoint read whole each time (devices, goals).
    async fn single<K: Single>(&self, run: &mut Run<'_>) -> Result<()> {
        let t = K::DATA_TYPE;
        let page = self.fetch::<K, _>(run, t, &K::request(), unpaged).await?;
        let mut ops = Vec::new();
        let mut records = 0;
        if let Some(out) = page.output {
            let rows = K::rows(out);
            records = rows.len() as u64;
            ops.push(K::op(rows));
        }
        ops.extend(page.rejected.into_iter().map(Op::Reject));
        self.commit(run, t, ops, None, records).await?;
        Ok(())
    }

    /// Decodes the rejected records again (the decoder or the tz database may have been
    /// updated): those that decode now are written and forgotten, the others count a try.
    /// With intraday on: queues the stored activity days whose samples may be missing —
    /// every day when intraday was never on, else the days from the oldest one written
    /// while it was off — in one write with the cursor that says they are, so turning
    /// intraday on later fills the same table as having had it on from the start.
    async fn backfill_intraday(&self, run: &mut Run<'_>) -> Result<()> {
        let t = DataType::Intraday;
        let from = match self.store.cursor(&self.user, t).await? {
            Some(c) if c.lastupdate == INTRADAY_COVERED => return Ok(()),
            Some(c) => Some(c.lastupdate),
            None => None,
        };
        // A day a little before, by UTC date: the read's bound only; each day's own window
        // decides.
        let since = from
            .and_then(|f| Timestamp::from_second(f).ok())
            .map(|f| ymd(dates(FullWindow { from: f, to: f }).0));
        // One entry per day (a few MB for decades): the queue and the cursor that says it
        // is complete go in one transaction, so a crash queues nothing or everything.
        let mut ops = Vec::new();
        let mut after = None;
        loop {
            let rows = self
                .store
                .read(ReadQuery {
                    table: &ACTIVITY,
                    user: Some(self.user.clone()),
                    since: since.clone(),
                    after: after.take(),
                    limit: BACKFILL_CHUNK,
                })
                .await?;
            for r in &rows {
                // `user_id`, then `date`, then `time_zone` (ACTIVITY's columns).
                let day = r
                    .get(1)
                    .and_then(Value::as_text)
                    .and_then(|d| d.parse::<Date>().ok());
                let zone = r.get(2).and_then(Value::as_text);
                if let (Some(day), Some(zone)) = (day, zone)
                    && let Some(p) = day_window(day, zone)
                    && from.is_none_or(|f| p.start >= f)
                {
                    ops.push(Op::Enqueue(p));
                }
            }
            if rows.len() < BACKFILL_CHUNK {
                break;
            }
            after = rows.last().cloned();
        }
        let covered = Cursor {
            data_type: t,
            lastupdate: INTRADAY_COVERED,
            offset: None,
            next_lastupdate: None,
        };
        self.commit(run, t, ops, Some(Op::SetCursor(covered)), 0)
            .await?;
        Ok(())
    }

    async fn retry_rejected(&self, run: &mut Run<'_>) -> Result<()> {
        let rejected = self.store.rejected(&self.user, 10_000).await?;
        for r in rejected {
            let t = r.data_type;
            if !self.options.includes(t) {
                continue;
            }
            let mut ops = Vec::new();
            let mut mark = Mark::default();
            let records;
            let retried = match t {
                DataType::Measures => retry::<Meas, _>(self, &r, &mut ops, &mut mark),
                DataType::Activity => retry::<Activity, _>(self, &r, &mut ops, &mut mark),
                DataType::Workouts => retry::<Workouts, _>(self, &r, &mut ops, &mut mark),
                DataType::SleepSummaries => retry::<Summaries, _>(self, &r, &mut ops, &mut mark),
                DataType::Heart => retry::<Heart, _>(self, &r, &mut ops, &mut mark),
                DataType::SleepSegments => retry_queued::<Segments>(&r, &mut ops),
                DataType::Intraday => retry_queued::<Intraday>(&r, &mut ops),
                DataType::Devices => retry_single::<Devices>(&r, &mut ops),
                DataType::Goals => retry_single::<Goals>(&r, &mut ops),
            };
            match retried {
                Ok(n) => {
                    records = n;
                    ops.extend(intraday_gap(run, &mark));
                    run.report.entry(t).recovered += 1;
                    ops.push(Op::Accept {
                        data_type: t,
                        raw: r.raw.clone(),
                    });
                }
                Err(e) => {
                    records = 0;
                    ops.clear();
                    ops.push(Op::Reject(Rejected {
                        path: e.path().to_owned(),
                        error: e.to_string(),
                        ..r.clone()
                    }));
                }
            }
            self.commit(run, t, ops, None, records).await?;
        }
        Ok(())
    }
}

/// What a page tells about the next cursor.
#[derive(Debug, Default)]
struct Mark {
    /// The server's time of the answer (getmeas `updatetime`).
    server_time: Option<i64>,
    /// The largest `modified` (or, for heart records, recording time) of the page.
    max_modified: Option<i64>,
    /// With intraday off: the start of the oldest activity day of the page.
    first_day: Option<i64>,
}

/// With intraday off, the `intraday` cursor moved back to the oldest activity day of a
/// page (written with the page), when it is older than the stored one: the days whose
/// samples turning intraday on must fetch.
fn intraday_gap(run: &mut Run<'_>, mark: &Mark) -> Option<Op> {
    let (Some(day), Some(from)) = (mark.first_day, run.intraday_from) else {
        return None;
    };
    if day >= from {
        return None;
    }
    run.intraday_from = Some(day);
    Some(Op::SetCursor(Cursor {
        data_type: DataType::Intraday,
        lastupdate: day,
        offset: None,
        next_lastupdate: None,
    }))
}

impl Mark {
    fn modified(&mut self, t: Option<Timestamp>) {
        if let Some(t) = t {
            let s = t.as_second();
            self.max_modified = Some(self.max_modified.map_or(s, |m| m.max(s)));
        }
    }
}

/// A decoded page, the records the decoder refused, and its paging fields.
struct DecodedPage<O> {
    output: Option<O>,
    rejected: Vec<Rejected>,
    /// Whether another page follows (`false` for a body that is not paged).
    more: bool,
    /// The offset of the next page, when given.
    offset: Option<i64>,
}

/// `more` and `offset` of a paged list's wire body.
fn paged<B: PagedBody>(body: &B) -> (bool, Option<i64>) {
    (body.more(), body.offset())
}

/// The paging fields of a body that is not paged: no next page.
fn unpaged<B>(_: &B) -> (bool, Option<i64>) {
    (false, None)
}

/// A wire body this engine reads: decoded, re-read from a rejected record's JSON, and
/// serialized whole when no record explains a failure.
trait Wire: Body + Decode + Clone + Serialize + DeserializeOwned {}
impl<B: Body + Decode + Clone + Serialize + DeserializeOwned> Wire for B {}

/// How a data type's records are listed in its body and its decoded output.
trait Records {
    type Body: Wire;
    /// The list's key in the body (`measuregrps`, `series`…).
    const LIST: &'static str;
    /// Whether the list is an object keyed by time (`getintradayactivity`).
    const TIMED: bool = false;
    /// Takes the refused records out of a decoded output.
    fn take_rejected(out: &mut <Self::Body as Decode>::Output) -> Vec<withings::decode::Rejected>;
    /// The top-level fields a record needs to be decoded again, as a JSON object.
    fn context(_out: &<Self::Body as Decode>::Output) -> serde_json::Value {
        serde_json::Value::Object(serde_json::Map::new())
    }
}

/// Decodes a page's wire body. The records the decoder refuses are kept as [`Rejected`]
/// with their JSON as received; a failure outside the records (an unknown time zone)
/// rejects the whole body, so that the cursor still moves on.
fn decode_page<R: Records>(
    t: DataType,
    body: R::Body,
    more: bool,
    offset: Option<i64>,
) -> DecodedPage<Out<R>> {
    // Kept in case decoding fails: the whole body is then the rejected record.
    let whole = body.clone();
    match body.decode() {
        Ok(out) => decoded::<R>(t, out, more, offset),
        Err(e) => DecodedPage {
            output: None,
            rejected: vec![Rejected {
                data_type: t,
                raw: serde_json::to_string(&whole).unwrap_or_default(),
                context: String::new(),
                path: e.path().to_owned(),
                error: e.to_string(),
            }],
            more,
            offset,
        },
    }
}

/// A page whose body decoded (from the wire body, or in one pass), the records the decoder
/// refused taken out of it (a one-pass output has none: the reader declines such a page).
fn decoded<R: Records>(
    t: DataType,
    mut out: Out<R>,
    more: bool,
    offset: Option<i64>,
) -> DecodedPage<Out<R>> {
    let refused = R::take_rejected(&mut out);
    let context = if refused.is_empty() {
        String::new()
    } else {
        R::context(&out).to_string()
    };
    let rejected = refused
        .into_iter()
        .map(|r| Rejected {
            data_type: t,
            raw: r.raw().to_owned(),
            context: context.clone(),
            path: r.path.clone(),
            error: r.error.clone(),
        })
        .collect();
    DecodedPage {
        output: Some(out),
        rejected,
        more,
        offset,
    }
}

/// The body a rejected record came from, rebuilt: its context with the record as the only
/// one of the list, or (empty context) the raw body itself.
fn rebuild<R: Records>(r: &Rejected) -> Result<R::Body, DecodeError> {
    let invalid = |path: String, e: serde_json::Error| DecodeError::Invalid {
        path,
        problem: e.to_string(),
    };
    if r.context.is_empty() {
        return Ok(withings::model::de::from_slice(r.raw.as_bytes())?);
    }
    let mut body: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&r.context).map_err(|e| invalid("body".into(), e))?;
    let item: serde_json::Value =
        serde_json::from_str(&r.raw).map_err(|e| invalid(r.path.clone(), e))?;
    let list = if R::TIMED {
        // `body.series.1717369200`: the record's key is the last part of its path.
        let key = r.path.rsplit('.').next().unwrap_or_default().to_owned();
        let mut m = serde_json::Map::new();
        m.insert(key, item);
        serde_json::Value::Object(m)
    } else {
        serde_json::Value::Array(vec![item])
    };
    body.insert(R::LIST.to_owned(), list);
    // The model's parser: a record that does not parse is rejected, not the whole body.
    let text = serde_json::Value::Object(body).to_string();
    Ok(withings::model::de::from_slice(text.as_bytes())?)
}

/// Decodes a rebuilt body: an error, or the output when it holds no refused record.
fn redecode<R: Records>(r: &Rejected) -> Result<<R::Body as Decode>::Output, DecodeError> {
    let mut out = rebuild::<R>(r)?.decode()?;
    match R::take_rejected(&mut out).into_iter().next() {
        None => Ok(out),
        Some(again) => Err(DecodeError::Invalid {
            path: again.path,
            problem: again.error,
        }),
    }
}

fn retry<K: Listed, S: Store>(
    sync: &Sync<S>,
    r: &Rejected,
    ops: &mut Vec<Op>,
    mark: &mut Mark,
) -> Result<u64, DecodeError> {
    let out = redecode::<K>(r)?;
    Ok(K::ops(sync, out, ops, false, mark))
}

fn retry_queued<K: Queued>(r: &Rejected, ops: &mut Vec<Op>) -> Result<u64, DecodeError> {
    let rows = K::rows(redecode::<K>(r)?, i64::MIN, i64::MAX);
    let n = rows.len() as u64;
    ops.extend(rows.into_iter().map(|row| upsert(row, None, false)));
    Ok(n)
}

fn retry_single<K: Single>(r: &Rejected, ops: &mut Vec<Op>) -> Result<u64, DecodeError> {
    let rows = K::rows(redecode::<K>(r)?);
    let n = rows.len() as u64;
    ops.extend(rows.into_iter().map(|row| upsert(row, None, false)));
    Ok(n)
}

type Out<R> = <<R as Records>::Body as Decode>::Output;

/// A paged list synced by cursor.
trait Listed: Records<Body: PagedBody> {
    type Req: Paged<Body = Self::Body>;
    const DATA_TYPE: DataType;
    /// The request of an incremental pass from `since`.
    fn incremental(since: Timestamp, now: Timestamp) -> Self::Req;
    /// The request of a `--full` pass over `w` (wide enough to hold every record whose
    /// time column is in [`purge_range`](Self::purge_range)).
    fn window(w: FullWindow) -> Self::Req;
    /// For a list without `lastupdate`: the time every new incremental pass reads from at
    /// the latest, whatever its cursor.
    fn reread_from(_: &SyncOptions) -> Option<i64> {
        None
    }
    /// The values of the table's time column bounding what a `--full` pass may delete.
    fn purge_range(w: FullWindow) -> (Value, Value) {
        (Value::Int(w.from.as_second()), Value::Int(w.to.as_second()))
    }
    /// The operations of a decoded page; returns the number of records.
    fn ops<S: Store>(
        sync: &Sync<S>,
        out: Out<Self>,
        ops: &mut Vec<Op>,
        seen: bool,
        mark: &mut Mark,
    ) -> u64;
}

fn upsert(row: Row, on_change: Option<Pending>, seen: bool) -> Op {
    Op::Upsert {
        row,
        on_change,
        seen,
    }
}

/// Local dates around a window: a day more on each side covers every zone's date of the
/// window's instants.
fn dates(w: FullWindow) -> (Date, Date) {
    let from = utc_date(w.from);
    let to = utc_date(w.to);
    (
        from.checked_sub(1.day()).unwrap_or(from),
        to.checked_add(1.day()).unwrap_or(to),
    )
}

fn utc_date(t: Timestamp) -> Date {
    t.to_zoned_datetime(TimeZone::UTC).date()
}

fn ymd(d: Date) -> Value {
    Value::Text(d.strftime("%Y-%m-%d").to_string())
}

/// `Records<T>` outputs: the refused records are in `rejected`.
macro_rules! records {
    ($kind:ty, $body:ty, $list:literal) => {
        impl Records for $kind {
            type Body = $body;
            const LIST: &'static str = $list;
            fn take_rejected(out: &mut Out<Self>) -> Vec<withings::decode::Rejected> {
                std::mem::take(&mut out.rejected)
            }
        }
    };
}

struct Meas;
impl Records for Meas {
    type Body = GetMeasBody;
    const LIST: &'static str = "measuregrps";
    fn take_rejected(out: &mut Measurements) -> Vec<withings::decode::Rejected> {
        std::mem::take(&mut out.rejected)
    }
    fn context(out: &Measurements) -> serde_json::Value {
        serde_json::json!({
            "updatetime": out.updated.as_second(),
            "timezone": out.timezone,
        })
    }
}
impl Listed for Meas {
    type Req = GetMeas;
    const DATA_TYPE: DataType = DataType::Measures;
    fn incremental(since: Timestamp, _: Timestamp) -> GetMeas {
        GetMeas::new().updated_since(since)
    }
    fn window(w: FullWindow) -> GetMeas {
        GetMeas::new().between(w.from, w.to)
    }
    fn ops<S: Store>(
        _: &Sync<S>,
        out: Measurements,
        ops: &mut Vec<Op>,
        seen: bool,
        mark: &mut Mark,
    ) -> u64 {
        mark.server_time = Some(out.updated.as_second());
        for g in &out.groups {
            mark.modified(g.modified());
            ops.extend(
                rows::measure_rows(&out, g)
                    .into_iter()
                    .map(|r| upsert(r, None, seen)),
            );
        }
        out.groups.len() as u64
    }
}

struct Activity;
records!(Activity, GetActivityBody, "activities");
impl Listed for Activity {
    type Req = GetActivity;
    const DATA_TYPE: DataType = DataType::Activity;
    fn incremental(since: Timestamp, _: Timestamp) -> GetActivity {
        GetActivity::new().updated_since(since).all_fields()
    }
    fn window(w: FullWindow) -> GetActivity {
        let (from, to) = dates(w);
        GetActivity::new().dates(from, to).all_fields()
    }
    fn purge_range(w: FullWindow) -> (Value, Value) {
        (ymd(utc_date(w.from)), ymd(utc_date(w.to)))
    }
    fn ops<S: Store>(
        sync: &Sync<S>,
        out: Out<Self>,
        ops: &mut Vec<Op>,
        seen: bool,
        mark: &mut Mark,
    ) -> u64 {
        let intraday = sync.options.includes(DataType::Intraday);
        for a in &out.records {
            mark.modified(a.modified);
            let day = day_window(a.date, &a.time_zone);
            if !intraday && let Some(d) = day {
                mark.first_day = Some(mark.first_day.map_or(d.start, |f| f.min(d.start)));
            }
            ops.push(upsert(
                rows::activity_row(a),
                day.filter(|_| intraday),
                seen,
            ));
        }
        out.records.len() as u64
    }
}

/// The intraday window of a day: its local midnight to the next, in `zone`.
fn day_window(date: Date, zone: &str) -> Option<Pending> {
    let tz = TimeZone::get(zone).ok()?;
    let start = date.to_zoned_datetime(tz.clone()).ok()?.timestamp();
    let end = date
        .checked_add(1.day())
        .ok()?
        .to_zoned_datetime(tz)
        .ok()?
        .timestamp();
    Some(Pending {
        data_type: DataType::Intraday,
        start: start.as_second(),
        end: end.as_second(),
    })
}

struct Workouts;
records!(Workouts, GetWorkoutsBody, "series");
impl Listed for Workouts {
    type Req = GetWorkouts;
    const DATA_TYPE: DataType = DataType::Workouts;
    fn incremental(since: Timestamp, _: Timestamp) -> GetWorkouts {
        GetWorkouts::new().updated_since(since).all_fields()
    }
    fn window(w: FullWindow) -> GetWorkouts {
        let (from, to) = dates(w);
        GetWorkouts::new().dates(from, to).all_fields()
    }
    fn ops<S: Store>(
        _: &Sync<S>,
        out: Out<Self>,
        ops: &mut Vec<Op>,
        seen: bool,
        mark: &mut Mark,
    ) -> u64 {
        for w in &out.records {
            mark.modified(Some(w.modified));
            ops.push(upsert(rows::workout_row(w), None, seen));
        }
        out.records.len() as u64
    }
}

struct Summaries;
records!(Summaries, GetSleepSummaryBody, "series");
impl Listed for Summaries {
    type Req = GetSleepSummary;
    const DATA_TYPE: DataType = DataType::SleepSummaries;
    fn incremental(since: Timestamp, _: Timestamp) -> GetSleepSummary {
        GetSleepSummary::new().updated_since(since).all_fields()
    }
    fn window(w: FullWindow) -> GetSleepSummary {
        let (from, to) = dates(w);
        GetSleepSummary::new().dates(from, to).all_fields()
    }
    fn ops<S: Store>(
        sync: &Sync<S>,
        out: Out<Self>,
        ops: &mut Vec<Op>,
        seen: bool,
        mark: &mut Mark,
    ) -> u64 {
        let segments = sync.options.includes(DataType::SleepSegments);
        for s in &out.records {
            mark.modified(Some(s.modified));
            let night = segments.then_some(Pending {
                data_type: DataType::SleepSegments,
                start: s.start.as_second(),
                end: s.end.as_second(),
            });
            ops.push(upsert(rows::summary_row(s), night, seen));
        }
        out.records.len() as u64
    }
}

struct Heart;
records!(Heart, HeartListBody, "series");
impl Listed for Heart {
    type Req = HeartList;
    const DATA_TYPE: DataType = DataType::Heart;
    fn incremental(since: Timestamp, now: Timestamp) -> HeartList {
        // `heart list` has no `lastupdate`: its cursor is the latest recording time seen
        // (`since` is the re-read window's start when earlier, see `reread_from`); the
        // window ends two days after the caller's clock (a bound, not a cursor).
        let end = now.max(since) + SignedDuration::from_hours(48);
        HeartList::new().between(since, end)
    }
    fn reread_from(options: &SyncOptions) -> Option<i64> {
        Some(
            options
                .now
                .as_second()
                .saturating_sub(options.heart_reread.as_secs()),
        )
    }
    fn window(w: FullWindow) -> HeartList {
        HeartList::new().between(w.from, w.to)
    }
    fn ops<S: Store>(
        _: &Sync<S>,
        out: Out<Self>,
        ops: &mut Vec<Op>,
        seen: bool,
        mark: &mut Mark,
    ) -> u64 {
        for h in &out.records {
            mark.modified(Some(h.taken_at));
            ops.push(upsert(rows::heart_row(h), None, seen));
        }
        out.records.len() as u64
    }
}

/// Windows queued by a list (nights, days), each fetched as one (split) request.
trait Queued: Records {
    type Req: Endpoint<Body = Self::Body>;
    const DATA_TYPE: DataType;
    fn request(start: Timestamp, end: Timestamp) -> Self::Req;
    /// The rows of the answer whose time lies in `[start, end)`.
    fn rows(out: Out<Self>, start: i64, end: i64) -> Vec<Row>;
}

struct Segments;
impl Records for Segments {
    type Body = GetSleepBody;
    const LIST: &'static str = "series";
    fn take_rejected(out: &mut SleepSegments) -> Vec<withings::decode::Rejected> {
        std::mem::take(&mut out.rejected)
    }
}
impl Queued for Segments {
    type Req = GetSleep;
    const DATA_TYPE: DataType = DataType::SleepSegments;
    fn request(start: Timestamp, end: Timestamp) -> GetSleep {
        GetSleep::new().between(start, end).all_fields()
    }
    fn rows(out: SleepSegments, start: i64, end: i64) -> Vec<Row> {
        out.segments
            .iter()
            .filter(|s| (start..end).contains(&s.start.as_second()))
            .map(rows::segment_row)
            .collect()
    }
}

struct Intraday;
impl Records for Intraday {
    type Body = GetIntradayActivityBody;
    const LIST: &'static str = "series";
    const TIMED: bool = true;
    fn take_rejected(out: &mut Out<Self>) -> Vec<withings::decode::Rejected> {
        std::mem::take(&mut out.rejected)
    }
}
impl Queued for Intraday {
    type Req = GetIntradayActivity;
    const DATA_TYPE: DataType = DataType::Intraday;
    fn request(start: Timestamp, end: Timestamp) -> GetIntradayActivity {
        GetIntradayActivity::new().between(start, end).all_fields()
    }
    fn rows(out: Out<Self>, start: i64, end: i64) -> Vec<Row> {
        out.records
            .iter()
            .filter(|s| (start..end).contains(&s.at.as_second()))
            .map(rows::intraday_row)
            .collect()
    }
}

/// An endpoint read whole at every sync.
trait Single: Records {
    type Req: Endpoint<Body = Self::Body>;
    const DATA_TYPE: DataType;
    fn request() -> Self::Req;
    fn rows(out: Out<Self>) -> Vec<Row>;
    /// What the rows do to the table: the list is the whole set (a device no longer listed
    /// was unlinked).
    fn op(rows: Vec<Row>) -> Op {
        Op::Replace {
            table: Self::DATA_TYPE.table(),
            start: None,
            end: None,
            rows,
        }
    }
}

struct Devices;
records!(Devices, GetDeviceBody, "devices");
impl Single for Devices {
    type Req = GetDevice;
    const DATA_TYPE: DataType = DataType::Devices;
    fn request() -> GetDevice {
        GetDevice::new()
    }
    fn rows(out: Out<Self>) -> Vec<Row> {
        out.records.iter().map(rows::device_row).collect()
    }
}

struct Goals;
impl Records for Goals {
    type Body = GetGoalsBody;
    const LIST: &'static str = "goals";
    fn take_rejected(_: &mut withings::decode::user::Goals) -> Vec<withings::decode::Rejected> {
        Vec::new()
    }
}
impl Single for Goals {
    type Req = GetGoals;
    const DATA_TYPE: DataType = DataType::Goals;
    fn request() -> GetGoals {
        GetGoals::new()
    }
    fn rows(out: withings::decode::user::Goals) -> Vec<Row> {
        vec![rows::goals_row(&out)]
    }
}
