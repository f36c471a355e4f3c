//! The data commands: one [`Table`] each, built from the decoded domain values.
//!
//! Column names are stable: scripts may rely on them (new columns may be appended). Units
//! are in the names (`_m`, `_kg`, `_s` for seconds) except for measures, which carry theirs
//! in a `unit` column.

use std::fmt::Display;

use jiff::SignedDuration;
use jiff::tz::TimeZone;
use withings::decode::activity::IntradaySample;
use withings::decode::measure::Measurements;
use withings::decode::notify::Expiry;
use withings::decode::sleep::{Segment, SleepSummary, hypnogram};
use withings::model::activity::{GetActivity, GetIntradayActivity};
use withings::model::heart::HeartList;
use withings::model::measure::{GetMeas, MeasureType};
use withings::model::notify::{Appli, NotifyList, Revoke, Subscribe};
use withings::model::sleep::{GetSleep, GetSleepSummary};
use withings::model::url::CallbackUrl;
use withings::model::user::{GetDevice, GetGoals};
use withings::model::workout::GetWorkouts;

use crate::app::{Ctx, all_pages, send_split};
use crate::cli::WindowArgs;
use crate::error::{Exit, Failure};
use crate::output::{Cell, Table, col, duration, extra};
use crate::window::{Span, api_zone, local, resolve, window_zone, zone_name};

/// Default look-backs when no window is given.
pub(crate) const MEAS_DEFAULT: SignedDuration = SignedDuration::from_hours(30 * 24);
pub(crate) const ACTIVITY_DEFAULT: SignedDuration = SignedDuration::from_hours(7 * 24);
pub(crate) const DAY: SignedDuration = SignedDuration::from_hours(24);
pub(crate) const WORKOUTS_DEFAULT: SignedDuration = SignedDuration::from_hours(30 * 24);
pub(crate) const SLEEP_SUMMARY_DEFAULT: SignedDuration = SignedDuration::from_hours(7 * 24);
pub(crate) const HEART_DEFAULT: SignedDuration = SignedDuration::from_hours(365 * 24);

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

fn name(v: impl Display) -> Cell {
    Cell::Text(v.to_string())
}

/// `withings meas`.
pub(crate) async fn meas(
    ctx: &Ctx,
    types: &[MeasureType],
    w: &WindowArgs,
) -> Result<Table, Failure> {
    let span = span_of(ctx, w, MEAS_DEFAULT)?;
    let mut req = GetMeas::new().between(span.start, span.end);
    if !types.is_empty() {
        req = req.meastypes(types.iter().copied());
    }
    let m: Measurements = all_pages(ctx, req).await?;
    Ok(meas_table(ctx, &m, types))
}

pub(crate) fn meas_table(ctx: &Ctx, m: &Measurements, types: &[MeasureType]) -> Table {
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
    ]);
    let mut groups: Vec<_> = m.groups.iter().collect();
    groups.sort_by_key(|g| (g.taken_at, g.grpid));
    for g in groups {
        let at = match &ctx.tz {
            Some(tz) => g.taken_at.to_zoned_datetime(tz.clone()),
            None => g.local.clone(),
        };
        for v in &g.measures {
            if !types.is_empty() && !types.contains(&v.kind) {
                continue;
            }
            t.push(vec![
                Cell::Time(at.clone()),
                Cell::text(zone_name(&at)),
                name(v.kind),
                Cell::Dec(v.value),
                Cell::opt(v.unit, |u| Cell::text(u.symbol())),
                Cell::Int(v.kind.code()),
                Cell::opt(v.position, name),
                Cell::Int(g.grpid),
                name(g.category),
                Cell::opt(g.attrib, name),
                Cell::Bool(g.manual),
                Cell::opt(g.model.as_ref(), name),
                Cell::opt_text(g.device_id.clone()),
            ]);
        }
    }
    t
}

