//! The schema: one description of every data table, shared by every [`Store`](crate::Store)
//! implementation, and the versioned migrations that create it.
//!
//! The description ([`TableDef::all`]) drives the upserts, the `--full` purge and the export; the
//! migrations ([`MIGRATIONS`]) are frozen SQL, written once per version and never edited, so
//! that a database made by any earlier version reaches the current schema by the same steps.
//! A test checks that the migrated database has exactly the columns [`TableDef::all`] describes.
//!
//! The SQL is the common subset of SQLite (3.39+) and PostgreSQL: `BIGINT`, `TEXT`,
//! `DOUBLE PRECISION`, composite primary keys, `INSERT … ON CONFLICT DO NOTHING`,
//! `IS DISTINCT FROM`. Only placeholders differ ([`Dialect`]).

use std::fmt;

/// The data a [`Store`](crate::Store) holds, one table each, and what a sync fetches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DataType {
    /// Measures of `getmeas` (weight, body composition, blood pressure…): table `measures`.
    Measures,
    /// Daily activity of `getactivity`: table `activity`.
    Activity,
    /// Workouts of `getworkouts`: table `workouts`.
    Workouts,
    /// Nights of `sleep getsummary`: table `sleep_summaries`.
    SleepSummaries,
    /// Sleep state segments and their series of `sleep get`, for the nights that changed:
    /// table `sleep_segments`.
    SleepSegments,
    /// Intraday samples of `getintradayactivity`, for the days that changed (opt-in): table
    /// `intraday`.
    Intraday,
    /// ECG and blood-pressure records of `heart list`: table `heart`.
    Heart,
    /// Devices of `getdevice`: table `devices`.
    Devices,
    /// Goals of `getgoals`: table `goals`.
    Goals,
}

impl DataType {
    /// Every data type, in the order a sync fetches them (summaries before the segments of
    /// the nights they reveal, activity before the intraday samples of its days).
    pub const ALL: &'static [Self] = &[
        Self::Measures,
        Self::Activity,
        Self::Intraday,
        Self::Workouts,
        Self::SleepSummaries,
        Self::SleepSegments,
        Self::Heart,
        Self::Devices,
        Self::Goals,
    ];

    /// The name used on the command line, in cursors and in the `rejected` table
    /// (`measures`, `sleep-summaries`…).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Measures => "measures",
            Self::Activity => "activity",
            Self::Workouts => "workouts",
            Self::SleepSummaries => "sleep-summaries",
            Self::SleepSegments => "sleep-segments",
            Self::Intraday => "intraday",
            Self::Heart => "heart",
            Self::Devices => "devices",
            Self::Goals => "goals",
        }
    }

    /// The data type named `name` ([`name`](Self::name); `_` for `-` is accepted too).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        let name = name.trim().replace('_', "-");
        Self::ALL.iter().copied().find(|t| t.name() == name)
    }

    /// The table that holds this data type.
    #[must_use]
    pub fn table(self) -> &'static TableDef {
        match self {
            Self::Measures => &MEASURES,
            Self::Activity => &ACTIVITY,
            Self::Workouts => &WORKOUTS,
            Self::SleepSummaries => &SLEEP_SUMMARIES,
            Self::SleepSegments => &SLEEP_SEGMENTS,
            Self::Intraday => &INTRADAY,
            Self::Heart => &HEART,
            Self::Devices => &DEVICES,
            Self::Goals => &GOALS,
        }
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One stored value.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// Absent.
    Null,
    /// A 64-bit integer (also instants as unix seconds, durations as seconds, booleans as
    /// 0/1).
    Int(i64),
    /// A float as Withings sent it (distances, calories).
    Real(f64),
    /// Text (exact decimals, dates, local times, JSON).
    Text(String),
}

impl Value {
    /// An optional integer.
    #[must_use]
    pub fn int(v: Option<i64>) -> Self {
        v.map_or(Self::Null, Self::Int)
    }

    /// An optional float; NaN and infinities are stored as absent.
    #[must_use]
    pub fn real(v: Option<f64>) -> Self {
        v.filter(|f| f.is_finite()).map_or(Self::Null, Self::Real)
    }

