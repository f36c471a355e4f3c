//! Redaction of secrets from text that ends up in errors and logs.
//!
//! Response bodies and Withings' `error` strings are untrusted and may echo tokens, so every
//! piece of them that reaches an [`Error`](crate::Error) goes through here: values of
//! sensitive JSON keys and form fields, `Bearer` credentials, and the secrets the client knows.
//! A secret is replaced by `[redacted]`; secrets that overlap or touch become one `[redacted]`.
//!
//! The text is hostile too, so the cost is linear in it and bounded by what is shown:
//!
//! - One left-to-right pass ([`Scanner`]) finds the secret values. Where a value ends is
//!   remembered, so the thousand matches of `?code=?code=…`, which all end at the same place,
//!   cost one scan to that end, not one each.
//! - [`text`] stops once it has its `max_chars`. It looks past the cut only as far as needed to
//!   recognise a key or a known secret that starts before it, so a secret cut in half is masked
//!   whole, and it never looks for the end of a value once nothing after it will be shown.
//! - [`excerpt`] reads the body up to the error (a value may start long before it) but redacts
//!   and copies only the pieces around it.
//! - Known secrets are looked for only in the pieces that are shown, plus a secret's length on
//!   either side (for one that straddles an edge), under a work limit: text sent with millions
//!   of distinct secret values comes out as `[redacted]` rather than after seconds of search.

use std::collections::{HashSet, VecDeque};

const REDACTED: &str = "[redacted]";

/// Keys whose values are secret in JSON bodies, query strings and forms.
const SENSITIVE_KEYS: &[&str] = &[
    "access_token",
    "refresh_token",
    "client_secret",
    "code",
    "state",
    "nonce",
    "signature",
    "csrf_token",
    "signal_token",
    "password",
];

/// Known secrets and JSON values shorter than this are not looked for elsewhere: too many
/// innocent words would go.
const MIN_SECRET: usize = 4;

/// Bytes an excerpt shows on either side of the error.
const SIDE: usize = 60;

/// The most bytes searched for known secrets in one call (tens of milliseconds). Only a text
/// checked against an absurd number of distinct secrets reaches it; it is then withheld.
const SECRET_WORK: usize = 1 << 24;

/// `text` with secrets replaced, control characters as spaces, cut to at most `max_chars`
/// characters (then ending in `…`); only `[redacted]` if there are too many secrets to check.
pub(crate) fn text(text: &str, secrets: &[&str], max_chars: usize) -> String {
    // One character more than shown tells whether to cut.
    let mut shown = Shown {
        out: String::new(),
        room: max_chars.saturating_add(1),
    };
    if redact_prefix(text, secrets, &mut shown).is_err() {
        return REDACTED.to_owned();
    }
    let mut out = shown.out;
    if shown.room == 0 {
        out.pop();
        out.push('…');
    }
    out
}

/// The string values of sensitive keys in a JSON body (to redact them wherever else they
/// appear, e.g. echoed in a serde message).
pub(crate) fn secrets_in_json(body: &[u8]) -> Vec<&str> {
    let s = utf8_prefix(body);
    let mut scan = Scanner::new(s, true);
    let mut out = Vec::new();
    let mut bare_to = 0;
    while let Some((a, b, kind)) = scan.next_value() {
        // A bare value runs to the next `,` `}` `]`, so one starting inside another ends where
        // it does: it is part of that one, which is kept.
        if kind == Kind::Bare {
            if b <= bare_to {
                continue;
            }
            bare_to = b;
        }
        if let Some(v) = s.get(a..b).filter(|v| v.len() >= MIN_SECRET) {
            out.push(v);
        }
    }
    out
}

/// About 120 characters of `body` around `line`/`column` (1-based, as serde_json reports
/// them), secrets redacted (only `[redacted]` if there are too many secrets to check).
pub(crate) fn excerpt(body: &[u8], line: usize, column: usize, secrets: &[&str]) -> String {
    let s = utf8_prefix(body);
    let mut offset = 0;
    if line > 1 {
        offset = s
            .match_indices('\n')
            .nth(line - 2)
            .map_or(s.len(), |(i, _)| i + 1);
    }
    let focus = floor_boundary(
        s,
        offset.saturating_add(column.saturating_sub(1)).min(s.len()),
    );
    excerpt_at(s, focus, secrets).unwrap_or_else(|TooMuch| REDACTED.to_owned())
}

