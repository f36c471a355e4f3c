//! `fixtures/manifest.toml`: what `cargo xtask regen-fixtures` records.
//!
//! The file is TOML, read by a small parser that accepts the subset the manifest needs:
//! comments, `[[record]]` tables, and `key = value` lines whose value is a basic string, an
//! integer, a boolean, an array of those (sent as a comma list) or a one-line inline table of
//! those. Anything else is an error naming the line.
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

use std::collections::HashMap;

use withings_model::Service;

use crate::civil;

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

/// A scalar or array value of the TOML subset.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Str(String),
    Int(i64),
    Bool(bool),
    Array(Vec<Value>),
    Table(Vec<(String, Value)>),
}

impl Value {
    /// The text sent in a form: arrays become comma lists.
    fn form_text(&self) -> Result<String, String> {
        Ok(match self {
            Self::Str(s) => s.clone(),
            Self::Int(i) => i.to_string(),
            Self::Bool(b) => b.to_string(),
            Self::Array(items) => items
                .iter()
                .map(Self::form_text)
                .collect::<Result<Vec<_>, _>>()?
                .join(","),
            Self::Table(_) => return Err("a table cannot be a parameter value".into()),
        })
    }
}

/// Parses the manifest text.
///
/// # Errors
/// `line N: …` for anything outside the subset, an unknown key, a missing `dir` or `case`, a
/// service or action that cannot be read from the folder name, or a duplicate entry.
pub fn parse(text: &str) -> Result<Manifest, String> {
    let mut tables: Vec<(usize, Vec<(String, Value)>)> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let n = n + 1;
        let mut p = Parser {
            s: line.as_bytes(),
            i: 0,
        };
        p.ws();
        if p.done() {
            continue;
        }
        if p.eat("[[") {
            p.ws();
            let name = p.key().map_err(|e| format!("line {n}: {e}"))?;
            p.ws();
            if !p.eat("]]")
                || !{
                    p.ws();
                    p.done()
                }
            {
                return Err(format!("line {n}: expected `]]`"));
            }
            if name != "record" {
                return Err(format!(
                    "line {n}: unknown table `[[{name}]]` (only [[record]])"
                ));
            }
            tables.push((n, Vec::new()));
            continue;
        }
        let (key, value) = p.pair().map_err(|e| format!("line {n}: {e}"))?;
        p.ws();
        if !p.done() {
            return Err(format!("line {n}: unexpected text after the value"));
        }
        let Some((_, table)) = tables.last_mut() else {
            return Err(format!("line {n}: `{key}` outside a [[record]] table"));
        };
        if table.iter().any(|(k, _)| *k == key) {
            return Err(format!("line {n}: `{key}` given twice"));
        }
        table.push((key, value));
    }
    let mut entries: Vec<Entry> = Vec::new();
    for (line, table) in tables {
        let entry = entry(line, table)?;
        if entries.iter().any(|e| e.id() == entry.id()) {
            return Err(format!("line {line}: {} is recorded twice", entry.id()));
        }
        entries.push(entry);
    }
    Ok(Manifest { entries })
}

