//! The sync engine's [`Store`] in PostgreSQL: the fleet's workers write every user's data
//! into one database, with exactly the semantics of the embedded
//! [`SqliteStore`](withings_sync::SqliteStore).
//!
//! # How it maps to the SQLite store
//! - The tables are the same: [`Database::migrate`] runs the frozen
//!   [`withings_sync::schema::MIGRATIONS`] (track `sync`), and the per-table statements are
//!   the ones [`TableSql::new`] generates for [`Dialect::Postgres`]: the upsert (`insert`,
//!   then `update` only when a value differs), the key expression, and the `--full` purge
//!   (`purge_owned`, then `purge`). Nothing of that SQL is written a second time here.
//! - A [`Batch`] is one PostgreSQL transaction, its operations applied in order; any error
//!   rolls it all back (nothing half-written, the cursor unchanged). [`WriteStats`] are
//!   counted from the same row counts as SQLite's (`INSERT … ON CONFLICT DO NOTHING` gives
//!   1 or 0, the `UPDATE … IS DISTINCT FROM` 1 or 0, `DELETE`s their rows).
//! - [`Op::Hook`] runs inside the transaction, after every earlier operation reached the
//!   server. A hook that panics unwinds the caller (as a crash would); the transaction is
//!   rolled back when it is dropped.
//!
//! # What differs
//! - **Round trips.** SQLite is in the process; PostgreSQL is a network hop away, and a
//!   five-year history is hundreds of thousands of rows. So the statements of a batch are
//!   *pipelined*: consecutive upserts send all their `INSERT`s at once, then the `UPDATE`s of
//!   the rows that already existed, and the statements whose outcome decides nothing (queue
//!   entries, `full_seen` keys, rejected records, the cursor…) are held back and sent ahead of
//!   the next group. The server still executes every statement in the batch's order, so
//!   the result is the sequential one: an upsert's `UPDATE` only follows its `INSERT`, and a
//!   later `INSERT` of the same key follows the earlier row's `UPDATE` (see `Writer`). A page
//!   costs about five round trips whatever its size.
//! - **[`Op::Replace`] needs no temporary table**: the keys to keep travel as one `TEXT[]`
//!   parameter, `DELETE … AND NOT (key = ANY($n))`.
//! - **Concurrent writers.** SQLite takes the whole file for a write (`BEGIN IMMEDIATE`);
//!   PostgreSQL locks rows. Two workers writing the same rows therefore wait for each other
//!   row by row (`ON CONFLICT DO NOTHING` then sees the other's row), and two batches taking
//!   the same rows in opposite orders may deadlock: PostgreSQL aborts one, and the batch is
//!   applied again from the start (a few times, then the error is returned). A hook may
//!   then run more than once.
//! - **Ordering of reads.** Text columns are ordered with `COLLATE "C"` (byte order), which
//!   is SQLite's order, whatever the database's default collation.
//! - **Types.** Parameters are sent with the type of their column (`BIGINT`, `DOUBLE
//!   PRECISION`, `TEXT`), converting where SQLite's column affinity would (an integer into
//!   a `DOUBLE PRECISION` column, an integral float into a `BIGINT` one, an integer into
//!   `TEXT`); any other mismatch is an error where SQLite would have stored the value as
//!   given. PostgreSQL's `TEXT` cannot hold a NUL character: such a value (say in a
//!   rejected record's raw JSON) fails the batch.
//! - A [`Op::Replace`] window on a table whose time column is text (`activity`) is refused
//!   by the server (its bounds are integers); the engine only replaces segment, intraday
//!   and device rows.

use std::borrow::Cow;
use std::collections::HashMap;
use std::error::Error as StdError;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use bytes::BytesMut;
use tokio_postgres::Statement;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use withings_sync::schema::{
    self, ColumnType, DataType, Dialect, TableDef, TableSql, USER_COLUMN, Value,
};
use withings_sync::{
    Batch, Cursor, Op, Pending, ReadQuery, ReadStatement, Rejected, Row, Store, WriteStats,
};

use crate::{Database, Error, Result};

/// How many times a batch is applied again after PostgreSQL aborted it to break a deadlock
/// (or a serialization failure) with another writer.
const RETRIES: u32 = 8;