    /// Optional text.
    #[must_use]
    pub fn text(v: Option<impl Into<String>>) -> Self {
        v.map_or(Self::Null, |s| Self::Text(s.into()))
    }

    /// An optional boolean, as 0/1.
    #[must_use]
    pub fn bool(v: Option<bool>) -> Self {
        v.map_or(Self::Null, |b| Self::Int(i64::from(b)))
    }

    /// The integer, if this is one.
    #[must_use]
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Self::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The text, if this is text.
    #[must_use]
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The value as it appears in a key: what `CAST(col AS TEXT)` gives in SQL.
    pub(crate) fn key_text(&self) -> String {
        match self {
            Self::Null => String::new(),
            Self::Int(i) => i.to_string(),
            Self::Real(f) => f.to_string(),
            Self::Text(s) => s.clone(),
        }
    }
}

/// The SQL type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ColumnType {
    /// `BIGINT`.
    Int,
    /// `DOUBLE PRECISION`.
    Real,
    /// `TEXT`.
    Text,
}

/// One column of a data table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The column name.
    pub name: &'static str,
    /// Its SQL type.
    pub ty: ColumnType,
    /// Whether it may hold `NULL` (key columns never do).
    pub nullable: bool,
    /// `Some((stored, incoming))`: an update never replaces `stored` by `incoming`. Used
    /// for a measure group's attribution, where 8 is the duplicate copy of 0 (API notes
    /// §12.14): the two copies can arrive on different pages in either order, and the row
    /// must not depend on that order (the decoder's merge follows the same rule).
    pub keeps: Option<(i64, i64)>,
}

impl Column {
    /// The same column, whose stored `stored` is never replaced by `incoming`.
    const fn keeping(self, stored: i64, incoming: i64) -> Self {
        Column {
            keeps: Some((stored, incoming)),
            ..self
        }
    }
}

const fn int(name: &'static str) -> Column {
    Column {
        name,
        ty: ColumnType::Int,
        nullable: true,
        keeps: None,
    }
}
const fn int_nn(name: &'static str) -> Column {
    Column {
        name,
        ty: ColumnType::Int,
        nullable: false,
        keeps: None,
    }
}
const fn real(name: &'static str) -> Column {
    Column {
        name,
        ty: ColumnType::Real,
        nullable: true,
        keeps: None,
    }
}
const fn text(name: &'static str) -> Column {
    Column {
        name,
        ty: ColumnType::Text,
        nullable: true,
        keeps: None,
    }
}
const fn text_nn(name: &'static str) -> Column {
    Column {
        name,
        ty: ColumnType::Text,
        nullable: false,
        keeps: None,
    }
}

/// The column every data table has first: whose data the row is.
pub const USER_COLUMN: &str = "user_id";
/// The bookkeeping column every data table has last: when (unix seconds, the sync's clock)
/// the row was last inserted or changed. Not part of the data: an equal history synced at
/// another time differs only there.
pub const SYNCED_AT_COLUMN: &str = "synced_at";

/// A data table: its columns (without `user_id` and `synced_at`, which every table has), its
/// natural key, and the column its rows are ordered and windowed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableDef {
    /// The table name.
    pub name: &'static str,
    /// The data columns, in order (a row's values follow this order).
    pub columns: &'static [Column],
    /// The natural key, besides `user_id`: never NULL, never a field the API may omit (see
    /// the crate docs for each table's choice).
    pub key: &'static [&'static str],
    /// The column `--since` and `--full` windows apply to (an instant or a `YYYY-MM-DD`
    /// date), `None` for tables that are not time series (devices, goals).
    pub time: Option<&'static str>,
    /// The table whose rows these rows belong to, if any: a `--full` purge of an owner row
    /// deletes its rows here too ([`TableSql::purge_owned`]).
    pub owner: Option<Owner>,
}

/// Rows of one table belonging to a row of another: the owner row whose `[start, end)`
/// holds the owned row's [time column](TableDef::time). A sleep segment belongs to the
/// night (sleep summary) it lies in: when Withings no longer returns the night, its
/// segments go with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    /// The owner table.
    pub table: &'static TableDef,
    /// The owner's column where its span starts (inclusive).
    pub start: &'static str,
    /// The owner's column where its span ends (exclusive).
    pub end: &'static str,
}

