//! The data commands: one [`Table`] each, built from the decoded domain values.
//!
//! Column names are stable: scripts may rely on them (new columns may be appended). Units
//! are in the names (`_m`, `_kg`, `_s` for seconds) except for measures, which carry theirs
//! in a `unit` column.

use std::cmp::Ordering;
use std::fmt::Display;

use jiff::SignedDuration;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use withings::decode::activity::IntradaySample;
use withings::decode::heart::EcgSignal;
use withings::decode::measure::{Measurements, PhysicalUnit};
use withings::decode::notify::{Expiry, Subscription};
use withings::decode::query;
use withings::decode::query::latest::LatestOptions;
use withings::decode::sleep::{Segment, SleepSummary, hypnogram};
use withings::decode::stetho::StethoSignal;
use withings::decode::units::UnitSystem;
use withings::decode::{Decimal, Records};
use withings::model::activity::{GetActivity, GetIntradayActivity};
use withings::model::codes::Category;
use withings::model::heart::{HeartGet, HeartList};
use withings::model::measure::{ConfirmUser, GetMeas, MeasureType};
use withings::model::notify::{
    Appli, NotifyGet, NotifyList, Revoke, Subscribe, Update, UpdateChange,
};
use withings::model::sleep::{GetSleep, GetSleepSummary};
use withings::model::stetho::{StethoGet, StethoList};
use withings::model::url::CallbackUrl;
use withings::model::user::{GetDevice, GetGoals};
use withings::model::workout::GetWorkouts;
use withings::model::{DateWindow, Number};

use crate::app::{Ctx, all_pages, send_split};
use crate::cli::{
    ActivityArgs, CategoryArg, ConfirmUserArgs, IntradayArgs, LatestArgs, MeasArgs, SleepArgs,
    SleepSummaryArgs, UpdatedArgs, WindowArgs, WorkoutsArgs,
};
use crate::error::{Exit, Failure};
use crate::output::{Cell, Column, Format, Table, col, col_if_any, duration, extra};
use crate::window::{Span, api_zone, local, resolve, updated_at, window_zone, zone_name};

/// Default look-backs when no window is given.
pub(crate) const MEAS_DEFAULT: SignedDuration = SignedDuration::from_hours(30 * 24);
pub(crate) const ACTIVITY_DEFAULT: SignedDuration = SignedDuration::from_hours(7 * 24);
pub(crate) const DAY: SignedDuration = SignedDuration::from_hours(24);
pub(crate) const WORKOUTS_DEFAULT: SignedDuration = SignedDuration::from_hours(30 * 24);
pub(crate) const SLEEP_SUMMARY_DEFAULT: SignedDuration = SignedDuration::from_hours(7 * 24);
/// `latest` with only `--to`: how far back.
pub(crate) const LATEST_DEFAULT: SignedDuration = SignedDuration::from_hours(365 * 24);
pub(crate) const HEART_DEFAULT: SignedDuration = SignedDuration::from_hours(365 * 24);
pub(crate) const STETHO_DEFAULT: SignedDuration = SignedDuration::from_hours(365 * 24);

fn span_of(ctx: &Ctx, w: &WindowArgs, default: SignedDuration) -> Result<Span, Failure> {
    resolve(
        w.since,
        w.from,
        w.to,
        default,
        ctx.now,
        &window_zone(ctx.tz.as_ref()),
    )
    .map_err(|m| Failure::new(Exit::Usage, m))
}

/// `--updated-since` as an instant, dates and local times read in `--tz` or the system zone.
fn updated_since(ctx: &Ctx, u: &UpdatedArgs) -> Result<Option<Timestamp>, Failure> {
    u.updated_since
        .map(|u| updated_at(u, ctx.now, &window_zone(ctx.tz.as_ref())))
        .transpose()
        .map_err(|m| Failure::new(Exit::Usage, format!("--updated-since: {m}")))
}

/// The window of a `YYYY-MM-DD` action: `lastupdate` with `--updated-since`, else the local
/// dates the window covers.
fn date_window(
    ctx: &Ctx,
    u: &UpdatedArgs,
    w: &WindowArgs,
    default: SignedDuration,
) -> Result<DateWindow, Failure> {
    if let Some(at) = updated_since(ctx, u)? {
        return Ok(DateWindow::LastUpdate(at));
    }
    let span = span_of(ctx, w, default)?;
    let (start, end) = span.dates(&window_zone(ctx.tz.as_ref()));
    Ok(DateWindow::Dates { start, end })
}

fn name(v: impl Display) -> Cell {
    Cell::Text(v.to_string())
}

/// `withings meas`.
pub(crate) async fn meas(ctx: &Ctx, a: &MeasArgs) -> Result<Table, Failure> {
    let mut req = match updated_since(ctx, &a.updated)? {
        Some(at) => GetMeas::new().updated_since(at),
        None => {
            let span = span_of(ctx, &a.window, MEAS_DEFAULT)?;
            GetMeas::new().between(span.start, span.end)
        }
    };
    if !a.types.is_empty() {
        req = req.meastypes(a.types.iter().copied());
    }
    req = match a.category {
        CategoryArg::Real => req.category(Category::Real),
        CategoryArg::Objective => req.category(Category::Objective),
        CategoryArg::All => req,
    };
    let m: Measurements = all_pages(ctx, req).await?;
    let mut t = meas_table(ctx, &m, &a.types, a.units.units);
    t.left_out(&m.rejected);
    Ok(t)
}