/// How many statements are in flight at once: bounds the memory of one pipeline.
const PIPELINE: usize = 512;

/// The sync engine's store in PostgreSQL, over the same schema and with the same semantics
/// as the embedded [`SqliteStore`](withings_sync::SqliteStore): a [`Batch`] is one
/// transaction, the upserts and `--full` purges run the SQL [`TableSql`] generates for
/// PostgreSQL, and [`WriteStats`] count the same.
///
/// What differs: a batch's statements are pipelined (about five round trips a page,
/// whatever its size); text is read back in byte order (`COLLATE "C"`), SQLite's order; two
/// workers writing the same rows wait for each other row by row, and a batch PostgreSQL
/// aborts to break a deadlock is applied again from the start (its [`Op::Hook`] runs again);
/// a value of the wrong type for its column is an error where SQLite would store it as
/// given, and text cannot hold a NUL character.
///
/// Cheap to clone: clones share the pool. The database must be migrated
/// ([`Database::migrate`]) before the first write.
///
/// ```no_run
/// use withings_postgres::{Database, PgStore};
/// use withings_sync::{DataType, Store};
///
/// # async fn f() -> withings_postgres::Result<()> {
/// let db = Database::connect("postgres://withings@localhost/withings", 8).await?;
/// db.migrate().await?;
/// let store = PgStore::new(db);
/// assert_eq!(store.cursor("10203040", DataType::Measures).await.ok(), Some(None));
/// # Ok(()) }
/// # let _ = f;
/// ```
#[derive(Debug, Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    db: Database,
    tables: HashMap<&'static str, TableStatements>,
}

/// The generated statements of one table and the types of their parameters.
#[derive(Debug)]
struct TableStatements {
    sql: TableSql,
    /// Of `insert` and `update`: the user, the columns, `synced_at`.
    row_types: Vec<Type>,
    /// Of `purge_owned` and `purge`: the user, the window's two ends (of the time column's
    /// type), the table's name.
    purge_types: Vec<Type>,
}

impl PgStore {
    /// A store writing through `db`'s pool.
    #[must_use]
    pub fn new(db: Database) -> Self {
        let tables = TableDef::all()
            .map(|t| {
                let mut row_types = vec![Type::TEXT];
                row_types.extend(t.columns.iter().map(|c| pg_type(c.ty)));
                row_types.push(Type::INT8);
                let time = t.time.map_or(Type::TEXT, |c| pg_type(column_type(t, c)));
                let statements = TableStatements {
                    sql: TableSql::new(t, Dialect::Postgres),
                    row_types,
                    purge_types: vec![Type::TEXT, time.clone(), time, Type::TEXT],
                };
                (t.name, statements)
            })
            .collect();
        Self {
            inner: Arc::new(Inner { db, tables }),
        }
    }

    /// The database it writes to.
    #[must_use]
    pub fn database(&self) -> &Database {
        &self.inner.db
    }

    fn table(&self, table: &TableDef) -> Result<&TableStatements> {
        self.inner
            .tables
            .get(table.name)
            .ok_or_else(|| Error::Corrupt(format!("no table {}", table.name)))
    }

    /// Applies `batch` in one transaction, again from the start when PostgreSQL aborted it
    /// to break a deadlock with another writer.
    async fn apply(&self, batch: &Batch) -> Result<WriteStats> {
        let mut attempt = 0;
        loop {
            match self.apply_once(batch).await {
                Err(e) if attempt < RETRIES && is_conflict(&e) => {
                    attempt += 1;
                    tracing::debug!(attempt, "a sync batch lost a deadlock; applying it again");
                    tokio::time::sleep(Duration::from_millis(5 * u64::from(attempt))).await;
                }
                other => return other,
            }
        }
    }

    async fn apply_once(&self, batch: &Batch) -> Result<WriteStats> {
        let mut client = self.inner.db.client().await?;
        let tx = client.transaction().await?;
        let mut w = Writer {
            store: self,
            tx: &tx,
            user: &batch.user,
            at: batch.synced_at,
            stats: WriteStats::default(),
            deferred: Vec::new(),
            upserts: Vec::new(),
        };
        for op in &batch.ops {
            w.op(op).await?;
        }
        w.flush().await?;
        let stats = w.stats;
        tx.commit().await?;
        Ok(stats)
    }
}