impl TableDef {
    /// Every data table, in [`DataType::ALL`] order.
    pub fn all() -> impl Iterator<Item = &'static Self> {
        DataType::ALL.iter().map(|t| t.table())
    }

    /// The table named `name`.
    #[must_use]
    pub fn by_name(name: &str) -> Option<&'static Self> {
        let name = name.trim().replace('-', "_");
        Self::all().find(|t| t.name == name)
    }

    /// The index of `column` among [`columns`](Self::columns).
    #[must_use]
    pub fn index(&self, column: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == column)
    }

    /// The column names of an exported row: `user_id`, then the data columns (no
    /// bookkeeping).
    pub fn export_columns(&self) -> impl Iterator<Item = &'static str> + '_ {
        std::iter::once(USER_COLUMN).chain(self.columns.iter().map(|c| c.name))
    }
}

/// `measures`: one row per group × type × position.
pub static MEASURES: TableDef = TableDef {
    name: "measures",
    columns: &[
        int_nn("grpid"),
        int_nn("type"),
        // -1 when the measure has no position (the key needs a value: NULLs never conflict).
        int_nn("position"),
        text_nn("value"),
        int_nn("mantissa"),
        int_nn("exponent"),
        text("unit"),
        int_nn("category"),
        int("attrib").keeping(0, 8),
        int_nn("taken_at"),
        text_nn("local_time"),
        text_nn("time_zone"),
        int("created"),
        int("modified"),
        text("device_id"),
        text("hash_device_id"),
        text("model"),
        int("model_id"),
    ],
    key: &["grpid", "type", "position"],
    time: Some("taken_at"),
    owner: None,
};

/// `activity`: one row per user × local date.
pub static ACTIVITY: TableDef = TableDef {
    name: "activity",
    columns: &[
        text_nn("date"),
        text_nn("time_zone"),
        int("steps"),
        real("distance_m"),
        real("elevation"),
        int("soft_s"),
        int("moderate_s"),
        int("intense_s"),
        int("active_s"),
        real("calories"),
        real("total_calories"),
        real("hr_average"),
        real("hr_min"),
        real("hr_max"),
        int("hr_zone_light_s"),
        int("hr_zone_moderate_s"),
        int("hr_zone_intense_s"),
        int("hr_zone_maximal_s"),
        text("device_id"),
        text("hash_device_id"),
        int("model_id"),
        text("model_name"),
        int("brand"),
        int("is_tracker"),
        int("modified"),
    ],
    key: &["date"],
    time: Some("date"),
    owner: None,
};

/// `workouts`: keyed by `workout_key` (`id:<id>`, or `t:<start>:<end>:<category>:<device>`).
pub static WORKOUTS: TableDef = TableDef {
    name: "workouts",
    columns: &[
        text_nn("workout_key"),
        int("id"),
        int_nn("category"),
        int_nn("start_at"),
        int_nn("end_at"),
        text_nn("local_start"),
        text_nn("local_end"),
        text_nn("date"),
        int_nn("duration_s"),
        int("attrib"),
        text("device_id"),
        int("model_id"),
        text("model_name"),
        int_nn("modified"),
        real("calories"),
        int("steps"),
        real("distance_m"),
        real("elevation"),
        real("hr_average"),
        real("hr_min"),
        real("hr_max"),
        // Every decoded field (intensity, zones, pauses, SpO2, swimming, temperature…) as JSON.
        text_nn("details"),
    ],
    key: &["workout_key"],
    time: Some("start_at"),
    owner: None,
};

