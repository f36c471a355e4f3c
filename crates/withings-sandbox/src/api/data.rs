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
    Day, DemoData, EcgRec, Group, INTRADAY_DEFAULT, INTRADAY_SLOT, Night, SLEEP_SUMMARY_DEFAULT,
    TIME_ZONE_NAME, WATCH, WorkoutRec,
};
use crate::json::{J, Obj};

/// `sleep get` and `getintradayactivity` return at most 24 hours from `startdate` (§12.18).
const MAX_SPAN: i64 = 86_400;

pub(super) fn handle(
    inner: &Inner,
    d: &DemoData,
    now: Timestamp,
    service: Service,
    action: &str,
    p: &Params,
) -> Result<J, ApiError> {
    let at = now.as_second();
    route! { service, action;
        GetMeas => getmeas(inner, d, now, p),
        GetActivity => {
            let window = DateWindow::parse(p)?;
            let fields = p.list("data_fields");
            let days = window.days(d, at);
            let items: Vec<J> = days
                .iter()
                .filter_map(|day| d.activity_at(day, at))
                .filter(|(a, modified)| window.contains(a.date, *modified))
                .map(|(a, modified)| a.to_json(fields.as_deref(), modified))
                .collect();
            paged(inner, p, "activities", &items)
        },
        GetWorkouts => {
            let window = DateWindow::parse(p)?;
            let fields = p.list("data_fields");
            let days = window.days(d, at);
            let found: Vec<&WorkoutRec> = days
                .iter()
                .flat_map(|day| &day.workouts)
                .filter(|w| w.visible(at) && window.contains(w.date, w.modified_at(at)))
                .collect();
            paged_with(inner, p, "series", &found, |w| w.to_json(fields.as_deref(), at))
        },
        GetIntradayActivity => intraday(d, at, p),
        ConfirmUser => {
            let grpid = p.required_int("grpid")?;
            p.required("is_confirmed")?;
            if !d.has_group(grpid, at) {
                return Err(ApiError::invalid("invalid grpid"));
            }
            Ok(Obj::new().into())
        },
        GetSleep => sleep_get(d, at, p),
        GetSleepSummary => {
            let window = DateWindow::parse(p)?;
            let fields = p.list("data_fields");
            let fields: Vec<&str> = match &fields {
                Some(f) => f.iter().map(String::as_str).collect(),
                None => SLEEP_SUMMARY_DEFAULT.to_vec(),
            };
            let days = window.days(d, at);
            let found: Vec<&Night> = days
                .iter()
                .flat_map(|day| &day.nights)
                .filter(|n| n.visible(at) && window.contains(n.date, n.modified_at(at)))
                .collect();
            paged_with(inner, p, "series", &found, |n| {
                let mut data = Obj::new();
                for (name, value) in d.summary(n) {
                    if fields.contains(name) {
                        data.push(*name, value.clone());
                    }
                }
                let device = n.sleeper.device();
                Obj::new()
                    .put("id", n.id)
                    .put("timezone", TIME_ZONE_NAME)
                    .put("model", n.sleeper.model())
                    .put("model_id", device.model_id)
                    .put("hash_deviceid", device.id)
                    .put("startdate", n.start)
                    .put("enddate", n.end)
                    .put("date", n.date.to_string())
                    .put("created", n.created)
                    .put("modified", n.modified_at(at))
                    .put("data", data)
                    .into()
            })
        },
        HeartList => {
            let (start, end) = (p.int("startdate")?, p.int("enddate")?);
            let days = d.days_between(start, end, at);
            let found: Vec<&EcgRec> = days
                .iter()
                .rev()
                .flat_map(|day| &day.ecgs)
                .filter(|e| {
                    e.visible(at)
                        && start.is_none_or(|s| e.timestamp >= s)
                        && end.is_none_or(|x| e.timestamp <= x)
                })
                .collect();
            paged_with(inner, p, "series", &found, |e| e.to_json())
        },
        HeartGet => {
            let id = p.required_int("signalid")?;
            let rec = d
                .ecg(id, at)
                .ok_or_else(|| ApiError::invalid("invalid signalid"))?;
            Ok(Obj::new()
                .put("signal", d.ecg_signal(&rec))
                .put("sampling_frequency", rec.sampling_frequency)
                .put("wearposition", rec.wearposition)
                .put("model", rec.device.model_id)
                .put("heart_rate", rec.heart_rate)
                .into())
        },
        // The BPM Core records heart sounds with each ECG (the data module's `stetho`).
        StethoList => {
            let (start, end) = (p.int("startdate")?, p.int("enddate")?);
            let days = d.days_between(start, end, at);
            let found: Vec<&EcgRec> = days
                .iter()
                .rev()
                .flat_map(|day| &day.ecgs)
                .filter(|e| {
                    e.has_stetho()
                        && e.visible(at)
                        && start.is_none_or(|s| e.timestamp >= s)
                        && end.is_none_or(|x| e.timestamp <= x)
                })
                .collect();
            paged_with(inner, p, "series", &found, |e| e.stetho_json())
        },
        StethoGet => {
            let id = p.required_int("signalid")?;
            let rec = d
                .stetho(id, at)
                .ok_or_else(|| ApiError::invalid("invalid signalid"))?;
            Ok(d.stetho_body(&rec))
        },
        GetDevice => Ok(Obj::new().put("devices", d.devices_json(at)).into()),
        GetGoals => Ok(Obj::new().put("goals", DemoData::goals()).into()),
        ; else => Err(ApiError::not_implemented()),
    }
}

