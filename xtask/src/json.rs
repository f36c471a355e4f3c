//! A token-level walk over JSON text that can replace single literals and leaves every other
//! byte where it was.
//!
//! Re-serializing through a JSON value would lose exactly what the fixtures exist to keep:
//! `\/` escapes, `\uXXXX` escapes, numbers sent as strings, key order, spacing (rust-stack
//! §4.7). The walk is lenient: malformed fixtures (truncated on purpose) are walked as far as
//! they go, and bytes it does not understand are copied through.

use std::fmt::Write as _;

/// Where a literal sits.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Frame {
    Object { key: Option<String>, want_key: bool },
    Array { index: usize },
}

/// Whether a string literal is an object key or a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// An object key (`"1717369200"` in a timestamp-keyed map).
    Key,
    /// A value.
    Value,
}

/// The kind of a literal, with a string's decoded text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A string; its decoded text.
    Str(String),
    /// A number, as written.
    Num,
    /// `true`, `false` or `null`, as written.
    Word,
}

/// One literal and its place in the document.
#[derive(Debug)]
pub(crate) struct Lit<'a> {
    /// The literal exactly as in the text (quotes included for strings).
    pub(crate) raw: &'a str,
    pub(crate) kind: Kind,
    pub(crate) role: Role,
    stack: &'a [Frame],
    /// For a key: the key itself.
    own_key: Option<&'a str>,
}

impl Lit<'_> {
    /// The key the literal belongs to: for a key, itself; for a value, the key of the nearest
    /// enclosing object (through arrays, so the items of `"mac_addresses": [...]` count).
    pub(crate) fn key(&self) -> Option<&str> {
        if let Some(k) = self.own_key {
            return Some(k);
        }
        self.stack.iter().rev().find_map(|f| match f {
            Frame::Object { key, .. } => Some(key.as_deref()),
            Frame::Array { .. } => None,
        })?
    }

    /// The JSON path of the literal: `body.series[0].deviceid` (`$` for the root).
    pub(crate) fn path(&self) -> String {
        let mut out = String::new();
        for f in self.stack {
            match f {
                Frame::Object { key: Some(k), .. } => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Frame::Object { key: None, .. } => {}
                Frame::Array { index } => {
                    let _ = write!(out, "[{index}]");
                }
            }
        }
        if let Some(k) = self.own_key {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(k);
        }
        if out.is_empty() {
            out.push('$');
        }
        out
    }

    /// Whether the string literal was written with `\/` for `/` (PHP's style), so that a
    /// replacement is written the same way.
    pub(crate) fn escapes_slashes(&self) -> bool {
        self.raw.contains("\\/")
    }
}