/// `sleep_summaries`: keyed by `summary_key` (`id:<id>`, or `t:<start>:<device>`).
pub static SLEEP_SUMMARIES: TableDef = TableDef {
    name: "sleep_summaries",
    columns: &[
        text_nn("summary_key"),
        int("id"),
        text_nn("date"),
        text_nn("time_zone"),
        int_nn("start_at"),
        int_nn("end_at"),
        text_nn("local_start"),
        text_nn("local_end"),
        int("created"),
        int_nn("modified"),
        int("model"),
        int("model_id"),
        text("hash_device_id"),
        int("completed"),
        int("total_sleep_s"),
        int("time_in_bed_s"),
        int("light_s"),
        int("deep_s"),
        int("rem_s"),
        int("awake_s"),
        int("wakeup_count"),
        real("sleep_efficiency"),
        int("sleep_score"),
        real("hr_average"),
        real("hr_min"),
        real("hr_max"),
        real("rr_average"),
        int("snoring_s"),
        // Every decoded metric as JSON (breathing, temperature, night events…).
        text_nn("metrics"),
    ],
    key: &["summary_key"],
    time: Some("start_at"),
    owner: None,
};

/// `sleep_segments`: one row per source × segment start; each series is a JSON array of
/// `[unix seconds, value]` pairs (NULL when not sent).
pub static SLEEP_SEGMENTS: TableDef = TableDef {
    name: "sleep_segments",
    columns: &[
        text_nn("source"),
        int_nn("start_at"),
        int_nn("end_at"),
        int_nn("state"),
        int("model_id"),
        text("model_name"),
        text("hash_device_id"),
        text("hr"),
        text("rr"),
        text("snoring"),
        text("sdnn_1"),
        text("rmssd"),
        text("hrv_quality"),
        text("mvt_score"),
        text("chest_movement_rate"),
        text("withings_index"),
        text("breathing_sounds"),
    ],
    key: &["source", "start_at"],
    time: Some("start_at"),
    // A night's segments are fetched for its `[start_at, end_at)` and only those starting in
    // it are kept (the engine's `Segments::rows`), so that window is exactly the relation.
    owner: Some(Owner {
        table: &SLEEP_SUMMARIES,
        start: "start_at",
        end: "end_at",
    }),
};

/// `intraday`: one row per source (device id, or `""`) × sample instant.
pub static INTRADAY: TableDef = TableDef {
    name: "intraday",
    columns: &[
        text_nn("source"),
        int_nn("at"),
        int("duration_s"),
        text("device_id"),
        int("model_id"),
        text("model_name"),
        int("steps"),
        real("elevation"),
        real("calories"),
        real("distance_m"),
        int("strokes"),
        int("pool_laps"),
        real("heart_rate"),
        real("spo2"),
        real("hrv_rmssd_ms"),
        real("hrv_sdnn_ms"),
        real("hrv_quality"),
        real("core_body_temperature_c"),
        real("respiration_rate"),
        real("chest_movement_rate"),
    ],
    key: &["source", "at"],
    time: Some("at"),
    owner: None,
};

/// `heart`: keyed by `record_key` (`ecg:<signalid>`, or `t:<timestamp>:<device>`).
pub static HEART: TableDef = TableDef {
    name: "heart",
    columns: &[
        text_nn("record_key"),
        int_nn("taken_at"),
        text("local_time"),
        int("modified"),
        text("device_id"),
        text("model"),
        int("ecg_signal_id"),
        int("afib"),
        real("systolic_mmhg"),
        real("diastolic_mmhg"),
        int("stetho_signal_id"),
        int("vhd"),
        real("heart_rate"),
    ],
    key: &["record_key"],
    time: Some("taken_at"),
    owner: None,
};

/// `devices`: keyed by `device_key` (the hashed id, else the id, else `<type>:<model>`).
pub static DEVICES: TableDef = TableDef {
    name: "devices",
    columns: &[
        text_nn("device_key"),
        text_nn("type"),
        text_nn("battery"),
        text("model_name"),
        int("model_id"),
        text("device_id"),
        text("hash_device_id"),
        text_nn("time_zone"),
        int("first_session"),
        int("last_session"),
        text("mac_address"),
        text("firmware"),
        text("network"),
        text("last_used_network"),
        text("sim_status"),
    ],
    key: &["device_key"],
    time: None,
    owner: None,
};

/// `goals`: one row per user.
pub static GOALS: TableDef = TableDef {
    name: "goals",
    columns: &[
        int("steps"),
        int("sleep_s"),
        text("weight_kg"),
        int("weight_mantissa"),
        int("weight_exponent"),
    ],
    key: &[],
    time: None,
    owner: None,
};

