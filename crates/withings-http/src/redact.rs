//! Redaction of secrets from text that ends up in errors and logs.
//!
//! Response bodies and Withings' `error` strings are untrusted and may echo tokens, so every
//! piece of them that reaches an [`Error`](crate::Error) goes through here: values of
//! sensitive JSON keys and form fields, `Bearer` credentials, and the secrets the client knows.

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

/// `text` with secrets replaced and cut to at most `max_chars` characters.
pub(crate) fn text(text: &str, secrets: &[&str], max_chars: usize) -> String {
    let (out, _) = apply(text, &ranges(text, secrets), None);
    let out = clean(&out);
    match out.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &out[..cut]),
        None => out,
    }
}

/// The string values of sensitive keys in a JSON body (to redact them wherever else they
/// appear, e.g. echoed in a serde message).
pub(crate) fn secrets_in_json(body: &[u8]) -> Vec<&str> {
    let s = utf8_prefix(body);
    json_key_ranges(s)
        .into_iter()
        .filter(|(a, b)| b - a >= 4)
        .filter_map(|(a, b)| s.get(a..b))
        .collect()
}

/// About 120 characters of `body` around `line`/`column` (1-based, as serde_json reports
/// them), secrets redacted.
pub(crate) fn excerpt(body: &[u8], line: usize, column: usize, secrets: &[&str]) -> String {
    const SIDE: usize = 60;
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
    let (out, focus) = apply(s, &ranges(s, secrets), Some(focus));
    let focus = focus.unwrap_or(0);
    let start = floor_boundary(&out, focus.saturating_sub(SIDE));
    let end = floor_boundary(&out, focus.saturating_add(SIDE).min(out.len()));
    let mut x = String::new();
    if start > 0 {
        x.push('…');
    }
    x.push_str(&clean(&out[start..end]));
    if end < out.len() {
        x.push('…');
    }
    x
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

fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Byte ranges of `s` that are secret, sorted and merged.
fn ranges(s: &str, secrets: &[&str]) -> Vec<(usize, usize)> {
    let mut out = json_key_ranges(s);
    out.extend(form_key_ranges(s));
    out.extend(bearer_ranges(s));
    for secret in secrets.iter().filter(|x| x.len() >= 4) {
        out.extend(s.match_indices(secret).map(|(i, m)| (i, i + m.len())));
    }
    out.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(out.len());
    for (a, b) in out {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}

/// `"key" : "value"` for sensitive keys: the range of `value`.
fn json_key_ranges(s: &str) -> Vec<(usize, usize)> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    for key in SENSITIVE_KEYS {
        let quoted = format!("\"{key}\"");
        for (i, _) in s.match_indices(&quoted) {
            let mut j = i + quoted.len();
            while bytes.get(j).is_some_and(u8::is_ascii_whitespace) {
                j += 1;
            }
            if bytes.get(j) != Some(&b':') {
                continue;
            }
            j += 1;
            while bytes.get(j).is_some_and(u8::is_ascii_whitespace) {
                j += 1;
            }
            if bytes.get(j) == Some(&b'"') {
                let start = j + 1;
                let mut k = start;
                while k < bytes.len() && bytes[k] != b'"' {
                    k += if bytes[k] == b'\\' { 2 } else { 1 };
                }
                out.push((start, k.min(bytes.len())));
            } else {
                // A number or bare word: redact up to the next delimiter.
                let start = j;
                let mut k = start;
                while k < bytes.len() && !matches!(bytes[k], b',' | b'}' | b']') {
                    k += 1;
                }
                if k > start {
                    out.push((start, k));
                }
            }
        }
    }
    out
}

/// `key=value` in query strings and forms, for sensitive keys.
fn form_key_ranges(s: &str) -> Vec<(usize, usize)> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    for key in SENSITIVE_KEYS {
        let pat = format!("{key}=");
        for (i, _) in s.match_indices(&pat) {
            let at_start =
                i == 0 || matches!(bytes[i - 1], b'&' | b'?' | b' ' | b'#' | b'"' | b'\'');
            if !at_start {
                continue;
            }
            let start = i + pat.len();
            let mut k = start;
            while k < bytes.len() && !matches!(bytes[k], b'&' | b' ' | b'"' | b'\'' | b'#' | b'\n')
            {
                k += 1;
            }
            if k > start {
                out.push((start, k));
            }
        }
    }
    out
}

/// `Bearer <credential>`.
fn bearer_ranges(s: &str) -> Vec<(usize, usize)> {
    let lower = s.to_ascii_lowercase();
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    for (i, m) in lower.match_indices("bearer ") {
        let start = i + m.len();
        let mut k = start;
        while k < bytes.len() && !matches!(bytes[k], b' ' | b'"' | b'\'' | b',' | b'\n') {
            k += 1;
        }
        if k > start {
            out.push((start, k));
        }
    }
    out
}

/// Copies `s` replacing `ranges`; maps the byte offset `focus` of `s` into the output.
fn apply(s: &str, ranges: &[(usize, usize)], focus: Option<usize>) -> (String, Option<usize>) {
    let mut out = String::with_capacity(s.len());
    let mut mapped = None;
    let mut pos = 0;
    for &(a, b) in ranges {
        let a = floor_boundary(s, a.max(pos));
        let b = floor_boundary(s, b).max(a);
        // Ranges ascend, so an unmapped focus is at or after `pos`.
        if let Some(f) = focus.filter(|f| mapped.is_none() && *f < a) {
            mapped = Some(out.len() + f.saturating_sub(pos));
        }
        out.push_str(&s[pos..a]);
        if focus.is_some_and(|f| mapped.is_none() && f < b) {
            mapped = Some(out.len());
        }
        out.push_str(REDACTED);
        pos = b;
    }
    if let Some(f) = focus.filter(|_| mapped.is_none()) {
        mapped = Some(out.len() + f.saturating_sub(pos));
    }
    out.push_str(&s[pos..]);
    (out, mapped)
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
}