/// The redacted text fills `shown`.
fn redact_prefix(s: &str, secrets: &[&str], shown: &mut Shown) -> Result<(), TooMuch> {
    let len = s.len();
    let mut scan = Scanner::new(s, false);
    let mut known = Known::new(secrets)?;
    let mut pos: usize = 0;
    loop {
        // Clean text from `pos` fills the room before `lim` (a char is at most 4 bytes): what
        // starts there or later is not shown. At the end, `len + 1` admits an empty value.
        let lim = match pos.checked_add(shown.room.saturating_mul(4)) {
            Some(l) if l < len => l,
            _ => len + 1,
        };
        let value = scan.next_start(lim);
        let clean_to = value.unwrap_or(lim).min(len);
        let (start, end) = match (known.first(s, pos, clean_to)?, value) {
            (Some(hit), _) => hit,
            (None, Some(a)) => (a, a),
            (None, None) => {
                shown.push(slice(s, pos, clean_to));
                return Ok(());
            }
        };
        if !shown.push(slice(s, pos, start)) || !shown.push(REDACTED) {
            return Ok(());
        }
        pos = run_end(&mut scan, &mut known, s, start, end)?;
    }
}

/// The end of the secret run that starts at `start` and reaches at least `end`: every value
/// and known secret starting inside it (or right at its end) extends it.
fn run_end(
    scan: &mut Scanner<'_>,
    known: &mut Known<'_>,
    s: &str,
    start: usize,
    mut end: usize,
) -> Result<usize, TooMuch> {
    let mut from = start;
    loop {
        end = scan.extend(end);
        match known.last_end(s, from, end)? {
            Some(e) if e > end => {
                from = end + 1;
                end = e;
            }
            _ => return Ok(end),
        }
    }
}

fn excerpt_at(s: &str, focus: usize, secrets: &[&str]) -> Result<String, TooMuch> {
    let len = s.len();
    let mut known = Known::new(secrets)?;
    // Known secrets are masked after the pieces are chosen; a secret longer than its
    // `[redacted]` shortens them, so take some more on either side.
    let margin = if known.pats.is_empty() { 0 } else { 2 * SIDE };
    let mut scan = Scanner::new(s, false);
    let mut near = Near {
        keep: SIDE + 4 + REDACTED.len() + margin,
        ..Near::default()
    };
    let mut pos = 0;
    // Up to the error: everything is scanned, the last pieces kept.
    let mut in_secret = false;
    while let Some(a) = scan.next_start(focus + 1) {
        let b = scan.extend(a);
        near.before(s, Piece::Clean(pos, a));
        near.before(s, Piece::Secret(a, b));
        pos = b;
        if focus < b {
            in_secret = true;
            break;
        }
    }
    if !in_secret {
        near.before(s, Piece::Clean(pos, focus));
        pos = focus;
    }
    // After it: one byte more than shown.
    let mut after = if in_secret { REDACTED.len() } else { 0 };
    while after <= SIDE + margin {
        let lim = match pos.checked_add(SIDE + margin + 1 - after) {
            Some(l) if l < len => l,
            _ => len + 1,
        };
        let Some(a) = scan.next_start(lim) else {
            let x = lim.min(len);
            near.after(Piece::Clean(pos, x));
            pos = x;
            break;
        };
        let b = scan.extend(a);
        near.after(Piece::Clean(pos, a));
        near.after(Piece::Secret(a, b));
        after += a - pos + REDACTED.len();
        pos = b;
    }
    let more = pos < len || scan.next_start(len + 1).is_some();
    let pieces = overlay(s, near.pieces, &mut known)?;

    // Written out, the focus mapped into it (into a secret: to its `[redacted]`).
    let mut out = String::new();
    let mut focus_at = None;
    let mut token: Option<usize> = None;
    for p in &pieces {
        match *p {
            Piece::Clean(a, b) => {
                if focus_at.is_none() && focus < b {
                    focus_at = Some(out.len() + focus.saturating_sub(a));
                }
                out.push_str(slice(s, a, b));
                token = None;
            }
            Piece::Secret(_, b) => {
                let t = *token.get_or_insert_with(|| {
                    out.push_str(REDACTED);
                    out.len() - REDACTED.len()
                });
                if focus_at.is_none() && focus < b {
                    focus_at = Some(t);
                }
            }
        }
    }
    let focus_at = focus_at.unwrap_or(out.len());
    let start = floor_boundary(&out, focus_at.saturating_sub(SIDE));
    let end = floor_boundary(&out, focus_at.saturating_add(SIDE).min(out.len()));
    let mut x = String::new();
    if near.dropped + start > 0 {
        x.push('…');
    }
    x.push_str(&clean(&out[start..end]));
    if end < out.len() || more {
        x.push('…');
    }
    Ok(x)
}

/// A stretch of the input: shown as is, or one `[redacted]` for it and any secret piece
/// right after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Piece {
    Clean(usize, usize),
    Secret(usize, usize),
}

impl Piece {
    fn out_len(self) -> usize {
        match self {
            Piece::Clean(a, b) => b - a,
            Piece::Secret(..) => REDACTED.len(),
        }
    }
}

