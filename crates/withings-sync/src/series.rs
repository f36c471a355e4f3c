//! Time series read back from a [`Store`]: what charts and reports show.
//!
//! Each query reads its table in chunks through [`Store::read`] (so it works on any store and
//! memory holds the series, not the table) and keeps only what the series needs:
//!
//! | series | from | one point per |
//! |---|---|---|
//! | [`measure`] (weight, fat ratio…) | `measures` of one type | measure, the user's own (attribution device or manual) and real (not an objective) |
//! | [`daily_steps`] | `activity.steps` | local day with a step count |
//! | [`sleep_nights`] | `sleep_summaries` light/deep/REM/awake | night (`date`), the sleeps of one date summed ([`nights`]) |
//! | [`resting_heart_rate`] | `sleep_summaries.hr_min` | night: the lowest heart rate of that date's sleeps, the usual stand-in for a resting heart rate (the API has no resting value) |
//!
//! Values become `f64` here, for drawing: a measure's exact decimal text is parsed (the
//! nearest double), never computed as `mantissa × 10^exponent`. The pure parts —
//! [`moving_average`] and [`nights`] — take and return plain values.
//!
//! ```
//! use withings_sync::series::{Point, moving_average};
//! use withings::jiff::{SignedDuration, Timestamp};
//!
//! let day = |d: i64| Timestamp::from_second(d * 86_400).unwrap();
//! let weights = [Point::new(day(0), 80.0), Point::new(day(1), 79.0), Point::new(day(9), 77.0)];
//! let avg = moving_average(&weights, SignedDuration::from_hours(7 * 24));
//! assert_eq!(avg.iter().map(|p| p.value).collect::<Vec<_>>(), [80.0, 79.5, 77.0]);
//! ```

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use withings::model::codes::Attrib;

use crate::schema::{self, TableDef, Value};
use crate::store::{ReadQuery, Store};
use crate::{Error, Result};

/// Rows read at a time.
const CHUNK: usize = 2000;

/// Measure type codes of the charted measures (`meastype`, API notes §7).
pub mod kind {
    /// Weight, kg.
    pub const WEIGHT: i64 = 1;
    /// Fat ratio, %.
    pub const FAT_RATIO: i64 = 6;
}

/// A value at an instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// When.
    pub at: Timestamp,
    /// The value.
    pub value: f64,
}

impl Point {
    /// A point.
    #[must_use]
    pub const fn new(at: Timestamp, value: f64) -> Self {
        Self { at, value }
    }
}

/// A value of a local day (a day's steps, a night's heart rate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayValue {
    /// The local date (for a night: the date Withings gives it, the day it ends).
    pub date: Date,
    /// The value.
    pub value: f64,
}

/// The time spent in each sleep stage in one night, seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NightStages {
    /// The night's date.
    pub date: Date,
    /// Light sleep.
    pub light_s: i64,
    /// Deep sleep.
    pub deep_s: i64,
    /// REM sleep.
    pub rem_s: i64,
    /// Awake in bed.
    pub awake_s: i64,
}

impl NightStages {
    /// Time asleep (light + deep + REM), seconds.
    #[must_use]
    pub const fn asleep_s(&self) -> i64 {
        self.light_s + self.deep_s + self.rem_s
    }
}

/// The trailing moving average of `points` (sorted by time) over `window`: for each point,
/// the mean of the points in `(at − window, at]`. One output point per input point, at the
/// same instant; gaps in the data shorten the average, they invent nothing.
#[must_use]
pub fn moving_average(points: &[Point], window: SignedDuration) -> Vec<Point> {
    let mut out = Vec::with_capacity(points.len());
    let mut start = 0;
    let mut sum = 0.0;
    for (i, p) in points.iter().enumerate() {
        sum += p.value;
        while start < i && points[start].at <= p.at - window {
            sum -= points[start].value;
            start += 1;
        }
        // The count is at most the slice length: exact in an f64.
        #[allow(clippy::cast_precision_loss)]
        let n = (i + 1 - start) as f64;
        out.push(Point::new(p.at, sum / n));
    }
    out
}