/// A v2 list page: `more` is a boolean here, and `offset` is the next index even on the last
/// page (`"more":false,"offset":200` was seen in real data, API notes §6).
fn paged(inner: &Inner, p: &Params, key: &str, items: &[J]) -> Result<J, ApiError> {
    paged_with(inner, p, key, items, J::clone)
}

/// [`paged`] over records, writing only the page's records as JSON.
fn paged_with<T>(
    inner: &Inner,
    p: &Params,
    key: &str,
    items: &[T],
    json: impl Fn(&T) -> J,
) -> Result<J, ApiError> {
    let (slice, more, next) = page(items, p.offset()?, inner.config.page_size);
    Ok(Obj::new()
        .put(key, slice.iter().map(json).collect::<Vec<J>>())
        .put("more", more)
        .put("offset", next as i64)
        .into())
}

fn getmeas(inner: &Inner, d: &DemoData, now: Timestamp, p: &Params) -> Result<J, ApiError> {
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
    let at = now.as_second();
    let days = match &window {
        TimeWindow::Range(start, end) => d.days_between(*start, *end, at),
        TimeWindow::LastUpdate(_) => d.history(at),
    };
    let added = d.added_groups(at);
    // Newest first, the whole history when no window is given (API notes §4.1).
    let mut groups: Vec<&Group> = days
        .iter()
        .rev()
        .flat_map(|day| &day.groups)
        .chain(&added)
        .filter(|g| {
            g.visible(at)
                && category.is_none_or(|c| c == g.category)
                && window.contains(g.date, g.modified_at(at))
                && g.has_types(types.as_deref())
        })
        .collect();
    if !added.is_empty() {
        // Stable: the generated groups keep their order among themselves.
        groups.sort_by_key(|g| std::cmp::Reverse(g.date));
    }
    let (slice, more, next) = page(&groups, p.offset()?, inner.config.meas_page_size);
    let page: Vec<J> = slice
        .iter()
        .filter_map(|g| g.to_json(types.as_deref(), at))
        .collect();
    Ok(Obj::new()
        .put("updatetime", at)
        .put("timezone", TIME_ZONE_NAME)
        .put("measuregrps", page)
        // getmeas alone says `more` with an integer (API notes §6).
        .put("more", i64::from(more))
        .put("offset", if more { next as i64 } else { 0 })
        .into())
}

fn sleep_get(d: &DemoData, now: i64, p: &Params) -> Result<J, ApiError> {
    let start = p.required_int("startdate")?;
    let end = p
        .required_int("enddate")?
        .min(start.saturating_add(MAX_SPAN));
    let wanted: Vec<String> = p.list("data_fields").unwrap_or_default();
    // A night belongs to the day it ends on: the days of the window and the one after.
    let days = match (d.date_of(start), d.date_of(end)) {
        (Some(from), Some(to)) if start < end => d.days(from, to.tomorrow().unwrap_or(to), now),
        _ => Vec::new(),
    };
    let mut nights: Vec<&Night> = days
        .iter()
        .flat_map(|day| &day.nights)
        .filter(|n| n.visible(now) && n.end > start && n.start < end)
        .collect();
    nights.sort_by_key(|n| n.start);
    let mut series = Vec::new();
    let mut models = Vec::new();
    for night in nights {
        let device = night.sleeper.device();
        let fields: Vec<&str> = night
            .sleeper
            .fields()
            .iter()
            .copied()
            .filter(|f| wanted.iter().any(|x| x == f))
            .collect();
        models.push(night.sleeper.model());
        // Not sorted: the order of `night.order`, as the real API (API notes §5.5).
        for seg in night.order.iter().filter_map(|&i| night.segments.get(i)) {
            if seg.end <= start || seg.start >= end {
                continue;
            }
            let mut o = Obj::new()
                .put("startdate", seg.start)
                .put("state", seg.state as i64)
                .put("enddate", seg.end)
                .put("model", device.model)
                .put("model_id", device.model_id)
                .put("hash_deviceid", device.id);
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
    // The body's `model`: the tracker's (16) only when the watch recorded everything shown.
    let model = if !models.is_empty() && models.iter().all(|&m| m == 16) {
        16
    } else {
        32
    };
    Ok(Obj::new().put("series", series).put("model", model).into())
}

fn intraday(d: &DemoData, now: i64, p: &Params) -> Result<J, ApiError> {
    let (start, end) = match (p.int("startdate")?, p.int("enddate")?) {
        (Some(s), Some(e)) => (s, e.min(s.saturating_add(MAX_SPAN))),
        (Some(s), None) => (s, s.saturating_add(MAX_SPAN)),
        (None, Some(e)) => (e.saturating_sub(MAX_SPAN), e),
        // No dates: the most recent data.
        (None, None) => (now - MAX_SPAN, now),
    };
    let fields: Vec<String> = p
        .list("data_fields")
        .unwrap_or_else(|| INTRADAY_DEFAULT.iter().map(|s| (*s).to_owned()).collect());
    // Only what was recorded: from the oldest day to now.
    let (start, end) = (start.max(d.first).min(now), end.min(now));
    // The first slot boundary at or after `start`.
    let first = start
        .saturating_add(INTRADAY_SLOT - 1)
        .div_euclid(INTRADAY_SLOT)
        * INTRADAY_SLOT;
    let mut series = Obj::new();
    let mut at = first;
    while at < end && at + INTRADAY_SLOT <= now {
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

    /// The days to look at: the window's, or the whole history for `lastupdate` (an old
    /// record may have been edited since).
    fn days(&self, d: &DemoData, now: i64) -> Vec<std::sync::Arc<Day>> {
        match *self {
            Self::Dates(start, end) => d.days(start, end, now),
            Self::LastUpdate(_) => d.history(now),
        }
    }
}
