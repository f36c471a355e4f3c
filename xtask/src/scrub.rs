//! The scrubber: replaces identifiers, secrets and free text in recorded responses by stable
//! pseudonyms, and optionally shifts every timestamp by whole days, rewriting only those
//! literals of the raw text.
//!
//! # The pseudonym rules (the one place they are written down)
//!
//! A pseudonym keeps the shape of what it replaces (a string stays a string, a number a number,
//! a 40-hex id 40 hex characters) and can be told from a live value by this rule alone:
//!
//! | value                                   | pseudonym                                        |
//! |-----------------------------------------|--------------------------------------------------|
//! | digits (a user id as number or string)  | [`NUMERIC_MARKER`] `9999`, zeros, the sequence number; as many digits as the original, at least 8 (`99990001`) |
//! | any other id, token, nonce, signature   | [`HEX_MARKER`] `5c0b`, zeros, the sequence number as 8 hex digits; as long as the original, at least 12 (`5c0b0000000000000000000000000000000000a1` is 40) |
//! | email address                           | `scrubbed-0001@example.org`                      |
//! | MAC address                             | `00:00:5e:00:53:01` (RFC 7042's documentation range; separator and case kept) |
//! | callback URL                            | `https://example.org/callback/1` (scheme kept; any URL on example.org, .com or .net counts as a pseudonym) |
//! | free text (`comment`)                   | `scrubbed-0001`                                  |
//!
//! `null`, `true`, `false` and the empty string carry nothing and are left as they are. The
//! same input maps to the same pseudonym for the whole run (one [`Scrubber`]), so ids that
//! join across responses (`deviceid` in getmeas, getdevice and heart list) still join. Sequence
//! numbers are handed out in order of first appearance; they are not derived from the value,
//! so a pseudonym says nothing about what it replaced (a hash of an 8-digit user id could be
//! reversed by trying them all).
//!
//! Which values are scrubbed: every value under a key of [`class_of`] (through arrays, so the
//! items of `mac_addresses` count), and, under any key, a string that is as a whole a hex
//! string of 32 characters or more, an email address, a MAC address or `Bearer <token>`.
//! Record ids (`grpid`, `id`, `signalid`) are kept: they are the server's counters, mean nothing
//! without the account's token, and link a list to its detail call. Timestamps (the keys of
//! [`Class::Time`] and object keys of 9 or more digits, which key Withings' per-second maps)
//! move by the shift when one is given, `YYYY-MM-DD` dates by the same number of days.

use std::collections::HashMap;

use jiff::Span;
use jiff::civil::Date;

use crate::json::{self, Kind, Role};

/// Hex ids and tokens: pseudonyms start with this.
pub const HEX_MARKER: &str = "5c0b";
/// Numeric ids: pseudonyms start with this.
pub const NUMERIC_MARKER: &str = "9999";
/// Free text and the local part of email addresses: pseudonyms start with this.
pub const TEXT_MARKER: &str = "scrubbed-";
/// Hosts of URL and email pseudonyms (RFC 2606), subdomains included.
pub const PSEUDONYM_DOMAINS: &[&str] = &["example.org", "example.com", "example.net"];
/// The first five bytes of MAC pseudonyms (RFC 7042 §2.1.2, for documentation).
pub const MAC_PREFIX: [u8; 5] = [0x00, 0x00, 0x5e, 0x00, 0x53];

/// What a key holds, for the scrubber and the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// A user or device id, a token, a nonce, a signature.
    Id,
    /// An email address.
    Email,
    /// A MAC address.
    Mac,
    /// A URL of the app (notification callbacks).
    Url,
    /// Free text the user wrote.
    Text,
    /// A timestamp (unix seconds) or a `YYYY-MM-DD` date.
    Time,
}

/// The class of a JSON key or form field, if it holds anything sensitive or a time.
#[must_use]
pub fn class_of(key: &str) -> Option<Class> {
    Some(match key {
        "userid" | "hash_userid" | "deviceid" | "hash_deviceid" | "access_token"
        | "refresh_token" | "csrf_token" | "nonce" | "signature" => Class::Id,
        "email" => Class::Email,
        "mac_address" | "mac_addresses" => Class::Mac,
        "callbackurl" | "new_callbackurl" => Class::Url,
        "comment" => Class::Text,
        "startdate" | "enddate" | "date" | "created" | "modified" | "updatetime" | "timestamp"
        | "lastupdate" | "first_session_date" | "last_session_date" => Class::Time,
        _ => return None,
    })
}