/// The pieces around an excerpt's focus.
#[derive(Default)]
struct Near {
    /// Bytes of output kept before the focus: the side, the widest char (the cut moves back
    /// to a char boundary), the `[redacted]` the focus may be in, and a margin.
    keep: usize,
    pieces: VecDeque<Piece>,
    /// Output bytes of the pieces before the focus.
    before: usize,
    /// Output bytes dropped in front of `pieces`.
    dropped: usize,
}

impl Near {
    fn before(&mut self, s: &str, p: Piece) {
        let p = match p {
            Piece::Clean(a, b) if b <= a => return,
            Piece::Clean(a, b) if b - a > self.keep => {
                let a2 = floor_boundary(s, b - self.keep);
                self.dropped += a2 - a;
                Piece::Clean(a2, b)
            }
            p => p,
        };
        self.before += p.out_len();
        self.pieces.push_back(p);
        while let Some(&front) = self.pieces.front()
            && self.before - front.out_len() >= self.keep
        {
            self.pieces.pop_front();
            self.before -= front.out_len();
            self.dropped += front.out_len();
        }
    }

    fn after(&mut self, p: Piece) {
        if !matches!(p, Piece::Clean(a, b) if b <= a) {
            self.pieces.push_back(p);
        }
    }
}

/// `pieces` with the known secrets that overlap the clean ones cut out (a secret straddling a
/// clean piece's edge is masked up to that edge).
fn overlay(s: &str, pieces: VecDeque<Piece>, known: &mut Known<'_>) -> Result<Vec<Piece>, TooMuch> {
    if known.pats.is_empty() {
        return Ok(pieces.into());
    }
    let mut out = Vec::with_capacity(pieces.len());
    let mut hits = Vec::new();
    for p in pieces {
        let Piece::Clean(c0, c1) = p else {
            out.push(p);
            continue;
        };
        hits.clear();
        known.covered(s, c0, c1, &mut hits)?;
        hits.sort_unstable();
        let mut at = c0;
        let mut run: Option<(usize, usize)> = None;
        for (a, b) in hits.iter().copied().chain([(usize::MAX, usize::MAX)]) {
            match &mut run {
                Some((_, e)) if a <= *e => *e = (*e).max(b),
                _ => {
                    if let Some((ra, rb)) = run {
                        if ra > at {
                            out.push(Piece::Clean(at, ra));
                        }
                        out.push(Piece::Secret(ra, rb));
                        at = rb;
                    }
                    run = Some((a, b));
                }
            }
        }
        if at < c1 {
            out.push(Piece::Clean(at, c1));
        }
    }
    Ok(out)
}

/// Redacted output being filled.
struct Shown {
    out: String,
    /// Characters still wanted.
    room: usize,
}

impl Shown {
    /// Appends `t`, control characters as spaces, while there is room; false once full.
    fn push(&mut self, t: &str) -> bool {
        for c in t.chars() {
            if self.room == 0 {
                return false;
            }
            self.out.push(if c.is_control() { ' ' } else { c });
            self.room -= 1;
        }
        self.room > 0
    }
}

/// What a match found so far stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// `"key"` seen: blanks, then `:`.
    Key,
    /// `"key":` seen: blanks, then the value.
    Colon,
    /// A JSON string value, to its closing quote.
    Str,
    /// A JSON number or bare word, to the next `,` `}` `]`.
    Bare,
    /// A query or form value, to the next `&`, blank, quote, `#` or newline.
    Form,
    /// A `Bearer` credential, to the next blank, quote, comma or newline.
    Bearer,
}

/// A match whose value is not consumed yet: for `Key` and `Colon`, `at` is how far the check
/// has got (the value starts later); otherwise the value starts at `at`.
#[derive(Clone, Copy, Debug)]
struct Item {
    at: usize,
    kind: Kind,
}

/// Finds the secret values of a text in one pass, left to right.
///
/// Each byte is examined once as a possible start of a match. A match becomes an [`Item`];
/// items are handed out by where their values start. Where a value ends is found only when
/// asked (a value the caller will not show is never scanned), from a remembered next
/// terminator ([`NextEnd`]): values sharing an end cost one scan to it. A JSON string is
/// scanned to its closing quote, which comes before any later key's value, so those scans
/// never overlap.
struct Scanner<'a> {
    b: &'a [u8],
    /// Only JSON keys, no forms or `Bearer`.
    json_only: bool,
    /// Every match starting before `at` has been found.
    at: usize,
    /// Matches found and not consumed yet, in the order found (a handful at most).
    items: Vec<Item>,
    form: NextEnd,
    bare: NextEnd,
    bearer: NextEnd,
}

impl<'a> Scanner<'a> {
    fn new(s: &'a str, json_only: bool) -> Self {
        Self {
            b: s.as_bytes(),
            json_only,
            at: 0,
            items: Vec::new(),
            form: NextEnd::default(),
            bare: NextEnd::default(),
            bearer: NextEnd::default(),
        }
    }