/// How placeholders are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Dialect {
    /// SQLite: `?1`, `?2`…
    Sqlite,
    /// PostgreSQL: `$1`, `$2`…
    Postgres,
}

impl Dialect {
    /// The `n`-th placeholder (from 1).
    #[must_use]
    pub fn param(self, n: usize) -> String {
        match self {
            Self::Sqlite => format!("?{n}"),
            Self::Postgres => format!("${n}"),
        }
    }
}

/// The value column `i` of `table` takes in an update from `param`: the parameter, unless
/// the column [`keeps`](Column::keeps) its stored value against it.
fn new_value(table: &TableDef, i: usize, param: &str) -> String {
    match table
        .columns
        .get(i)
        .and_then(|c| c.keeps.map(|k| (c.name, k)))
    {
        Some((c, (stored, incoming))) => {
            format!("(CASE WHEN {c} = {stored} AND {param} = {incoming} THEN {c} ELSE {param} END)")
        }
        None => param.to_owned(),
    }
}

/// The SQL a store runs for one table, generated once from its [`TableDef`].
#[derive(Debug, Clone)]
pub struct TableSql {
    /// `INSERT … ON CONFLICT (key) DO NOTHING`, parameters: user, then the columns.
    pub insert: String,
    /// `UPDATE … WHERE key AND (some column IS DISTINCT FROM its new value)`: changes a row
    /// only when it differs. Parameters: user, the columns, then `synced_at`.
    pub update: String,
    /// The key of a row as one text, `CAST(k AS TEXT)` joined by `|` (for `full_seen`).
    pub key_expr: String,
    /// [`Op::PurgeUnseen`](crate::Op::PurgeUnseen), step 1: one `DELETE` per table whose
    /// rows this table [owns](TableDef::owner), removing the rows held by an owner row the
    /// purge is about to delete — unless a row that stays holds them too (a night stored
    /// twice). Counted in [`WriteStats::deleted`](crate::WriteStats::deleted). Parameters:
    /// user, window start, window end (inclusive, this table's time column), this table's
    /// name (as in `full_seen`).
    pub purge_owned: Vec<String>,
    /// [`Op::PurgeUnseen`](crate::Op::PurgeUnseen), step 2: deletes this table's rows in the
    /// window that the `--full` pass did not see (`full_seen`). Counted in
    /// [`WriteStats::purged`](crate::WriteStats::purged). Same parameters as
    /// [`purge_owned`](Self::purge_owned); run after it (it needs the owner rows).
    pub purge: String,
}

impl TableSql {
    /// The statements for `table` in `dialect`.
    #[must_use]
    pub fn new(table: &TableDef, dialect: Dialect) -> Self {
        let n = table.columns.len();
        let p = |i: usize| dialect.param(i);
        let cols: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
        let mut key_cols = vec![USER_COLUMN];
        key_cols.extend(table.key);
        let insert = format!(
            "INSERT INTO {t} ({user}, {cols}, {synced}) VALUES ({params}) ON CONFLICT ({key}) DO NOTHING",
            t = table.name,
            user = USER_COLUMN,
            cols = cols.join(", "),
            synced = SYNCED_AT_COLUMN,
            params = (1..=n + 2).map(p).collect::<Vec<_>>().join(", "),
            key = key_cols.join(", "),
        );
        // Parameter i+2 is column i (1 is the user, n+2 is synced_at).
        let set: Vec<String> = cols
            .iter()
            .enumerate()
            .filter(|(_, c)| !table.key.contains(c))
            .map(|(i, c)| format!("{c} = {}", new_value(table, i, &p(i + 2))))
            .chain([format!("{SYNCED_AT_COLUMN} = {}", p(n + 2))])
            .collect();
        let mut cond = vec![format!("{USER_COLUMN} = {}", p(1))];
        cond.extend(
            cols.iter()
                .enumerate()
                .filter(|(_, c)| table.key.contains(c))
                .map(|(i, c)| format!("{c} = {}", p(i + 2))),
        );
        let differs: Vec<String> = cols
            .iter()
            .enumerate()
            .filter(|(_, c)| !table.key.contains(c))
            .map(|(i, c)| format!("{c} IS DISTINCT FROM {}", new_value(table, i, &p(i + 2))))
            .collect();
        let update = if differs.is_empty() {
            // Only key columns: an existing row can never differ.
            format!("UPDATE {} SET {} WHERE 1 = 0", table.name, set.join(", "))
        } else {
            format!(
                "UPDATE {} SET {} WHERE {} AND ({})",
                table.name,
                set.join(", "),
                cond.join(" AND "),
                differs.join(" OR ")
            )
        };
        let (purge_owned, purge) = purge_sql(table, dialect);
        Self {
            insert,
            update,
            key_expr: key_expr(table, None),
            purge_owned,
            purge,
        }
    }
}