/// Digits after the point of a converted measure that is not exact (lb, in).
const MEASURE_DIGITS: u32 = 2;
/// Digits after the point of a distance in miles (about 1.6 m).
const MILE_DIGITS: u32 = 3;

/// A measure's value, unit and exactness in `units`: the API's own value and unit in metric;
/// converted by the library in imperial (exact where the factor allows, else rounded to
/// [`MEASURE_DIGITS`]). A type without a known unit is shown as sent.
fn measure_cells(value: Decimal, unit: Option<PhysicalUnit>, units: UnitSystem) -> [Cell; 3] {
    match unit {
        Some(u) if units != UnitSystem::Metric => {
            let q = units.show(value, u, MEASURE_DIGITS);
            [
                Cell::Dec(q.value.value()),
                Cell::text(q.symbol),
                Cell::Bool(q.value.is_exact()),
            ]
        }
        Some(u) => [Cell::Dec(value), Cell::text(u.symbol()), Cell::Bool(true)],
        None => [Cell::Dec(value), Cell::Null, Cell::Bool(true)],
    }
}

/// A float the API sent (metres, °C) as the decimal it was written as: its shortest text.
fn decimal_of(f: f64) -> Option<Decimal> {
    if f.is_finite() {
        f.to_string().parse().ok()
    } else {
        None
    }
}

/// A distance column: `distance_m` as sent in metric, `distance_mi` in imperial.
fn distance_column(units: UnitSystem) -> Column {
    col(match units {
        UnitSystem::Metric => "distance_m",
        _ => "distance_mi",
    })
}

/// A temperature in °C as sent, or in °F (converted by the library; exact).
fn temperature_cell(units: UnitSystem, celsius: Option<f64>) -> Cell {
    match units {
        UnitSystem::Metric => Cell::opt_float(celsius),
        _ => Cell::opt(celsius.and_then(decimal_of), |c| {
            Cell::Dec(
                units
                    .show(c, PhysicalUnit::DegreeCelsius, MEASURE_DIGITS)
                    .value
                    .value(),
            )
        }),
    }
}

/// A distance in metres as sent, or in miles (converted by the library).
fn distance_cell(units: UnitSystem, metres: Option<f64>) -> Cell {
    match units {
        UnitSystem::Metric => Cell::opt_float(metres),
        _ => Cell::opt(metres.and_then(decimal_of), |m| {
            Cell::Dec(units.distance(m, MILE_DIGITS).value.value())
        }),
    }
}

pub(crate) fn meas_table(
    ctx: &Ctx,
    m: &Measurements,
    types: &[MeasureType],
    units: UnitSystem,
) -> Table {
    let mut t = Table::new(&[
        col("taken_at"),
        extra("timezone"),
        col("type"),
        col("value"),
        col("unit"),
        extra("type_code"),
        extra("position"),
        extra("grpid"),
        col("category"),
        extra("attrib"),
        extra("manual"),
        col("model"),
        extra("device_id"),
        extra("exact"),
    ]);
    let mut groups: Vec<_> = m.groups.iter().collect();
    groups.sort_by_key(|g| (g.taken_at(), g.grpid()));
    for g in groups {
        let at = match &ctx.tz {
            Some(tz) => g.taken_at().to_zoned_datetime(tz.clone()),
            None => g.local(),
        };
        for v in g.measures() {
            if !types.is_empty() && !types.contains(&v.kind()) {
                continue;
            }
            let [value, unit, exact] = measure_cells(v.value(), v.unit(), units);
            t.push(vec![
                Cell::Time(at.clone()),
                Cell::text(zone_name(&at)),
                name(v.kind()),
                value,
                unit,
                Cell::Int(v.kind().code()),
                Cell::opt(v.position(), name),
                Cell::Int(g.grpid()),
                name(g.category()),
                Cell::opt(g.attrib(), name),
                Cell::Bool(g.manual()),
                Cell::opt(g.model(), name),
                Cell::opt_text(g.device_id()),
                exact,
            ]);
        }
    }
    t
}

/// `withings latest`: the library picks the latest value of each type and position
/// ([`latest`](withings::decode::query::latest::latest)) from real measures; the CLI asks
/// for them and prints one row each.
pub(crate) async fn latest(ctx: &Ctx, a: &LatestArgs) -> Result<Table, Failure> {
    let w = &a.window;
    let mut req = GetMeas::new().category(Category::Real);
    if w.since.is_some() || w.from.is_some() || w.to.is_some() {
        let span = span_of(ctx, w, LATEST_DEFAULT)?;
        req = req.between(span.start, span.end);
    }
    if !a.types.is_empty() {
        req = req.meastypes(a.types.iter().copied());
    }
    let m: Measurements = all_pages(ctx, req).await?;
    let options = LatestOptions::default().ambiguous(a.ambiguous);
    let values = query::latest::latest(&m.groups, options);
    let units = a.units.units;
    let mut t = Table::new(&[
        col("type"),
        col_if_any("position"),
        col("value"),
        col("unit"),
        col("taken_at"),
        extra("timezone"),
        col("model"),
        extra("device_id"),
        extra("type_code"),
        extra("grpid"),
        extra("attrib"),
        extra("exact"),
    ]);
    for l in values
        .iter()
        .filter(|l| a.types.is_empty() || a.types.contains(&l.kind))
    {
        let at = match &ctx.tz {
            Some(tz) => l.taken_at.to_zoned_datetime(tz.clone()),
            None => l.local.clone(),
        };
        // The model as the group names it (`Body+`), as `withings meas` shows it.
        let model = m
            .groups
            .iter()
            .find(|g| g.grpid() == l.grpid)
            .and_then(|g| g.model());
        let [value, unit, exact] = measure_cells(l.value, l.unit, units);
        t.push(vec![
            name(l.kind),
            Cell::opt(l.position, name),
            value,
            unit,
            Cell::Time(at.clone()),
            Cell::text(zone_name(&at)),
            match model {
                Some(m) => name(m),
                None => Cell::opt(l.model, name),
            },
            Cell::opt_text(l.device_id.clone()),
            Cell::Int(l.kind.code()),
            Cell::Int(l.grpid),
            Cell::opt(l.attrib, name),
            exact,
        ]);
    }
    t.left_out(&m.rejected);
    Ok(t)
}