/// `withings activity`.
pub(crate) async fn activity(ctx: &Ctx, w: &WindowArgs) -> Result<Table, Failure> {
    let span = span_of(ctx, w, ACTIVITY_DEFAULT)?;
    let (start, end) = span.dates(&window_zone(ctx.tz.as_ref()));
    let mut days = all_pages(ctx, GetActivity::new().dates(start, end)).await?;
    days.sort_by_key(|d| d.date);
    let mut t = Table::new(&[
        col("date"),
        extra("timezone"),
        col("steps"),
        col("distance_m"),
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
            Cell::opt_float(d.distance_m),
            Cell::opt_float(d.elevation),
            Cell::opt_float(d.calories),
            Cell::opt_float(d.total_calories),
            Cell::opt_secs(d.soft_duration),
            Cell::opt_secs(d.moderate_duration),
            Cell::opt_secs(d.intense_duration),
            Cell::opt_secs(d.active_duration),
            Cell::opt_int(hr.and_then(|h| h.average)),
            Cell::opt_int(hr.and_then(|h| h.min)),
            Cell::opt_int(hr.and_then(|h| h.max)),
            Cell::opt_text(
                d.model_name
                    .clone()
                    .or_else(|| d.model.map(|m| m.to_string())),
            ),
            Cell::opt_text(d.device_id.clone()),
            Cell::opt_int(d.brand),
        ]);
    }
    Ok(t)
}

/// `withings intraday`: the library sends 24 h per call (API notes §12.18) and merges.
pub(crate) async fn intraday(ctx: &Ctx, w: &WindowArgs) -> Result<Table, Failure> {
    let span = span_of(ctx, w, DAY)?;
    let req = GetIntradayActivity::new().between(span.start, span.end);
    let mut samples: Vec<IntradaySample> = send_split(ctx, &req).await?;
    samples.sort_by_key(|s| s.at);
    let mut t = Table::new(&[
        col("time"),
        extra("timezone"),
        col("duration_s"),
        col("steps"),
        extra("elevation_m"),
        col("calories"),
        col("distance_m"),
        col("heart_rate"),
        extra("strokes"),
        extra("pool_laps"),
        extra("model"),
        extra("device_id"),
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
            Cell::opt_float(s.distance_m),
            Cell::opt_int(s.heart_rate),
            Cell::opt_int(s.strokes),
            Cell::opt_int(s.pool_laps),
            Cell::opt_text(
                s.model_name
                    .clone()
                    .or_else(|| s.model.map(|m| m.to_string())),
            ),
            Cell::opt_text(s.device_id.clone()),
        ]);
    }
    Ok(t)
}

/// `withings workouts`.
pub(crate) async fn workouts(ctx: &Ctx, w: &WindowArgs) -> Result<Table, Failure> {
    let span = span_of(ctx, w, WORKOUTS_DEFAULT)?;
    let (start, end) = span.dates(&window_zone(ctx.tz.as_ref()));
    let mut list = all_pages(ctx, GetWorkouts::new().dates(start, end)).await?;
    list.sort_by_key(|w| (w.start, w.id));
    let mut t = Table::new(&[
        col("start"),
        col("end"),
        extra("timezone"),
        col("category"),
        col("duration_s"),
        col("calories"),
        col("steps"),
        col("distance_m"),
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
            Cell::opt_float(x.distance_m),
            Cell::opt_float(x.elevation),
            Cell::opt_int(x.intensity),
            Cell::opt_int(hr.and_then(|h| h.average)),
            Cell::opt_int(hr.and_then(|h| h.min)),
            Cell::opt_int(hr.and_then(|h| h.max)),
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
    Ok(t)
}

/// `withings sleep`: segments, 24 h per call, with the night's totals under the table.
pub(crate) async fn sleep(ctx: &Ctx, w: &WindowArgs) -> Result<Table, Failure> {
    let span = span_of(ctx, w, DAY)?;
    let req = GetSleep::new().between(span.start, span.end).all_fields();
    let segments: Vec<Segment> = send_split(ctx, &req).await?.segments;
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
    let min_max = |v: &[withings::decode::sleep::SeriesPoint<i64>]| {
        (
            v.iter().map(|p| p.value).min(),
            v.iter().map(|p| p.value).max(),
        )
    };
    for s in &segments {
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
            Cell::opt_int(hr_min),
            Cell::opt_int(hr_max),
            Cell::opt_int(rr_min),
            Cell::opt_int(rr_max),
            Cell::opt_text(
                s.model_name
                    .clone()
                    .or_else(|| s.device_model.map(|m| m.to_string())),
            ),
        ]);
    }
    if !segments.is_empty() {
        let h = hypnogram(&segments);
        t.notes.push(format!(
            "asleep {} (light {}, deep {}, rem {}), awake {}",
            duration(h.asleep().as_secs()),
            duration(h.light.as_secs()),
            duration(h.deep.as_secs()),
            duration(h.rem.as_secs()),
            duration(h.awake.as_secs()),
        ));
    }
    Ok(t)
}

