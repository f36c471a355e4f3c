//! The store: an async trait whose writes are batches applied in one transaction.
//!
//! The engine never writes a row on its own: it builds a [`Batch`] — the records of one
//! page, the queue entries they cause, the rejected records, and last the cursor that
//! page advances — and [`Store::write`] applies it all in one transaction or none of it.
//! That is what makes a sync crash-safe: a cursor only ever moves together with the page it
//! covers.
//!
//! [`SqliteStore`](crate::SqliteStore) is the embedded implementation; a PostgreSQL one
//! implements the same trait over the same [`schema`](crate::schema) (the SQL there is the
//! common subset of both, only placeholders differ).

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use crate::schema::{ColumnType, DataType, Dialect, TableDef, USER_COLUMN, Value};
use crate::{Error, Result};

/// One row of a data table: its values in the order of [`TableDef::columns`] (without
/// `user_id` and `synced_at`, which the batch supplies).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The table.
    pub table: &'static TableDef,
    /// The values, one per column.
    pub values: Vec<Value>,
}

/// Work a sync queued for later: the nights whose segments and the days whose intraday
/// samples must be fetched, `[start, end)` in unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pending {
    /// [`DataType::SleepSegments`] or [`DataType::Intraday`].
    pub data_type: DataType,
    /// Start of the window, unix seconds.
    pub start: i64,
    /// End of the window, unix seconds.
    pub end: i64,
}

/// A record the decoder refused, kept with its raw JSON and retried on later syncs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The data type it belongs to.
    pub data_type: DataType,
    /// The item's JSON as received.
    pub raw: String,
    /// What the item needs to be decoded again (e.g. the body's `timezone` and `updatetime`
    /// for a measure group), as a JSON object.
    pub context: String,
    /// The JSON path of the offending value.
    pub path: String,
    /// The decoder's message.
    pub error: String,
}

/// Where the incremental sync of one data type stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The data type.
    pub data_type: DataType,
    /// The `lastupdate` the current (or next) pass asks from, unix seconds.
    pub lastupdate: i64,
    /// While a pass is under way: the `offset` of the next page to ask for. `None` between
    /// passes.
    pub offset: Option<i64>,
    /// While a pass is under way: the next `lastupdate` it has learnt so far (the server's
    /// time at the start of the pass, or the largest `modified` seen), before the overlap
    /// is taken off.
    pub next_lastupdate: Option<i64>,
}

/// A callback run inside a write's transaction, for the crash tests (see
/// [`SyncOptions::hook`](crate::SyncOptions)).
#[derive(Clone)]
pub struct Hook(pub Arc<dyn Fn() + Send + Sync>);

impl fmt::Debug for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Hook")
    }
}

/// One operation of a [`Batch`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Op {
    /// Inserts the row, or updates it when a stored row with the same key differs; an equal
    /// row is left untouched (not even `synced_at`).
    Upsert {
        /// The row.
        row: Row,
        /// Queue this work when the row was inserted or changed.
        on_change: Option<Pending>,
        /// Part of a `--full` pass: remember the key, for [`Op::PurgeUnseen`].
        seen: bool,
    },
    /// The rows of `table` whose time column lies in `[start, end)` become exactly `rows`:
    /// upserts, then deletes the stored ones not among them (a night's segments, a day's
    /// samples). With `start = end = None`, the whole table for the user (devices).
    Replace {
        /// The table.
        table: &'static TableDef,
        /// Start of the window (inclusive); `None`: no bound.
        start: Option<i64>,
        /// End of the window (exclusive); `None`: no bound.
        end: Option<i64>,
        /// The rows the window holds now.
        rows: Vec<Row>,
    },
    /// Queues work.
    Enqueue(Pending),
    /// Removes queued work (done).
    Done(Pending),
    /// Keeps a rejected record (or, when already kept, counts one more try).
    Reject(Rejected),
    /// Forgets a rejected record (it decoded this time; its rows are in the same batch).
    Accept {
        /// Its data type.
        data_type: DataType,
        /// Its raw JSON, as stored.
        raw: String,
    },
    /// Sets a cursor.
    SetCursor(Cursor),
    /// Starts a `--full` pass over `table`: forgets the keys the previous one saw.
    BeginFull(&'static TableDef),
    /// Ends a `--full` pass: deletes the rows of `table` in `[start, end]` (its time column)
    /// that the pass did not see, and first the rows other tables hold for them (a purged
    /// night's sleep segments, see [`TableDef::owner`]). The SQL is generated per dialect:
    /// [`TableSql::purge_owned`](crate::schema::TableSql::purge_owned), then
    /// [`TableSql::purge`](crate::schema::TableSql::purge).
    PurgeUnseen {
        /// The table.
        table: &'static TableDef,
        /// Start of the window (inclusive).
        start: Value,
        /// End of the window (inclusive).
        end: Value,
    },
    /// Runs a callback inside the transaction (tests: a crash between a page's records and
    /// its cursor).
    Hook(Hook),
}