/// The key of a row of `table` as one text (see [`TableSql::key_expr`]), its columns
/// qualified by `alias` when given.
fn key_expr(table: &TableDef, alias: Option<&str>) -> String {
    if table.key.is_empty() {
        return "''".to_owned();
    }
    table
        .key
        .iter()
        .map(|k| match alias {
            Some(a) => format!("CAST({a}.{k} AS TEXT)"),
            None => format!("CAST({k} AS TEXT)"),
        })
        .collect::<Vec<_>>()
        .join(" || '|' || ")
}

/// [`TableSql::purge_owned`] and [`TableSql::purge`] of `table`.
fn purge_sql(table: &TableDef, dialect: Dialect) -> (Vec<String>, String) {
    let (user, start, end, name) = (
        dialect.param(1),
        dialect.param(2),
        dialect.param(3),
        dialect.param(4),
    );
    let time = table.time.unwrap_or(USER_COLUMN);
    // Whether the row `alias` of `table` was seen by the `--full` pass.
    let seen = |alias: &str| {
        format!(
            "EXISTS (SELECT 1 FROM full_seen s WHERE s.table_name = {name} \
             AND s.user_id = {user} AND s.row_key = {})",
            key_expr(table, Some(alias))
        )
    };
    let purge = format!(
        "DELETE FROM {t} WHERE {USER_COLUMN} = {user} AND {time} >= {start} AND {time} <= {end} \
         AND NOT {seen}",
        t = table.name,
        seen = seen(table.name),
    );
    let owned = TableDef::all()
        .filter_map(|child| {
            let owner = child.owner.filter(|o| o.table.name == table.name)?;
            let at = format!("{}.{}", child.name, child.time?);
            let (o_start, o_end) = (owner.start, owner.end);
            // Held by owner row `alias`: the owned row's time lies in its [start, end).
            let held =
                |alias: &str| format!("{at} >= {alias}.{o_start} AND {at} < {alias}.{o_end}");
            Some(format!(
                "DELETE FROM {c} WHERE {USER_COLUMN} = {user} \
                 AND EXISTS (SELECT 1 FROM {t} o WHERE o.{USER_COLUMN} = {user} \
                 AND o.{time} >= {start} AND o.{time} <= {end} AND NOT {seen_o} AND {held_o}) \
                 AND NOT EXISTS (SELECT 1 FROM {t} k WHERE k.{USER_COLUMN} = {user} AND {held_k} \
                 AND (k.{time} < {start} OR k.{time} > {end} OR {seen_k}))",
                c = child.name,
                t = table.name,
                seen_o = seen("o"),
                held_o = held("o"),
                held_k = held("k"),
                seen_k = seen("k"),
            ))
        })
        .collect();
    (owned, purge)
}

/// The key of `values` (a row of `table`, without user) as [`TableSql::key_expr`] computes it
/// in SQL.
#[must_use]
pub fn key_text(table: &TableDef, values: &[Value]) -> String {
    table
        .key
        .iter()
        .map(|k| {
            table
                .index(k)
                .and_then(|i| values.get(i))
                .map_or_else(String::new, Value::key_text)
        })
        .collect::<Vec<_>>()
        .join("|")
}

/// The migrations, in order: `MIGRATIONS[v]` takes a database from version `v` to `v + 1`.
/// The version is SQLite's `PRAGMA user_version` (in PostgreSQL, a `schema_version` table).
/// Frozen: a released migration is never edited; a change of schema is a new entry.
pub const MIGRATIONS: &[&str] = &[V1];

/// The schema version this build writes.
pub const CURRENT_VERSION: u32 = 1;

