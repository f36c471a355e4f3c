//! The data services: `/measure`, `/v2/measure`, `/v2/sleep`, `/v2/heart`, `/v2/stetho`,
//! `/v2/user` (API notes §4.1, §5).

use jiff::Timestamp;
use jiff::civil::Date;
use withings_model::Service;
use withings_model::activity::{GetActivity, GetIntradayActivity};
use withings_model::heart::{HeartGet, HeartList};
use withings_model::measure::{ConfirmUser, GetMeas};
use withings_model::sleep::{GetSleep, GetSleepSummary};
use withings_model::stetho::{StethoGet, StethoList};
use withings_model::user::{GetDevice, GetGoals};
use withings_model::workout::GetWorkouts;

use super::{ApiError, Inner, Params, page};
use crate::data::{
    DemoData, INTRADAY_DEFAULT, INTRADAY_SLOT, SLEEP_FIELDS, SLEEP_MONITOR, SLEEP_SUMMARY_DEFAULT,
    TIME_ZONE_NAME, WATCH,
};
use crate::json::{J, Obj};

/// `sleep get` and `getintradayactivity` return at most 24 hours from `startdate` (§12.18).
const MAX_SPAN: i64 = 86_400;

pub(super) fn handle(
    inner: &Inner,
    now: Timestamp,
    service: Service,
    action: &str,
    p: &Params,
) -> Result<J, ApiError> {
    let d = &inner.data;
    route! { service, action;
        GetMeas => getmeas(inner, now, p),
        GetActivity => {
            let window = DateWindow::parse(p)?;
            let fields = p.list("data_fields");
            let items: Vec<J> = d
                .activities
                .iter()
                .filter(|a| window.contains(a.date, a.modified))
                .map(|a| a.to_json(fields.as_deref()))
                .collect();
            paged(inner, p, "activities", &items)
        },
        GetWorkouts => {
            let window = DateWindow::parse(p)?;
            let fields = p.list("data_fields");
            let items: Vec<J> = d
                .workouts
                .iter()
                .filter(|w| window.contains(w.date, w.modified))
                .map(|w| w.to_json(fields.as_deref()))
                .collect();
            paged(inner, p, "series", &items)
        },
        GetIntradayActivity => intraday(d, p),
        ConfirmUser => {
            let grpid = p.required_int("grpid")?;
            p.required("is_confirmed")?;
            if !d.groups.iter().any(|g| g.grpid == grpid) {
                return Err(ApiError::invalid("invalid grpid"));
            }
            Ok(Obj::new().into())
        },
        GetSleep => sleep_get(d, p),
        GetSleepSummary => {
            let window = DateWindow::parse(p)?;
            let fields = p.list("data_fields");
            let fields: Vec<&str> = match &fields {
                Some(f) => f.iter().map(String::as_str).collect(),
                None => SLEEP_SUMMARY_DEFAULT.to_vec(),
            };
            let items: Vec<J> = d
                .nights
                .iter()
                .filter(|n| window.contains(n.date, n.modified))
                .map(|n| {
                    let mut data = Obj::new();
                    for (name, value) in &n.summary {
                        if fields.contains(name) {
                            data.push(*name, value.clone());
                        }
                    }
                    Obj::new()
                        .put("id", n.id)
                        .put("timezone", TIME_ZONE_NAME)
                        .put("model", 32)
                        .put("model_id", SLEEP_MONITOR.model_id)
                        .put("hash_deviceid", SLEEP_MONITOR.id)
                        .put("startdate", n.start)
                        .put("enddate", n.end)
                        .put("date", n.date.to_string())
                        .put("created", n.created)
                        .put("modified", n.modified)
                        .put("data", data)
                        .into()
                })
                .collect();
            paged(inner, p, "series", &items)
        },
        HeartList => {
            let (start, end) = (p.int("startdate")?, p.int("enddate")?);
            let items: Vec<J> = d
                .ecgs
                .iter()
                .filter(|e| {
                    start.is_none_or(|s| e.timestamp >= s) && end.is_none_or(|x| e.timestamp <= x)
                })
                .map(|e| e.to_json())
                .collect();
            paged(inner, p, "series", &items)
        },
        HeartGet => {
            let id = p.required_int("signalid")?;
            let rec = d
                .ecgs
                .iter()
                .find(|e| e.signalid == id)
                .ok_or_else(|| ApiError::invalid("invalid signalid"))?;
            Ok(Obj::new()
                .put("signal", d.ecg_signal(rec))
                .put("sampling_frequency", rec.sampling_frequency)
                .put("wearposition", rec.wearposition)
                .put("model", rec.device.model_id)
                .put("heart_rate", rec.heart_rate)
                .into())
        },
        // The demo user owns no stethoscope.
        StethoList => paged(inner, p, "series", &[]),
        StethoGet => Err(ApiError::invalid("invalid signalid")),
        GetDevice => Ok(Obj::new().put("devices", d.devices.clone()).into()),
        GetGoals => Ok(Obj::new().put("goals", d.goals.clone()).into()),
        ; else => Err(ApiError::not_implemented()),
    }
}