/// `withings activity`.
pub(crate) async fn activity(ctx: &Ctx, a: &ActivityArgs) -> Result<Table, Failure> {
    let window = date_window(ctx, &a.updated, &a.window, ACTIVITY_DEFAULT)?;
    let req = GetActivity::new()
        .window(window)
        .data_fields(a.data_fields.iter().copied());
    let mut days = all_pages(ctx, req).await?;
    days.sort_by_key(|d| d.date);
    let mut t = Table::new(&[
        col("date"),
        extra("timezone"),
        col("steps"),
        distance_column(a.units.units),
        extra("elevation_m"),
        col("calories"),
        extra("total_calories"),
        extra("soft_s"),
        extra("moderate_s"),
        extra("intense_s"),
        col("active_s"),
        col("hr_average"),
        extra("hr_min"),
        extra("hr_max"),
        extra("model"),
        extra("device_id"),
        extra("brand"),
    ]);
    for d in &days {
        let hr = d.heart_rate.as_ref();
        t.push(vec![
            Cell::Date(d.date),
            Cell::text(&d.time_zone),
            Cell::opt_int(d.steps),
            distance_cell(a.units.units, d.distance_m),
            Cell::opt_float(d.elevation),
            Cell::opt_float(d.calories),
            Cell::opt_float(d.total_calories),
            Cell::opt_secs(d.soft_duration),
            Cell::opt_secs(d.moderate_duration),
            Cell::opt_secs(d.intense_duration),
            Cell::opt_secs(d.active_duration),
            Cell::opt_num(hr.and_then(|h| h.average)),
            Cell::opt_num(hr.and_then(|h| h.min)),
            Cell::opt_num(hr.and_then(|h| h.max)),
            Cell::opt_text(
                d.model_name
                    .clone()
                    .or_else(|| d.model.map(|m| m.to_string())),
            ),
            Cell::opt_text(d.device_id.clone()),
            Cell::opt_int(d.brand),
        ]);
    }
    t.left_out(&days.rejected);
    Ok(t)
}

/// `withings intraday`: the library sends 24 h per call (API notes §12.18) and merges.
pub(crate) async fn intraday(ctx: &Ctx, a: &IntradayArgs) -> Result<Table, Failure> {
    let span = span_of(ctx, &a.window, DAY)?;
    let req = GetIntradayActivity::new().between(span.start, span.end);
    let req = if a.data_fields.is_empty() {
        req.all_fields()
    } else {
        req.data_fields(a.data_fields.iter().copied())
    };
    let mut samples: Records<IntradaySample> = send_split(ctx, &req).await?;
    samples.sort_by_key(|s| s.at);
    let mut t = Table::new(&[
        col("time"),
        extra("timezone"),
        col("duration_s"),
        col("steps"),
        extra("elevation_m"),
        col("calories"),
        distance_column(a.units.units),
        col("heart_rate"),
        extra("strokes"),
        extra("pool_laps"),
        extra("model"),
        extra("device_id"),
        // Sleep-time and HRV readings: most samples have none, so the table shows each only
        // when some row has it; json and csv always have every column.
        col_if_any("spo2_auto"),
        col_if_any("rmssd_ms"),
        col_if_any("sdnn1_ms"),
        col_if_any("hrv_quality"),
        match a.units.units {
            UnitSystem::Metric => col_if_any("core_body_temperature_c"),
            _ => col_if_any("core_body_temperature_f"),
        },
        col_if_any("rr"),
        col_if_any("chest_movement_rate"),
    ]);
    for s in &samples {
        let at = local(s.at, ctx.tz.as_ref(), None);
        t.push(vec![
            Cell::Time(at.clone()),
            Cell::text(zone_name(&at)),
            Cell::opt_secs(s.duration),
            Cell::opt_int(s.steps),
            Cell::opt_float(s.elevation),
            Cell::opt_float(s.calories),
            distance_cell(a.units.units, s.distance_m),
            Cell::opt_num(s.heart_rate),
            Cell::opt_int(s.strokes),
            Cell::opt_int(s.pool_laps),
            Cell::opt_text(
                s.model_name
                    .clone()
                    .or_else(|| s.model.map(|m| m.to_string())),
            ),
            Cell::opt_text(s.device_id.clone()),
            Cell::opt_float(s.spo2),
            Cell::opt_float(s.hrv_rmssd_ms),
            Cell::opt_float(s.hrv_sdnn_ms),
            Cell::opt_num(s.hrv_quality),
            temperature_cell(a.units.units, s.core_body_temperature_c),
            Cell::opt_num(s.respiration_rate),
            Cell::opt_num(s.chest_movement_rate),
        ]);
    }
    t.left_out(&samples.rejected);
    Ok(t)
}