/// Operations applied in one transaction, in order, for one user.
#[derive(Debug, Clone)]
pub struct Batch {
    /// Whose data.
    pub user: String,
    /// The `synced_at` of the rows it inserts or changes, unix seconds.
    pub synced_at: i64,
    /// The operations.
    pub ops: Vec<Op>,
}

impl Batch {
    /// An empty batch.
    #[must_use]
    pub fn new(user: impl Into<String>, synced_at: i64) -> Self {
        Self {
            user: user.into(),
            synced_at,
            ops: Vec::new(),
        }
    }

    /// Adds an operation.
    pub fn push(&mut self, op: Op) -> &mut Self {
        self.ops.push(op);
        self
    }

    /// Adds an upsert of `row`.
    pub fn upsert(&mut self, row: Row) -> &mut Self {
        self.push(Op::Upsert {
            row,
            on_change: None,
            seen: false,
        })
    }
}

/// What a write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WriteStats {
    /// Rows inserted.
    pub inserted: u64,
    /// Rows changed.
    pub updated: u64,
    /// Rows written again with the same values (left untouched).
    pub unchanged: u64,
    /// Rows deleted by [`Op::Replace`], and by [`Op::PurgeUnseen`] with the rows it purges
    /// (a purged night's segments).
    pub deleted: u64,
    /// Rows deleted by [`Op::PurgeUnseen`] (gone from Withings).
    pub purged: u64,
    /// Records rejected ([`Op::Reject`]).
    pub rejected: u64,
    /// Work queued ([`Op::Enqueue`] and [`Op::Upsert::on_change`]), counting only new
    /// entries.
    pub queued: u64,
}

impl WriteStats {
    /// Rows inserted, changed or deleted: zero when the write changed no data.
    #[must_use]
    pub fn written(&self) -> u64 {
        self.inserted + self.updated + self.deleted + self.purged
    }

    /// Adds `other` to these counts.
    pub fn add(&mut self, other: &Self) {
        self.inserted += other.inserted;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.deleted += other.deleted;
        self.purged += other.purged;
        self.rejected += other.rejected;
        self.queued += other.queued;
    }
}

/// Rows to read back ([`Store::read`]): exports and tests.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadQuery {
    /// The table.
    pub table: &'static TableDef,
    /// Only this user's rows (`None`: every user's).
    pub user: Option<String>,
    /// Only rows whose time column is at or after this value (unix seconds, or a
    /// `YYYY-MM-DD` date for `activity`).
    pub since: Option<Value>,
    /// Only rows after this one in the read order: the last row a previous
    /// [`Store::read`] returned, as it returned it, to read on in chunks.
    pub after: Option<Vec<Value>>,
    /// At most this many rows.
    pub limit: usize,
}

/// The statement of a [`ReadQuery`], built once for every store: [`ReadQuery::statement`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ReadStatement {
    /// The `SELECT`: the export columns, the filters, the read order, the limit.
    pub sql: String,
    /// Its parameters in order, each with the type of the column it is compared with (a
    /// store that declares parameter types reads it; the limit is an integer).
    pub params: Vec<(Value, ColumnType)>,
    /// How many columns each row has ([`TableDef::export_columns`]).
    pub columns: usize,
}