/// Sleep stages summed per date, in date order: `(date, [light, deep, rem, awake])` for
/// each sleep (a night and a nap of the same date add up; an absent stage counts 0). A date
/// whose sleeps give no stage at all is left out.
#[must_use]
pub fn nights(sleeps: impl IntoIterator<Item = (Date, [Option<i64>; 4])>) -> Vec<NightStages> {
    let mut by_date: BTreeMap<Date, NightStages> = BTreeMap::new();
    for (date, [light, deep, rem, awake]) in sleeps {
        if [light, deep, rem, awake].iter().all(Option::is_none) {
            continue;
        }
        let n = by_date.entry(date).or_insert(NightStages {
            date,
            ..NightStages::default()
        });
        n.light_s += light.unwrap_or(0);
        n.deep_s += deep.unwrap_or(0);
        n.rem_s += rem.unwrap_or(0);
        n.awake_s += awake.unwrap_or(0);
    }
    by_date.into_values().collect()
}

/// The values of one measure type (see [`kind`]) taken at or after `since`, oldest first:
/// the user's own (attribution by a device or typed in; groups that may be someone else's
/// are left out) and real measures (not objectives). `user`: `None` for every user's.
///
/// # Errors
/// The store's, or [`Error::Corrupt`] for a stored value that is not a decimal.
pub async fn measure<S: Store>(
    store: &S,
    user: Option<&str>,
    kind: i64,
    since: Option<Timestamp>,
) -> Result<Vec<Point>> {
    let t = &schema::MEASURES;
    let [ty, cat, attrib, at, value] =
        columns(t, ["type", "category", "attrib", "taken_at", "value"])?;
    let mut out = Vec::new();
    read_all(
        store,
        t,
        user,
        since.map(|s| Value::Int(s.as_second())),
        |row| {
            if row[ty].as_int() != Some(kind) || row[cat].as_int() != Some(1) {
                return Ok(());
            }
            // Absent or unknown attribution: may be someone else's (as `withings latest`).
            let own = row[attrib]
                .as_int()
                .is_some_and(|a| !Attrib::from_code(a).may_be_someone_else());
            if !own {
                return Ok(());
            }
            let text = row[value].as_text().unwrap_or_default();
            let v: f64 = text
                .parse()
                .map_err(|_| Error::Corrupt(format!("measures.value `{text}` is not a decimal")))?;
            out.push(Point::new(instant(&row[at])?, v));
            Ok(())
        },
    )
    .await?;
    Ok(out)
}

/// Steps per local day on or after `since` (compared with the day's date in UTC), oldest
/// first; days without a step count are left out.
///
/// # Errors
/// The store's, or [`Error::Corrupt`] for a date that does not parse.
pub async fn daily_steps<S: Store>(
    store: &S,
    user: Option<&str>,
    since: Option<Timestamp>,
) -> Result<Vec<DayValue>> {
    let t = &schema::ACTIVITY;
    let [date, steps] = columns(t, ["date", "steps"])?;
    let since = since.map(|s| Value::Text(utc_date(s).to_string()));
    let mut out = Vec::new();
    read_all(store, t, user, since, |row| {
        if let Some(s) = row[steps].as_int() {
            #[allow(clippy::cast_precision_loss)]
            out.push(DayValue {
                date: civil(&row[date])?,
                value: s as f64,
            });
        }
        Ok(())
    })
    .await?;
    Ok(out)
}