/// Whether PostgreSQL aborted the transaction only because of another writer: applying the
/// batch again succeeds.
fn is_conflict(e: &Error) -> bool {
    match e {
        Error::Database { source, .. } => source.code().is_some_and(|c| {
            *c == SqlState::T_R_DEADLOCK_DETECTED || *c == SqlState::T_R_SERIALIZATION_FAILURE
        }),
        _ => false,
    }
}

/// The PostgreSQL type of a column type (as the migrations declare it).
fn pg_type(ty: ColumnType) -> Type {
    match ty {
        ColumnType::Int => Type::INT8,
        ColumnType::Real => Type::FLOAT8,
        // Text, and any type added later: text holds any value (as SQLite's would).
        _ => Type::TEXT,
    }
}

/// The type of `column` of `table` (`user_id` is text).
fn column_type(table: &TableDef, column: &str) -> ColumnType {
    table
        .columns
        .iter()
        .find(|c| c.name == column)
        .map_or(ColumnType::Text, |c| c.ty)
}

/// A statement's parameter.
#[derive(Debug, Clone)]
enum Param {
    /// One value.
    Value(Value),
    /// A `TEXT[]`: the keys an [`Op::Replace`] keeps.
    Texts(Vec<String>),
}

impl Param {
    fn text(s: &str) -> Self {
        Self::Value(Value::Text(s.to_owned()))
    }

    fn int(i: i64) -> Self {
        Self::Value(Value::Int(i))
    }
}

type BoxError = Box<dyn StdError + Sync + Send>;

impl ToSql for Param {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        match self {
            Self::Value(v) => value_to_sql(v, ty, out),
            Self::Texts(t) => t.to_sql(ty, out),
        }
    }

    // Every statement is prepared with the types of its columns: the value is converted
    // (or refused with a message) in `to_sql`, as SQLite's column affinity would.
    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn value_to_sql(v: &Value, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
    match v {
        Value::Null => Ok(IsNull::Yes),
        Value::Int(i) if *ty == Type::INT8 => i.to_sql(ty, out),
        // SQLite's REAL affinity converts an integer the same way.
        Value::Int(i) if *ty == Type::FLOAT8 => (*i as f64).to_sql(ty, out),
        Value::Int(i) if *ty == Type::TEXT => i.to_string().to_sql(ty, out),
        Value::Real(f) if *ty == Type::FLOAT8 => f.to_sql(ty, out),
        // SQLite's INTEGER affinity keeps an integral float as an integer, and any other as
        // a float (which a BIGINT cannot hold).
        Value::Real(f) if *ty == Type::INT8 && f.fract() == 0.0 && f.abs() < 9.0e18 => {
            (*f as i64).to_sql(ty, out)
        }
        Value::Text(s) if *ty == Type::TEXT => s.as_str().to_sql(ty, out),
        other => Err(format!("the value {other:?} for a {ty} parameter").into()),
    }
}

/// A statement whose row count only feeds [`WriteStats`]: it can wait in the pipeline.
#[derive(Debug)]
struct Deferred<'a> {
    sql: Cow<'a, str>,
    types: Cow<'a, [Type]>,
    params: Vec<Param>,
    count: Count,
}

impl<'a> Deferred<'a> {
    /// One of the constant statements.
    fn new(sql: &'static str, types: &'static [Type], params: Vec<Param>, count: Count) -> Self {
        Self {
            sql: Cow::Borrowed(sql),
            types: Cow::Borrowed(types),
            params,
            count,
        }
    }

    fn call(&self) -> Call<'_> {
        Call {
            sql: &self.sql,
            types: &self.types,
            params: &self.params,
        }
    }
}

/// Which count a deferred statement's rows add to.
#[derive(Debug, Clone, Copy)]
enum Count {
    Nothing,
    Deleted,
    Purged,
    Queued,
}

/// An upsert waiting for its group to be sent.
#[derive(Debug)]
struct Upsert<'b> {
    table: &'static TableDef,
    /// The user, the row's values, `synced_at`.
    params: Vec<Param>,
    on_change: Option<&'b Pending>,
    seen: bool,
    row: &'b Row,
}