/// The pseudonym families, each with its own sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Family {
    Numeric,
    Hex,
    Email,
    Mac,
    Url,
    Text,
}

/// Whether `s` is a hex pseudonym: `5c0b`, zeros, 8 hex digits; 12 characters or more.
#[must_use]
pub fn is_hex_pseudonym(s: &str) -> bool {
    s.len() >= 12
        && s.bytes().all(|b| b.is_ascii_hexdigit())
        && s.get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case(HEX_MARKER))
        && s.get(4..s.len() - 8)
            .is_some_and(|z| z.bytes().all(|b| b == b'0'))
}

/// Whether `s` is a numeric pseudonym: digits only, at least 8, starting `9999`.
#[must_use]
pub fn is_numeric_pseudonym(s: &str) -> bool {
    s.len() >= 8 && s.bytes().all(|b| b.is_ascii_digit()) && s.starts_with(NUMERIC_MARKER)
}

/// Whether `host` is one of [`PSEUDONYM_DOMAINS`] or below one.
fn pseudonym_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    PSEUDONYM_DOMAINS
        .iter()
        .any(|d| host == *d || host.ends_with(&format!(".{d}")))
}

/// Whether `s` is an email pseudonym: any address at a [`PSEUDONYM_DOMAINS`] host.
#[must_use]
pub fn is_email_pseudonym(s: &str) -> bool {
    s.rsplit_once('@')
        .is_some_and(|(local, host)| !local.is_empty() && pseudonym_host(host))
}

/// Whether `s` is a URL pseudonym: an absolute URL whose host is one of
/// [`PSEUDONYM_DOMAINS`].
#[must_use]
pub fn is_url_pseudonym(s: &str) -> bool {
    url_host(s).is_some_and(pseudonym_host)
}

