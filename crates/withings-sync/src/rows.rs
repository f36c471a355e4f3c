//! Decoded domain values → rows of the [`schema`](mod@crate::schema) tables.

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp, ZonedDateTime};
use serde::Serialize;
use withings::decode::Number;
use withings::decode::activity::{DailyActivity, IntradaySample};
use withings::decode::heart::HeartRecord;
use withings::decode::measure::{MeasureGroup, Measurements};
use withings::decode::sleep::{Segment, SeriesPoint, SleepSummary};
use withings::decode::user::{Device, Goals};
use withings::decode::workout::Workout;

use crate::schema::{self, Value};
use crate::store::Row;

fn ts(t: Timestamp) -> Value {
    Value::Int(t.as_second())
}

fn opt_ts(t: Option<Timestamp>) -> Value {
    Value::int(t.map(Timestamp::as_second))
}

/// A number kept as received: an integer, or a float when a fraction arrived.
fn num(n: Option<Number>) -> Value {
    match n {
        Some(Number::Int(i)) => Value::Int(i),
        Some(Number::Float(f)) => Value::real(Some(f)),
        _ => Value::Null,
    }
}

fn secs(d: Option<SignedDuration>) -> Value {
    Value::int(d.map(|d| d.as_secs()))
}

/// A local time as RFC 3339 with the offset of its zone: `2024-06-03T07:12:00+02:00`.
fn local(z: &ZonedDateTime) -> Value {
    Value::Text(z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string())
}

fn date(d: Date) -> Value {
    Value::Text(d.strftime("%Y-%m-%d").to_string())
}

/// JSON text of a value whose type serializes infallibly (derived `Serialize` of plain
/// data); `{}` should it ever fail.
fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "{}".to_owned())
}

/// A series as `[[unix seconds, value], …]`, `NULL` when empty (not requested).
fn series<T: Serialize + Copy>(points: &[SeriesPoint<T>]) -> Value {
    if points.is_empty() {
        return Value::Null;
    }
    let pairs: Vec<(i64, T)> = points.iter().map(|p| (p.at.as_second(), p.value)).collect();
    Value::Text(json(&pairs))
}

/// The rows of one measure group: one per measure.
#[must_use]
pub fn measure_rows(body: &Measurements, g: &MeasureGroup) -> Vec<Row> {
    g.measures()
        .iter()
        .map(|m| Row {
            table: &schema::MEASURES,
            values: vec![
                Value::Int(g.grpid()),
                Value::Int(m.kind().code()),
                Value::Int(m.position().map_or(-1, |p| p.code())),
                Value::Text(m.value().to_string()),
                Value::Int(m.value().mantissa()),
                Value::Int(i64::from(m.value().exponent())),
                Value::text(m.unit().map(|u| u.symbol())),
                Value::Int(g.category().code()),
                Value::int(g.attrib().map(|a| a.code())),
                ts(g.taken_at()),
                local(&g.local()),
                Value::Text(body.timezone.clone()),
                opt_ts(g.created()),
                opt_ts(g.modified()),
                Value::text(g.device_id()),
                Value::text(g.hash_device_id()),
                Value::text(g.model().map(ToString::to_string)),
                Value::int(g.model_id().map(|m| m.code())),
            ],
        })
        .collect()
}

/// The row of one day of activity.
#[must_use]
pub fn activity_row(a: &DailyActivity) -> Row {
    let hr = a.heart_rate.as_ref();
    let zones = a.heart_rate_zones.as_ref();
    Row {
        table: &schema::ACTIVITY,
        values: vec![
            date(a.date),
            Value::Text(a.time_zone.clone()),
            Value::int(a.steps),
            Value::real(a.distance_m),
            Value::real(a.elevation),
            secs(a.soft_duration),
            secs(a.moderate_duration),
            secs(a.intense_duration),
            secs(a.active_duration),
            Value::real(a.calories),
            Value::real(a.total_calories),
            num(hr.and_then(|h| h.average)),
            num(hr.and_then(|h| h.min)),
            num(hr.and_then(|h| h.max)),
            secs(zones.and_then(|z| z.light)),
            secs(zones.and_then(|z| z.moderate)),
            secs(zones.and_then(|z| z.intense)),
            secs(zones.and_then(|z| z.maximal)),
            Value::text(a.device_id.clone()),
            Value::text(a.hash_device_id.clone()),
            Value::int(a.model.map(|m| m.code())),
            Value::text(a.model_name.clone()),
            Value::int(a.brand),
            Value::bool(a.is_tracker),
            opt_ts(a.modified),
        ],
    }
}

