//! Rows with stable columns, printed as an aligned table, JSON or CSV.
//!
//! Every data command builds one [`Table`]; the three formats print the same cells:
//! - `json`: an array of objects, one per row, keys in column order. Integers and floats are
//!   JSON numbers written as their shortest exact text; [`Decimal`] measures are strings
//!   (`"78.25"`), as `withings::decode::Decimal` serializes, so no `f64` rounding touches them;
//!   times are RFC 3339 with the offset of the zone shown in the row; durations are seconds;
//!   absent values are `null`.
//! - `csv`: a header line of column names, then one line per row with the same texts (absent
//!   values empty), quoted per RFC 4180 where needed (by the `csv` crate).
//! - `table`: the columns marked for people, aligned, with local times without seconds and
//!   durations as `7h32m`.

use std::io::{self, Write};

use jiff::ZonedDateTime;
use jiff::civil::Date;
use withings::decode::Decimal;
use withings::model::{Number, Rejected};

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Aligned columns for people.
    Table,
    /// An array of objects, exact values.
    Json,
    /// A header line, then one line per row, exact values.
    Csv,
}

/// One value.
#[derive(Debug, Clone)]
pub(crate) enum Cell {
    /// Absent.
    Null,
    /// An integer.
    Int(i64),
    /// A float as Withings sent it (distances, calories).
    Float(f64),
    /// An exact decimal (measures, weight goal).
    Dec(Decimal),
    /// Text.
    Text(String),
    /// An instant, in the zone it is shown in.
    Time(ZonedDateTime),
    /// A calendar date.
    Date(Date),
    /// A duration in whole seconds.
    Secs(i64),
    /// A yes/no.
    Bool(bool),
}

impl Cell {
    pub(crate) fn text(s: impl Into<String>) -> Self {
        Self::Text(s.into())
    }

    pub(crate) fn opt<T>(v: Option<T>, f: impl FnOnce(T) -> Self) -> Self {
        v.map_or(Self::Null, f)
    }

    pub(crate) fn opt_int(v: Option<i64>) -> Self {
        Self::opt(v, Self::Int)
    }

    pub(crate) fn opt_float(v: Option<f64>) -> Self {
        Self::opt(v, Self::Float)
    }

    /// A number as the API sent it: an integer stays one, a fraction stays a float.
    pub(crate) fn num(v: Number) -> Self {
        match v {
            Number::Int(i) => Self::Int(i),
            Number::Float(f) => Self::Float(f),
        }
    }

    pub(crate) fn opt_num(v: Option<Number>) -> Self {
        Self::opt(v, Self::num)
    }

    pub(crate) fn opt_text(v: Option<impl Into<String>>) -> Self {
        Self::opt(v, |s| Self::Text(s.into()))
    }

    pub(crate) fn opt_secs(v: Option<jiff::SignedDuration>) -> Self {
        Self::opt(v, |d| Self::Secs(d.as_secs()))
    }

    /// The exact text used by CSV (and by JSON strings); `None` for an absent value.
    fn exact(&self) -> Option<String> {
        Some(match self {
            Self::Null => return None,
            Self::Int(i) | Self::Secs(i) => i.to_string(),
            Self::Float(f) if f.is_finite() => f.to_string(),
            Self::Float(_) => return None,
            Self::Dec(d) => d.to_string(),
            Self::Text(s) => s.clone(),
            Self::Time(z) => z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
            Self::Date(d) => d.strftime("%Y-%m-%d").to_string(),
            Self::Bool(b) => b.to_string(),
        })
    }

    fn json(&self) -> String {
        match self {
            // Rust prints the shortest text that reads back to the same f64, never with an
            // exponent: a valid JSON number.
            Self::Int(_) | Self::Secs(_) | Self::Float(_) | Self::Bool(_) => {
                self.exact().unwrap_or_else(|| "null".into())
            }
            Self::Null => "null".into(),
            other => json_string(&other.exact().unwrap_or_default()),
        }
    }

    fn human(&self) -> String {
        match self {
            Self::Null => "-".into(),
            Self::Float(f) if f.is_finite() => {
                let s = format!("{f:.2}");
                let s = s.trim_end_matches('0').trim_end_matches('.');
                s.to_owned()
            }
            Self::Time(z) => z.strftime("%Y-%m-%d %H:%M").to_string(),
            Self::Secs(s) => duration(*s),
            other => other.exact().unwrap_or_else(|| "-".into()),
        }
    }

    fn right_aligned(&self) -> bool {
        matches!(
            self,
            Self::Int(_) | Self::Float(_) | Self::Dec(_) | Self::Secs(_)
        )
    }
}

