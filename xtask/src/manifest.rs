//! `fixtures/manifest.toml`: what `cargo xtask regen-fixtures` records.
//!
//! The file is TOML, read with the `toml` crate into serde structs: `[[record]]` tables whose
//! keys are `dir`, `case`, optional `service` and `action`, and a `params` table whose values
//! are strings, integers, booleans or arrays of those (sent as a comma list). Anything else is
//! an error naming the line (and, for what TOML itself rejects, the column).
//!
//! ```toml
//! [[record]]
//! dir = "v2-sleep-getsummary"        # fixtures/<dir>/: service and action come from it
//! case = "recorded"                  # written to fixtures/<dir>/<case>.json
//! params = { startdateymd = "{today-30d}", enddateymd = "{today}", data_fields = ["hr_average", "sleep_score"] }
//! ```
//!
//! Parameter values may be a template, resolved when recording (whole values only):
//! `{now}`, `{now-7d}`, `{now+2h}` (unix seconds; units `s`, `m`, `h`, `d`, `w`),
//! `{today}`, `{today-30d}` (`YYYY-MM-DD`, UTC; units `d`, `w`), and
//! `{ref <dir>/<case> <path>}`: a value of a response recorded earlier in the same run, before
//! scrubbing (`{ref v2-heart-list/recorded body.series[0].ecg.signalid}`), so a detail call can
//! name a record a list returned.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Deserialize;
use toml::{Spanned, Table, Value};
use withings_model::Service;

/// One response to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The fixture folder, `<service slug>-<action>`.
    pub dir: String,
    /// The case name: the file is `<dir>/<case>.json`.
    pub case: String,
    /// The service called.
    pub service: Service,
    /// The `action` sent.
    pub action: String,
    /// The form parameters (besides `action`), templates unresolved.
    pub params: Vec<(String, String)>,
    /// The line of the entry's `[[record]]`.
    pub line: usize,
}

impl Entry {
    /// `<dir>/<case>`: how `{ref …}` names this entry.
    #[must_use]
    pub fn id(&self) -> String {
        format!("{}/{}", self.dir, self.case)
    }
}

/// The parsed manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// The entries, in file order (the recording order).
    pub entries: Vec<Entry>,
}

/// The file as TOML has it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    record: Vec<Spanned<Record>>,
}

/// One `[[record]]` table. `dir` and `case` are optional here so that their absence is
/// reported as this module words it, on the table's line.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    dir: Option<String>,
    case: Option<String>,
    service: Option<String>,
    action: Option<String>,
    /// In file order (toml's `preserve_order` feature): the order they are sent in.
    params: Option<Spanned<Table>>,
}

/// The text sent in a form: arrays become comma lists.
fn form_text(value: &Value) -> Result<String, String> {
    Ok(match value {
        Value::String(s) => s.clone(),
        Value::Integer(i) => i.to_string(),
        Value::Boolean(b) => b.to_string(),
        Value::Array(items) => items
            .iter()
            .map(form_text)
            .collect::<Result<Vec<_>, _>>()?
            .join(","),
        other => {
            return Err(format!(
                "a {} cannot be a parameter value (strings, integers, booleans and arrays of those)",
                other.type_str()
            ));
        }
    })
}

/// The 1-based line and column (in characters) of a byte offset of `text`.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    let column = before.get(line_start..).unwrap_or_default().chars().count() + 1;
    (before.matches('\n').count() + 1, column)
}

/// Parses the manifest text.
///
/// # Errors
/// `line N, column C: …` for what is not TOML or not the manifest's shape (an unknown table or
/// key, a value of the wrong type); `line N: …` for a `[[record]]` without `dir` or `case`, a
/// service or action that cannot be read from the folder name, or a duplicate entry.
pub fn parse(text: &str) -> Result<Manifest, String> {
    let file: File = toml::from_str(text).map_err(|e| {
        let message = e.message().trim_end();
        let Some(span) = e.span() else {
            return message.to_owned();
        };
        let (line, column) = position(text, span.start);
        match text.get(span) {
            // toml's only message that does not say what: the span is the key.
            Some(key) if message == "duplicate key" => {
                format!("line {line}, column {column}: `{key}` given twice")
            }
            _ => format!("line {line}, column {column}: {message}"),
        }
    })?;
    let mut entries: Vec<Entry> = Vec::new();
    for record in file.record {
        let line = position(text, record.span().start).0;
        let entry = entry(text, line, record.into_inner())?;
        if entries.iter().any(|e| e.id() == entry.id()) {
            return Err(format!("line {line}: {} is recorded twice", entry.id()));
        }
        entries.push(entry);
    }
    Ok(Manifest { entries })
}