/// `withings workouts`.
pub(crate) async fn workouts(ctx: &Ctx, a: &WorkoutsArgs) -> Result<Table, Failure> {
    let window = date_window(ctx, &a.updated, &a.window, WORKOUTS_DEFAULT)?;
    let req = GetWorkouts::new()
        .window(window)
        .data_fields(a.data_fields.iter().copied());
    let mut list = all_pages(ctx, req).await?;
    list.sort_by_key(|w| (w.start, w.id));
    let units = a.units.units;
    let mut t = Table::new(&[
        col("start"),
        col("end"),
        extra("timezone"),
        col("category"),
        col("duration_s"),
        col("calories"),
        col("steps"),
        distance_column(units),
        extra("elevation_m"),
        extra("intensity"),
        col("hr_average"),
        extra("hr_min"),
        extra("hr_max"),
        extra("pool_laps"),
        extra("strokes"),
        extra("id"),
        extra("date"),
        extra("model"),
        extra("device_id"),
    ]);
    for x in &list {
        let (s, e) = match &ctx.tz {
            Some(tz) => (
                x.start.to_zoned_datetime(tz.clone()),
                x.end.to_zoned_datetime(tz.clone()),
            ),
            None => (x.local_start.clone(), x.local_end.clone()),
        };
        let hr = x.heart_rate.as_ref();
        t.push(vec![
            Cell::Time(s.clone()),
            Cell::Time(e),
            Cell::text(zone_name(&s)),
            name(x.category),
            Cell::Secs(x.duration.as_secs()),
            Cell::opt_float(x.calories),
            Cell::opt_int(x.steps),
            distance_cell(units, x.distance_m),
            Cell::opt_float(x.elevation),
            Cell::opt_int(x.intensity),
            Cell::opt_num(hr.and_then(|h| h.average)),
            Cell::opt_num(hr.and_then(|h| h.min)),
            Cell::opt_num(hr.and_then(|h| h.max)),
            Cell::opt_int(x.pool_laps),
            Cell::opt_int(x.strokes),
            Cell::opt_int(x.id),
            Cell::Date(x.date),
            Cell::opt_text(
                x.model_name
                    .clone()
                    .or_else(|| x.model.map(|m| m.to_string())),
            ),
            Cell::opt_text(x.device_id.clone()),
        ]);
    }
    t.left_out(&list.rejected);
    Ok(t)
}

/// `withings sleep`: segments, 24 h per call, with the night's totals under the table.
pub(crate) async fn sleep(ctx: &Ctx, a: &SleepArgs) -> Result<Table, Failure> {
    let span = span_of(ctx, &a.window, DAY)?;
    let req = GetSleep::new().between(span.start, span.end);
    let req = if a.data_fields.is_empty() {
        req.all_fields()
    } else {
        req.data_fields(a.data_fields.iter().copied())
    };
    let night = send_split(ctx, &req).await?;
    let segments: &[Segment] = &night.segments;
    let mut t = Table::new(&[
        col("start"),
        col("end"),
        extra("timezone"),
        col("state"),
        extra("state_code"),
        col("duration_s"),
        col("hr_min"),
        col("hr_max"),
        col("rr_min"),
        col("rr_max"),
        extra("model"),
    ]);
    // Numbers as sent (a `14.5` breaths a minute happens): ordered numerically.
    let min_max = |v: &[withings::decode::sleep::SeriesPoint<Number>]| {
        let values = || v.iter().map(|p| p.value);
        let order = |a: &Number, b: &Number| a.partial_cmp(b).unwrap_or(Ordering::Equal);
        (values().min_by(order), values().max_by(order))
    };
    for s in segments {
        let start = local(s.start, ctx.tz.as_ref(), None);
        let (hr_min, hr_max) = min_max(&s.hr);
        let (rr_min, rr_max) = min_max(&s.rr);
        t.push(vec![
            Cell::Time(start.clone()),
            Cell::Time(local(s.end, ctx.tz.as_ref(), None)),
            Cell::text(zone_name(&start)),
            name(s.state),
            Cell::Int(s.state.code()),
            Cell::Secs(s.duration.as_secs()),
            Cell::opt_num(hr_min),
            Cell::opt_num(hr_max),
            Cell::opt_num(rr_min),
            Cell::opt_num(rr_max),
            Cell::opt_text(
                s.model_name
                    .clone()
                    .or_else(|| s.device_model.map(|m| m.to_string())),
            ),
        ]);
    }
    if !segments.is_empty() {
        let h = hypnogram(segments);
        t.notes.push(format!(
            "asleep {} (light {}, deep {}, rem {}), awake {}",
            duration(h.asleep().as_secs()),
            duration(h.light.as_secs()),
            duration(h.deep.as_secs()),
            duration(h.rem.as_secs()),
            duration(h.awake.as_secs()),
        ));
    }
    t.left_out(&night.rejected);
    Ok(t)
}