/// `7h32m`, `45m`, `30s`, `-5m`.
pub(crate) fn duration(secs: i64) -> String {
    let sign = if secs < 0 { "-" } else { "" };
    let s = secs.unsigned_abs();
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    match (h, m, sec) {
        (0, 0, sec) => format!("{sign}{sec}s"),
        (0, m, 0) => format!("{sign}{m}m"),
        (0, m, sec) => format!("{sign}{m}m{sec:02}s"),
        (h, m, _) => format!("{sign}{h}h{m:02}m"),
    }
}

/// A JSON string literal.
pub(crate) fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// A column: its stable name (JSON key, CSV header) and whether the table shows it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Column {
    pub(crate) name: &'static str,
    pub(crate) in_table: bool,
    /// The table leaves the column out when no row has a value in it.
    pub(crate) hide_empty: bool,
}

impl Column {
    /// The table's header: the name without the `_s` of seconds, since the table shows
    /// durations as `7h32m`.
    fn title(&self) -> &'static str {
        self.name.strip_suffix("_s").unwrap_or(self.name)
    }
}

/// A column shown everywhere.
pub(crate) const fn col(name: &'static str) -> Column {
    Column {
        name,
        in_table: true,
        hide_empty: false,
    }
}

/// A column of the JSON and CSV output only (too wide or too technical for the table).
pub(crate) const fn extra(name: &'static str) -> Column {
    Column {
        name,
        in_table: false,
        hide_empty: false,
    }
}

/// A column the table shows only when some row has a value in it (JSON and CSV always
/// have it).
pub(crate) const fn col_if_any(name: &'static str) -> Column {
    Column {
        name,
        in_table: true,
        hide_empty: true,
    }
}

/// Rows with fixed columns.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub(crate) columns: Vec<Column>,
    pub(crate) rows: Vec<Vec<Cell>>,
    /// Lines printed under the table (table format only): totals, notes.
    pub(crate) notes: Vec<String>,
    /// Lines for stderr, in every format: the records of the response that could not be
    /// read and are not in the rows.
    pub(crate) warnings: Vec<String>,
}

impl Table {
    pub(crate) fn new(columns: &[Column]) -> Self {
        Self {
            columns: columns.to_vec(),
            rows: Vec::new(),
            notes: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// One warning per record the library could not read (API notes §15): its path, the
    /// response it was in when several were merged, and what was wrong.
    pub(crate) fn left_out(&mut self, rejected: &[Rejected]) {
        for r in rejected {
            let response = r
                .response
                .map_or_else(String::new, |n| format!(" (response {n})"));
            self.warnings.push(format!(
                "left out a record that could not be read, at {}{response}: {}",
                r.path, r.error
            ));
        }
    }

    /// Adds a row; it must have one cell per column (a mismatch is a bug in the command, so
    /// the row is padded or cut rather than failing the user's call).
    pub(crate) fn push(&mut self, mut row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.columns.len(), "row width");
        row.resize(self.columns.len(), Cell::Null);
        self.rows.push(row);
    }

    pub(crate) fn write(&self, format: Format, out: &mut dyn Write) -> io::Result<()> {
        match format {
            Format::Table => self.write_table(out),
            Format::Json => self.write_json(out),
            Format::Csv => self.write_csv(out),
        }
    }

    fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.rows.is_empty() {
            return writeln!(out, "[]");
        }
        writeln!(out, "[")?;
        for (i, row) in self.rows.iter().enumerate() {
            let fields: Vec<String> = self
                .columns
                .iter()
                .zip(row)
                .map(|(c, v)| format!("{}:{}", json_string(c.name), v.json()))
                .collect();
            let comma = if i + 1 < self.rows.len() { "," } else { "" };
            writeln!(out, "  {{{}}}{comma}", fields.join(","))?;
        }
        writeln!(out, "]")
    }

    fn write_csv(&self, out: &mut dyn Write) -> io::Result<()> {
        // The csv crate's defaults: quotes only where needed (`,`, `"`, CR, LF), `"` doubled,
        // `\n` after each record; every record as wide as the header (`push` pads rows).
        let mut w = csv::Writer::from_writer(out);
        w.write_record(self.columns.iter().map(|c| c.name))?;
        for row in &self.rows {
            w.write_record(row.iter().map(|v| v.exact().unwrap_or_default()))?;
        }
        w.flush()
    }