fn entry(text: &str, line: usize, record: Record) -> Result<Entry, String> {
    let dir = record
        .dir
        .ok_or_else(|| format!("line {line}: [[record]] without `dir`"))?;
    let case = record
        .case
        .ok_or_else(|| format!("line {line}: [[record]] without `case`"))?;
    let safe = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if !safe(&dir) || !safe(&case) {
        return Err(format!(
            "line {line}: `dir` and `case` are file names (letters, digits, - and _)"
        ));
    }
    // `v2-sleep-getsummary`: actions have no dash, so the action is after the last one.
    let (slug, derived_action) = dir.rsplit_once('-').unwrap_or((dir.as_str(), ""));
    let service_name = record.service.as_deref().unwrap_or(slug);
    let service = Service::parse(service_name)
        .ok_or_else(|| format!("line {line}: unknown service `{service_name}`"))?;
    let action = record.action.unwrap_or_else(|| derived_action.to_owned());
    if action.is_empty() {
        return Err(format!(
            "line {line}: no action (name the folder <service>-<action>)"
        ));
    }
    let params = match record.params {
        None => Vec::new(),
        Some(params) => {
            let at = position(text, params.span().start).0;
            params
                .into_inner()
                .into_iter()
                .map(|(k, v)| {
                    if k == "action" {
                        return Err(format!("line {at}: `action` is not a parameter"));
                    }
                    let t = form_text(&v).map_err(|e| format!("line {at}: `{k}`: {e}"))?;
                    Ok((k, t))
                })
                .collect::<Result<_, _>>()?
        }
    };
    Ok(Entry {
        dir,
        case,
        service,
        action,
        params,
        line,
    })
}

/// Resolves a parameter value: a template (`{now-7d}`, `{today}`, `{ref …}`) or the text as
/// it is. `now` is in unix seconds; `lookup` finds a value in an earlier response.
///
/// # Errors
/// A malformed template, or a `{ref …}` that `lookup` cannot answer.
pub fn resolve(
    value: &str,
    now: i64,
    lookup: &dyn Fn(&str, &str) -> Result<String, String>,
) -> Result<String, String> {
    let Some(inner) = value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) else {
        return Ok(value.to_owned());
    };
    let inner = inner.trim();
    if let Some(r) = inner.strip_prefix("ref ") {
        let mut parts = r.split_whitespace();
        let (Some(id), Some(path), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("`{value}`: write {{ref <dir>/<case> <json path>}}"));
        };
        return lookup(id, path);
    }
    let (base, offset) = match inner.find(['+', '-']) {
        Some(at) => (
            inner.get(..at).unwrap_or_default(),
            inner.get(at..).unwrap_or_default(),
        ),
        None => (inner, ""),
    };
    let secs = if offset.is_empty() {
        0
    } else {
        offset_seconds(offset).ok_or_else(|| {
            format!("`{value}`: the offset is a sign, a number and a unit (s, m, h, d, w)")
        })?
    };
    match base.trim() {
        "now" => Ok((now + secs).to_string()),
        "today" => {
            if secs % 86_400 != 0 {
                return Err(format!("`{value}`: dates move by whole days (d, w)"));
            }
            // A whole number of days: the date of the moved instant is the moved date.
            let day = now
                .checked_add(secs)
                .and_then(|t| Timestamp::from_second(t).ok())
                .ok_or_else(|| format!("`{value}`: out of range"))?;
            Ok(TimeZone::UTC.to_datetime(day).date().to_string())
        }
        _ => Err(format!(
            "`{value}`: unknown template (now, today, ref); write literal braces some other way"
        )),
    }
}

fn offset_seconds(s: &str) -> Option<i64> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, s.get(1..)?),
        b'-' => (-1, s.get(1..)?),
        _ => return None,
    };
    let rest = rest.trim();
    let unit = rest.chars().last()?;
    let n: i64 = rest.get(..rest.len() - 1)?.trim().parse().ok()?;
    let mult = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return None,
    };
    Some(sign * n * mult)
}