/// `withings sleep-summary`.
pub(crate) async fn sleep_summary(ctx: &Ctx, a: &SleepSummaryArgs) -> Result<Table, Failure> {
    let window = date_window(ctx, &a.updated, &a.window, SLEEP_SUMMARY_DEFAULT)?;
    let req = GetSleepSummary::new().window(window);
    let req = if a.data_fields.is_empty() {
        req.all_fields()
    } else {
        req.data_fields(a.data_fields.iter().copied())
    };
    let nights = all_pages(ctx, req).await?;
    Ok(sleep_summary_table(ctx, nights))
}

pub(crate) fn sleep_summary_table(ctx: &Ctx, mut nights: Records<SleepSummary>) -> Table {
    nights.sort_by_key(|n| (n.date, n.start));
    let mut t = Table::new(&[
        col("date"),
        col("start"),
        col("end"),
        extra("timezone"),
        col("in_bed_s"),
        col("asleep_s"),
        col("light_s"),
        col("deep_s"),
        col("rem_s"),
        col("awake_s"),
        col("wakeups"),
        extra("sleep_latency_s"),
        extra("efficiency"),
        col("hr_average"),
        extra("hr_min"),
        extra("hr_max"),
        extra("rr_average"),
        extra("snoring_s"),
        col("score"),
        extra("id"),
    ]);
    for n in &nights {
        let (s, e) = match &ctx.tz {
            Some(tz) => (
                n.start.to_zoned_datetime(tz.clone()),
                n.end.to_zoned_datetime(tz.clone()),
            ),
            None => (n.local_start.clone(), n.local_end.clone()),
        };
        let m = &n.metrics;
        t.push(vec![
            Cell::Date(n.date),
            Cell::Time(s.clone()),
            Cell::Time(e),
            Cell::text(zone_name(&s)),
            Cell::opt_secs(m.time_in_bed),
            Cell::opt_secs(m.total_sleep_time.or(m.asleep_duration)),
            Cell::opt_secs(m.light_sleep),
            Cell::opt_secs(m.deep_sleep),
            Cell::opt_secs(m.rem_sleep),
            Cell::opt_secs(m.awake_duration),
            Cell::opt_int(m.wakeup_count),
            Cell::opt_secs(m.sleep_latency),
            Cell::opt_float(m.sleep_efficiency),
            Cell::opt_num(m.heart_rate_average),
            Cell::opt_num(m.heart_rate_min),
            Cell::opt_num(m.heart_rate_max),
            Cell::opt_num(m.respiration_rate_average),
            Cell::opt_secs(m.snoring_duration),
            Cell::opt_int(m.sleep_score),
            Cell::opt_int(n.id),
        ]);
    }
    t.left_out(&nights.rejected);
    t
}

/// `withings heart`.
pub(crate) async fn heart(ctx: &Ctx, w: &WindowArgs) -> Result<Table, Failure> {
    let span = span_of(ctx, w, HEART_DEFAULT)?;
    let req = HeartList::new().between(span.start, span.end);
    let mut records = all_pages(ctx, req).await?;
    records.sort_by_key(|r| r.taken_at);
    let mut t = Table::new(&[
        col("taken_at"),
        extra("timezone"),
        col("heart_rate"),
        col("afib"),
        col("signal_id"),
        col("systolic_mmhg"),
        col("diastolic_mmhg"),
        col("model"),
        extra("device_id"),
    ]);
    for r in &records {
        let at = match (&ctx.tz, &r.local) {
            (None, Some(l)) => l.clone(),
            (tz, _) => local(r.taken_at, tz.as_ref(), None),
        };
        let ecg = r.ecg.as_ref();
        let bp = r.blood_pressure.as_ref();
        t.push(vec![
            Cell::Time(at.clone()),
            Cell::text(zone_name(&at)),
            Cell::opt_num(r.heart_rate),
            Cell::opt(ecg.map(|e| e.afib), name),
            Cell::opt_int(ecg.map(|e| e.signal_id)),
            Cell::opt_num(bp.map(|b| b.systolic_mmhg)),
            Cell::opt_num(bp.map(|b| b.diastolic_mmhg)),
            Cell::opt(r.model.as_ref(), name),
            Cell::opt_text(r.device_id.clone()),
        ]);
    }
    t.left_out(&records.rejected);
    Ok(t)
}

/// A signal as a table: one summary row (`summary`) for people, one row per sample (`sample`
/// columns first, then `per_row` repeated) for json and csv.
struct Signal<'a> {
    samples: &'a [i64],
    /// The summary's columns and cells (the sample count is added).
    summary: Vec<(Column, Cell)>,
    /// The columns of each sample's row before the sample itself.
    head: Vec<(Column, Cell)>,
    /// The name of the sample's value column.
    value: &'static str,
    /// Columns repeated on every sample row, after the value.
    tail: Vec<(Column, Cell)>,
}