/// Time in each sleep stage per night whose sleep started at or after `since`, oldest
/// first ([`nights`]).
///
/// # Errors
/// The store's, or [`Error::Corrupt`] for a date that does not parse.
pub async fn sleep_nights<S: Store>(
    store: &S,
    user: Option<&str>,
    since: Option<Timestamp>,
) -> Result<Vec<NightStages>> {
    let t = &schema::SLEEP_SUMMARIES;
    let [date, light, deep, rem, awake] =
        columns(t, ["date", "light_s", "deep_s", "rem_s", "awake_s"])?;
    let mut sleeps = Vec::new();
    read_all(
        store,
        t,
        user,
        since.map(|s| Value::Int(s.as_second())),
        |row| {
            sleeps.push((
                civil(&row[date])?,
                [light, deep, rem, awake].map(|i| row[i].as_int()),
            ));
            Ok(())
        },
    )
    .await?;
    Ok(nights(sleeps))
}

/// The lowest heart rate of each night (the smallest `hr_min` of the date's sleeps) whose
/// sleep started at or after `since`, bpm, oldest first; nights without one are left out.
///
/// # Errors
/// The store's, or [`Error::Corrupt`] for a date that does not parse.
pub async fn resting_heart_rate<S: Store>(
    store: &S,
    user: Option<&str>,
    since: Option<Timestamp>,
) -> Result<Vec<DayValue>> {
    let t = &schema::SLEEP_SUMMARIES;
    let [date, hr_min] = columns(t, ["date", "hr_min"])?;
    let mut by_date: BTreeMap<Date, f64> = BTreeMap::new();
    read_all(
        store,
        t,
        user,
        since.map(|s| Value::Int(s.as_second())),
        |row| {
            let hr = match &row[hr_min] {
                Value::Real(f) => *f,
                #[allow(clippy::cast_precision_loss)]
                Value::Int(i) => *i as f64,
                _ => return Ok(()),
            };
            let d = civil(&row[date])?;
            let e = by_date.entry(d).or_insert(hr);
            *e = e.min(hr);
            Ok(())
        },
    )
    .await?;
    Ok(by_date
        .into_iter()
        .map(|(date, value)| DayValue { date, value })
        .collect())
}

/// The positions (after `user_id`, which a read row has first) of `names` in `table`.
fn columns<const N: usize>(table: &TableDef, names: [&str; N]) -> Result<[usize; N]> {
    let mut out = [0; N];
    for (o, name) in out.iter_mut().zip(names) {
        *o = table
            .index(name)
            .ok_or_else(|| Error::Corrupt(format!("{} has no column {name}", table.name)))?
            + 1;
    }
    Ok(out)
}

/// Reads `table` in chunks, in time order, handing each row to `f`.
async fn read_all<S: Store>(
    store: &S,
    table: &'static TableDef,
    user: Option<&str>,
    since: Option<Value>,
    mut f: impl FnMut(&[Value]) -> Result<()>,
) -> Result<()> {
    let mut after = None;
    loop {
        let rows = store
            .read(ReadQuery {
                table,
                user: user.map(str::to_owned),
                since: since.clone(),
                after: after.take(),
                limit: CHUNK,
            })
            .await?;
        for row in &rows {
            f(row)?;
        }
        if rows.len() < CHUNK {
            return Ok(());
        }
        after = rows.last().cloned();
    }
}

fn instant(v: &Value) -> Result<Timestamp> {
    v.as_int()
        .and_then(|s| Timestamp::from_second(s).ok())
        .ok_or_else(|| Error::Corrupt(format!("{v:?} is not an instant")))
}

fn civil(v: &Value) -> Result<Date> {
    v.as_text()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::Corrupt(format!("{v:?} is not a YYYY-MM-DD date")))
}

