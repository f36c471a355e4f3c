//! Hand-written getmeas and sleep summary payloads for the query tests, decoded through the
//! real decoder (never domain structs built by hand).

use withings_model::Reply;
use withings_model::measure::GetMeasBody;
use withings_model::sleep::GetSleepSummaryBody;

use crate::decode_reply;
use crate::measure::Measurements;
use crate::sleep::SleepSummary;

/// One measure group as JSON: category 1 (real) unless `category` says otherwise; no
/// `attrib` key when `attrib` is `None`; `deviceid` null when `device` is `None`.
pub(crate) fn group(
    grpid: i64,
    attrib: Option<i64>,
    date: i64,
    device: Option<&str>,
    measures: &str,
) -> String {
    group_in(1, grpid, attrib, date, device, measures)
}

/// As [`group`], in the given `category` (2: objective).
pub(crate) fn group_in(
    category: i64,
    grpid: i64,
    attrib: Option<i64>,
    date: i64,
    device: Option<&str>,
    measures: &str,
) -> String {
    let attrib = attrib
        .map(|a| format!(r#""attrib":{a},"#))
        .unwrap_or_default();
    let device = device.map_or("null".to_owned(), |d| format!("\"{d}\""));
    format!(
        r#"{{"grpid":{grpid},{attrib}"date":{date},"created":{date},"category":{category},"deviceid":{device},"hash_deviceid":{device},"measures":[{measures}]}}"#
    )
}

/// A getmeas body in Europe/Berlin holding `groups`.
pub(crate) fn body(groups: &[String]) -> String {
    format!(
        r#"{{"updatetime":1717430000,"timezone":"Europe\/Berlin","measuregrps":[{}],"more":0}}"#,
        groups.join(",")
    )
}

/// Decodes a getmeas body through `decode_reply`.
pub(crate) fn decode(body: &str) -> Measurements {
    let json = format!(r#"{{"status":0,"body":{body}}}"#);
    match decode_reply::<GetMeasBody>(json.as_bytes()) {
        Ok(Reply::Ok(m)) => m,
        other => panic!("{other:?}"),
    }
}

/// One sleep summary as JSON, in `zone`, with `data` (`{"total_sleep_time":…}`).
pub(crate) fn summary(
    id: Option<i64>,
    zone: &str,
    start: i64,
    end: i64,
    date: &str,
    data: &str,
) -> String {
    let id = id.map(|i| format!(r#""id":{i},"#)).unwrap_or_default();
    format!(
        r#"{{{id}"timezone":"{zone}","model":32,"model_id":63,"hash_deviceid":"a","startdate":{start},"enddate":{end},"date":"{date}","created":{end},"modified":{end},"data":{data}}}"#
    )
}

/// Decodes sleep summaries through `decode_reply` (which sorts them by start, then id).
pub(crate) fn summaries(series: &[String]) -> Vec<SleepSummary> {
    let json = format!(
        r#"{{"status":0,"body":{{"series":[{}],"more":false,"offset":0}}}}"#,
        series.join(",")
    );
    match decode_reply::<GetSleepSummaryBody>(json.as_bytes()) {
        Ok(Reply::Ok(s)) => s.into_vec(),
        other => panic!("{other:?}"),
    }
}