impl ReadQuery {
    /// The columns rows are read in order of: the time column (when the table has one), the
    /// user, then the key.
    fn order(&self) -> Vec<&'static str> {
        self.table
            .time
            .into_iter()
            .chain([USER_COLUMN])
            .chain(self.table.key.iter().copied())
            .collect()
    }

    /// The `SELECT` of this query in `dialect`. Text columns compare and sort in byte order
    /// everywhere (PostgreSQL's `COLLATE "C"`; SQLite's default), so reading on in chunks
    /// with [`after`](Self::after) gives the same rows in both stores.
    ///
    /// # Errors
    /// [`Error::Corrupt`] when `after` is shorter than a row of the table.
    pub fn statement(&self, dialect: Dialect) -> Result<ReadStatement> {
        let table = self.table;
        let columns: Vec<&str> = table.export_columns().collect();
        let ty = |c: &str| {
            if c == USER_COLUMN {
                ColumnType::Text
            } else {
                table
                    .columns
                    .iter()
                    .find(|col| col.name == c)
                    .map_or(ColumnType::Text, |col| col.ty)
            }
        };
        let ordered = |c: &str| match (dialect, ty(c)) {
            (Dialect::Postgres, ColumnType::Text) => format!("{c} COLLATE \"C\""),
            _ => c.to_owned(),
        };
        let order = self.order();
        let mut params: Vec<(Value, ColumnType)> = Vec::new();
        let mut cond: Vec<String> = Vec::new();
        if let Some(user) = &self.user {
            params.push((Value::Text(user.clone()), ColumnType::Text));
            cond.push(format!("{USER_COLUMN} = {}", dialect.param(params.len())));
        }
        if let (Some(since), Some(time)) = (&self.since, table.time) {
            params.push((since.clone(), ty(time)));
            cond.push(format!("{time} >= {}", dialect.param(params.len())));
        }
        if let Some(after) = &self.after {
            // The last row's values of the ORDER BY columns: (a, b) > (x, y).
            let mut rhs = Vec::new();
            for c in &order {
                let i = columns
                    .iter()
                    .position(|x| x == c)
                    .ok_or_else(|| Error::Corrupt(format!("no column {c}")))?;
                let v = after
                    .get(i)
                    .cloned()
                    .ok_or_else(|| Error::Corrupt("a short `after` row".into()))?;
                params.push((v, ty(c)));
                rhs.push(dialect.param(params.len()));
            }
            let lhs: Vec<String> = order.iter().map(|c| ordered(c)).collect();
            cond.push(format!("({}) > ({})", lhs.join(", "), rhs.join(", ")));
        }
        params.push((
            Value::Int(i64::try_from(self.limit).unwrap_or(i64::MAX)),
            ColumnType::Int,
        ));
        let sql = format!(
            "SELECT {cols} FROM {t} {filter} ORDER BY {order} LIMIT {limit}",
            cols = columns.join(", "),
            t = table.name,
            filter = if cond.is_empty() {
                String::new()
            } else {
                format!("WHERE {}", cond.join(" AND "))
            },
            order = order
                .iter()
                .map(|c| ordered(c))
                .collect::<Vec<_>>()
                .join(", "),
            limit = dialect.param(params.len()),
        );
        Ok(ReadStatement {
            sql,
            params,
            columns: columns.len(),
        })
    }
}

/// A place to keep synced data. Every write is one [`Batch`] applied in one transaction.
///
/// Implementations: [`SqliteStore`](crate::SqliteStore) (embedded, the default); a
/// PostgreSQL store implements the same methods over the same schema.
pub trait Store: Send + Sync + 'static {
    /// Applies `batch` in one transaction: every operation, or (on error, or if the process
    /// dies) none.
    fn write(&self, batch: Batch) -> impl Future<Output = Result<WriteStats>> + Send;

    /// The cursor of `data_type` for `user`, if any pass ever started.
    fn cursor(
        &self,
        user: &str,
        data_type: DataType,
    ) -> impl Future<Output = Result<Option<Cursor>>> + Send;

    /// Up to `limit` queued work entries of `data_type` for `user`, oldest window first.
    fn pending(
        &self,
        user: &str,
        data_type: DataType,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Pending>>> + Send;

    /// The rejected records of `user`, up to `limit`.
    fn rejected(
        &self,
        user: &str,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Rejected>>> + Send;

    /// Rows of a table, `user_id` first then the data columns (no bookkeeping), ordered by
    /// the time column (when the table has one), the user, then the key.
    fn read(&self, query: ReadQuery) -> impl Future<Output = Result<Vec<Vec<Value>>>> + Send;

    /// The smallest and largest value of `table`'s time column among `user`'s rows.
    fn bounds(
        &self,
        user: &str,
        table: &'static TableDef,
    ) -> impl Future<Output = Result<Option<(Value, Value)>>> + Send;
}