/// Whether `s` is a text pseudonym: `scrubbed-` and digits.
#[must_use]
pub fn is_text_pseudonym(s: &str) -> bool {
    s.strip_prefix(TEXT_MARKER)
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether `s` is a MAC pseudonym (in [`MAC_PREFIX`], or a hex pseudonym for a MAC written
/// without separators).
#[must_use]
pub fn is_mac_pseudonym(s: &str) -> bool {
    parse_mac(s).is_some_and(|(b, _)| b.get(..5) == Some(&MAC_PREFIX[..])) || is_hex_pseudonym(s)
}

/// Whether a string value under a key of `class` is in pseudonym form (or carries nothing).
#[must_use]
pub fn string_in_form(class: Class, s: &str) -> bool {
    s.is_empty()
        || match class {
            Class::Id => is_numeric_pseudonym(s) || is_hex_pseudonym(s),
            Class::Email => is_email_pseudonym(s),
            Class::Mac => is_mac_pseudonym(s),
            Class::Url => is_url_pseudonym(s),
            Class::Text => is_text_pseudonym(s),
            Class::Time => true,
        }
}

/// The host of an absolute URL `scheme://[user@]host[:port][/…]`.
pub(crate) fn url_host(s: &str) -> Option<&str> {
    let (scheme, rest) = s.split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+')
    {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = host.split(':').next()?;
    (!host.is_empty()).then_some(host)
}

/// The six bytes and the separator of `aa:bb:cc:dd:ee:ff` (or with `-`).
pub(crate) fn parse_mac(s: &str) -> Option<([u8; 6], char)> {
    if s.len() != 17 {
        return None;
    }
    let sep = s.chars().nth(2)?;
    if sep != ':' && sep != '-' {
        return None;
    }
    let mut out = [0u8; 6];
    for (i, part) in s.split(sep).enumerate() {
        if part.len() != 2 || i >= 6 {
            return None;
        }
        *out.get_mut(i)? = u8::from_str_radix(part, 16).ok()?;
    }
    Some((out, sep))
}

/// Whether `s` is, as a whole, an email address.
pub(crate) fn is_email(s: &str) -> bool {
    s.rsplit_once('@').is_some_and(|(local, host)| {
        !local.is_empty()
            && local
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._%+-".contains(&b))
            && valid_domain(host)
    })
}

/// `a.b.tld` with an alphabetic top-level label of 2 or more.
pub(crate) fn valid_domain(host: &str) -> bool {
    host.rsplit_once('.').is_some_and(|(rest, tld)| {
        !rest.is_empty()
            && tld.len() >= 2
            && tld.bytes().all(|b| b.is_ascii_alphabetic())
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    })
}

/// `Bearer <token>` as a whole: the token.
fn bearer_token(s: &str) -> Option<&str> {
    let (scheme, token) = s.split_once(' ')?;
    let token = token.trim_start();
    (scheme.eq_ignore_ascii_case("bearer")
        && token.len() >= 8
        && !token.contains(char::is_whitespace))
    .then_some(token)
}

/// Replaces sensitive values by pseudonyms and shifts times; one per run.
///
/// The scrubber is pure: text in, text out, no IO, deterministic given the order of its
/// inputs. To keep pseudonyms already present in the inputs from colliding with new ones, call
/// [`reserve_json`](Self::reserve_json) / [`reserve_form`](Self::reserve_form) on every input of
/// the run first, or use [`scrub_all`].
#[derive(Debug, Default)]
pub struct Scrubber {
    shift_days: i64,
    seen: HashMap<(Family, String), u64>,
    next: HashMap<Family, u64>,
}

/// What an input file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A JSON response.
    Json,
    /// A form-encoded notification body (`notify-callback/*.form`).
    Form,
}

/// Scrubs the inputs of one run with one [`Scrubber`], reserving their existing pseudonyms
/// first.
#[must_use]
pub fn scrub_all(shift_days: i64, inputs: &[(Format, &str)]) -> Vec<String> {
    let mut s = Scrubber::new(shift_days);
    for (format, text) in inputs {
        match format {
            Format::Json => s.reserve_json(text),
            Format::Form => s.reserve_form(text),
        }
    }
    inputs
        .iter()
        .map(|(format, text)| match format {
            Format::Json => s.scrub_json(text),
            Format::Form => s.scrub_form(text),
        })
        .collect()
}

impl Scrubber {
    /// A scrubber that moves timestamps by `shift_days` days (0: times are kept).
    #[must_use]
    pub fn new(shift_days: i64) -> Self {
        Self {
            shift_days,
            ..Self::default()
        }
    }

    /// Notes the pseudonyms already in `text` so that new ones get other numbers.
    pub fn reserve_json(&mut self, text: &str) {
        json::visit(text, |lit| {
            if lit.role == Role::Value {
                if let Kind::Str(s) = &lit.kind {
                    self.reserve(s);
                } else if lit.kind == Kind::Num && lit.key().and_then(class_of) == Some(Class::Id) {
                    self.reserve(lit.raw);
                }
            }
        });
    }

    /// As [`reserve_json`](Self::reserve_json), for a form body.
    pub fn reserve_form(&mut self, text: &str) {
        for pair in text.trim_end().split('&') {
            if let Some((_, v)) = pair.split_once('=') {
                self.reserve(&form_decode(v));
            }
        }
    }

    fn reserve(&mut self, s: &str) {
        let found = if is_numeric_pseudonym(s) {
            s.get(4..)
                .and_then(|n| n.parse().ok())
                .map(|n| (Family::Numeric, n))
        } else if is_hex_pseudonym(s) {
            s.get(s.len() - 8..)
                .and_then(|n| u64::from_str_radix(n, 16).ok())
                .map(|n| (Family::Hex, n))
        } else if is_text_pseudonym(s) {
            s.get(TEXT_MARKER.len()..)
                .and_then(|n| n.parse().ok())
                .map(|n| (Family::Text, n))
        } else if is_email_pseudonym(s) {
            s.split('@')
                .next()
                .and_then(|l| l.strip_prefix(TEXT_MARKER))
                .and_then(|n| n.parse().ok())
                .map(|n| (Family::Email, n))
        } else if let Some((b, _)) = parse_mac(s).filter(|_| is_mac_pseudonym(s)) {
            Some((Family::Mac, u64::from(b[5])))
        } else if is_url_pseudonym(s) {
            s.rsplit_once("/callback/")
                .and_then(|(_, n)| n.parse().ok())
                .map(|n| (Family::Url, n))
        } else {
            None
        };
        if let Some((family, n)) = found {
            let next = self.next.entry(family).or_insert(1);
            *next = (*next).max(n.saturating_add(1));
        }
    }

    /// The sequence number of `original` in `family`: the same for the same input.
    fn seq(&mut self, family: Family, original: &str) -> u64 {
        if let Some(&n) = self.seen.get(&(family, original.to_owned())) {
            return n;
        }
        let next = self.next.entry(family).or_insert(1);
        let n = *next;
        *next += 1;
        self.seen.insert((family, original.to_owned()), n);
        n
    }

    fn numeric(&mut self, original: &str) -> String {
        let n = self.seq(Family::Numeric, original);
        let width = original.len().max(8) - NUMERIC_MARKER.len();
        format!("{NUMERIC_MARKER}{n:0width$}")
    }

    fn hex(&mut self, original: &str) -> String {
        let n = self.seq(Family::Hex, original);
        let len = original.chars().count().max(12);
        let mut out = format!("{HEX_MARKER}{}{n:08x}", "0".repeat(len - 12));
        let upper = original.bytes().all(|b| b.is_ascii_hexdigit())
            && original.bytes().any(|b| b.is_ascii_uppercase())
            && !original.bytes().any(|b| b.is_ascii_lowercase());
        if upper {
            out.make_ascii_uppercase();
        }
        out
    }

    fn email(&mut self, original: &str) -> String {
        let n = self.seq(Family::Email, original);
        format!("{TEXT_MARKER}{n:04}@example.org")
    }

    fn mac(&mut self, original: &str, sep: char) -> String {
        let n = self.seq(Family::Mac, original);
        let mut out = MAC_PREFIX
            .iter()
            .chain(std::iter::once(&((n % 256) as u8)))
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(&sep.to_string());
        if original.bytes().any(|b| b.is_ascii_uppercase()) {
            out.make_ascii_uppercase();
        }
        out
    }

    fn url(&mut self, original: &str) -> String {
        let n = self.seq(Family::Url, original);
        let scheme = original
            .split_once("://")
            .map(|(s, _)| s)
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphabetic()))
            .unwrap_or("https");
        format!("{scheme}://example.org/callback/{n}")
    }

    fn text(&mut self, original: &str) -> String {
        let n = self.seq(Family::Text, original);
        format!("{TEXT_MARKER}{n:04}")
    }

    /// The replacement of a string value under a key of `class` (`None`: any other key, where
    /// only whole values shaped like a secret are replaced).
    fn string(&mut self, class: Option<Class>, s: &str) -> Option<String> {
        if s.is_empty() {
            return None;
        }
        match class {
            Some(Class::Time) => self.shift_text(s),
            Some(c) if string_in_form(c, s) => None,
            Some(Class::Id) => Some(if s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit()) {
                self.numeric(s)
            } else {
                self.hex(s)
            }),
            Some(Class::Email) => Some(self.email(s)),
            Some(Class::Mac) => Some(match parse_mac(s) {
                Some((_, sep)) => self.mac(s, sep),
                None => self.hex(s),
            }),
            Some(Class::Url) => Some(self.url(s)),
            Some(Class::Text) => Some(self.text(s)),
            None => self.by_shape(s),
        }
    }

    fn by_shape(&mut self, s: &str) -> Option<String> {
        if s.len() >= 32 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            (!is_hex_pseudonym(s)).then(|| self.hex(s))
        } else if is_email(s) {
            (!is_email_pseudonym(s)).then(|| self.email(s))
        } else if let Some((_, sep)) = parse_mac(s) {
            (!is_mac_pseudonym(s)).then(|| self.mac(s, sep))
        } else if let Some(token) = bearer_token(s) {
            let scheme = s.split(' ').next().unwrap_or("Bearer");
            (!is_hex_pseudonym(token)).then(|| format!("{scheme} {}", self.hex(token)))
        } else {
            None
        }
    }

    /// A unix-seconds number moved by the shift; only plausible instants (1973 to 2286), so
    /// zeros and sentinels stay.
    fn shift_number(&self, raw: &str) -> Option<String> {
        if self.shift_days == 0 || raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let v: i64 = raw.parse().ok()?;
        (100_000_000..10_000_000_000)
            .contains(&v)
            .then(|| (v + self.shift_days * 86_400).to_string())
    }

    /// A time written as text: unix seconds, or `YYYY-MM-DD` (an impossible date stays, so
    /// malformed cases keep their point).
    fn shift_text(&self, s: &str) -> Option<String> {
        if self.shift_days == 0 {
            return None;
        }
        self.shift_number(s)
            .or_else(|| shift_ymd(s, self.shift_days))
    }

    /// Scrubs one JSON text: only the replaced literals change.
    pub fn scrub_json(&mut self, text: &str) -> String {
        // PHP escapes every `/`; a replacement that brings a `/` where the original had none
        // follows the document's style.
        let php_slashes = text.contains("\\/");
        json::rewrite(text, |lit| {
            let slashes = lit.escapes_slashes() || (php_slashes && !lit.raw.contains('/'));
            match (&lit.kind, lit.role) {
                (Kind::Str(s), Role::Key) => {
                    if s.len() >= 9 && s.bytes().all(|b| b.is_ascii_digit()) {
                        self.shift_number(s).map(|n| json::encode_string(&n, false))
                    } else {
                        None
                    }
                }
                (Kind::Str(s), Role::Value) => {
                    let class = lit.key().and_then(class_of);
                    self.string(class, s)
                        .map(|n| json::encode_string(&n, slashes))
                }
                (Kind::Num, _) => match lit.key().and_then(class_of) {
                    Some(Class::Id) if !is_numeric_pseudonym(lit.raw) => {
                        Some(self.numeric(lit.raw))
                    }
                    Some(Class::Time) => self.shift_number(lit.raw),
                    _ => None,
                },
                (Kind::Word, _) => None,
            }
        })
    }

    /// Scrubs one form-encoded body (`userid=…&appli=…`), keeping its layout and trailing
    /// newline.
    pub fn scrub_form(&mut self, text: &str) -> String {
        let body = text.trim_end();
        let tail = text.get(body.len()..).unwrap_or_default();
        let pairs: Vec<String> = body
            .split('&')
            .map(|pair| {
                let Some((k, v)) = pair.split_once('=') else {
                    return pair.to_owned();
                };
                let class = class_of(&form_decode(k));
                match self.string(class, &form_decode(v)) {
                    Some(new) => format!("{k}={}", form_encode(&new)),
                    None => pair.to_owned(),
                }
            })
            .collect();
        format!("{}{tail}", pairs.join("&"))
    }
}