/// The key of a workout: its id, else its times, category and device.
#[must_use]
pub fn workout_key(w: &Workout) -> String {
    match w.id {
        Some(id) => format!("id:{id}"),
        None => format!(
            "t:{}:{}:{}:{}",
            w.start.as_second(),
            w.end.as_second(),
            w.category.code(),
            w.device_id.as_deref().unwrap_or("")
        ),
    }
}

/// The row of one workout.
#[must_use]
pub fn workout_row(w: &Workout) -> Row {
    let hr = w.heart_rate.as_ref();
    Row {
        table: &schema::WORKOUTS,
        values: vec![
            Value::Text(workout_key(w)),
            Value::int(w.id),
            Value::Int(w.category.code()),
            ts(w.start),
            ts(w.end),
            local(&w.local_start),
            local(&w.local_end),
            date(w.date),
            Value::Int(w.duration.as_secs()),
            Value::int(w.attrib.map(|a| a.code())),
            Value::text(w.device_id.clone()),
            Value::int(w.model.map(|m| m.code())),
            Value::text(w.model_name.clone()),
            ts(w.modified),
            Value::real(w.calories),
            Value::int(w.steps),
            Value::real(w.distance_m),
            Value::real(w.elevation),
            num(hr.and_then(|h| h.average)),
            num(hr.and_then(|h| h.min)),
            num(hr.and_then(|h| h.max)),
            Value::Text(json(w)),
        ],
    }
}

/// The key of a night: its id, else its start and device.
#[must_use]
pub fn summary_key(s: &SleepSummary) -> String {
    match s.id {
        Some(id) => format!("id:{id}"),
        None => format!(
            "t:{}:{}",
            s.start.as_second(),
            s.hash_device_id
                .clone()
                .or_else(|| s.device_model.map(|m| m.code().to_string()))
                .unwrap_or_default()
        ),
    }
}

/// The row of one night.
#[must_use]
pub fn summary_row(s: &SleepSummary) -> Row {
    let m = &s.metrics;
    Row {
        table: &schema::SLEEP_SUMMARIES,
        values: vec![
            Value::Text(summary_key(s)),
            Value::int(s.id),
            date(s.date),
            Value::Text(s.timezone.clone()),
            ts(s.start),
            ts(s.end),
            local(&s.local_start),
            local(&s.local_end),
            opt_ts(s.created),
            ts(s.modified),
            Value::int(s.model.map(|m| m.code())),
            Value::int(s.device_model.map(|m| m.code())),
            Value::text(s.hash_device_id.clone()),
            Value::bool(s.completed),
            secs(m.total_sleep_time),
            secs(m.time_in_bed),
            secs(m.light_sleep),
            secs(m.deep_sleep),
            secs(m.rem_sleep),
            secs(m.awake_duration),
            Value::int(m.wakeup_count),
            Value::real(m.sleep_efficiency),
            Value::int(m.sleep_score),
            num(m.heart_rate_average),
            num(m.heart_rate_min),
            num(m.heart_rate_max),
            num(m.respiration_rate_average),
            secs(m.snoring_duration),
            Value::Text(json(m)),
        ],
    }
}

/// The source of a segment: its hashed device id, else its model code, else `""`.
#[must_use]
pub fn segment_source(s: &Segment) -> String {
    s.hash_device_id
        .clone()
        .or_else(|| s.device_model.map(|m| m.code().to_string()))
        .unwrap_or_default()
}

/// The row of one sleep segment, its series included.
#[must_use]
pub fn segment_row(s: &Segment) -> Row {
    Row {
        table: &schema::SLEEP_SEGMENTS,
        values: vec![
            Value::Text(segment_source(s)),
            ts(s.start),
            ts(s.end),
            Value::Int(s.state.code()),
            Value::int(s.device_model.map(|m| m.code())),
            Value::text(s.model_name.clone()),
            Value::text(s.hash_device_id.clone()),
            series(&s.hr),
            series(&s.rr),
            series(&s.snoring),
            series(&s.sdnn_1),
            series(&s.rmssd),
            series(&s.hrv_quality),
            series(&s.mvt_score),
            series(&s.chest_movement_rate),
            series(&s.withings_index),
            series(&s.breathing_sounds),
        ],
    }
}