    fn write_table(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.rows.is_empty() {
            writeln!(out, "(no records in this window)")?;
        } else {
            let shown: Vec<usize> = (0..self.columns.len())
                .filter(|&i| {
                    self.columns.get(i).is_some_and(|c| {
                        c.in_table
                            && (!c.hide_empty
                                || self
                                    .rows
                                    .iter()
                                    .any(|r| r.get(i).is_some_and(|v| !matches!(v, Cell::Null))))
                    })
                })
                .collect();
            let cells: Vec<Vec<String>> = self
                .rows
                .iter()
                .map(|row| {
                    shown
                        .iter()
                        .map(|&i| row.get(i).map_or_else(|| "-".into(), Cell::human))
                        .collect()
                })
                .collect();
            // A column with any number in it is a numeric column: all its cells, absent
            // ones (`-`) included, align right.
            let right: Vec<bool> = shown
                .iter()
                .map(|&i| {
                    self.rows
                        .iter()
                        .any(|r| r.get(i).is_some_and(Cell::right_aligned))
                })
                .collect();
            let mut widths: Vec<usize> = shown
                .iter()
                .map(|&i| self.columns.get(i).map_or(0, |c| c.title().chars().count()))
                .collect();
            for row in &cells {
                for (w, text) in widths.iter_mut().zip(row) {
                    *w = (*w).max(text.chars().count());
                }
            }
            let header: Vec<String> = shown
                .iter()
                .zip(&widths)
                .map(|(&i, &w)| {
                    let name = self.columns.get(i).map_or("", |c| c.title());
                    format!("{name:<w$}")
                })
                .collect();
            writeln!(out, "{}", header.join("  ").trim_end())?;
            for row in &cells {
                let line: Vec<String> = row
                    .iter()
                    .zip(widths.iter().zip(&right))
                    .map(|(text, (&w, &right))| {
                        if right {
                            format!("{text:>w$}")
                        } else {
                            format!("{text:<w$}")
                        }
                    })
                    .collect();
                writeln!(out, "{}", line.join("  ").trim_end())?;
            }
        }
        for note in &self.notes {
            writeln!(out, "{note}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(t: &Table, f: Format) -> String {
        let mut out = Vec::new();
        t.write(f, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_three_formats_print_the_same_exact_values() {
        let mut t = Table::new(&[col("name"), col("kg"), extra("km"), col("n"), col("t")]);
        t.push(vec![
            Cell::text("a, \"b\""),
            Cell::Dec(Decimal::new(78250, -3).unwrap()),
            Cell::Float(0.1),
            Cell::Null,
            Cell::Secs(27_120),
        ]);
        assert_eq!(
            render(&t, Format::Csv),
            "name,kg,km,n,t\n\"a, \"\"b\"\"\",78.25,0.1,,27120\n"
        );
        assert_eq!(
            render(&t, Format::Json),
            "[\n  {\"name\":\"a, \\\"b\\\"\",\"kg\":\"78.25\",\"km\":0.1,\"n\":null,\"t\":27120}\n]\n"
        );
        assert_eq!(
            render(&t, Format::Table),
            "name    kg     n  t\na, \"b\"  78.25  -  7h32m\n"
        );
    }

    #[test]
    fn csv_quotes_only_what_needs_it() {
        let mut t = Table::new(&[col("a"), col("b"), col("c"), col("d")]);
        t.push(vec![
            Cell::text("line\nbreak"),
            Cell::text("cr\rhere"),
            Cell::text("plain text"),
            Cell::Bool(true),
        ]);
        t.push(vec![
            Cell::Null,
            Cell::text("\""),
            Cell::Float(f64::NAN),
            Cell::Int(-3),
        ]);
        assert_eq!(
            render(&t, Format::Csv),
            "a,b,c,d\n\"line\nbreak\",\"cr\rhere\",plain text,true\n,\"\"\"\",,-3\n"
        );
        let empty = Table::new(&[col("a"), col("b")]);
        assert_eq!(render(&empty, Format::Csv), "a,b\n");
    }

    #[test]
    fn the_table_hides_empty_optional_columns_only() {
        let mut t = Table::new(&[col("a"), col_if_any("b"), col_if_any("c"), col("d")]);
        t.push(vec![Cell::Int(1), Cell::Null, Cell::Int(7), Cell::Null]);
        t.push(vec![Cell::Int(2), Cell::Null, Cell::Null, Cell::Null]);
        assert_eq!(render(&t, Format::Table), "a  c  d\n1  7  -\n2  -  -\n");
        assert_eq!(render(&t, Format::Csv), "a,b,c,d\n1,,7,\n2,,,\n");
    }

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(duration(30), "30s");
        assert_eq!(duration(2700), "45m");
        assert_eq!(duration(2710), "45m10s");
        assert_eq!(duration(3600 * 7 + 60 * 32 + 5), "7h32m");
        assert_eq!(duration(-300), "-5m");
    }

    #[test]
    fn floats_are_never_written_with_an_exponent() {
        assert_eq!(Cell::Float(1e-7).json(), "0.0000001");
        assert_eq!(Cell::Float(2400.0).json(), "2400");
        assert_eq!(Cell::Float(f64::NAN).json(), "null");
    }
}