/// Walks `text`, calling `f` on every literal; where `f` returns a replacement, that literal's
/// bytes are swapped for it. Everything else is copied byte for byte.
pub(crate) fn rewrite(text: &str, mut f: impl FnMut(&Lit<'_>) -> Option<String>) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes.get(i).copied().unwrap_or_default();
        match b {
            b'{' => {
                stack.push(Frame::Object {
                    key: None,
                    want_key: true,
                });
                i += 1;
            }
            b'[' => {
                stack.push(Frame::Array { index: 0 });
                i += 1;
            }
            b'}' | b']' => {
                stack.pop();
                i += 1;
            }
            b':' => {
                if let Some(Frame::Object { want_key, .. }) = stack.last_mut() {
                    *want_key = false;
                }
                i += 1;
            }
            b',' => {
                match stack.last_mut() {
                    Some(Frame::Object { key, want_key }) => {
                        *key = None;
                        *want_key = true;
                    }
                    Some(Frame::Array { index }) => *index += 1,
                    None => {}
                }
                i += 1;
            }
            b'"' => {
                let end = string_end(bytes, i);
                let raw = text.get(i..end).unwrap_or_default();
                let decoded = decode_string(raw);
                let is_key = matches!(stack.last(), Some(Frame::Object { want_key: true, .. }));
                let replacement = if is_key {
                    let lit = Lit {
                        raw,
                        kind: Kind::Str(decoded.clone()),
                        role: Role::Key,
                        stack: &stack,
                        own_key: Some(&decoded),
                    };
                    f(&lit)
                } else {
                    let lit = Lit {
                        raw,
                        kind: Kind::Str(decoded.clone()),
                        role: Role::Value,
                        stack: &stack,
                        own_key: None,
                    };
                    f(&lit)
                };
                if is_key && let Some(Frame::Object { key, .. }) = stack.last_mut() {
                    *key = Some(decoded);
                }
                if let Some(r) = replacement {
                    out.push_str(text.get(copied..i).unwrap_or_default());
                    out.push_str(&r);
                    copied = end;
                }
                i = end;
            }
            b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => {
                let number = b == b'-' || b.is_ascii_digit();
                let end = bytes
                    .iter()
                    .skip(i)
                    .position(|c| {
                        if number {
                            !(c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E'))
                        } else {
                            !c.is_ascii_alphabetic()
                        }
                    })
                    .map_or(bytes.len(), |n| i + n);
                let lit = Lit {
                    raw: text.get(i..end).unwrap_or_default(),
                    kind: if number { Kind::Num } else { Kind::Word },
                    role: Role::Value,
                    stack: &stack,
                    own_key: None,
                };
                if let Some(r) = f(&lit) {
                    out.push_str(text.get(copied..i).unwrap_or_default());
                    out.push_str(&r);
                    copied = end;
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    out.push_str(text.get(copied..).unwrap_or_default());
    out
}

/// Visits every literal without changing anything.
pub(crate) fn visit(text: &str, mut f: impl FnMut(&Lit<'_>)) {
    let _ = rewrite(text, |lit| {
        f(lit);
        None
    });
}

/// The index just past the string literal starting at `start` (or the end of the text, for a
/// truncated one).
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The text of a string literal (`raw` with its quotes), escapes resolved; lenient: a bad
/// escape is kept as written, a lone surrogate becomes U+FFFD.
pub(crate) fn decode_string(raw: &str) -> String {
    let inner = raw.strip_prefix('"').unwrap_or(raw);
    let inner = inner.strip_suffix('"').unwrap_or(inner);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let Some(hi) = hex4(&mut chars) else {
                    out.push_str("\\u");
                    continue;
                };
                if (0xD800..0xDC00).contains(&hi) {
                    let mut ahead = chars.clone();
                    if ahead.next() == Some('\\')
                        && ahead.next() == Some('u')
                        && let Some(lo) = hex4(&mut ahead)
                        && (0xDC00..0xE000).contains(&lo)
                    {
                        let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                        out.push(char::from_u32(c).unwrap_or('\u{fffd}'));
                        chars = ahead;
                        continue;
                    }
                    out.push('\u{fffd}');
                } else {
                    out.push(char::from_u32(hi).unwrap_or('\u{fffd}'));
                }
            }
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

fn hex4(chars: &mut std::str::Chars<'_>) -> Option<u32> {
    let mut v = 0;
    for _ in 0..4 {
        v = v * 16 + chars.next()?.to_digit(16)?;
    }
    Some(v)
}

/// A JSON string literal for `text` (ASCII pseudonyms only need `"` and `\` escaped), with `/`
/// written as `\/` when the literal it replaces was.
pub(crate) fn encode_string(text: &str, escape_slashes: bool) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if escape_slashes => out.push_str("\\/"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(text: &str) -> Vec<(String, String, Option<String>)> {
        let mut v = Vec::new();
        visit(text, |lit| {
            v.push((lit.path(), lit.raw.to_owned(), lit.key().map(str::to_owned)))
        });
        v
    }

    #[test]
    fn paths_and_keys() {
        let p = paths(r#"{"status":0,"body":{"series":[{"deviceid":"ab"},{"x":[1,"m"]}]}}"#);
        let want = [
            ("status", "\"status\"", Some("status")),
            ("status", "0", Some("status")),
            ("body", "\"body\"", Some("body")),
            ("body.series", "\"series\"", Some("series")),
            ("body.series[0].deviceid", "\"deviceid\"", Some("deviceid")),
            ("body.series[0].deviceid", "\"ab\"", Some("deviceid")),
            ("body.series[1].x", "\"x\"", Some("x")),
            ("body.series[1].x[0]", "1", Some("x")),
            ("body.series[1].x[1]", "\"m\"", Some("x")),
        ];
        let want: Vec<_> = want
            .iter()
            .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), c.map(str::to_owned)))
            .collect();
        assert_eq!(p, want);
    }

    #[test]
    fn rewrite_touches_only_the_literal() {
        let text = "{ \"a\" : \"x\\/y\" ,\n\"b\":[1, 2 ],\"c\":null}";
        let out = rewrite(text, |lit| (lit.raw == "2").then(|| "42".to_owned()));
        assert_eq!(out, "{ \"a\" : \"x\\/y\" ,\n\"b\":[1, 42 ],\"c\":null}");
    }

    #[test]
    fn truncated_text_is_walked_and_kept() {
        let text = r#"{"status":0,"body":{"series":[{"deviceid":"0a1b2"#;
        let mut seen = Vec::new();
        let out = rewrite(text, |lit| {
            seen.push(lit.path());
            None
        });
        assert_eq!(out, text);
        assert_eq!(
            seen.last().map(String::as_str),
            Some("body.series[0].deviceid")
        );
    }

    #[test]
    fn strings_decode_and_encode() {
        assert_eq!(decode_string(r#""Europe\/Paris""#), "Europe/Paris");
        assert_eq!(decode_string(r#""Activit\u00e9""#), "Activité");
        assert_eq!(decode_string(r#""\ud83d\ude00 \"q\"""#), "😀 \"q\"");
        assert_eq!(decode_string(r#""\ud83d""#), "\u{fffd}");
        assert_eq!(
            encode_string("https://example.org/a", true),
            r#""https:\/\/example.org\/a""#
        );
        assert_eq!(encode_string("a/b", false), r#""a/b""#);
    }
}