/// One call of a pipeline: a statement text, its parameter types, its parameters.
struct Call<'s> {
    sql: &'s str,
    types: &'s [Type],
    params: &'s [Param],
}

// The statements of the bookkeeping tables. They are the SQL of sqlite.rs with PostgreSQL's
// placeholders (asked in /tmp/notes/pg-store.md: generate them in schema.rs per dialect).
const ENQUEUE: &str = "INSERT INTO pending (user_id, data_type, start_at, end_at, queued_at) \
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING";
const ENQUEUE_TYPES: &[Type] = &[Type::TEXT, Type::TEXT, Type::INT8, Type::INT8, Type::INT8];
const DONE: &str = "DELETE FROM pending WHERE user_id = $1 AND data_type = $2 \
     AND start_at = $3 AND end_at = $4";
const DONE_TYPES: &[Type] = &[Type::TEXT, Type::TEXT, Type::INT8, Type::INT8];
const SEEN: &str = "INSERT INTO full_seen (table_name, user_id, row_key) VALUES ($1, $2, $3) \
     ON CONFLICT DO NOTHING";
const FORGET_SEEN: &str = "DELETE FROM full_seen WHERE table_name = $1 AND user_id = $2";
const TEXTS_3: &[Type] = &[Type::TEXT, Type::TEXT, Type::TEXT];
const TEXTS_2: &[Type] = &[Type::TEXT, Type::TEXT];
const REJECT: &str = "INSERT INTO rejected (user_id, data_type, raw, context, path, error, \
     first_seen, last_tried, tries) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 1) \
     ON CONFLICT (user_id, data_type, raw) DO UPDATE SET path = excluded.path, \
     error = excluded.error, last_tried = excluded.last_tried, tries = rejected.tries + 1";
const REJECT_TYPES: &[Type] = &[
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::INT8,
];
const ACCEPT: &str = "DELETE FROM rejected WHERE user_id = $1 AND data_type = $2 AND raw = $3";
const SET_CURSOR: &str = "INSERT INTO cursors (user_id, data_type, lastupdate, page_offset, \
     next_lastupdate, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (user_id, data_type) DO UPDATE SET \
     lastupdate = excluded.lastupdate, page_offset = excluded.page_offset, \
     next_lastupdate = excluded.next_lastupdate, updated_at = excluded.updated_at";
const SET_CURSOR_TYPES: &[Type] = &[
    Type::TEXT,
    Type::TEXT,
    Type::INT8,
    Type::INT8,
    Type::INT8,
    Type::INT8,
];

/// Applies one batch's operations inside its transaction.
///
/// Two queues keep the batch's order while pipelining: `upserts` (a group of consecutive
/// upserts, whose `UPDATE`s depend on their `INSERT`s' counts) and `deferred` (statements
/// whose counts decide nothing, in batch order). A group is sent as: every deferred statement,
/// then every `INSERT` (one pipeline); then the `UPDATE`s of the rows whose `INSERT` did
/// nothing (one pipeline, in order); then the group's queue entries and `full_seen` keys join
/// `deferred`. Any operation that is not an upsert sends the group first, so nothing is
/// ever reordered across it.
struct Writer<'a> {
    store: &'a PgStore,
    tx: &'a deadpool_postgres::Transaction<'a>,
    user: &'a str,
    at: i64,
    stats: WriteStats,
    deferred: Vec<Deferred<'a>>,
    upserts: Vec<Upsert<'a>>,
}