impl Signal<'_> {
    fn table(self, format: Format) -> Table {
        if format == Format::Table {
            let mut columns: Vec<Column> = self.summary.iter().map(|(c, _)| *c).collect();
            let mut row: Vec<Cell> = self.summary.into_iter().map(|(_, v)| v).collect();
            columns.insert(1, col("samples"));
            row.insert(
                1,
                Cell::Int(i64::try_from(self.samples.len()).unwrap_or(i64::MAX)),
            );
            let mut t = Table::new(&columns);
            t.push(row);
            return t;
        }
        let mut columns: Vec<Column> = self.head.iter().map(|(c, _)| *c).collect();
        columns.push(col("index"));
        columns.push(col(self.value));
        columns.extend(self.tail.iter().map(|(c, _)| *c));
        let mut t = Table::new(&columns);
        for (i, v) in self.samples.iter().enumerate() {
            let mut row: Vec<Cell> = self.head.iter().map(|(_, c)| c.clone()).collect();
            row.push(Cell::Int(i64::try_from(i).unwrap_or(i64::MAX)));
            row.push(Cell::Int(*v));
            row.extend(self.tail.iter().map(|(_, c)| c.clone()));
            t.push(row);
        }
        t
    }
}

/// `withings heart get`: one ECG signal.
pub(crate) async fn heart_get(ctx: &Ctx, signalid: i64) -> Result<Table, Failure> {
    let s: EcgSignal = ctx
        .client
        .send(&HeartGet::new(signalid))
        .await
        .map_err(|e| ctx.fail(e))?;
    let position = || Cell::opt(s.wear_position, name);
    let model = || Cell::opt(s.model.as_ref(), name);
    let signal = Signal {
        samples: &s.samples,
        summary: vec![
            (col("signal_id"), Cell::Int(signalid)),
            (col("sampling_hz"), Cell::Int(s.sampling_frequency_hz)),
            (col("duration_s"), Cell::Secs(s.duration.as_secs())),
            (col("heart_rate"), Cell::opt_num(s.heart_rate)),
            (col("wear_position"), position()),
            (col("model"), model()),
        ],
        head: vec![(col("signal_id"), Cell::Int(signalid))],
        value: "value_uv",
        tail: vec![
            (col("sampling_hz"), Cell::Int(s.sampling_frequency_hz)),
            (col("heart_rate"), Cell::opt_num(s.heart_rate)),
            (col("wear_position"), position()),
            (col("model"), model()),
        ],
    };
    Ok(signal.table(ctx.format))
}

/// `withings stetho list`.
pub(crate) async fn stetho_list(ctx: &Ctx, w: &WindowArgs) -> Result<Table, Failure> {
    let span = span_of(ctx, w, STETHO_DEFAULT)?;
    let req = StethoList::new().between(span.start, span.end);
    let mut records = all_pages(ctx, req).await?;
    records.sort_by_key(|r| (r.taken_at, r.signal_id));
    let mut t = Table::new(&[
        col("taken_at"),
        extra("timezone"),
        col("signal_id"),
        col("vhd"),
        extra("device_hash"),
    ]);
    for r in &records {
        let at = match (&ctx.tz, &r.local) {
            (None, Some(l)) => l.clone(),
            (tz, _) => local(r.taken_at, tz.as_ref(), None),
        };
        t.push(vec![
            Cell::Time(at.clone()),
            Cell::text(zone_name(&at)),
            Cell::Int(r.signal_id),
            Cell::opt_int(r.vhd),
            Cell::opt_text(r.device_hash.clone()),
        ]);
    }
    t.left_out(&records.rejected);
    Ok(t)
}

/// `withings stetho get`: one stethoscope signal (A-law samples as sent).
pub(crate) async fn stetho_get(ctx: &Ctx, signalid: i64) -> Result<Table, Failure> {
    let s: StethoSignal = ctx
        .client
        .send(&StethoGet::new(signalid))
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(stetho_signal_table(signalid, &s, ctx.format))
}

fn stetho_signal_table(signalid: i64, s: &StethoSignal, format: Format) -> Table {
    let position = || Cell::opt(s.position, name);
    let model = || Cell::opt(s.model.as_ref(), name);
    let signal = Signal {
        samples: &s.samples,
        summary: vec![
            (col("signal_id"), Cell::Int(signalid)),
            (col("frequency_hz"), Cell::opt_int(s.frequency_hz)),
            (col("duration_s"), Cell::opt_secs(s.duration)),
            (col("position"), position()),
            (col("vhd"), Cell::opt_int(s.vhd)),
            (col("model"), model()),
        ],
        head: vec![(col("signal_id"), Cell::Int(signalid))],
        value: "value",
        tail: vec![
            (col("frequency_hz"), Cell::opt_int(s.frequency_hz)),
            (col("format"), Cell::opt_int(s.format)),
            (col("resolution"), Cell::opt_int(s.resolution)),
            (col("channels"), Cell::opt_int(s.channels)),
            (col("position"), position()),
            (col("vhd"), Cell::opt_int(s.vhd)),
            (col("model"), model()),
        ],
    };
    signal.table(format)
}

/// `withings confirmuser`.
pub(crate) async fn confirm_user(ctx: &Ctx, a: &ConfirmUserArgs) -> Result<Table, Failure> {
    // clap makes `--confirm` and `--reject` exclusive and one of them required.
    let mine = a.confirm && !a.reject;
    ctx.client
        .send(&ConfirmUser::new(a.grpid, mine))
        .await
        .map_err(|e| ctx.fail(e))?;
    let mut t = Table::new(&[col("action"), col("grpid"), col("is_confirmed")]);
    t.push(vec![
        Cell::text(if mine { "confirmed" } else { "rejected" }),
        Cell::Int(a.grpid),
        Cell::Bool(mine),
    ]);
    Ok(t)
}