    /// Where the next value starts, if before `lim`.
    fn next_start(&mut self, lim: usize) -> Option<usize> {
        self.next_item(lim).map(|i| self.items[i].at)
    }

    /// The next value: its range and kind.
    fn next_value(&mut self) -> Option<(usize, usize, Kind)> {
        let i = self.next_item(usize::MAX)?;
        let it = self.items.remove(i);
        Some((it.at, self.value_end(it), it.kind))
    }

    /// The index of the value that starts first, if before `lim`.
    fn next_item(&mut self, lim: usize) -> Option<usize> {
        loop {
            let first = self
                .items
                .iter()
                .enumerate()
                .min_by_key(|(_, it)| it.at)
                .map(|(i, it)| (i, *it));
            // A match found from `self.at` on has its value after it: look up to the first
            // value known.
            let bound = first.map_or(lim, |(_, it)| it.at.min(lim));
            if self.at < bound && self.at < self.b.len() {
                self.examine(bound);
                continue;
            }
            let (i, it) = first?;
            if it.at >= lim {
                return None;
            }
            if !matches!(it.kind, Kind::Key | Kind::Colon) {
                return Some(i);
            }
            self.advance(i, lim);
        }
    }

    /// The end of a run of secret bytes that now ends at `end`, over every value that starts
    /// inside it or right at its end (those are consumed).
    fn extend(&mut self, mut end: usize) -> usize {
        loop {
            // Items are consumed as soon as found, so there are never more than a few.
            if let Some(i) = self.items.iter().position(|it| it.at <= end) {
                let it = self.items[i];
                if matches!(it.kind, Kind::Key | Kind::Colon) {
                    self.advance(i, end + 1);
                } else {
                    self.items.remove(i);
                    end = end.max(self.value_end(it));
                }
            } else if self.at <= end && self.at < self.b.len() {
                self.examine(end + 1);
            } else {
                return end;
            }
        }
    }

    /// Looks for matches at `self.at..limit`; stops after the first one.
    fn examine(&mut self, limit: usize) {
        let starts = if self.json_only {
            &JSON_STARTS
        } else {
            &STARTS
        };
        let limit = limit.min(self.b.len());
        while self.at < limit {
            let i = self.at;
            self.at += 1;
            if starts[usize::from(self.b[i])]
                && let Some(item) = self.match_at(i)
            {
                self.items.push(item);
                return;
            }
        }
    }

    fn match_at(&self, i: usize) -> Option<Item> {
        let b = self.b;
        let rest = &b[i..];
        match rest[0] {
            b'"' if rest.get(1).is_some_and(|&c| KEY_FIRST[usize::from(c)]) => {
                SENSITIVE_KEYS.iter().find_map(|key| {
                    let k = key.as_bytes();
                    let quoted =
                        rest.get(1..=k.len()) == Some(k) && rest.get(k.len() + 1) == Some(&b'"');
                    quoted.then_some(Item {
                        at: i + k.len() + 2,
                        kind: Kind::Key,
                    })
                })
            }
            b'b' | b'B' if !self.json_only => {
                let at = i + 7;
                (rest
                    .get(..7)
                    .is_some_and(|w| w.eq_ignore_ascii_case(b"bearer "))
                    && b.get(at).is_some_and(|&c| !bearer_end(c)))
                .then_some(Item {
                    at,
                    kind: Kind::Bearer,
                })
            }
            c if KEY_FIRST[usize::from(c)]
                && !self.json_only
                && (i == 0 || form_key_start(b[i - 1])) =>
            {
                SENSITIVE_KEYS.iter().find_map(|key| {
                    let k = key.as_bytes();
                    let at = i + k.len() + 1;
                    (rest.starts_with(k)
                        && rest.get(k.len()) == Some(&b'=')
                        && b.get(at).is_some_and(|&c| !form_end(c)))
                    .then_some(Item {
                        at,
                        kind: Kind::Form,
                    })
                })
            }
            _ => None,
        }
    }

    /// Takes the `Key`/`Colon` item `i` over blanks (up to `cap`) and the colon: to a value,
    /// or away if none follows.
    fn advance(&mut self, i: usize, cap: usize) {
        let b = self.b;
        let mut it = self.items[i];
        let keep = loop {
            while it.at < cap && b.get(it.at).is_some_and(u8::is_ascii_whitespace) {
                it.at += 1;
            }
            match (it.kind, b.get(it.at).copied()) {
                // Blanks going on past `cap`: decided later, if ever needed.
                (_, Some(c)) if c.is_ascii_whitespace() => break true,
                (Kind::Key, Some(b':')) => {
                    it.kind = Kind::Colon;
                    it.at += 1;
                }
                (Kind::Colon, Some(b'"')) => {
                    it.kind = Kind::Str;
                    it.at += 1;
                    break true;
                }
                (Kind::Colon, Some(c)) if !bare_end(c) => {
                    it.kind = Kind::Bare;
                    break true;
                }
                (Kind::Key | Kind::Colon, _) => break false,
                _ => break true,
            }
        };
        if keep {
            self.items[i] = it;
        } else {
            self.items.remove(i);
        }
    }

