//! `withings export`: a table of the local database as CSV or JSON, offline (no token, no
//! network), read and written in chunks.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::Args;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use withings_sync::{ReadQuery, SqliteStore, Store, TableDef, Value};

use crate::error::{Exit, Failure};
use crate::output::{Format, json_string};
use crate::sync::{db_path, failure};
use crate::window::parse_since;

/// Rows read from the database at a time.
const CHUNK: usize = 1000;

/// `withings export`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ExportArgs {
    /// The table: measures, activity, workouts, sleep-summaries, sleep-segments, intraday,
    /// heart, devices, goals.
    #[arg(long, default_value = "measures", value_parser = parse_table)]
    pub(crate) table: &'static TableDef,
    /// Only rows from this long ago on (by the table's time: when measured, the day, the
    /// start): 30d, 2w, 48h.
    #[arg(long, value_name = "AGE", value_parser = parse_since)]
    pub(crate) since: Option<SignedDuration>,
    /// Only this user's rows [default: every user's].
    #[arg(long, value_name = "ID")]
    pub(crate) user: Option<String>,
    /// The database file [default: as `withings sync`; env WITHINGS_DB].
    #[arg(long, value_name = "PATH")]
    pub(crate) db: Option<PathBuf>,
}

fn parse_table(s: &str) -> Result<&'static TableDef, String> {
    TableDef::by_name(s).ok_or_else(|| {
        let names: Vec<String> = TableDef::all().map(|t| t.name.replace('_', "-")).collect();
        format!("unknown table `{s}`: use {}", names.join(", "))
    })
}

/// Writes the table to `out`: CSV (the default, also for `--format table`) or a JSON array
/// of objects. Values are exact: measures' `value` is the decimal text, times are unix
/// seconds or RFC 3339 local times as stored.
pub(crate) async fn run(
    args: &ExportArgs,
    format: Format,
    now: Timestamp,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let path = db_path(args.db.as_ref())?;
    if !path.exists() {
        return Err(Failure::new(
            Exit::Config,
            format!(
                "no database at {}: run `withings sync` first (or pass --db)",
                path.display()
            ),
        ));
    }
    let store = SqliteStore::open(&path).map_err(|e| failure(None, e))?;
    let table = args.table;
    let since = args.since.map(|age| {
        let t = now - age;
        if table.time == Some("date") {
            Value::Text(
                t.to_zoned_datetime(TimeZone::UTC)
                    .date()
                    .strftime("%Y-%m-%d")
                    .to_string(),
            )
        } else {
            Value::Int(t.as_second())
        }
    });
    let columns: Vec<&str> = table.export_columns().collect();
    let json = format == Format::Json;
    let mut csv = (!json).then(|| csv::Writer::from_writer(Vec::new()));
    if let Some(w) = &mut csv {
        w.write_record(&columns).map_err(io_failure)?;
        flush_csv(w, out)?;
    } else {
        write(out, b"[")?;
    }
    let mut after = None;
    let mut first = true;
    loop {
        let rows = store
            .read(ReadQuery {
                table,
                user: args.user.clone(),
                since: since.clone(),
                after: after.take(),
                limit: CHUNK,
            })
            .await
            .map_err(|e| failure(None, e))?;
        for row in &rows {
            match &mut csv {
                Some(w) => {
                    w.write_record(row.iter().map(csv_text))
                        .map_err(io_failure)?;
                }
                None => {
                    let fields: Vec<String> = columns
                        .iter()
                        .zip(row)
                        .map(|(c, v)| format!("{}:{}", json_string(c), json_value(v)))
                        .collect();
                    let sep = if first { "\n" } else { ",\n" };
                    write(out, format!("{sep}  {{{}}}", fields.join(",")).as_bytes())?;
                }
            }
            first = false;
        }
        if let Some(w) = &mut csv {
            flush_csv(w, out)?;
        }
        if rows.len() < CHUNK {
            break;
        }
        after = rows.last().cloned();
    }
    if !json {
        return Ok(());
    }
    write(out, if first { b"]\n" } else { b"\n]\n" })
}

fn csv_text(v: &Value) -> String {
    match v {
        Value::Int(i) => i.to_string(),
        Value::Real(f) => f.to_string(),
        Value::Text(s) => s.clone(),
        _ => String::new(),
    }
}

fn json_value(v: &Value) -> String {
    match v {
        // Rust prints the shortest text that reads back to the same f64, never with an
        // exponent: a valid JSON number.
        Value::Int(i) => i.to_string(),
        Value::Real(f) if f.is_finite() => f.to_string(),
        Value::Text(s) => json_string(s),
        _ => "null".to_owned(),
    }
}

/// Writes what the CSV writer holds to `out` and gives it an empty buffer.
fn flush_csv(w: &mut csv::Writer<Vec<u8>>, out: &mut dyn Write) -> Result<(), Failure> {
    let full = std::mem::replace(w, csv::Writer::from_writer(Vec::new()));
    let buf = full.into_inner().map_err(io_failure)?;
    write(out, &buf)
}

/// Writes to stdout; a closed pipe (`withings export | head`) ends quietly.
fn write(out: &mut dyn Write, bytes: &[u8]) -> Result<(), Failure> {
    match out.write_all(bytes) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

fn io_failure(e: impl std::fmt::Display) -> Failure {
    Failure::other(format!("cannot write the export: {e}"))
}