/// `withings devices`.
pub(crate) async fn devices(ctx: &Ctx) -> Result<Table, Failure> {
    let devices = ctx
        .client
        .send(&GetDevice::new())
        .await
        .map_err(|e| ctx.fail(e))?;
    let mut t = Table::new(&[
        col("type"),
        col("model_name"),
        extra("model_code"),
        col("battery"),
        col("last_session"),
        extra("first_session"),
        col("timezone"),
        extra("firmware"),
        extra("device_id"),
    ]);
    for d in &devices {
        let zone: Option<TimeZone> = api_zone(&d.time_zone);
        let when = |t: Option<jiff::Timestamp>| {
            Cell::opt(t, |t| Cell::Time(local(t, ctx.tz.as_ref(), zone.as_ref())))
        };
        t.push(vec![
            Cell::text(&d.kind),
            Cell::opt_text(d.model_name.clone()),
            Cell::opt_int(d.model.map(|m| m.code())),
            Cell::text(d.battery.as_str()),
            when(d.last_session),
            when(d.first_session),
            Cell::text(&d.time_zone),
            Cell::opt_text(d.firmware.clone()),
            Cell::opt_text(d.device_id.clone()),
        ]);
    }
    t.left_out(&devices.rejected);
    Ok(t)
}

/// `withings goals`.
pub(crate) async fn goals(ctx: &Ctx, units: UnitSystem) -> Result<Table, Failure> {
    let g = ctx
        .client
        .send(&GetGoals::new())
        .await
        .map_err(|e| ctx.fail(e))?;
    let weight = match units {
        UnitSystem::Metric => "weight_kg",
        _ => "weight_lb",
    };
    let mut t = Table::new(&[col("steps"), col("sleep_s"), col(weight)]);
    let [kg, _, _] = match g.weight_kg {
        Some(kg) => measure_cells(kg, Some(PhysicalUnit::Kilogram), units),
        None => [Cell::Null, Cell::Null, Cell::Null],
    };
    t.push(vec![Cell::opt_int(g.steps), Cell::opt_secs(g.sleep), kg]);
    Ok(t)
}

/// `withings notify list`.
pub(crate) async fn notify_list(ctx: &Ctx, appli: Option<Appli>) -> Result<Table, Failure> {
    let mut req = NotifyList::new();
    if let Some(a) = appli {
        req = req.appli(a);
    }
    let subs = ctx.client.send(&req).await.map_err(|e| ctx.fail(e))?;
    let mut t = subscriptions_table(ctx, &subs);
    t.left_out(&subs.rejected);
    Ok(t)
}

/// Subscriptions, one per row (`notify list`, `notify get`).
fn subscriptions_table(ctx: &Ctx, subs: &[Subscription]) -> Table {
    let mut t = Table::new(&[
        col("appli"),
        extra("appli_code"),
        col("callback_url"),
        col("comment"),
        col("expires"),
    ]);
    for s in subs {
        t.push(vec![
            Cell::opt(s.appli, name),
            Cell::opt_int(s.appli.map(Appli::code)),
            Cell::text(&s.callback_url),
            Cell::opt_text(s.comment.clone()),
            match s.expires {
                None => Cell::Null,
                Some(Expiry::Never) => Cell::text("never"),
                Some(Expiry::At(at)) => Cell::Time(local(at, ctx.tz.as_ref(), None)),
                Some(_) => Cell::Null,
            },
        ]);
    }
    t
}

/// `withings notify get`.
pub(crate) async fn notify_get(
    ctx: &Ctx,
    url: &str,
    appli: Option<Appli>,
) -> Result<Table, Failure> {
    let mut req = NotifyGet::new(url);
    if let Some(a) = appli {
        req = req.appli(a);
    }
    let sub = ctx.client.send(&req).await.map_err(|e| ctx.fail(e))?;
    Ok(subscriptions_table(ctx, &[sub]))
}

/// The change of `withings notify update`: exactly one (clap enforces it).
#[derive(Debug, Clone)]
pub(crate) enum NotifyChange {
    CallbackUrl { url: String, restricted: bool },
    Appli(Appli),
    Comment(String),
}

/// `withings notify update`. A new URL is checked as `notify subscribe` checks it, before
/// anything is sent.
pub(crate) async fn notify_update(
    ctx: &Ctx,
    url: &str,
    appli: Appli,
    change: NotifyChange,
) -> Result<Table, Failure> {
    let (what, to, change) = match change {
        NotifyChange::CallbackUrl { url, restricted } => {
            let checked = checked_url("--new-callback-url", &url, restricted)?;
            (
                "callback_url",
                checked.as_str().to_owned(),
                UpdateChange::CallbackUrl(checked),
            )
        }
        NotifyChange::Appli(a) => ("appli", a.to_string(), UpdateChange::Appli(a)),
        NotifyChange::Comment(c) => ("comment", c.clone(), UpdateChange::Comment(c)),
    };
    ctx.client
        .send(&Update::new(url, appli, change))
        .await
        .map_err(|e| ctx.fail(e))?;
    let mut t = Table::new(&[
        col("action"),
        col("appli"),
        col("callback_url"),
        col("changed"),
        col("to"),
    ]);
    t.push(vec![
        Cell::text("updated"),
        name(appli),
        Cell::text(url),
        Cell::text(what),
        Cell::text(to),
    ]);
    Ok(t)
}