impl<'a> Writer<'a> {
    async fn op(&mut self, op: &'a Op) -> Result<()> {
        let user = self.user;
        match op {
            Op::Upsert {
                row,
                on_change,
                seen,
            } => self.upsert(row, on_change.as_ref(), *seen)?,
            Op::Replace {
                table,
                start,
                end,
                rows,
            } => {
                for row in rows {
                    self.upsert(row, None, false)?;
                }
                self.flush_upserts().await?;
                let key_expr = &self.store.table(table)?.sql.key_expr;
                let time = table.time.unwrap_or(USER_COLUMN);
                // Only the bounds given are written into the statement, so that the
                // (user, time) index serves the delete (as in sqlite.rs).
                let mut bounds = String::new();
                let mut params = vec![Param::text(user)];
                let mut types = vec![Type::TEXT];
                if let Some(lo) = start {
                    params.push(Param::int(*lo));
                    types.push(Type::INT8);
                    bounds.push_str(&format!(" AND {time} >= ${}", params.len()));
                }
                if let Some(hi) = end {
                    params.push(Param::int(*hi));
                    types.push(Type::INT8);
                    bounds.push_str(&format!(" AND {time} < ${}", params.len()));
                }
                params.push(Param::Texts(
                    rows.iter()
                        .map(|r| schema::key_text(table, &r.values))
                        .collect(),
                ));
                types.push(Type::TEXT_ARRAY);
                let sql = format!(
                    "DELETE FROM {t} WHERE {USER_COLUMN} = $1{bounds} \
                     AND NOT ({key_expr} = ANY(${n}))",
                    t = table.name,
                    n = params.len(),
                );
                self.deferred.push(Deferred {
                    sql: Cow::Owned(sql),
                    types: Cow::Owned(types),
                    params,
                    count: Count::Deleted,
                });
            }
            Op::Enqueue(p) => {
                self.flush_upserts().await?;
                self.deferred.push(self.enqueue(p));
            }
            Op::Done(p) => {
                self.flush_upserts().await?;
                self.deferred.push(Deferred::new(
                    DONE,
                    DONE_TYPES,
                    vec![
                        Param::text(user),
                        Param::text(p.data_type.name()),
                        Param::int(p.start),
                        Param::int(p.end),
                    ],
                    Count::Nothing,
                ));
            }
            Op::Reject(r) => {
                self.flush_upserts().await?;
                self.deferred.push(Deferred::new(
                    REJECT,
                    REJECT_TYPES,
                    vec![
                        Param::text(user),
                        Param::text(r.data_type.name()),
                        Param::text(&r.raw),
                        Param::text(&r.context),
                        Param::text(&r.path),
                        Param::text(&r.error),
                        Param::int(self.at),
                    ],
                    Count::Nothing,
                ));
                self.stats.rejected += 1;
            }
            Op::Accept { data_type, raw } => {
                self.flush_upserts().await?;
                self.deferred.push(Deferred::new(
                    ACCEPT,
                    TEXTS_3,
                    vec![
                        Param::text(user),
                        Param::text(data_type.name()),
                        Param::text(raw),
                    ],
                    Count::Nothing,
                ));
            }
            Op::SetCursor(c) => {
                self.flush_upserts().await?;
                self.deferred.push(Deferred::new(
                    SET_CURSOR,
                    SET_CURSOR_TYPES,
                    vec![
                        Param::text(user),
                        Param::text(c.data_type.name()),
                        Param::int(c.lastupdate),
                        Param::Value(Value::int(c.offset)),
                        Param::Value(Value::int(c.next_lastupdate)),
                        Param::int(self.at),
                    ],
                    Count::Nothing,
                ));
            }
            Op::BeginFull(table) => {
                self.flush_upserts().await?;
                self.deferred.push(self.forget_seen(table));
            }
            Op::PurgeUnseen { table, start, end } => {
                self.flush_upserts().await?;
                let t = self.store.table(table)?;
                let params = || {
                    vec![
                        Param::text(user),
                        Param::Value(start.clone()),
                        Param::Value(end.clone()),
                        Param::text(table.name),
                    ]
                };
                // The owned rows first: their statements find the purged rows by the same
                // test the purge itself uses.
                for owned in &t.sql.purge_owned {
                    self.deferred.push(Deferred {
                        sql: Cow::Borrowed(owned),
                        types: Cow::Borrowed(&t.purge_types),
                        params: params(),
                        count: Count::Deleted,
                    });
                }
                self.deferred.push(Deferred {
                    sql: Cow::Borrowed(&t.sql.purge),
                    types: Cow::Borrowed(&t.purge_types),
                    params: params(),
                    count: Count::Purged,
                });
                self.deferred.push(self.forget_seen(table));
            }
            Op::Hook(h) => {
                // Everything before the hook is on the server when it runs, as in SQLite.
                self.flush().await?;
                (h.0)();
            }
            other => {
                return Err(Error::Corrupt(format!(
                    "an operation this store does not know: {other:?}"
                )));
            }
        }
        Ok(())
    }