/// A value at a JSON path (`body.series[0].ecg.signalid`) of a parsed response, as form text.
///
/// # Errors
/// A path that leads nowhere, or to an object, array or null.
pub fn json_at(root: &serde_json::Value, path: &str) -> Result<String, String> {
    let mut v = root;
    for seg in path.split('.') {
        let (name, mut rest) = match seg.find('[') {
            Some(at) => (
                seg.get(..at).unwrap_or_default(),
                seg.get(at..).unwrap_or_default(),
            ),
            None => (seg, ""),
        };
        if !name.is_empty() {
            v = v
                .get(name)
                .ok_or_else(|| format!("no `{name}` at `{path}`"))?;
        }
        while let Some(r) = rest.strip_prefix('[') {
            let (idx, after) = r
                .split_once(']')
                .ok_or_else(|| format!("unclosed `[` in `{path}`"))?;
            let i: usize = idx
                .parse()
                .map_err(|_| format!("`{idx}` is not an index in `{path}`"))?;
            v = v
                .get(i)
                .ok_or_else(|| format!("no item {i} at `{path}` (fewer items came back)"))?;
            rest = after;
        }
    }
    match v {
        serde_json::Value::String(s) => Ok(s.clone()),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        serde_json::Value::Bool(b) => Ok(b.to_string()),
        _ => Err(format!("`{path}` is not a string, number or boolean")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_subset() {
        let m = parse(
            r#"
# comment
[[record]]
dir = "v2-sleep-getsummary"   # trailing comment
case = "recorded"
params = { startdateymd = "{today-30d}", enddateymd = "{today}", data_fields = ["hr_average", "sleep_score"], offset = 0 }

[[record]]
dir = "measure-getmeas"
case = "weight-only"
params = { meastypes = [1, 6], category = 1, "x y" = "a # not a comment \"q\"" }

[[ record ]]
dir = "custom"
case = "c"
service = "v2/heart"
action = "get"
"#,
        )
        .unwrap();
        assert_eq!(m.entries.len(), 3);
        let e = &m.entries[0];
        assert_eq!(
            (e.service, e.action.as_str(), e.line),
            (Service::Sleep, "getsummary", 3)
        );
        assert_eq!(
            e.params,
            vec![
                ("startdateymd".to_owned(), "{today-30d}".to_owned()),
                ("enddateymd".to_owned(), "{today}".to_owned()),
                (
                    "data_fields".to_owned(),
                    "hr_average,sleep_score".to_owned()
                ),
                ("offset".to_owned(), "0".to_owned()),
            ]
        );
        let e = &m.entries[1];
        assert_eq!(e.service, Service::Measure);
        assert_eq!(e.params[0].1, "1,6");
        assert_eq!(
            e.params[2],
            ("x y".to_owned(), "a # not a comment \"q\"".to_owned())
        );
        assert_eq!(
            (m.entries[2].service, m.entries[2].action.as_str()),
            (Service::Heart, "get")
        );
    }

    #[test]
    fn errors_name_the_line() {
        for (text, want) in [
            // A key outside any [[record]] is a top-level key, which TOML places at line 1.
            (
                "dir = \"x\"",
                "line 1, column 1: unknown field `dir`, expected `record`",
            ),
            (
                "[[record]]\ncase = \"c\"",
                "line 1: [[record]] without `dir`",
            ),
            (
                "[[record]]\ndir = \"v2-sleep-get\"\ncase = \"c\"\nwindow = 3",
                "line 4, column 1: unknown field `window`, expected one of `dir`",
            ),
            (
                "[[record]]\ndir = \"nope-get\"\ncase = \"c\"",
                "unknown service `nope`",
            ),
            ("[[record]]\ndir = \"../x-get\"\ncase = \"c\"", "file names"),
            (
                "[[record]]\ndir = \"v2-sleep-get\"\ncase = \"c\"\nparams = { a = 1\n",
                "line 4, column 17: unclosed inline table",
            ),
            // `'…'` is a TOML literal string (accepted, see below); a number is not a string.
            (
                "[[record]]\ndir = 2",
                "line 2, column 7: invalid type: integer `2`, expected a string",
            ),
            (
                "[[tables]]",
                "line 1, column 3: unknown field `tables`, expected `record`",
            ),
            (
                "[[record]]\ndir = \"v2-sleep-get\"\ncase = \"c\"\n[[record]]\ndir = \"v2-sleep-get\"\ncase = \"c\"",
                "line 4: v2-sleep-get/c is recorded twice",
            ),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(want), "{text:?}: {e}");
        }
        let m = parse("[[record]]\ndir = 'v2-sleep-get'\ncase = 'c'").unwrap();
        assert_eq!(m.entries[0].id(), "v2-sleep-get/c");
    }

    #[test]
    fn malformed_manifests_are_refused_with_line_and_cause() {
        const HEAD: &str = "# what to record\n[[record]]\ndir = \"v2-sleep-get\"\ncase = \"c\"\n";
        for (tail, want) in [
            // Not TOML at all.
            ("params = {", "line 5, column 11: "),
            ("case2 = \"c\" x", "line 5, column 13: "),
            // Columns count characters, not bytes.
            ("service = \"é\" x", "line 5, column 15: "),
            (
                "params = { a = 1, a = 2 }",
                "line 5, column 19: `a` given twice",
            ),
            ("case = \"d\"", "line 5, column 1: `case` given twice"),
            ("[record]", "line 5, column 2: `record` given twice"),
            // TOML, but not a manifest.
            (
                "params = \"a=1\"",
                "line 5, column 10: invalid type: string \"a=1\", expected a map",
            ),
            (
                "params = { a = 1.5 }",
                "line 5: `a`: a float cannot be a parameter value",
            ),
            (
                "params = { a = [1, { b = 2 }] }",
                "line 5: `a`: a table cannot be a parameter value",
            ),
            (
                "params = { a = 2024-06-03 }",
                "line 5: `a`: a datetime cannot be a parameter value",
            ),
            (
                "params = { action = \"get\" }",
                "line 5: `action` is not a parameter",
            ),
            ("service = \"v9/nope\"", "line 2: unknown service `v9/nope`"),
            ("action = \"\"", "line 2: no action"),
        ] {
            let text = format!("{HEAD}{tail}\n");
            let e = parse(&text).unwrap_err();
            assert!(e.starts_with(want), "{tail:?}: {e}");
        }
    }

    #[test]
    fn templates() {
        let now = 1_717_430_000; // 2024-06-03T15:53:20Z
        let none = |_: &str, _: &str| -> Result<String, String> { Err("no".into()) };
        assert_eq!(resolve("{now}", now, &none).unwrap(), "1717430000");
        assert_eq!(resolve("{now-1d}", now, &none).unwrap(), "1717343600");
        assert_eq!(resolve("{ now + 2h }", now, &none).unwrap(), "1717437200");
        assert_eq!(resolve("{today}", now, &none).unwrap(), "2024-06-03");
        assert_eq!(resolve("{today-30d}", now, &none).unwrap(), "2024-05-04");
        assert_eq!(resolve("{today-1w}", now, &none).unwrap(), "2024-05-27");
        assert_eq!(resolve("1,6,8", now, &none).unwrap(), "1,6,8");
        assert!(resolve("{today-2h}", now, &none).is_err());
        assert!(resolve("{later}", now, &none).is_err());
        assert!(resolve("{now-7x}", now, &none).is_err());
        let refs = |id: &str, path: &str| -> Result<String, String> { Ok(format!("{id}|{path}")) };
        assert_eq!(
            resolve(
                "{ref v2-heart-list/recorded body.series[0].ecg.signalid}",
                now,
                &refs
            )
            .unwrap(),
            "v2-heart-list/recorded|body.series[0].ecg.signalid"
        );
    }

    #[test]
    fn json_paths() {
        let v: serde_json::Value = serde_json::from_str(
            r#"{"body":{"series":[{"ecg":{"signalid":170000321}},{"u":"x"}],"m":[[1,2]]}}"#,
        )
        .unwrap();
        assert_eq!(
            json_at(&v, "body.series[0].ecg.signalid").unwrap(),
            "170000321"
        );
        assert_eq!(json_at(&v, "body.series[1].u").unwrap(), "x");
        assert_eq!(json_at(&v, "body.m[0][1]").unwrap(), "2");
        assert!(
            json_at(&v, "body.series[5].u")
                .unwrap_err()
                .contains("fewer items")
        );
        assert!(json_at(&v, "body.series").is_err());
    }
}