fn utc_date(t: Timestamp) -> Date {
    t.to_zoned_datetime(jiff::tz::TimeZone::UTC).date()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn day(d: i64) -> Timestamp {
        Timestamp::from_second(d * 86_400).unwrap()
    }

    fn values(points: &[Point]) -> Vec<f64> {
        points.iter().map(|p| p.value).collect()
    }

    #[test]
    fn moving_average_covers_the_trailing_window_only() {
        let week = SignedDuration::from_hours(7 * 24);
        let pts: Vec<Point> = (0..10).map(|d| Point::new(day(d), d as f64)).collect();
        let avg = moving_average(&pts, week);
        // Days 0..=6 average everything so far; from day 7 on the window is 7 points.
        assert_eq!(
            values(&avg),
            [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0]
        );
        assert_eq!(avg[9].at, day(9));
    }

    #[test]
    fn moving_average_excludes_the_point_exactly_one_window_back_and_keeps_same_instants() {
        let week = SignedDuration::from_hours(7 * 24);
        let pts = [
            Point::new(day(0), 10.0),
            Point::new(day(7), 20.0),
            Point::new(day(7), 30.0),
        ];
        assert_eq!(values(&moving_average(&pts, week)), [10.0, 20.0, 25.0]);
        assert!(moving_average(&[], week).is_empty());
    }

    fn meas(
        grpid: i64,
        ty: i64,
        value: &str,
        category: i64,
        attrib: Option<i64>,
        at: i64,
    ) -> crate::Row {
        let v = |t: &str| Value::Text(t.to_owned());
        crate::Row {
            table: &schema::MEASURES,
            values: vec![
                Value::Int(grpid),
                Value::Int(ty),
                Value::Int(-1),
                v(value),
                Value::Int(0),
                Value::Int(0),
                Value::Null,
                Value::Int(category),
                Value::int(attrib),
                Value::Int(at),
                v("1970-01-01T00:00:00+00:00"),
                v("UTC"),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
            ],
        }
    }

    #[tokio::test]
    async fn measure_keeps_the_users_own_real_values_of_the_type_since_the_instant() {
        let store = crate::SqliteStore::open_in_memory().unwrap();
        let mut b = crate::Batch::new("u1", 0);
        b.upsert(meas(1, kind::WEIGHT, "80.5", 1, Some(0), 100));
        b.upsert(meas(2, kind::WEIGHT, "90", 1, Some(1), 200)); // ambiguous: someone else's?
        b.upsert(meas(3, kind::WEIGHT, "75", 2, Some(0), 300)); // an objective
        b.upsert(meas(4, kind::FAT_RATIO, "20.1", 1, Some(0), 400)); // another type
        b.upsert(meas(5, kind::WEIGHT, "79.25", 1, Some(2), 500)); // typed in
        b.upsert(meas(6, kind::WEIGHT, "81", 1, None, 600)); // no attribution
        b.upsert(meas(7, kind::WEIGHT, "78", 1, Some(0), 50)); // before `since`
        store.write(b).await.unwrap();
        let mut other = crate::Batch::new("u2", 0);
        other.upsert(meas(8, kind::WEIGHT, "60", 1, Some(0), 700));
        store.write(other).await.unwrap();

        let since = Some(Timestamp::from_second(100).unwrap());
        let got = measure(&store, Some("u1"), kind::WEIGHT, since)
            .await
            .unwrap();
        let got: Vec<(i64, f64)> = got.iter().map(|p| (p.at.as_second(), p.value)).collect();
        assert_eq!(got, [(100, 80.5), (500, 79.25)]);
        let all = measure(&store, None, kind::WEIGHT, None).await.unwrap();
        assert_eq!(all.len(), 4, "{all:?}");
    }

    #[test]
    fn nights_sum_the_sleeps_of_a_date_and_skip_dates_without_stages() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        let got = nights([
            (d("2024-06-02"), [Some(100), Some(50), None, Some(5)]),
            (d("2024-06-01"), [Some(10), Some(20), Some(30), Some(40)]),
            (d("2024-06-02"), [Some(1), None, Some(7), None]),
            (d("2024-06-03"), [None, None, None, None]),
        ]);
        assert_eq!(
            got,
            [
                NightStages {
                    date: d("2024-06-01"),
                    light_s: 10,
                    deep_s: 20,
                    rem_s: 30,
                    awake_s: 40
                },
                NightStages {
                    date: d("2024-06-02"),
                    light_s: 101,
                    deep_s: 50,
                    rem_s: 7,
                    awake_s: 5
                },
            ]
        );
        assert_eq!(got[1].asleep_s(), 158);
    }
}