/// `withings sleep-summary`.
pub(crate) async fn sleep_summary(ctx: &Ctx, w: &WindowArgs) -> Result<Table, Failure> {
    let span = span_of(ctx, w, SLEEP_SUMMARY_DEFAULT)?;
    let (start, end) = span.dates(&window_zone(ctx.tz.as_ref()));
    let req = GetSleepSummary::new().dates(start, end).all_fields();
    let nights = all_pages(ctx, req).await?;
    Ok(sleep_summary_table(ctx, nights))
}

pub(crate) fn sleep_summary_table(ctx: &Ctx, mut nights: Vec<SleepSummary>) -> Table {
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
            Cell::opt_int(m.heart_rate_average),
            Cell::opt_int(m.heart_rate_min),
            Cell::opt_int(m.heart_rate_max),
            Cell::opt_int(m.respiration_rate_average),
            Cell::opt_secs(m.snoring_duration),
            Cell::opt_int(m.sleep_score),
            Cell::opt_int(n.id),
        ]);
    }
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
            Cell::opt_int(r.heart_rate),
            Cell::opt(ecg.map(|e| e.afib), name),
            Cell::opt_int(ecg.map(|e| e.signal_id)),
            Cell::opt_int(bp.map(|b| b.systolic_mmhg)),
            Cell::opt_int(bp.map(|b| b.diastolic_mmhg)),
            Cell::opt(r.model.as_ref(), name),
            Cell::opt_text(r.device_id.clone()),
        ]);
    }
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
    Ok(t)
}

/// `withings goals`.
pub(crate) async fn goals(ctx: &Ctx) -> Result<Table, Failure> {
    let g = ctx
        .client
        .send(&GetGoals::new())
        .await
        .map_err(|e| ctx.fail(e))?;
    let mut t = Table::new(&[col("steps"), col("sleep_s"), col("weight_kg")]);
    t.push(vec![
        Cell::opt_int(g.steps),
        Cell::opt_secs(g.sleep),
        Cell::opt(g.weight_kg, Cell::Dec),
    ]);
    Ok(t)
}

/// `withings notify list`.
pub(crate) async fn notify_list(ctx: &Ctx, appli: Option<Appli>) -> Result<Table, Failure> {
    let mut req = NotifyList::new();
    if let Some(a) = appli {
        req = req.appli(a);
    }
    let subs = ctx.client.send(&req).await.map_err(|e| ctx.fail(e))?;
    let mut t = Table::new(&[
        col("appli"),
        extra("appli_code"),
        col("callback_url"),
        col("comment"),
        col("expires"),
    ]);
    for s in &subs {
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
    let checked = if restricted {
        CallbackUrl::restricted(url)
    } else {
        CallbackUrl::parse(url)
    };
    let url = checked.map_err(|rule| {
        let hint = if restricted {
            ""
        } else {
            " (an app in Withings' restricted mode may pass --restricted)"
        };
        Failure::new(
            Exit::Usage,
            format!(
                "--callback-url `{url}` is refused: {}{hint}",
                rule.explain()
            ),
        )
    })?;
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