    fn enqueue(&self, p: &Pending) -> Deferred<'a> {
        Deferred::new(
            ENQUEUE,
            ENQUEUE_TYPES,
            vec![
                Param::text(self.user),
                Param::text(p.data_type.name()),
                Param::int(p.start),
                Param::int(p.end),
                Param::int(self.at),
            ],
            Count::Queued,
        )
    }

    fn forget_seen(&self, table: &TableDef) -> Deferred<'a> {
        Deferred::new(
            FORGET_SEEN,
            TEXTS_2,
            vec![Param::text(table.name), Param::text(self.user)],
            Count::Nothing,
        )
    }

    /// Queues the upsert of `row` (checked now, so that a malformed row fails the batch
    /// before anything is sent).
    fn upsert(&mut self, row: &'a Row, on_change: Option<&'a Pending>, seen: bool) -> Result<()> {
        let table = row.table;
        if row.values.len() != table.columns.len() {
            return Err(Error::Corrupt(format!(
                "a {} row of {} values for {} columns",
                table.name,
                row.values.len(),
                table.columns.len()
            )));
        }
        self.store.table(table)?;
        let mut params = Vec::with_capacity(row.values.len() + 2);
        params.push(Param::text(self.user));
        params.extend(row.values.iter().cloned().map(Param::Value));
        params.push(Param::int(self.at));
        self.upserts.push(Upsert {
            table,
            params,
            on_change,
            seen,
            row,
        });
        Ok(())
    }

    /// Sends the waiting upserts (and the deferred statements before them).
    async fn flush_upserts(&mut self) -> Result<()> {
        if self.upserts.is_empty() {
            return Ok(());
        }
        let upserts = std::mem::take(&mut self.upserts);
        let deferred = std::mem::take(&mut self.deferred);
        let store = self.store;
        let mut calls: Vec<Call<'_>> = deferred.iter().map(Deferred::call).collect();
        for u in &upserts {
            let t = store.table(u.table)?;
            calls.push(Call {
                sql: &t.sql.insert,
                types: &t.row_types,
                params: &u.params,
            });
        }
        let counts = run(self.tx, &calls).await?;
        let (deferred_counts, inserted) = counts.split_at(deferred.len());
        self.count_deferred(&deferred, deferred_counts);

        // The rows already stored: an UPDATE each, which changes the row only if it differs.
        let mut calls = Vec::new();
        for (u, n) in upserts.iter().zip(inserted) {
            if *n == 0 {
                let t = store.table(u.table)?;
                calls.push(Call {
                    sql: &t.sql.update,
                    types: &t.row_types,
                    params: &u.params,
                });
            }
        }
        let mut updated = run(self.tx, &calls).await?.into_iter();
        for (u, n) in upserts.iter().zip(inserted) {
            let changed = if *n == 1 {
                self.stats.inserted += 1;
                true
            } else if updated.next() == Some(1) {
                self.stats.updated += 1;
                true
            } else {
                self.stats.unchanged += 1;
                false
            };
            if let Some(p) = u.on_change
                && changed
            {
                self.deferred.push(self.enqueue(p));
            }
            if u.seen {
                self.deferred.push(Deferred::new(
                    SEEN,
                    TEXTS_3,
                    vec![
                        Param::text(u.table.name),
                        Param::text(self.user),
                        Param::Value(Value::Text(schema::key_text(u.table, &u.row.values))),
                    ],
                    Count::Nothing,
                ));
            }
        }
        Ok(())
    }

    /// Sends everything still waiting.
    async fn flush(&mut self) -> Result<()> {
        self.flush_upserts().await?;
        let deferred = std::mem::take(&mut self.deferred);
        let calls: Vec<Call<'_>> = deferred.iter().map(Deferred::call).collect();
        let counts = run(self.tx, &calls).await?;
        self.count_deferred(&deferred, &counts);
        Ok(())
    }

    fn count_deferred(&mut self, deferred: &[Deferred<'_>], counts: &[u64]) {
        for (d, n) in deferred.iter().zip(counts) {
            match d.count {
                Count::Nothing => {}
                Count::Deleted => self.stats.deleted += n,
                Count::Purged => self.stats.purged += n,
                Count::Queued => self.stats.queued += n,
            }
        }
    }
}