/// Version 1: every data table, the cursors, the queue of nights and days to fetch, the
/// rejected records, and the keys seen by a `--full` pass.
const V1: &str = r#"
CREATE TABLE measures (
    user_id TEXT NOT NULL,
    grpid BIGINT NOT NULL,
    type BIGINT NOT NULL,
    position BIGINT NOT NULL,
    value TEXT NOT NULL,
    mantissa BIGINT NOT NULL,
    exponent BIGINT NOT NULL,
    unit TEXT,
    category BIGINT NOT NULL,
    attrib BIGINT,
    taken_at BIGINT NOT NULL,
    local_time TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    created BIGINT,
    modified BIGINT,
    device_id TEXT,
    hash_device_id TEXT,
    model TEXT,
    model_id BIGINT,
    synced_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, grpid, type, position)
);
CREATE INDEX measures_time ON measures (user_id, taken_at);

CREATE TABLE activity (
    user_id TEXT NOT NULL,
    date TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    steps BIGINT,
    distance_m DOUBLE PRECISION,
    elevation DOUBLE PRECISION,
    soft_s BIGINT,
    moderate_s BIGINT,
    intense_s BIGINT,
    active_s BIGINT,
    calories DOUBLE PRECISION,
    total_calories DOUBLE PRECISION,
    hr_average DOUBLE PRECISION,
    hr_min DOUBLE PRECISION,
    hr_max DOUBLE PRECISION,
    hr_zone_light_s BIGINT,
    hr_zone_moderate_s BIGINT,
    hr_zone_intense_s BIGINT,
    hr_zone_maximal_s BIGINT,
    device_id TEXT,
    hash_device_id TEXT,
    model_id BIGINT,
    model_name TEXT,
    brand BIGINT,
    is_tracker BIGINT,
    modified BIGINT,
    synced_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, date)
);

CREATE TABLE workouts (
    user_id TEXT NOT NULL,
    workout_key TEXT NOT NULL,
    id BIGINT,
    category BIGINT NOT NULL,
    start_at BIGINT NOT NULL,
    end_at BIGINT NOT NULL,
    local_start TEXT NOT NULL,
    local_end TEXT NOT NULL,
    date TEXT NOT NULL,
    duration_s BIGINT NOT NULL,
    attrib BIGINT,
    device_id TEXT,
    model_id BIGINT,
    model_name TEXT,
    modified BIGINT NOT NULL,
    calories DOUBLE PRECISION,
    steps BIGINT,
    distance_m DOUBLE PRECISION,
    elevation DOUBLE PRECISION,
    hr_average DOUBLE PRECISION,
    hr_min DOUBLE PRECISION,
    hr_max DOUBLE PRECISION,
    details TEXT NOT NULL,
    synced_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, workout_key)
);
CREATE INDEX workouts_time ON workouts (user_id, start_at);

CREATE TABLE sleep_summaries (
    user_id TEXT NOT NULL,
    summary_key TEXT NOT NULL,
    id BIGINT,
    date TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    start_at BIGINT NOT NULL,
    end_at BIGINT NOT NULL,
    local_start TEXT NOT NULL,
    local_end TEXT NOT NULL,
    created BIGINT,
    modified BIGINT NOT NULL,
    model BIGINT,
    model_id BIGINT,
    hash_device_id TEXT,
    completed BIGINT,
    total_sleep_s BIGINT,
    time_in_bed_s BIGINT,
    light_s BIGINT,
    deep_s BIGINT,
    rem_s BIGINT,
    awake_s BIGINT,
    wakeup_count BIGINT,
    sleep_efficiency DOUBLE PRECISION,
    sleep_score BIGINT,
    hr_average DOUBLE PRECISION,
    hr_min DOUBLE PRECISION,
    hr_max DOUBLE PRECISION,
    rr_average DOUBLE PRECISION,
    snoring_s BIGINT,
    metrics TEXT NOT NULL,
    synced_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, summary_key)
);
CREATE INDEX sleep_summaries_time ON sleep_summaries (user_id, start_at);