    fn value_end(&mut self, it: Item) -> usize {
        let b = self.b;
        match it.kind {
            Kind::Str => {
                let mut k = it.at;
                while let Some(&c) = b.get(k) {
                    if c == b'"' {
                        break;
                    }
                    k += if c == b'\\' { 2 } else { 1 };
                }
                k.min(b.len())
            }
            Kind::Bare => self.bare.find(b, it.at, bare_end),
            Kind::Form => self.form.find(b, it.at, form_end),
            Kind::Bearer => self.bearer.find(b, it.at, bearer_end),
            Kind::Key | Kind::Colon => it.at,
        }
    }
}

/// The first terminator at or after a position, remembering the last answer: no terminator
/// lies in `from..end`, and `end` is one (or the end of the text).
#[derive(Default)]
struct NextEnd {
    last: Option<(usize, usize)>,
}

impl NextEnd {
    fn find(&mut self, b: &[u8], p: usize, is_end: fn(u8) -> bool) -> usize {
        let scan = |from: usize, to: usize| {
            b.get(from..to)
                .and_then(|r| r.iter().position(|&c| is_end(c)))
                .map(|i| from + i)
        };
        let end = match self.last {
            Some((from, end)) if from <= p && p <= end => return end,
            Some((from, end)) if p < from => scan(p, from).unwrap_or(end),
            _ => scan(p, b.len()).unwrap_or(b.len()),
        };
        self.last = Some((p, end));
        end
    }
}

/// Bytes that can begin a match: `"` (a JSON key), `b` (`Bearer`), a key's first letter (a
/// form field).
const STARTS: [bool; 256] = byte_set(b"\"bBacnprs");
const JSON_STARTS: [bool; 256] = byte_set(b"\"");
/// The first letters of [`SENSITIVE_KEYS`].
const KEY_FIRST: [bool; 256] = byte_set(b"acnprs");

const fn byte_set(bytes: &[u8]) -> [bool; 256] {
    let mut set = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        set[bytes[i] as usize] = true;
        i += 1;
    }
    set
}

fn form_key_start(prev: u8) -> bool {
    matches!(prev, b'&' | b'?' | b' ' | b'#' | b'"' | b'\'')
}

fn form_end(c: u8) -> bool {
    matches!(c, b'&' | b' ' | b'"' | b'\'' | b'#' | b'\n')
}

fn bare_end(c: u8) -> bool {
    matches!(c, b',' | b'}' | b']')
}

fn bearer_end(c: u8) -> bool {
    matches!(c, b' ' | b'"' | b'\'' | b',' | b'\n')
}

/// The work counted for a search besides the bytes searched.
const SEARCH_SETUP: usize = 64;

/// The work limit was reached.
#[derive(Debug)]
struct TooMuch;

/// The secrets the caller knows, looked for (overlapping occurrences included) only where
/// asked.
struct Known<'a> {
    pats: Vec<&'a [u8]>,
    /// Per pattern, what [`Known::first`] has found: it is asked about positions further and
    /// further on, so each pattern's text is searched once.
    ahead: Vec<Ahead>,
    /// Knuth–Morris–Pratt table, reused.
    fail: Vec<usize>,
    work: usize,
}

/// The pattern's first occurrence starting in `from..to` is `found`.
#[derive(Clone, Copy)]
struct Ahead {
    from: usize,
    to: usize,
    found: Option<usize>,
}