/// The row of one intraday sample.
#[must_use]
pub fn intraday_row(s: &IntradaySample) -> Row {
    Row {
        table: &schema::INTRADAY,
        values: vec![
            Value::Text(s.device_id.clone().unwrap_or_default()),
            ts(s.at),
            secs(s.duration),
            Value::text(s.device_id.clone()),
            Value::int(s.model.map(|m| m.code())),
            Value::text(s.model_name.clone()),
            Value::int(s.steps),
            Value::real(s.elevation),
            Value::real(s.calories),
            Value::real(s.distance_m),
            Value::int(s.strokes),
            Value::int(s.pool_laps),
            num(s.heart_rate),
            Value::real(s.spo2),
            Value::real(s.hrv_rmssd_ms),
            Value::real(s.hrv_sdnn_ms),
            num(s.hrv_quality),
            Value::real(s.core_body_temperature_c),
            num(s.respiration_rate),
            num(s.chest_movement_rate),
        ],
    }
}

/// The key of a heart record: its ECG signal id, else its time and device.
#[must_use]
pub fn heart_key(h: &HeartRecord) -> String {
    match &h.ecg {
        Some(ecg) => format!("ecg:{}", ecg.signal_id),
        None => format!(
            "t:{}:{}",
            h.taken_at.as_second(),
            h.device_id.as_deref().unwrap_or("")
        ),
    }
}

/// The row of one heart record.
#[must_use]
pub fn heart_row(h: &HeartRecord) -> Row {
    Row {
        table: &schema::HEART,
        values: vec![
            Value::Text(heart_key(h)),
            ts(h.taken_at),
            h.local.as_ref().map_or(Value::Null, local),
            opt_ts(h.modified),
            Value::text(h.device_id.clone()),
            Value::text(h.model.as_ref().map(ToString::to_string)),
            Value::int(h.ecg.as_ref().map(|e| e.signal_id)),
            Value::int(h.ecg.as_ref().map(|e| e.afib.code())),
            num(h.blood_pressure.as_ref().map(|b| b.systolic_mmhg)),
            num(h.blood_pressure.as_ref().map(|b| b.diastolic_mmhg)),
            Value::int(h.stethoscope.as_ref().map(|s| s.signal_id)),
            Value::int(h.stethoscope.as_ref().and_then(|s| s.vhd)),
            num(h.heart_rate),
        ],
    }
}

/// The key of a device: its hashed id, else its id, else its type and model.
#[must_use]
pub fn device_key(d: &Device) -> String {
    d.device_hash
        .clone()
        .or_else(|| d.device_id.clone())
        .unwrap_or_else(|| {
            format!(
                "{}:{}",
                d.kind,
                d.model.map_or_else(String::new, |m| m.code().to_string())
            )
        })
}

/// The row of one device.
#[must_use]
pub fn device_row(d: &Device) -> Row {
    Row {
        table: &schema::DEVICES,
        values: vec![
            Value::Text(device_key(d)),
            Value::Text(d.kind.clone()),
            Value::Text(d.battery.as_str().to_owned()),
            Value::text(d.model_name.clone()),
            Value::int(d.model.map(|m| m.code())),
            Value::text(d.device_id.clone()),
            Value::text(d.device_hash.clone()),
            Value::Text(d.time_zone.clone()),
            opt_ts(d.first_session),
            opt_ts(d.last_session),
            Value::text(d.mac_address.clone()),
            Value::text(d.firmware.clone()),
            Value::text(d.network.clone()),
            Value::text(d.last_used_network.clone()),
            Value::text(d.sim_status.clone()),
        ],
    }
}

/// The row of the user's goals.
#[must_use]
pub fn goals_row(g: &Goals) -> Row {
    Row {
        table: &schema::GOALS,
        values: vec![
            Value::int(g.steps),
            secs(g.sleep),
            Value::text(g.weight_kg.map(|w| w.to_string())),
            Value::int(g.weight_kg.map(|w| w.mantissa())),
            Value::int(g.weight_kg.map(|w| i64::from(w.exponent()))),
        ],
    }
}
