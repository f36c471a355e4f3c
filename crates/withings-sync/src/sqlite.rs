//! The embedded store: one SQLite file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, Statement, ToSql, TransactionBehavior, params};

use crate::schema::{
    self, CURRENT_VERSION, ColumnType, DataType, Dialect, MIGRATIONS, TableDef, TableSql,
    USER_COLUMN, Value,
};
use crate::store::{
    Batch, Cursor, Op, Pending, ReadQuery, ReadStatement, Rejected, Row, Store, WriteStats,
};
use crate::{Error, Result};

/// The embedded store: one SQLite file (WAL journal), created with mode 0600 in a 0700
/// folder — it holds health data.
///
/// Cheap to clone (clones share the connection). Each call runs on tokio's blocking pool, so
/// it must be used inside a tokio runtime.
///
/// ```
/// use withings_sync::{SqliteStore, Store, DataType};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> withings_sync::Result<()> {
/// let store = SqliteStore::open_in_memory()?;
/// assert_eq!(store.cursor("10203040", DataType::Measures).await?, None);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    conn: Mutex<Connection>,
    sql: HashMap<&'static str, TableSql>,
    path: Option<PathBuf>,
}

impl SqliteStore {
    /// Opens (or creates) the database at `path` and brings its schema to the current
    /// version. A new file is created with mode 0600, and missing folders with 0700.
    ///
    /// # Errors
    /// [`Error::Open`] when the file cannot be created, [`Error::Database`] when SQLite
    /// refuses it, [`Error::NewerSchema`] for a database of a newer version.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let conn = open_file(path)?;
        Self::with_connection(conn, Some(path.to_owned()))
    }

    /// A store in memory, for tests and examples.
    ///
    /// # Errors
    /// [`Error::Database`] when SQLite cannot start.
    pub fn open_in_memory() -> Result<Self> {
        Self::with_connection(Connection::open_in_memory()?, None)
    }

    fn with_connection(mut conn: Connection, path: Option<PathBuf>) -> Result<Self> {
        migrate(&mut conn, CURRENT_VERSION)?;
        // The keys an `Op::Replace` keeps, per connection.
        conn.execute_batch("CREATE TEMP TABLE IF NOT EXISTS keep (row_key TEXT PRIMARY KEY)")?;
        let sql = TableDef::all()
            .map(|t| (t.name, TableSql::new(t, Dialect::Sqlite)))
            .collect();
        Ok(Self {
            inner: Arc::new(Inner {
                conn: Mutex::new(conn),
                sql,
                path,
            }),
        })
    }

    /// The file, `None` in memory.
    #[must_use]
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    /// The schema version of the database (`PRAGMA user_version`).
    ///
    /// # Errors
    /// [`Error::Database`].
    pub fn schema_version(&self) -> Result<u32> {
        let conn = self.lock();
        version(&conn)
    }

    /// For migration tests: creates the database at `path` at schema version `version`
    /// (0 is an empty file), as that version of this program would have left it.
    ///
    /// # Errors
    /// As [`open`](Self::open).
    #[doc(hidden)]
    pub fn create_at_version(path: impl AsRef<Path>, version: u32) -> Result<()> {
        let mut conn = open_file(path.as_ref())?;
        migrate(&mut conn, version)
    }

    /// For migration tests: runs `sql` on the database at `path` as it is, without
    /// migrating it.
    ///
    /// # Errors
    /// As [`open`](Self::open).
    #[doc(hidden)]
    pub fn run_script(path: impl AsRef<Path>, sql: &str) -> Result<()> {
        open_file(path.as_ref())?.execute_batch(sql)?;
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.inner
            .conn
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` with the connection on the blocking pool.
    async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, &Inner) -> Result<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let mut conn = inner.conn.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut conn, &inner)
        })
        .await
        .map_err(|e| Error::Task(e.to_string()))?
    }
}

/// Opens `path`, creating it 0600 (and its folders 0700) when missing.
fn open_file(path: &Path) -> Result<Connection> {
    let io = |source| Error::Open {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
        b.create(dir).map_err(io)?;
    }
    // Created here, not by SQLite (which would use 0644): health data is the user's alone.
    // SQLite gives its -wal and -shm files the database file's mode.
    let mut o = std::fs::OpenOptions::new();
    o.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path).map_err(io)?;
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // WAL: readers (an export) do not block the sync; NORMAL is durable across a crash of
    // the process (only a power loss may lose the last transactions, never corrupt).
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}

fn version(conn: &Connection) -> Result<u32> {
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    u32::try_from(v).map_err(|_| Error::Corrupt(format!("schema version {v}")))
}

/// Brings the schema from its version to `target`, one migration per transaction.
fn migrate(conn: &mut Connection, target: u32) -> Result<()> {
    let found = version(conn)?;
    if found > CURRENT_VERSION {
        return Err(Error::NewerSchema {
            found,
            supported: CURRENT_VERSION,
        });
    }
    for v in found..target {
        let Some(sql) = usize::try_from(v).ok().and_then(|i| MIGRATIONS.get(i)) else {
            break;
        };
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", v + 1)?;
        tx.commit()?;
    }
    Ok(())
}

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Self::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Self::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Self::Real(f) => ToSqlOutput::Borrowed(ValueRef::Real(*f)),
            Self::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

fn from_sql(v: ValueRef<'_>) -> Result<Value> {
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => {
            Value::Text(String::from_utf8(t.to_vec()).map_err(|e| Error::Corrupt(e.to_string()))?)
        }
        ValueRef::Blob(_) => return Err(Error::Corrupt("a blob in a data column".into())),
    })
}

/// Prepared statements of one transaction, by SQL text.
struct Statements<'c> {
    tx: &'c rusqlite::Transaction<'c>,
    cache: HashMap<String, Statement<'c>>,
}

impl<'c> Statements<'c> {
    fn execute(&mut self, sql: &str, params: &[&dyn ToSql]) -> Result<usize> {
        if !self.cache.contains_key(sql) {
            let st = self.tx.prepare(sql)?;
            self.cache.insert(sql.to_owned(), st);
        }
        match self.cache.get_mut(sql) {
            Some(st) => Ok(st.execute(params)?),
            None => Err(Error::Corrupt("statement cache".into())),
        }
    }
}

/// What one upsert did.
enum Upserted {
    Inserted,
    Updated,
    Unchanged,
}

fn upsert(
    st: &mut Statements<'_>,
    inner: &Inner,
    user: &str,
    synced_at: i64,
    row: &Row,
) -> Result<Upserted> {
    let table = row.table;
    if row.values.len() != table.columns.len() {
        return Err(Error::Corrupt(format!(
            "a {} row of {} values for {} columns",
            table.name,
            row.values.len(),
            table.columns.len()
        )));
    }
    let sql = inner
        .sql
        .get(table.name)
        .ok_or_else(|| Error::Corrupt(format!("no table {}", table.name)))?;
    let user = Value::Text(user.to_owned());
    let synced = Value::Int(synced_at);
    let mut params: Vec<&dyn ToSql> = Vec::with_capacity(row.values.len() + 2);
    params.push(&user);
    params.extend(row.values.iter().map(|v| v as &dyn ToSql));
    params.push(&synced);
    if st.execute(&sql.insert, &params)? == 1 {
        return Ok(Upserted::Inserted);
    }
    if st.execute(&sql.update, &params)? == 1 {
        return Ok(Upserted::Updated);
    }
    Ok(Upserted::Unchanged)
}

fn count(stats: &mut WriteStats, u: &Upserted) {
    match u {
        Upserted::Inserted => stats.inserted += 1,
        Upserted::Updated => stats.updated += 1,
        Upserted::Unchanged => stats.unchanged += 1,
    }
}

fn enqueue(st: &mut Statements<'_>, user: &str, at: i64, p: &Pending) -> Result<u64> {
    let n = st.execute(
        "INSERT INTO pending (user_id, data_type, start_at, end_at, queued_at) \
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
        params![user, p.data_type.name(), p.start, p.end, at],
    )?;
    Ok(n as u64)
}

fn apply(conn: &mut Connection, inner: &Inner, batch: Batch) -> Result<WriteStats> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut stats = WriteStats::default();
    {
        let mut st = Statements {
            tx: &tx,
            cache: HashMap::new(),
        };
        let (user, at) = (batch.user.as_str(), batch.synced_at);
        for op in batch.ops {
            match op {
                Op::Upsert {
                    row,
                    on_change,
                    seen,
                } => {
                    let u = upsert(&mut st, inner, user, at, &row)?;
                    if let Some(p) = on_change
                        && !matches!(u, Upserted::Unchanged)
                    {
                        stats.queued += enqueue(&mut st, user, at, &p)?;
                    }
                    count(&mut stats, &u);
                    if seen {
                        st.execute(
                            "INSERT INTO full_seen (table_name, user_id, row_key) VALUES (?1, ?2, ?3) \
                             ON CONFLICT DO NOTHING",
                            params![row.table.name, user, schema::key_text(row.table, &row.values)],
                        )?;
                    }
                }
                Op::Replace {
                    table,
                    start,
                    end,
                    rows,
                } => {
                    let sql = inner
                        .sql
                        .get(table.name)
                        .ok_or_else(|| Error::Corrupt(format!("no table {}", table.name)))?;
                    // The keys to keep, in a temporary table the DELETE can read.
                    st.execute("DELETE FROM temp.keep", &[])?;
                    for row in &rows {
                        let u = upsert(&mut st, inner, user, at, row)?;
                        count(&mut stats, &u);
                        st.execute(
                            "INSERT INTO temp.keep (row_key) VALUES (?1) ON CONFLICT DO NOTHING",
                            params![schema::key_text(table, &row.values)],
                        )?;
                    }
                    let time = table.time.unwrap_or(USER_COLUMN);
                    // Only the bounds given are written into the statement: with
                    // `(?2 IS NULL OR t >= ?2)` SQLite cannot use the (user, time) index, and
                    // every night written scanned all of the user's segments (a first sync
                    // of five years slowed from 3.0 to 5.7 ms of CPU per call).
                    let mut bounds = String::new();
                    let mut args = vec![Value::Text(user.to_owned())];
                    if let Some(lo) = start {
                        args.push(Value::Int(lo));
                        bounds.push_str(&format!(" AND {time} >= ?{}", args.len()));
                    }
                    if let Some(hi) = end {
                        args.push(Value::Int(hi));
                        bounds.push_str(&format!(" AND {time} < ?{}", args.len()));
                    }
                    let delete = format!(
                        "DELETE FROM {t} WHERE {USER_COLUMN} = ?1{bounds} \
                         AND {key} NOT IN (SELECT row_key FROM temp.keep)",
                        t = table.name,
                        key = sql.key_expr,
                    );
                    let args: Vec<&dyn ToSql> = args.iter().map(|v| v as &dyn ToSql).collect();
                    stats.deleted += st.execute(&delete, &args)? as u64;
                }
                Op::Enqueue(p) => stats.queued += enqueue(&mut st, user, at, &p)?,
                Op::Done(p) => {
                    st.execute(
                        "DELETE FROM pending WHERE user_id = ?1 AND data_type = ?2 \
                         AND start_at = ?3 AND end_at = ?4",
                        params![user, p.data_type.name(), p.start, p.end],
                    )?;
                }
                Op::Reject(r) => {
                    st.execute(
                        "INSERT INTO rejected (user_id, data_type, raw, context, path, error, \
                         first_seen, last_tried, tries) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, 1) \
                         ON CONFLICT (user_id, data_type, raw) DO UPDATE SET path = excluded.path, \
                         error = excluded.error, last_tried = excluded.last_tried, \
                         tries = rejected.tries + 1",
                        params![
                            user,
                            r.data_type.name(),
                            r.raw,
                            r.context,
                            r.path,
                            r.error,
                            at
                        ],
                    )?;
                    stats.rejected += 1;
                }
                Op::Accept { data_type, raw } => {
                    st.execute(
                        "DELETE FROM rejected WHERE user_id = ?1 AND data_type = ?2 AND raw = ?3",
                        params![user, data_type.name(), raw],
                    )?;
                }
                Op::SetCursor(c) => {
                    st.execute(
                        "INSERT INTO cursors (user_id, data_type, lastupdate, page_offset, \
                         next_lastupdate, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                         ON CONFLICT (user_id, data_type) DO UPDATE SET \
                         lastupdate = excluded.lastupdate, page_offset = excluded.page_offset, \
                         next_lastupdate = excluded.next_lastupdate, updated_at = excluded.updated_at",
                        params![
                            user,
                            c.data_type.name(),
                            c.lastupdate,
                            c.offset,
                            c.next_lastupdate,
                            at
                        ],
                    )?;
                }
                Op::BeginFull(table) => {
                    st.execute(
                        "DELETE FROM full_seen WHERE table_name = ?1 AND user_id = ?2",
                        params![table.name, user],
                    )?;
                }
                Op::PurgeUnseen { table, start, end } => {
                    let sql = inner
                        .sql
                        .get(table.name)
                        .ok_or_else(|| Error::Corrupt(format!("no table {}", table.name)))?;
                    // The owned rows first: their statements find the purged rows by
                    // the same test the purge itself uses.
                    for owned in &sql.purge_owned {
                        stats.deleted +=
                            st.execute(owned, params![user, start, end, table.name])? as u64;
                    }
                    stats.purged +=
                        st.execute(&sql.purge, params![user, start, end, table.name])? as u64;
                    st.execute(
                        "DELETE FROM full_seen WHERE table_name = ?1 AND user_id = ?2",
                        params![table.name, user],
                    )?;
                }
                Op::Hook(h) => (h.0)(),
            }
        }
    }
    tx.commit()?;
    Ok(stats)
}

fn data_type(name: &str) -> Result<DataType> {
    DataType::from_name(name).ok_or_else(|| Error::Corrupt(format!("unknown data type {name}")))
}

/// The rows of a read, in the statement every store shares ([`ReadQuery::statement`]).
fn read(conn: &Connection, q: &ReadQuery) -> Result<Vec<Vec<Value>>> {
    let ReadStatement {
        sql,
        params,
        columns,
    } = q.statement(Dialect::Sqlite)?;
    let params: Vec<Value> = params.into_iter().map(|(v, _)| v).collect();
    let mut st = conn.prepare(&sql)?;
    let mut rows = st.query(rusqlite::params_from_iter(params.iter()))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut row = Vec::with_capacity(columns);
        for i in 0..columns {
            row.push(from_sql(r.get_ref(i)?)?);
        }
        out.push(row);
    }
    Ok(out)
}

impl Store for SqliteStore {
    async fn write(&self, batch: Batch) -> Result<WriteStats> {
        self.run(move |conn, inner| apply(conn, inner, batch)).await
    }

    async fn cursor(&self, user: &str, data_type: DataType) -> Result<Option<Cursor>> {
        let user = user.to_owned();
        self.run(move |conn, _| {
            let mut st = conn.prepare(
                "SELECT lastupdate, page_offset, next_lastupdate FROM cursors \
                 WHERE user_id = ?1 AND data_type = ?2",
            )?;
            let mut rows = st.query(params![user, data_type.name()])?;
            Ok(match rows.next()? {
                Some(r) => Some(Cursor {
                    data_type,
                    lastupdate: r.get(0)?,
                    offset: r.get(1)?,
                    next_lastupdate: r.get(2)?,
                }),
                None => None,
            })
        })
        .await
    }

    async fn pending(&self, user: &str, data_type: DataType, limit: usize) -> Result<Vec<Pending>> {
        let user = user.to_owned();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.run(move |conn, _| {
            let mut st = conn.prepare(
                "SELECT start_at, end_at FROM pending WHERE user_id = ?1 AND data_type = ?2 \
                 ORDER BY start_at, end_at LIMIT ?3",
            )?;
            let rows = st.query_map(params![user, data_type.name(), limit], |r| {
                Ok(Pending {
                    data_type,
                    start: r.get(0)?,
                    end: r.get(1)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn rejected(&self, user: &str, limit: usize) -> Result<Vec<Rejected>> {
        let user = user.to_owned();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.run(move |conn, _| {
            let mut st = conn.prepare(
                "SELECT data_type, raw, context, path, error FROM rejected WHERE user_id = ?1 \
                 ORDER BY first_seen, data_type, raw LIMIT ?2",
            )?;
            let mut rows = st.query(params![user, limit])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                let name: String = r.get(0)?;
                out.push(Rejected {
                    data_type: data_type(&name)?,
                    raw: r.get(1)?,
                    context: r.get(2)?,
                    path: r.get(3)?,
                    error: r.get(4)?,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn read(&self, query: ReadQuery) -> Result<Vec<Vec<Value>>> {
        self.run(move |conn, _| read(conn, &query)).await
    }

    async fn bounds(&self, user: &str, table: &'static TableDef) -> Result<Option<(Value, Value)>> {
        let Some(time) = table.time else {
            return Ok(None);
        };
        let user = user.to_owned();
        self.run(move |conn, _| {
            let sql = format!(
                "SELECT MIN({time}), MAX({time}) FROM {t} WHERE {USER_COLUMN} = ?1",
                t = table.name
            );
            let (lo, hi) = conn.query_row(&sql, params![user], |r| {
                Ok((from_sql(r.get_ref(0)?), from_sql(r.get_ref(1)?)))
            })?;
            match (lo?, hi?) {
                (Value::Null, _) | (_, Value::Null) => Ok(None),
                (lo, hi) => Ok(Some((lo, hi))),
            }
        })
        .await
    }
}

/// The columns of `table` in the open database, as `(name, declared type, not null)`: for
/// the test that the migrations build what [`schema`] describes.
#[doc(hidden)]
pub fn table_columns(store: &SqliteStore, table: &str) -> Result<Vec<(String, String, bool)>> {
    let conn = store.lock();
    let mut st = conn.prepare(&format!("PRAGMA table_info({table})"))?;
    let rows = st.query_map([], |r| {
        Ok((
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)? != 0,
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// The SQL type name the migrations use for a column type.
#[doc(hidden)]
#[must_use]
pub fn sql_type(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::Int => "BIGINT",
        ColumnType::Real => "DOUBLE PRECISION",
        ColumnType::Text => "TEXT",
    }
}

/// Runs a query and returns every row (tests: counting and comparing tables, bookkeeping
/// columns included).
#[doc(hidden)]
pub fn query(store: &SqliteStore, sql: &str) -> Result<Vec<Vec<Value>>> {
    let conn = store.lock();
    let mut st = conn.prepare(sql)?;
    let n = st.column_count();
    let mut rows = st.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut row = Vec::with_capacity(n);
        for i in 0..n {
            row.push(from_sql(r.get_ref(i)?)?);
        }
        out.push(row);
    }
    Ok(out)
}