/// A strict `YYYY-MM-DD` naming a real date (jiff alone would also read `20240603` or
/// `+002024-06-03`, which are left as they are).
fn parse_ymd(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    let shaped = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        });
    shaped.then(|| s.parse().ok()).flatten()
}

/// `s` moved by `days` days, when it is a strict `YYYY-MM-DD` naming a real date (and the
/// moved date is within jiff's years -9999 to 9999).
fn shift_ymd(s: &str, days: i64) -> Option<String> {
    let moved = parse_ymd(s)?.checked_add(Span::new().try_days(days).ok()?);
    Some(moved.ok()?.to_string())
}

/// `application/x-www-form-urlencoded` decoding (`+` is a space); bad escapes stay as written.
pub(crate) fn form_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(v) = hex {
                    out.push(v);
                    i += 3;
                    continue;
                }
                out.push(c);
            }
            _ => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `application/x-www-form-urlencoded` encoding, as browsers and Withings do it.
fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX_A: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567";
    const HEX_B: &str = "9876fedc5432ba109876fedc5432ba109876fedc";

    fn one(text: &str) -> String {
        Scrubber::new(0).scrub_json(text)
    }

    /// The bytes of `a` and `b` outside the spans where they differ are the same, and those
    /// spans are exactly the listed literals.
    fn changed_spans(before: &str, after: &str) -> Vec<(String, String)> {
        let mut old = Vec::new();
        json::visit(before, |l| old.push(l.raw.to_owned()));
        let mut new = Vec::new();
        json::visit(after, |l| new.push(l.raw.to_owned()));
        assert_eq!(old.len(), new.len(), "same number of literals");
        // Rebuild `after` from `before` literal by literal: the glue must be identical.
        let glue = |text: &str, lits: &[String]| {
            let mut rest = text;
            let mut parts = Vec::new();
            for l in lits {
                let at = rest.find(l.as_str()).unwrap();
                parts.push(rest[..at].to_owned());
                rest = &rest[at + l.len()..];
            }
            parts.push(rest.to_owned());
            parts
        };
        assert_eq!(
            glue(before, &old),
            glue(after, &new),
            "bytes between literals"
        );
        old.into_iter().zip(new).filter(|(a, b)| a != b).collect()
    }

    #[test]
    fn wire_form_is_kept_byte_for_byte_outside_replaced_literals() {
        let text = format!(
            "{{\"status\":0,\"body\":{{\"updatetime\":\"1717430000\",\"timezone\":\"Europe\\/Berlin\",\
             \"measuregrps\":[{{\"grpid\":5123456789,\"date\":1717429800,\"deviceid\":\"{HEX_A}\",\
             \"hash_deviceid\":\"{HEX_A}\",\"model\":\"Activit\\u00e9 Steel HR\",\"comment\":null,\
             \"measures\":[{{\"value\":78250,\"type\":1,\"unit\":-3}}]}}],\"more\":0,\"offset\":0}} ,\n \"x\" : [] }}"
        );
        let out = one(&text);
        let spans = changed_spans(&text, &out);
        let pseudo = format!("\"{HEX_MARKER}{}00000001\"", "0".repeat(28));
        assert_eq!(
            spans,
            vec![
                (format!("\"{HEX_A}\""), pseudo.clone()),
                (format!("\"{HEX_A}\""), pseudo),
            ]
        );
        // Untouched: escaped slash, \u escape, number-as-string, null, spacing.
        assert!(out.contains("\"Europe\\/Berlin\""));
        assert!(out.contains("Activit\\u00e9"));
        assert!(out.contains("\"updatetime\":\"1717430000\""));
        assert!(out.ends_with("\"offset\":0} ,\n \"x\" : [] }"));
    }

    #[test]
    fn same_input_same_pseudonym_across_keys_and_files() {
        let mut s = Scrubber::new(0);
        let a = s.scrub_json(&format!(
            r#"{{"deviceid":"{HEX_A}","hash_deviceid":"{HEX_A}","x":"{HEX_B}"}}"#
        ));
        let b = s.scrub_json(&format!(
            r#"{{"series":[{{"deviceid":"{HEX_B}"}},{{"deviceid":"{HEX_A}"}}]}}"#
        ));
        let p1 = format!("5c0b{}00000001", "0".repeat(28));
        let p2 = format!("5c0b{}00000002", "0".repeat(28));
        assert_eq!(
            a,
            format!(r#"{{"deviceid":"{p1}","hash_deviceid":"{p1}","x":"{p2}"}}"#)
        );
        assert_eq!(
            b,
            format!(r#"{{"series":[{{"deviceid":"{p2}"}},{{"deviceid":"{p1}"}}]}}"#)
        );
        // Idempotent: pseudonyms stay.
        assert_eq!(s.scrub_json(&a), a);
    }

    #[test]
    fn user_ids_keep_number_or_string_and_join() {
        let mut s = Scrubber::new(0);
        let out = s.scrub_json(
            r#"{"a":{"userid":10203040},"b":{"userid":"10203040"},"c":{"userid":"123"}}"#,
        );
        assert_eq!(
            out,
            r#"{"a":{"userid":99990001},"b":{"userid":"99990001"},"c":{"userid":"99990002"}}"#
        );
        let long = s.scrub_json(r#"{"userid":1234567890123}"#);
        assert_eq!(long, r#"{"userid":9999000000003}"#);
        assert!(is_numeric_pseudonym("9999000000003"));
    }

    #[test]
    fn shapes_of_every_family() {
        let mut s = Scrubber::new(0);
        let text = concat!(
            r#"{"access_token":"0123456789abcdef0123456789abcdef01234567","#,
            r#""csrf_token":"ZmFrZS1jc3JmLXRva2Vu","nonce":"DEADC0DEDEADC0DEDEADC0DE","#,
            r#""nonce2":"","email":"jane.doe@gmail.com","mac_address":"00:24:E4:AA:BB:CC","#,
            r#""mac_addresses":["00-24-e4-aa-bb-cd","0024e4aabbce"],"#,
            r#""callbackurl":"https:\/\/hooks.acme.io\/withings?secret=s3","#,
            r#""comment":"my morning weigh-in","other":"contact: jane@acme.io","#,
            r#""token_type":"Bearer","auth":"Bearer 0123456789abcdef0123456789abcdef01234567","#,
            r#""blob":"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF","deviceid":null,"signature":true}"#
        );
        let out = s.scrub_json(text);
        let p = |n: u32, len: usize| format!("5c0b{}{n:08x}", "0".repeat(len - 12));
        let want = format!(
            concat!(
                r#"{{"access_token":"{}","#,
                r#""csrf_token":"{}","nonce":"{}","#,
                r#""nonce2":"","email":"scrubbed-0001@example.org","mac_address":"00:00:5E:00:53:01","#,
                r#""mac_addresses":["00-00-5e-00-53-02","{}"],"#,
                r#""callbackurl":"https:\/\/example.org\/callback\/1","#,
                r#""comment":"scrubbed-0001","other":"contact: jane@acme.io","#,
                r#""token_type":"Bearer","auth":"Bearer {}","#,
                r#""blob":"{}","deviceid":null,"signature":true}}"#
            ),
            p(1, 40),
            p(2, 20),
            p(3, 24).to_ascii_uppercase(),
            p(4, 12),
            p(1, 40),
            p(5, 34).to_ascii_uppercase(),
        );
        assert_eq!(out, want);
        // Free text that merely contains an address is not a value shape the scrubber
        // rewrites; the check reports it (see check.rs).
    }

    #[test]
    fn existing_pseudonyms_are_reserved_not_reused() {
        let first = format!(r#"{{"deviceid":"{HEX_A}"}}"#);
        let second = format!(
            r#"{{"deviceid":"5c0b{}00000001","userid":99990007}}"#,
            "0".repeat(28)
        );
        let out = scrub_all(0, &[(Format::Json, &first), (Format::Json, &second)]);
        assert_eq!(
            out[0],
            format!(r#"{{"deviceid":"5c0b{}00000002"}}"#, "0".repeat(28))
        );
        assert_eq!(out[1], second);
        let out = scrub_all(
            0,
            &[
                (Format::Json, r#"{"userid":1}"#),
                (Format::Json, r#"{"userid":99990007}"#),
            ],
        );
        assert_eq!(out[0], r#"{"userid":99990008}"#);
    }

    #[test]
    fn shifting_moves_times_dates_and_timestamp_keys_only() {
        let text = concat!(
            r#"{"updatetime":"1717430000","date":"2024-06-03","created":1717394500,"#,
            r#""startdate":0,"expires":2147483647,"value":1717430000,"bad":"2024-02-30","#,
            r#""series":[{"date":"2024-02-30","timestamp":1717420000,"#,
            r#""hr":{"1717369200":61,"12":5}}],"night_events":{"1":[0]},"lastupdate":"abc"}"#
        );
        let out = Scrubber::new(-30).scrub_json(text);
        let d = 30 * 86_400;
        assert_eq!(
            out,
            format!(
                concat!(
                    r#"{{"updatetime":"{}","date":"2024-05-04","created":{},"#,
                    r#""startdate":0,"expires":2147483647,"value":1717430000,"bad":"2024-02-30","#,
                    r#""series":[{{"date":"2024-02-30","timestamp":{},"#,
                    r#""hr":{{"{}":61,"12":5}}}}],"night_events":{{"1":[0]}},"lastupdate":"abc"}}"#
                ),
                1_717_430_000 - d,
                1_717_394_500 - d,
                1_717_420_000 - d,
                1_717_369_200 - d,
            )
        );
        // No shift: times are left alone.
        assert_eq!(Scrubber::new(0).scrub_json(text), text);
    }

    #[test]
    fn truncated_json_is_scrubbed_as_far_as_it_goes() {
        let text =
            format!(r#"{{"status":0,"body":{{"series":[{{"deviceid":"{HEX_A}","model":"Sca"#);
        let out = one(&text);
        assert_eq!(
            out,
            format!(
                r#"{{"status":0,"body":{{"series":[{{"deviceid":"5c0b{}00000001","model":"Sca"#,
                "0".repeat(28)
            )
        );
    }

    #[test]
    fn form_bodies_follow_the_same_rules() {
        let mut s = Scrubber::new(1);
        let out = s.scrub_form(&format!(
            "userid=10203040&appli=50&date=1717364400&deviceid={HEX_A}&startdate=abc\n"
        ));
        assert_eq!(
            out,
            format!(
                "userid=99990001&appli=50&date={}&deviceid=5c0b{}00000001&startdate=abc\n",
                1_717_364_400 + 86_400,
                "0".repeat(28)
            )
        );
        let out =
            s.scrub_form("userid=10203040&date=2024-06-03&callbackurl=https%3A%2F%2Facme.io%2Fh&x");
        assert_eq!(
            out,
            "userid=99990001&date=2024-06-04&callbackurl=https%3A%2F%2Fexample.org%2Fcallback%2F1&x"
        );
    }

    #[test]
    fn dates_are_strict_and_move_by_whole_days() {
        let date = |y, m, d| Date::new(y, m, d).unwrap();
        assert_eq!(parse_ymd("1970-01-01"), Some(date(1970, 1, 1)));
        assert_eq!(parse_ymd("2024-06-03"), Some(date(2024, 6, 3)));
        assert_eq!(date(2024, 6, 3).to_string(), "2024-06-03");
        assert_eq!(shift_ymd("2024-06-03", -30).as_deref(), Some("2024-05-04"));
        assert_eq!(shift_ymd("2024-02-29", 0).as_deref(), Some("2024-02-29"));
        for bad in [
            "2024-02-30",
            "2024-13-45",
            "2024-6-03",
            "2024-06-031",
            "abcd-ef-gh",
            "20240603",
            "+002024-06-03",
        ] {
            assert_eq!(parse_ymd(bad), None, "{bad}");
            assert_eq!(shift_ymd(bad, 1), None, "{bad}");
        }
        for z in (-700_000..700_000).step_by(997) {
            let moved = shift_ymd("2024-06-03", z).unwrap();
            assert_eq!(shift_ymd(&moved, -z).as_deref(), Some("2024-06-03"), "{z}");
        }
        // Past jiff's years (-9999 to 9999) the text is left as it is.
        assert_eq!(shift_ymd("9999-12-31", 1), None);
    }

    #[test]
    fn recognizers() {
        assert!(is_hex_pseudonym(&format!("5c0b{}000000a1", "0".repeat(28))));
        assert!(is_hex_pseudonym("5C0B000000000001"));
        assert!(!is_hex_pseudonym(&format!(
            "5c0b{}000000a1",
            "1".repeat(28)
        )));
        assert!(!is_hex_pseudonym("5c0b0001"));
        assert!(!is_hex_pseudonym(HEX_A));
        assert!(is_numeric_pseudonym("99990001") && !is_numeric_pseudonym("9999001"));
        assert!(!is_numeric_pseudonym("10203040"));
        assert!(is_email_pseudonym("anyone@sub.example.com"));
        assert!(!is_email_pseudonym("a@example.org.evil.io"));
        assert!(is_url_pseudonym("https://example.org/hooks/withings/3f9a"));
        assert!(is_url_pseudonym("http://user@example.net:8080/x?y=1"));
        assert!(!is_url_pseudonym("https://example.org.evil.io/"));
        assert!(!is_url_pseudonym("example.org/x"));
        assert!(is_mac_pseudonym("00:00:5E:00:53:FF") && !is_mac_pseudonym("00:24:e4:aa:bb:cc"));
        assert!(is_text_pseudonym("scrubbed-0001") && !is_text_pseudonym("scrubbed-"));
        assert!(string_in_form(Class::Id, "") && !string_in_form(Class::Text, "weight"));
    }
}