type Execution<'f> = Pin<Box<dyn Future<Output = Result<u64, tokio_postgres::Error>> + Send + 'f>>;

/// Runs `calls` in order, pipelined: every statement is sent before the first answer is
/// awaited. Returns each one's row count.
async fn run(tx: &deadpool_postgres::Transaction<'_>, calls: &[Call<'_>]) -> Result<Vec<u64>> {
    let mut counts = Vec::with_capacity(calls.len());
    for chunk in calls.chunks(PIPELINE) {
        // Prepared first (once per connection: the pool caches them), so that each execution
        // below is a single message sent on its first poll.
        let mut statements: Vec<Statement> = Vec::with_capacity(chunk.len());
        let mut previous: Option<&Call<'_>> = None;
        for c in chunk {
            // A page is mostly the same upsert over and over: skip the cache's lookup.
            let st = match (previous, statements.last()) {
                (Some(p), Some(st)) if p.sql == c.sql && p.types == c.types => st.clone(),
                _ => tx.prepare_typed_cached(c.sql, c.types).await?,
            };
            statements.push(st);
            previous = Some(c);
        }
        let futures: Vec<Execution<'_>> = chunk
            .iter()
            .zip(&statements)
            .map(|(c, st)| -> Execution<'_> { Box::pin(tx.execute_raw(st, c.params.iter())) })
            .collect();
        counts.extend(all_in_order(futures).await?);
    }
    Ok(counts)
}

/// Sends the statements of `futures` in order, then awaits their answers in order: the first
/// poll of an execution sends its statement, and PostgreSQL answers in the order it
/// received them, so awaiting them one by one costs no extra round trip (and each wake-up
/// polls one future, not all of them). The first error wins: the statements after it fail
/// only because the transaction is aborted.
async fn all_in_order(mut futures: Vec<Execution<'_>>) -> Result<Vec<u64>> {
    let mut early: Vec<Option<Result<u64, tokio_postgres::Error>>> =
        futures.iter().map(|_| None).collect();
    poll_fn(|cx| {
        for (f, slot) in futures.iter_mut().zip(&mut early) {
            if let Poll::Ready(r) = f.as_mut().poll(cx) {
                *slot = Some(r);
            }
        }
        Poll::Ready(())
    })
    .await;
    let mut out = Vec::with_capacity(futures.len());
    for (f, r) in futures.into_iter().zip(early) {
        out.push(match r {
            Some(r) => r?,
            None => f.await?,
        });
    }
    Ok(out)
}

/// The value of column `i` of a row read back.
fn value(row: &tokio_postgres::Row, i: usize) -> Result<Value> {
    let ty = row
        .columns()
        .get(i)
        .map(|c| c.type_().clone())
        .ok_or_else(|| Error::Corrupt(format!("no column {i} in a row read back")))?;
    Ok(match ty {
        Type::INT8 => Value::int(row.try_get::<_, Option<i64>>(i)?),
        Type::INT4 => Value::int(row.try_get::<_, Option<i32>>(i)?.map(i64::from)),
        Type::FLOAT8 => row
            .try_get::<_, Option<f64>>(i)?
            .map_or(Value::Null, Value::Real),
        Type::TEXT | Type::VARCHAR => Value::text(row.try_get::<_, Option<String>>(i)?),
        other => return Err(Error::Corrupt(format!("a {other} column in a data table"))),
    })
}

fn data_type(name: &str) -> Result<DataType> {
    DataType::from_name(name).ok_or_else(|| Error::Corrupt(format!("unknown data type {name}")))
}

fn sql_limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl PgStore {
    async fn read_rows(&self, q: &ReadQuery) -> Result<Vec<Vec<Value>>> {
        let ReadStatement {
            sql,
            params,
            columns,
            ..
        } = q
            .statement(Dialect::Postgres)
            // Its only error: an `after` row shorter than the table's rows.
            .map_err(|e| Error::Corrupt(e.to_string()))?;
        let types: Vec<Type> = params.iter().map(|(_, ty)| pg_type(*ty)).collect();
        let params: Vec<Param> = params.into_iter().map(|(v, _)| Param::Value(v)).collect();
        let client = self.inner.db.client().await?;
        let st = client.prepare_typed_cached(&sql, &types).await?;
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        let mut out = Vec::new();
        for r in client.query(&st, &refs).await? {
            let mut row = Vec::with_capacity(columns);
            for i in 0..columns {
                row.push(value(&r, i)?);
            }
            out.push(row);
        }
        Ok(out)
    }
}

impl Store for PgStore {
    async fn write(&self, batch: Batch) -> withings_sync::Result<WriteStats> {
        Ok(self.apply(&batch).await?)
    }

    async fn cursor(
        &self,
        user: &str,
        data_type: DataType,
    ) -> withings_sync::Result<Option<Cursor>> {
        let client = self.inner.db.client().await?;
        let st = client
            .prepare_typed_cached(
                "SELECT lastupdate, page_offset, next_lastupdate FROM cursors \
                 WHERE user_id = $1 AND data_type = $2",
                TEXTS_2,
            )
            .await
            .map_err(Error::from)?;
        let row = client
            .query_opt(&st, &[&user, &data_type.name()])
            .await
            .map_err(Error::from)?;
        let cursor = match row {
            Some(r) => Some(Cursor {
                data_type,
                lastupdate: r.try_get(0).map_err(Error::from)?,
                offset: r.try_get(1).map_err(Error::from)?,
                next_lastupdate: r.try_get(2).map_err(Error::from)?,
            }),
            None => None,
        };
        Ok(cursor)
    }

    async fn pending(
        &self,
        user: &str,
        data_type: DataType,
        limit: usize,
    ) -> withings_sync::Result<Vec<Pending>> {
        let client = self.inner.db.client().await?;
        let st = client
            .prepare_typed_cached(
                "SELECT start_at, end_at FROM pending WHERE user_id = $1 AND data_type = $2 \
                 ORDER BY start_at, end_at LIMIT $3",
                &[Type::TEXT, Type::TEXT, Type::INT8],
            )
            .await
            .map_err(Error::from)?;
        let rows = client
            .query(&st, &[&user, &data_type.name(), &sql_limit(limit)])
            .await
            .map_err(Error::from)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(Pending {
                data_type,
                start: r.try_get(0).map_err(Error::from)?,
                end: r.try_get(1).map_err(Error::from)?,
            });
        }
        Ok(out)
    }

    async fn rejected(&self, user: &str, limit: usize) -> withings_sync::Result<Vec<Rejected>> {
        let client = self.inner.db.client().await?;
        let st = client
            .prepare_typed_cached(
                "SELECT data_type, raw, context, path, error FROM rejected WHERE user_id = $1 \
                 ORDER BY first_seen, data_type COLLATE \"C\", raw COLLATE \"C\" LIMIT $2",
                &[Type::TEXT, Type::INT8],
            )
            .await
            .map_err(Error::from)?;
        let rows = client
            .query(&st, &[&user, &sql_limit(limit)])
            .await
            .map_err(Error::from)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let name: String = r.try_get(0).map_err(Error::from)?;
            out.push(Rejected {
                data_type: data_type(&name)?,
                raw: r.try_get(1).map_err(Error::from)?,
                context: r.try_get(2).map_err(Error::from)?,
                path: r.try_get(3).map_err(Error::from)?,
                error: r.try_get(4).map_err(Error::from)?,
            });
        }
        Ok(out)
    }

    async fn read(&self, query: ReadQuery) -> withings_sync::Result<Vec<Vec<Value>>> {
        Ok(self.read_rows(&query).await?)
    }

    async fn bounds(
        &self,
        user: &str,
        table: &'static TableDef,
    ) -> withings_sync::Result<Option<(Value, Value)>> {
        let Some(time) = table.time else {
            return Ok(None);
        };
        let client = self.inner.db.client().await?;
        let sql = format!(
            "SELECT MIN({time}), MAX({time}) FROM {t} WHERE {USER_COLUMN} = $1",
            t = table.name
        );
        let st = client
            .prepare_typed_cached(&sql, &[Type::TEXT])
            .await
            .map_err(Error::from)?;
        let row = client.query_one(&st, &[&user]).await.map_err(Error::from)?;
        match (value(&row, 0)?, value(&row, 1)?) {
            (Value::Null, _) | (_, Value::Null) => Ok(None),
            (lo, hi) => Ok(Some((lo, hi))),
        }
    }
}