fn done_table(action: &str, appli: Option<Appli>, url: &str) -> Table {
    let mut t = Table::new(&[col("action"), col("appli"), col("callback_url")]);
    t.push(vec![
        Cell::text(action),
        Cell::opt(appli, name),
        Cell::text(url),
    ]);
    t
}

/// A callback URL checked against Withings' rules (or, with `restricted`, only as an http(s)
/// URL); `flag` names it in the error.
fn checked_url(flag: &str, url: &str, restricted: bool) -> Result<CallbackUrl, Failure> {
    let checked = if restricted {
        CallbackUrl::restricted(url)
    } else {
        CallbackUrl::parse(url)
    };
    checked.map_err(|rule| {
        let hint = if restricted {
            ""
        } else {
            " (an app in Withings' restricted mode may pass --restricted)"
        };
        Failure::new(
            Exit::Usage,
            format!("{flag} `{url}` is refused: {}{hint}", rule.explain()),
        )
    })
}

/// `withings notify subscribe`.
///
/// The URL is checked against Withings' rules (or, with `restricted`, only as an http(s)
/// URL) before anything is sent.
pub(crate) async fn notify_subscribe(
    ctx: &Ctx,
    url: &str,
    restricted: bool,
    appli: Appli,
    comment: Option<&str>,
) -> Result<Table, Failure> {
    let url = checked_url("--callback-url", url, restricted)?;
    let mut req = Subscribe::new(url.clone(), appli);
    if let Some(c) = comment {
        req = req.comment(c);
    }
    ctx.client.send(&req).await.map_err(|e| ctx.fail(e))?;
    Ok(done_table("subscribed", Some(appli), url.as_str()))
}

/// `withings notify revoke`.
pub(crate) async fn notify_revoke(
    ctx: &Ctx,
    url: &str,
    appli: Option<Appli>,
) -> Result<Table, Failure> {
    let mut req = Revoke::new(url);
    if let Some(a) = appli {
        req = req.appli(a);
    }
    ctx.client.send(&req).await.map_err(|e| ctx.fail(e))?;
    Ok(done_table("revoked", appli, url))
}

#[cfg(test)]
mod tests {
    use withings::decode::{Reply, decode_reply};
    use withings::model::stetho::StethoGetBody;
    use withings::model::user::GetDeviceBody;

    use super::*;

    fn render(t: &Table, f: Format) -> String {
        let mut out = Vec::new();
        t.write(f, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// A record the library could not read is one warning naming its path and what was
    /// wrong; the others are the rows.
    #[test]
    fn records_left_out_are_warnings() {
        let json = br#"{"status":0,"body":{"devices":[
          {"type":"Scale","battery":"high","model":"Body+","model_id":5,"timezone":"Europe\/Paris"},
          {"type":"Scale","model":"Body+"}]}}"#;
        let Reply::Ok(devices) = decode_reply::<GetDeviceBody>(json).unwrap() else {
            panic!()
        };
        let mut t = Table::new(&[col("type")]);
        for d in &devices {
            t.push(vec![Cell::text(&d.kind)]);
        }
        t.left_out(&devices.rejected);
        assert_eq!(t.rows.len(), 1);
        assert_eq!(
            t.warnings,
            [
                "left out a record that could not be read, at body.devices[1]: missing field `battery`"
            ]
        );
    }

    /// Beside the process test against the sandbox's recording, a hand-written body with
    /// what the sandbox does not send (4 kHz, 3 A-law samples, cardiac position 20
    /// undocumented).
    #[test]
    fn a_stetho_signal_is_a_summary_for_people_and_its_samples_for_scripts() {
        let json = br#"{"status":0,"body":{"signal":[213,85,-3],"frequency":4000,"duration":15,
            "format":1,"resolution":8,"channel":1,"model":71,"position":3,"vhd":0}}"#;
        let Reply::Ok(s) = decode_reply::<StethoGetBody>(json).unwrap() else {
            panic!()
        };
        assert_eq!(
            render(&stetho_signal_table(42, &s, Format::Csv), Format::Csv),
            "signal_id,index,value,frequency_hz,format,resolution,channels,position,vhd,model\n\
             42,0,213,4000,1,8,1,left_arm,0,beamo\n\
             42,1,85,4000,1,8,1,left_arm,0,beamo\n\
             42,2,-3,4000,1,8,1,left_arm,0,beamo\n"
        );
        let json_rows = render(&stetho_signal_table(42, &s, Format::Json), Format::Json);
        assert_eq!(json_rows.lines().count(), 5, "{json_rows}");
        assert!(json_rows.contains(r#"{"signal_id":42,"index":2,"value":-3,"frequency_hz":4000,"#));
        // 3 samples at 4 kHz: under a millisecond, shown as 0 s.
        assert_eq!(
            render(&stetho_signal_table(42, &s, Format::Table), Format::Table),
            concat!(
                "signal_id  samples  frequency_hz  duration  position  vhd  model\n",
                "       42        3          4000        0s  left_arm    0  beamo\n",
            )
        );
    }
}