fn entry(line: usize, table: Vec<(String, Value)>) -> Result<Entry, String> {
    let mut fields: HashMap<String, Value> = table.into_iter().collect();
    let mut text = |k: &str| -> Result<Option<String>, String> {
        match fields.remove(k) {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s)),
            Some(_) => Err(format!("line {line}: `{k}` must be a string")),
        }
    };
    let dir = text("dir")?.ok_or_else(|| format!("line {line}: [[record]] without `dir`"))?;
    let case = text("case")?.ok_or_else(|| format!("line {line}: [[record]] without `case`"))?;
    let service = text("service")?;
    let action = text("action")?;
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
    let service_name = service.as_deref().unwrap_or(slug);
    let service = Service::parse(service_name)
        .ok_or_else(|| format!("line {line}: unknown service `{service_name}`"))?;
    let action = action.unwrap_or_else(|| derived_action.to_owned());
    if action.is_empty() {
        return Err(format!(
            "line {line}: no action (name the folder <service>-<action>)"
        ));
    }
    let params = match fields.remove("params") {
        None => Vec::new(),
        Some(Value::Table(pairs)) => pairs
            .into_iter()
            .map(|(k, v)| {
                if k == "action" {
                    return Err(format!("line {line}: `action` is not a parameter"));
                }
                v.form_text()
                    .map(|t| (k, t))
                    .map_err(|e| format!("line {line}: {e}"))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(format!("line {line}: `params` must be an inline table")),
    };
    if let Some(k) = fields.keys().next() {
        return Err(format!(
            "line {line}: unknown key `{k}` (dir, case, service, action, params)"
        ));
    }
    Ok(Entry {
        dir,
        case,
        service,
        action,
        params,
        line,
    })
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r')) {
            self.i += 1;
        }
        if self.peek() == Some(b'#') {
            self.i = self.s.len();
        }
    }

    fn done(&self) -> bool {
        self.i >= self.s.len()
    }

    fn eat(&mut self, t: &str) -> bool {
        if self.s.get(self.i..self.i + t.len()) == Some(t.as_bytes()) {
            self.i += t.len();
            true
        } else {
            false
        }
    }

    fn key(&mut self) -> Result<String, String> {
        if self.peek() == Some(b'"') {
            return self.string();
        }
        let start = self.i;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            self.i += 1;
        }
        if start == self.i {
            return Err("expected a key".into());
        }
        Ok(String::from_utf8_lossy(self.s.get(start..self.i).unwrap_or_default()).into_owned())
    }

    fn pair(&mut self) -> Result<(String, Value), String> {
        let key = self.key()?;
        self.ws();
        if !self.eat("=") {
            return Err(format!("expected `=` after `{key}`"));
        }
        self.ws();
        let value = self.value(true)?;
        Ok((key, value))
    }

    fn value(&mut self, table_allowed: bool) -> Result<Value, String> {
        match self.peek() {
            Some(b'"') => self.string().map(Value::Str),
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.ws();
                    if self.eat("]") {
                        break;
                    }
                    items.push(self.value(false)?);
                    self.ws();
                    if self.eat("]") {
                        break;
                    }
                    if !self.eat(",") {
                        return Err(
                            "expected `,` or `]` in an array (arrays stay on one line)".into()
                        );
                    }
                }
                Ok(Value::Array(items))
            }
            Some(b'{') if table_allowed => {
                self.i += 1;
                let mut pairs: Vec<(String, Value)> = Vec::new();
                self.ws();
                if self.eat("}") {
                    return Ok(Value::Table(pairs));
                }
                loop {
                    self.ws();
                    let key = self.key()?;
                    self.ws();
                    if !self.eat("=") {
                        return Err(format!("expected `=` after `{key}`"));
                    }
                    self.ws();
                    let v = self.value(false)?;
                    if pairs.iter().any(|(k, _)| *k == key) {
                        return Err(format!("`{key}` given twice"));
                    }
                    pairs.push((key, v));
                    self.ws();
                    if self.eat("}") {
                        return Ok(Value::Table(pairs));
                    }
                    if !self.eat(",") {
                        return Err("expected `,` or `}` in an inline table (one line)".into());
                    }
                }
            }
            Some(b't') if self.eat("true") => Ok(Value::Bool(true)),
            Some(b'f') if self.eat("false") => Ok(Value::Bool(false)),
            Some(b'-' | b'+' | b'0'..=b'9') => {
                let start = self.i;
                self.i += 1;
                while self.peek().is_some_and(|b| b.is_ascii_digit() || b == b'_') {
                    self.i += 1;
                }
                let text: String =
                    String::from_utf8_lossy(self.s.get(start..self.i).unwrap_or_default())
                        .replace('_', "");
                text.parse()
                    .map(Value::Int)
                    .map_err(|_| format!("`{text}` is not an integer"))
            }
            _ => Err("expected a string, integer, boolean, array or inline table".into()),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        if !self.eat("\"") {
            return Err("expected `\"`".into());
        }
        let mut out = Vec::new();
        loop {
            let Some(b) = self.peek() else {
                return Err("unterminated string".into());
            };
            self.i += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    let Some(e) = self.peek() else {
                        return Err("unterminated string".into());
                    };
                    self.i += 1;
                    match e {
                        b'"' => out.push(b'"'),
                        b'\\' => out.push(b'\\'),
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'u' => {
                            let hex = self.s.get(self.i..self.i + 4).unwrap_or_default();
                            let c = std::str::from_utf8(hex)
                                .ok()
                                .and_then(|h| u32::from_str_radix(h, 16).ok())
                                .and_then(char::from_u32)
                                .ok_or("bad \\u escape")?;
                            self.i += 4;
                            out.extend_from_slice(c.to_string().as_bytes());
                        }
                        _ => return Err(format!("unsupported escape `\\{}`", char::from(e))),
                    }
                }
                _ => out.push(b),
            }
        }
        String::from_utf8(out).map_err(|_| "a string that is not UTF-8".into())
    }
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
            Ok(civil::format_ymd(now.div_euclid(86_400) + secs / 86_400))
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
            ("dir = \"x\"", "line 1: `dir` outside"),
            (
                "[[record]]\ncase = \"c\"",
                "line 1: [[record]] without `dir`",
            ),
            (
                "[[record]]\ndir = \"v2-sleep-get\"\ncase = \"c\"\nwindow = 3",
                "unknown key `window`",
            ),
            (
                "[[record]]\ndir = \"nope-get\"\ncase = \"c\"",
                "unknown service `nope`",
            ),
            ("[[record]]\ndir = \"../x-get\"\ncase = \"c\"", "file names"),
            (
                "[[record]]\ndir = \"v2-sleep-get\"\ncase = \"c\"\nparams = { a = 1\n",
                "line 4:",
            ),
            (
                "[[record]]\ndir = 'v2-sleep-get'",
                "line 2: expected a string",
            ),
            ("[[tables]]", "line 1: unknown table"),
            (
                "[[record]]\ndir = \"v2-sleep-get\"\ncase = \"c\"\n[[record]]\ndir = \"v2-sleep-get\"\ncase = \"c\"",
                "line 4: v2-sleep-get/c is recorded twice",
            ),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(want), "{text:?}: {e}");
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