/// A v2 list page: `more` is a boolean here, and `offset` is the next index even on the last
/// page (`"more":false,"offset":200` was seen in real data, API notes §6).
fn paged(inner: &Inner, p: &Params, key: &str, items: &[J]) -> Result<J, ApiError> {
    let (slice, more, next) = page(items, p.offset()?, inner.config.page_size);
    Ok(Obj::new()
        .put(key, slice.to_vec())
        .put("more", more)
        .put("offset", next as i64)
        .into())
}

fn getmeas(inner: &Inner, now: Timestamp, p: &Params) -> Result<J, ApiError> {
    let mut types: Vec<i64> = Vec::new();
    if let Some(t) = p.int("meastype")? {
        types.push(t);
    }
    for t in p.list("meastypes").unwrap_or_default() {
        types.push(
            t.parse()
                .map_err(|_| ApiError::invalid("meastypes is not a list of integers"))?,
        );
    }
    let types = (!types.is_empty()).then_some(types);
    let category = p.int("category")?;
    if category.is_some_and(|c| c != 1 && c != 2) {
        return Err(ApiError::invalid("invalid category"));
    }
    let window = TimeWindow::parse(p)?;
    let groups: Vec<J> = inner
        .data
        .groups
        .iter()
        .filter(|g| category.is_none_or(|c| c == g.category) && window.contains(g.date, g.modified))
        .filter_map(|g| g.to_json(types.as_deref()))
        .collect();
    let (slice, more, next) = page(&groups, p.offset()?, inner.config.meas_page_size);
    Ok(Obj::new()
        .put("updatetime", now.as_second())
        .put("timezone", TIME_ZONE_NAME)
        .put("measuregrps", slice.to_vec())
        // getmeas alone says `more` with an integer (API notes §6).
        .put("more", i64::from(more))
        .put("offset", if more { next as i64 } else { 0 })
        .into())
}

fn sleep_get(d: &DemoData, p: &Params) -> Result<J, ApiError> {
    let start = p.required_int("startdate")?;
    let end = p
        .required_int("enddate")?
        .min(start.saturating_add(MAX_SPAN));
    let fields: Vec<String> = p.list("data_fields").unwrap_or_default();
    let fields: Vec<&str> = SLEEP_FIELDS
        .iter()
        .copied()
        .filter(|f| fields.iter().any(|x| x == f))
        .collect();
    let mut series = Vec::new();
    for night in d.nights.iter().filter(|n| n.end > start && n.start < end) {
        // Not sorted: the order of `night.order`, as the real API (API notes §5.5).
        for seg in night.order.iter().filter_map(|&i| night.segments.get(i)) {
            if seg.end <= start || seg.start >= end {
                continue;
            }
            let mut o = Obj::new()
                .put("startdate", seg.start)
                .put("state", seg.state as i64)
                .put("enddate", seg.end)
                .put("model", SLEEP_MONITOR.model)
                .put("model_id", SLEEP_MONITOR.model_id)
                .put("hash_deviceid", SLEEP_MONITOR.id);
            let samples: Vec<(i64, _)> = (seg.start..seg.end)
                .step_by(60)
                .map(|at| (at, d.sleep_sample(night, seg.state, at)))
                .collect();
            for &field in &fields {
                let mut map = Obj::new();
                for (at, s) in &samples {
                    if let Some(v) = s.field(field) {
                        map.push(at.to_string(), v);
                    }
                }
                o.push(field, map);
            }
            series.push(J::from(o));
        }
    }
    Ok(Obj::new().put("series", series).put("model", 32).into())
}