CREATE TABLE sleep_segments (
    user_id TEXT NOT NULL,
    source TEXT NOT NULL,
    start_at BIGINT NOT NULL,
    end_at BIGINT NOT NULL,
    state BIGINT NOT NULL,
    model_id BIGINT,
    model_name TEXT,
    hash_device_id TEXT,
    hr TEXT,
    rr TEXT,
    snoring TEXT,
    sdnn_1 TEXT,
    rmssd TEXT,
    hrv_quality TEXT,
    mvt_score TEXT,
    chest_movement_rate TEXT,
    withings_index TEXT,
    breathing_sounds TEXT,
    synced_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, source, start_at)
);
CREATE INDEX sleep_segments_time ON sleep_segments (user_id, start_at);

CREATE TABLE intraday (
    user_id TEXT NOT NULL,
    source TEXT NOT NULL,
    at BIGINT NOT NULL,
    duration_s BIGINT,
    device_id TEXT,
    model_id BIGINT,
    model_name TEXT,
    steps BIGINT,
    elevation DOUBLE PRECISION,
    calories DOUBLE PRECISION,
    distance_m DOUBLE PRECISION,
    strokes BIGINT,
    pool_laps BIGINT,
    heart_rate DOUBLE PRECISION,
    spo2 DOUBLE PRECISION,
    hrv_rmssd_ms DOUBLE PRECISION,
    hrv_sdnn_ms DOUBLE PRECISION,
    hrv_quality DOUBLE PRECISION,
    core_body_temperature_c DOUBLE PRECISION,
    respiration_rate DOUBLE PRECISION,
    chest_movement_rate DOUBLE PRECISION,
    synced_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, source, at)
);
CREATE INDEX intraday_time ON intraday (user_id, at);

CREATE TABLE heart (
    user_id TEXT NOT NULL,
    record_key TEXT NOT NULL,
    taken_at BIGINT NOT NULL,
    local_time TEXT,
    modified BIGINT,
    device_id TEXT,
    model TEXT,
    ecg_signal_id BIGINT,
    afib BIGINT,
    systolic_mmhg DOUBLE PRECISION,
    diastolic_mmhg DOUBLE PRECISION,
    stetho_signal_id BIGINT,
    vhd BIGINT,
    heart_rate DOUBLE PRECISION,
    synced_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, record_key)
);

CREATE TABLE devices (
    user_id TEXT NOT NULL,
    device_key TEXT NOT NULL,
    type TEXT NOT NULL,
    battery TEXT NOT NULL,
    model_name TEXT,
    model_id BIGINT,
    device_id TEXT,
    hash_device_id TEXT,
    time_zone TEXT NOT NULL,
    first_session BIGINT,
    last_session BIGINT,
    mac_address TEXT,
    firmware TEXT,
    network TEXT,
    last_used_network TEXT,
    sim_status TEXT,
    synced_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, device_key)
);

CREATE TABLE goals (
    user_id TEXT NOT NULL,
    steps BIGINT,
    sleep_s BIGINT,
    weight_kg TEXT,
    weight_mantissa BIGINT,
    weight_exponent BIGINT,
    synced_at BIGINT NOT NULL,
    PRIMARY KEY (user_id)
);

CREATE TABLE rejected (
    user_id TEXT NOT NULL,
    data_type TEXT NOT NULL,
    raw TEXT NOT NULL,
    context TEXT NOT NULL,
    path TEXT NOT NULL,
    error TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_tried BIGINT NOT NULL,
    tries BIGINT NOT NULL,
    PRIMARY KEY (user_id, data_type, raw)
);

CREATE TABLE cursors (
    user_id TEXT NOT NULL,
    data_type TEXT NOT NULL,
    lastupdate BIGINT NOT NULL,
    page_offset BIGINT,
    next_lastupdate BIGINT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, data_type)
);

CREATE TABLE pending (
    user_id TEXT NOT NULL,
    data_type TEXT NOT NULL,
    start_at BIGINT NOT NULL,
    end_at BIGINT NOT NULL,
    queued_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, data_type, start_at, end_at)
);

CREATE TABLE full_seen (
    table_name TEXT NOT NULL,
    user_id TEXT NOT NULL,
    row_key TEXT NOT NULL,
    PRIMARY KEY (table_name, user_id, row_key)
);
"#;