impl<'a> Known<'a> {
    fn new(secrets: &[&'a str]) -> Result<Self, TooMuch> {
        let mut known = Self {
            pats: Vec::new(),
            ahead: Vec::new(),
            fail: Vec::new(),
            work: 0,
        };
        // Every secret will be searched at least once: an absurd number of them is refused
        // before any work.
        let count = secrets.iter().filter(|p| p.len() >= MIN_SECRET).count();
        known.charge(count.saturating_mul(SEARCH_SETUP))?;
        let mut seen = HashSet::new();
        for p in secrets.iter().map(|s| s.as_bytes()) {
            if p.len() >= MIN_SECRET && seen.insert(p) {
                known.charge(p.len())?;
                known.pats.push(p);
                known.ahead.push(Ahead {
                    from: usize::MAX,
                    to: 0,
                    found: None,
                });
            }
        }
        Ok(known)
    }

    fn charge(&mut self, bytes: usize) -> Result<(), TooMuch> {
        self.work = self.work.saturating_add(bytes);
        if self.work > SECRET_WORK {
            Err(TooMuch)
        } else {
            Ok(())
        }
    }

    /// Calls `hit` with the offset in `s` of each occurrence of pattern `p` starting in
    /// `lo..` and ending by `hi`, while it returns true.
    fn search(
        &mut self,
        s: &str,
        p: usize,
        lo: usize,
        hi: usize,
        hit: impl FnMut(usize) -> bool,
    ) -> Result<(), TooMuch> {
        let pat = self.pats[p];
        let hi = hi.min(s.len());
        let Some(hay) = s.as_bytes().get(lo..hi).filter(|h| h.len() >= pat.len()) else {
            return Ok(());
        };
        let mut hit = hit;
        let scanned = each_match(hay, pat, &mut self.fail, |i| hit(lo + i));
        self.charge(SEARCH_SETUP + pat.len() + scanned)
    }

    /// The first known secret starting in `from..to`: its start and end (the longest one
    /// starting there).
    fn first(
        &mut self,
        s: &str,
        from: usize,
        to: usize,
    ) -> Result<Option<(usize, usize)>, TooMuch> {
        let mut best: Option<(usize, usize)> = None;
        for p in 0..self.pats.len() {
            let n = self.pats[p].len();
            // Past the best so far nothing is needed.
            let to = best.map_or(to, |(q, _)| to.min(q + 1));
            let q = match self.ahead[p] {
                Ahead {
                    from: f,
                    found: Some(q),
                    ..
                } if f <= from && q >= from => Some(q),
                Ahead {
                    from: f,
                    to: t,
                    found: None,
                } if f <= from && t >= to => None,
                known => {
                    // Searched up to `t` in vain already: go on from there.
                    let start = match known {
                        Ahead {
                            from: f,
                            to: t,
                            found: None,
                        } if f <= from => from.max(t),
                        _ => from,
                    };
                    let mut found = None;
                    self.search(s, p, start, to.saturating_add(n - 1), |q| {
                        found = Some(q);
                        false
                    })?;
                    self.ahead[p] = Ahead { from, to, found };
                    found
                }
            };
            if let Some(q) = q.filter(|&q| q < to) {
                best = match best {
                    Some((bq, be)) if bq < q || (bq == q && be >= q + n) => Some((bq, be)),
                    _ => Some((q, q + n)),
                };
            }
        }
        Ok(best)
    }

    /// The furthest end of a known secret that starts in `from..=end` and ends after `end`.
    fn last_end(&mut self, s: &str, from: usize, end: usize) -> Result<Option<usize>, TooMuch> {
        let mut best = None;
        for p in 0..self.pats.len() {
            let n = self.pats[p].len();
            let lo = from.max((end + 1).saturating_sub(n));
            self.search(s, p, lo, end.saturating_add(n), |q| {
                best = best.max(Some(q + n));
                true
            })?;
        }
        Ok(best)
    }

    /// Adds the parts of `c0..c1` covered by a known secret (one may straddle either edge).
    fn covered(
        &mut self,
        s: &str,
        c0: usize,
        c1: usize,
        out: &mut Vec<(usize, usize)>,
    ) -> Result<(), TooMuch> {
        for p in 0..self.pats.len() {
            let n = self.pats[p].len();
            let lo = c0.saturating_sub(n - 1);
            self.search(s, p, lo, c1.saturating_add(n - 1), |q| {
                out.push((q.max(c0), (q + n).min(c1)));
                true
            })?;
        }
        Ok(())
    }
}

/// Calls `hit` with the start of every occurrence of `pat` in `hay`, overlapping ones
/// included, while it returns true (Knuth–Morris–Pratt: one pass, no going back). Returns
/// how many bytes of `hay` it read.
fn each_match(
    hay: &[u8],
    pat: &[u8],
    fail: &mut Vec<usize>,
    mut hit: impl FnMut(usize) -> bool,
) -> usize {
    if pat.is_empty() || hay.len() < pat.len() {
        return 0;
    }
    fail.clear();
    fail.push(0);
    let mut k = 0;
    for &c in &pat[1..] {
        while k > 0 && pat[k] != c {
            k = fail[k - 1];
        }
        if pat[k] == c {
            k += 1;
        }
        fail.push(k);
    }
    let mut k = 0;
    for (i, &c) in hay.iter().enumerate() {
        while k > 0 && pat[k] != c {
            k = fail[k - 1];
        }
        if pat[k] == c {
            k += 1;
        }
        if k == pat.len() {
            if !hit(i + 1 - k) {
                return i + 1;
            }
            k = fail[k - 1];
        }
    }
    hay.len()
}

fn utf8_prefix(body: &[u8]) -> &str {
    match std::str::from_utf8(body) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&body[..e.valid_up_to()]).unwrap_or_default(),
    }
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// `s[a..b]`, both ends moved back to char boundaries.
fn slice(s: &str, a: usize, b: usize) -> &str {
    let a = floor_boundary(s, a);
    &s[a..floor_boundary(s, b).max(a)]
}

fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_json_values_forms_bearer_and_known_secrets() {
        let body = r#"{"status":0,"body":{"access_token":"a1b2c3d4","refresh_token" : "r9r9r9r9","userid":"1"}}"#;
        let t = text(body, &[], 500);
        assert!(!t.contains("a1b2c3d4") && !t.contains("r9r9r9r9"), "{t}");
        assert!(t.contains(r#""userid":"1""#));
        let t = text("https://x/cb?code=abcdef&state=ststst", &[], 500);
        assert_eq!(t, "https://x/cb?code=[redacted]&state=[redacted]");
        let t = text(
            "header Bearer tok123 was refused; also zz-known-zz",
            &["zz-known-zz"],
            500,
        );
        assert_eq!(t, "header Bearer [redacted] was refused; also [redacted]");
        assert_eq!(
            secrets_in_json(body.as_bytes()),
            vec!["a1b2c3d4", "r9r9r9r9"]
        );
    }

    #[test]
    fn excerpt_centres_on_the_error_and_redacts() {
        let mut body = String::from(r#"{"status":0,"body":{"access_token":"SECRETSECRET","#);
        body.push_str(&"x".repeat(200));
        body.push_str(r#""expires_in":true}}"#);
        let col = body.find("true").unwrap() + 1;
        let x = excerpt(body.as_bytes(), 1, col, &[]);
        assert!(x.contains("\"expires_in\":true"), "{x}");
        assert!(!x.contains("SECRET"), "{x}");
        assert!(x.starts_with('…'), "{x}");
        // The token near the focus is redacted, not cut.
        let short = r#"{"access_token":"SECRETSECRET","expires_in":true}"#;
        let x = excerpt(short.as_bytes(), 1, 40, &[]);
        assert!(!x.contains("SECRET") && x.contains("[redacted]"), "{x}");
    }

    #[test]
    fn text_is_cut_on_a_char_boundary() {
        assert_eq!(text("ééééé", &[], 3), "ééé…");
    }

    const MIB: usize = 1 << 20;

    /// Hostile repetitions whose matches all run to the end of the text (a rescan to the end
    /// per match was quadratic): the output only is checked, never the time.
    #[test]
    fn a_mebibyte_of_repeated_keys_comes_out_right() {
        // Form values: each `?code=` value runs to the end of the text.
        let form = "?code=".repeat(MIB / 6);
        assert_eq!(text(&form, &[], 200), "?code=[redacted]");
        assert_eq!(text(&form, &["zz-known-zz"], 200), "?code=[redacted]");
        assert_eq!(
            excerpt(form.as_bytes(), 1, form.len(), &[]),
            "?code=[redacted]"
        );
        assert!(secrets_in_json(form.as_bytes()).is_empty());

        // Bare JSON values: `"code":x"code":x…` has one value, to the end.
        let bare = "\"code\":x".repeat(MIB / 8);
        assert_eq!(text(&bare, &[], 200), "\"code\":[redacted]");
        assert_eq!(
            excerpt(bare.as_bytes(), 1, bare.len(), &["zz-known-zz"]),
            "\"code\":[redacted]"
        );
        assert_eq!(secrets_in_json(bare.as_bytes()), [&bare[7..]]);

        // String values: `"access_token":"` repeated is a run of empty strings.
        let unit = "\"access_token\":\"";
        let json = unit.repeat(MIB / unit.len());
        let shown: String = format!("{unit}[redacted]")
            .repeat(8)
            .chars()
            .take(200)
            .collect();
        assert_eq!(text(&json, &[], 200), format!("{shown}…"));
        assert_eq!(
            excerpt(json.as_bytes(), 1, json.len(), &[]),
            "…_token\":\"[redacted]\"access_token\":\"[redacted]\"access_token\":\"[redacted]"
        );
        assert!(secrets_in_json(json.as_bytes()).is_empty());

        // A credential ends at the next blank: each one on its own.
        let bearer = "Bearer Bearer".repeat(MIB / 13);
        let shown: String = format!("Bearer {}", "[redacted] ".repeat(20))
            .chars()
            .take(200)
            .collect();
        assert_eq!(text(&bearer, &[], 200), format!("{shown}…"));
    }

    #[test]
    fn a_secret_straddling_the_cut_is_masked() {
        let x = |n: usize| "x".repeat(n);
        // A value that starts before the cut and ends after it: its `[redacted]` is cut.
        assert_eq!(
            text(&format!("{}?code=ABCDEFGHIJKLMNOP&rest", x(190)), &[], 200),
            format!("{}?code=[red…", x(190))
        );
        assert_eq!(
            text(&format!("{}Bearer TOKENTOKENTOKEN rest", x(185)), &[], 200),
            format!("{}Bearer [redacte…", x(185))
        );
        let t = text(
            &format!(r#"{}"access_token" : "SECRETSECRET"}}"#, x(180)),
            &[],
            200,
        );
        assert_eq!(t, format!(r#"{}"access_token" : "[r…"#, x(180)));
        // A key cut in half: its value is after the cut anyway.
        assert_eq!(
            text(&format!("{}?code=SECRET", x(197)), &[], 200),
            format!("{}?co…", x(197))
        );
        // A known secret that starts before the cut is masked whole, not shown in part.
        let t = text(
            &format!("{}KNOWNSECRET tail", x(195)),
            &["KNOWNSECRET"],
            200,
        );
        assert_eq!(t, format!("{}[reda…", x(195)));
        let t = text(&format!("{}é KNOWNSECRET", x(197)), &["KNOWNSECRET"], 200);
        assert_eq!(t, format!("{}é […", x(197)));

        // An excerpt starts in the middle of a known secret: the part shown is masked.
        let body = format!(
            "{}KNOWNSECRETKNOWNSECRET{}!",
            "y".repeat(200),
            "z".repeat(57)
        );
        let x = excerpt(body.as_bytes(), 1, body.len(), &["KNOWNSECRETKNOWNSECRET"]);
        assert_eq!(x, format!("…ed]{}!", "z".repeat(57)));
        // Even one longer than the context taken around the error.
        let secret = "Q".repeat(300);
        let body = format!("{}{secret}{}!", "y".repeat(1000), "z".repeat(30));
        let x = excerpt(body.as_bytes(), 1, body.len(), &[&secret]);
        assert_eq!(x, format!("…[redacted]{}!", "z".repeat(30)));
        // And at the far end.
        let body = format!("!{}{secret}", "z".repeat(30));
        let x = excerpt(body.as_bytes(), 1, 1, &[&secret]);
        assert_eq!(x, format!("!{}[redacted]…", "z".repeat(30)));
    }

    #[test]
    fn known_secrets_are_masked_anywhere() {
        let k = ["zz-known-zz", "abab", "é-secret-é"];
        // At the start, in the middle, at the end, repeated, overlapping itself.
        assert_eq!(
            text("zz-known-zz then abab and é-secret-é", &k, 500),
            "[redacted] then [redacted] and [redacted]"
        );
        assert_eq!(text("ababab", &k, 500), "[redacted]");
        assert_eq!(text("xabababx", &k, 500), "x[redacted]x");
        // Touching a value, or starting inside one and ending past it: one `[redacted]`.
        assert_eq!(text("?code=1zz-known-zz&x", &k, 500), "?code=[redacted]&x");
        assert_eq!(
            text("?code=1&zz-known!", &["&zz-known"], 500),
            "?code=[redacted]!"
        );
        assert_eq!(
            text("?state=zz-kn&x", &["zz-kn&x-zz"], 500),
            "?state=[redacted]&x"
        );
        assert_eq!(
            text("?state=zz-kn&x-zz tail", &["zz-kn&x-zz"], 500),
            "?state=[redacted] tail"
        );
        assert_eq!(
            text("Bearer tok zz-known-zz", &k, 500),
            "Bearer [redacted] [redacted]"
        );
        // Short ones are not looked for; duplicates are fine.
        assert_eq!(text("abc", &["abc", "abab", "abab"], 500), "abc");
        // Far into a long text, wherever it is.
        let mut long = String::new();
        for i in 0..2_000 {
            long.push_str(&format!("line {i} says zz-known-zz, é-secret-é; "));
        }
        let t = text(&long, &k, usize::MAX);
        assert!(!t.contains("known") && !t.contains("secret"), "{t}");
        assert_eq!(t.matches("[redacted]").count(), 4_000);
        // In an excerpt, on either side of the error.
        let body = r#"{"a":"zz-known-zz","b":tru,"c":"é-secret-é"}"#;
        let x = excerpt(body.as_bytes(), 1, 25, &k);
        assert_eq!(x, r#"{"a":"[redacted]","b":tru,"c":"[redacted]"}"#);
        // Values found in a JSON body are masked where else they appear.
        let body = r#"{"access_token":"tok-1234","echo":"was tok-1234"}"#;
        let found = secrets_in_json(body.as_bytes());
        assert_eq!(found, ["tok-1234"]);
        assert_eq!(
            text("invalid type: string \"tok-1234\"", &found, 300),
            "invalid type: string \"[redacted]\""
        );
        assert_eq!(
            excerpt(body.as_bytes(), 1, 40, &found),
            r#"{"access_token":"[redacted]","echo":"was [redacted]"}"#
        );
    }

    #[test]
    fn an_absurd_number_of_secrets_withholds_the_text() {
        let many: Vec<String> = (0..300_000).map(|i| format!("s{i:08}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(text("says s00000001", &many, 200), REDACTED);
        assert_eq!(excerpt(b"says s00000001", 1, 3, &many), REDACTED);
        // A hundred are nothing.
        assert_eq!(text("says s00000001", &many[..100], 200), "says [redacted]");
    }
}
