//! JSON written the way Withings' PHP backend writes it.
//!
//! `json_encode` with default flags: compact, keys in insertion order, `/` escaped as `\/`
//! (API notes §2: `"Europe\/Paris"`), non-ASCII as `\uXXXX`, floats in shortest round-trip
//! form with `.0` kept on integral floats. A small ordered value type is enough: the sandbox
//! builds bodies field by field (honouring `data_fields`) and never needs to read JSON back.

use std::fmt::Write;

/// A JSON value with ordered object keys.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum J {
    Null,
    Bool(bool),
    Int(i64),
    Num(f64),
    Str(String),
    Arr(Vec<J>),
    Obj(Obj),
}

/// A JSON object: keys in insertion order, as PHP associative arrays keep them.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Obj(Vec<(String, J)>);

impl Obj {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Adds a field (builder style).
    pub(crate) fn put(mut self, key: impl Into<String>, value: impl Into<J>) -> Self {
        self.0.push((key.into(), value.into()));
        self
    }

    /// Adds a field.
    pub(crate) fn push(&mut self, key: impl Into<String>, value: impl Into<J>) {
        self.0.push((key.into(), value.into()));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Obj> for J {
    fn from(o: Obj) -> Self {
        Self::Obj(o)
    }
}
impl From<Vec<J>> for J {
    fn from(v: Vec<J>) -> Self {
        Self::Arr(v)
    }
}
impl From<i64> for J {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}
impl From<f64> for J {
    fn from(v: f64) -> Self {
        Self::Num(v)
    }
}
impl From<bool> for J {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}
impl From<&str> for J {
    fn from(v: &str) -> Self {
        Self::Str(v.to_owned())
    }
}
impl From<String> for J {
    fn from(v: String) -> Self {
        Self::Str(v)
    }
}
impl<T: Into<J>> From<Option<T>> for J {
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::Null, Into::into)
    }
}

impl J {
    /// The PHP-style compact text.
    pub(crate) fn encode(&self) -> String {
        let mut out = String::with_capacity(256);
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Self::Null => out.push_str("null"),
            Self::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Self::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Self::Num(f) => write_float(*f, out),
            Self::Str(s) => write_str(s, out),
            Self::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Self::Obj(Obj(fields)) => {
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_str(k, out);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

fn write_float(f: f64, out: &mut String) {
    if !f.is_finite() {
        // PHP refuses to encode these; the sandbox never produces them, but stay valid JSON.
        out.push_str("null");
    } else if f.fract() == 0.0 && f.abs() < 1e15 {
        // PHP ≥ 7.1 (serialize_precision = -1) keeps the `.0` of an integral float.
        let _ = write!(out, "{f:.1}");
    } else {
        // Rust's Display is the shortest representation that round-trips, as PHP's is.
        let _ = write!(out, "{f}");
    }
}

fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

/// Rounds to `places` decimals, for invented measurements that should look like the real ones
/// (`1028.559`, `0.89`).
pub(crate) fn round(f: f64, places: i32) -> f64 {
    let p = 10f64.powi(places);
    (f * p).round() / p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_like_php_json_encode() {
        let v = J::from(
            Obj::new()
                .put("timezone", "Europe/Paris")
                .put("model", "Activité")
                .put("note", "a \"b\"\n\u{1F600}")
                .put("distance", 1028.559)
                .put("calories", 318.0)
                .put("more", false)
                .put("deviceid", J::Null)
                .put("list", vec![J::from(1), J::from(-2)])
                .put("empty", Obj::new()),
        );
        assert_eq!(
            v.encode(),
            r#"{"timezone":"Europe\/Paris","model":"Activit\u00e9","note":"a \"b\"\n\ud83d\ude00","distance":1028.559,"calories":318.0,"more":false,"deviceid":null,"list":[1,-2],"empty":{}}"#
        );
    }

    #[test]
    fn rounding_keeps_the_expected_decimals() {
        assert_eq!(round(0.894_999, 2), 0.89);
        assert_eq!(round(1028.5594, 3), 1028.559);
    }
}