fn intraday(d: &DemoData, p: &Params) -> Result<J, ApiError> {
    let (start, end) = match (p.int("startdate")?, p.int("enddate")?) {
        (Some(s), Some(e)) => (s, e.min(s.saturating_add(MAX_SPAN))),
        (Some(s), None) => (s, s.saturating_add(MAX_SPAN)),
        (None, Some(e)) => (e.saturating_sub(MAX_SPAN), e),
        // No dates: the most recent data.
        (None, None) => (d.anchor - MAX_SPAN, d.anchor),
    };
    let fields: Vec<String> = p
        .list("data_fields")
        .unwrap_or_else(|| INTRADAY_DEFAULT.iter().map(|s| (*s).to_owned()).collect());
    // Only what was recorded: from the oldest day to the instant the data was generated at.
    let (start, end) = (start.max(d.first).min(d.anchor), end.min(d.anchor));
    // The first slot boundary at or after `start`.
    let first = start
        .saturating_add(INTRADAY_SLOT - 1)
        .div_euclid(INTRADAY_SLOT)
        * INTRADAY_SLOT;
    let mut series = Obj::new();
    let mut at = first;
    while at < end && at + INTRADAY_SLOT <= d.anchor {
        let mut o = Obj::new()
            .put("deviceid", WATCH.id)
            .put("model", WATCH.model)
            .put("model_id", WATCH.model_id);
        let mut any = false;
        for (name, value) in d.intraday_sample(at) {
            if fields.iter().any(|f| f == name) {
                o.push(name, value);
                any = true;
            }
        }
        if any {
            series.push(at.to_string(), o);
        }
        at += INTRADAY_SLOT;
    }
    // PHP encodes an empty associative array as `[]` (API notes §2).
    let series = if series.is_empty() {
        J::Arr(Vec::new())
    } else {
        series.into()
    };
    Ok(Obj::new().put("series", series).into())
}

/// `startdate`/`enddate` (unix seconds) or `lastupdate`: getmeas.
enum TimeWindow {
    Range(Option<i64>, Option<i64>),
    LastUpdate(i64),
}

impl TimeWindow {
    fn parse(p: &Params) -> Result<Self, ApiError> {
        Ok(match p.int("lastupdate")? {
            Some(at) => Self::LastUpdate(at),
            None => Self::Range(p.int("startdate")?, p.int("enddate")?),
        })
    }

    fn contains(&self, date: i64, modified: i64) -> bool {
        match *self {
            Self::Range(start, end) => {
                start.is_none_or(|s| date >= s) && end.is_none_or(|e| date <= e)
            }
            Self::LastUpdate(at) => modified > at,
        }
    }
}

/// `startdateymd`/`enddateymd` (local dates, both inclusive) or `lastupdate`: the v2 lists.
enum DateWindow {
    Dates(Date, Date),
    LastUpdate(i64),
}

impl DateWindow {
    fn parse(p: &Params) -> Result<Self, ApiError> {
        if let Some(at) = p.int("lastupdate")? {
            return Ok(Self::LastUpdate(at));
        }
        match (p.ymd("startdateymd")?, p.ymd("enddateymd")?) {
            (Some(s), Some(e)) => Ok(Self::Dates(s, e)),
            (Some(_), None) => Err(ApiError::invalid(
                "enddateymd is required with startdateymd",
            )),
            _ => Err(ApiError::invalid(
                "startdateymd and enddateymd, or lastupdate, are required",
            )),
        }
    }

    fn contains(&self, date: Date, modified: i64) -> bool {
        match *self {
            Self::Dates(start, end) => start <= date && date <= end,
            Self::LastUpdate(at) => modified > at,
        }
    }
}
