//! The honesty check of `cargo xtask regen-fixtures --check`: nothing in the fixture tree may
//! look like a live secret or a real identifier.
//!
//! - In responses (`*.json`) and notification bodies (`*.form`), every value under a sensitive
//!   key ([`class_of`]) must be in pseudonym form (the rules are in [`crate::scrub`]), or carry
//!   nothing (`null`, `""`).
//! - In every file (snapshots, the manifest and anything else included), no string may contain
//!   a hex run of 32 characters or more that is not a pseudonym, an email address off the
//!   example domains, a MAC address outside the documentation range, or `Bearer <token>`.
//!
//! A finding names the file and the JSON path (the form field, or the line for other files),
//! and describes the value by its shape only: a live secret must not reach the CI log either.

use std::fmt;
use std::path::Path;

use crate::json::{self, Kind};
use crate::scrub::{
    Class, PSEUDONYM_DOMAINS, class_of, form_decode, is_hex_pseudonym, is_mac_pseudonym,
    is_numeric_pseudonym, parse_mac, string_in_form, valid_domain,
};

/// One thing that looks live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The file, relative to the fixtures root (`v2-oauth2-requesttoken/normal.json`).
    pub file: String,
    /// Where in it: a JSON path (`body.access_token`), a form field, or `line N`.
    pub path: String,
    /// What is wrong, without the value.
    pub problem: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.file, self.path, self.problem)
    }
}

/// Checks every file under `root` (recursively, in name order).
///
/// # Errors
/// A directory or file that cannot be read.
pub fn check_tree(root: &Path) -> Result<Vec<Finding>, String> {
    let mut findings = Vec::new();
    walk(root, root, &mut findings)?;
    Ok(findings)
}

fn walk(root: &Path, dir: &Path, findings: &mut Vec<Finding>) -> Result<(), String> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(root, &path, findings)?;
            continue;
        }
        let name = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        let bytes =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let text = String::from_utf8_lossy(&bytes);
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        findings.extend(match ext {
            "json" => check_json(&name, &text),
            "form" => check_form(&name, &text),
            "expected" => check_snapshot(&name, &text),
            _ => check_text(&name, &text),
        });
    }
    Ok(())
}

/// Checks one response: sensitive keys and the shapes of secrets.
#[must_use]
pub fn check_json(file: &str, text: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    json::visit(text, |lit| {
        let found = |problem: String| Finding {
            file: file.to_owned(),
            path: lit.path(),
            problem,
        };
        // One finding per literal: the key's rule when it has one and fails, else the shapes.
        if lit.role == json::Role::Value
            && let Some((key, class)) = lit.key().and_then(|k| Some((k, class_of(k)?)))
        {
            let ok = match &lit.kind {
                Kind::Str(s) => string_in_form(class, s),
                Kind::Num => class != Class::Id || is_numeric_pseudonym(lit.raw),
                Kind::Word => true,
            };
            if !ok {
                out.push(found(not_pseudonym(key, class, &lit.kind, lit.raw)));
                return;
            }
        }
        if let Kind::Str(s) = &lit.kind {
            out.extend(secret_shapes(s).into_iter().map(found));
        }
    });
    out
}

/// Checks one form-encoded notification body.
#[must_use]
pub fn check_form(file: &str, text: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    for pair in text.trim_end().split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (key, value) = (form_decode(k), form_decode(v));
        let found = |problem: String| Finding {
            file: file.to_owned(),
            path: key.clone(),
            problem,
        };
        out.extend(secret_shapes(&key).into_iter().map(found));
        match class_of(&key) {
            Some(class) if !string_in_form(class, &value) => {
                out.push(found(not_pseudonym(
                    &key,
                    class,
                    &Kind::Str(value.clone()),
                    v,
                )));
            }
            _ => out.extend(secret_shapes(&value).into_iter().map(found)),
        }
    }
    out
}

/// Checks a decoded snapshot: the shapes of secrets in every string (its keys are ours, not
/// Withings', so the per-key rules do not apply).
#[must_use]
pub fn check_snapshot(file: &str, text: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    json::visit(text, |lit| {
        if let Kind::Str(s) = &lit.kind {
            out.extend(secret_shapes(s).into_iter().map(|problem| Finding {
                file: file.to_owned(),
                path: lit.path(),
                problem,
            }));
        }
    });
    out
}

/// Checks any other text, line by line, for the shapes of secrets.
#[must_use]
pub fn check_text(file: &str, text: &str) -> Vec<Finding> {
    text.lines()
        .enumerate()
        .flat_map(|(i, line)| {
            secret_shapes(line).into_iter().map(move |problem| Finding {
                file: file.to_owned(),
                path: format!("line {}", i + 1),
                problem,
            })
        })
        .collect()
}

/// A value under a sensitive key that is not a pseudonym, described by its shape.
fn not_pseudonym(key: &str, class: Class, kind: &Kind, raw: &str) -> String {
    let shape = match kind {
        Kind::Str(s) => describe(s),
        _ => format!("a number of {} characters", raw.len()),
    };
    let rule = match class {
        Class::Id => "ids are numbers starting 9999 or hex starting 5c0b",
        Class::Email => "addresses are at example.org/.com/.net",
        Class::Mac => "MAC addresses are 00:00:5e:00:53:xx",
        Class::Url => "URLs are on example.org/.com/.net",
        Class::Text => "free text is scrubbed-NNNN",
        Class::Time => "",
    };
    format!(
        "`{key}` holds {shape}, not a pseudonym ({rule}; run `cargo xtask regen-fixtures --rescrub`)"
    )
}

/// The shape of a string, never its content.
fn describe(s: &str) -> String {
    let n = s.chars().count();
    if s.bytes().all(|b| b.is_ascii_digit()) {
        format!("a string of {n} digits")
    } else if s.bytes().all(|b| b.is_ascii_hexdigit()) {
        format!("a hex string of {n} characters")
    } else {
        format!("a string of {n} characters")
    }
}

/// What in `s` looks like a secret or a real identifier, whatever its key.
#[must_use]
pub fn secret_shapes(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    for run in s.split(|c: char| !c.is_ascii_hexdigit()) {
        if run.len() >= 32 && !is_hex_pseudonym(run) {
            out.push(format!(
                "a {}-character hex string that is not a pseudonym (hex pseudonyms are 5c0b, zeros, 8 hex digits)",
                run.len()
            ));
        }
    }
    let b = s.as_bytes();
    for (at, _) in s.match_indices('@') {
        let local_ok = |c: &u8| c.is_ascii_alphanumeric() || b"._%+-".contains(c);
        let start = b
            .get(..at)
            .unwrap_or_default()
            .iter()
            .rposition(|c| !local_ok(c))
            .map_or(0, |p| p + 1);
        let end = b
            .get(at + 1..)
            .unwrap_or_default()
            .iter()
            .position(|c| !(c.is_ascii_alphanumeric() || *c == b'.' || *c == b'-'))
            .map_or(b.len(), |p| at + 1 + p);
        let domain = s.get(at + 1..end).unwrap_or_default().trim_end_matches('.');
        if start < at && valid_domain(domain) {
            let domain = domain.to_ascii_lowercase();
            let ours = PSEUDONYM_DOMAINS
                .iter()
                .any(|d| domain == *d || domain.ends_with(&format!(".{d}")));
            if !ours {
                out.push("an email address (pseudonyms are at example.org)".to_owned());
            }
        }
    }
    for i in 0..b.len().saturating_sub(16) {
        let Some(window) = s.get(i..i + 17) else {
            continue;
        };
        let edge =
            |c: Option<&u8>| c.is_some_and(|c| c.is_ascii_hexdigit() || *c == b':' || *c == b'-');
        if parse_mac(window).is_some()
            && !edge(i.checked_sub(1).and_then(|p| b.get(p)))
            && !edge(b.get(i + 17))
            && !is_mac_pseudonym(window)
        {
            out.push("a MAC address (pseudonyms are 00:00:5e:00:53:xx)".to_owned());
        }
    }
    let lower = s.to_ascii_lowercase();
    for (at, _) in lower.match_indices("bearer") {
        let rest = s.get(at + 6..).unwrap_or_default();
        let trimmed = rest.trim_start();
        if trimmed.len() == rest.len() {
            continue;
        }
        let token: String = trimmed
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || "-._~+/=".contains(*c))
            .collect();
        if token.len() >= 8 && !is_hex_pseudonym(&token) {
            out.push("a bearer token".to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        check_json("f.json", text)
            .into_iter()
            .map(|f| format!("{}: {}", f.path, f.problem))
            .collect()
    }

    #[test]
    fn pseudonyms_and_empty_values_pass() {
        let text = format!(
            concat!(
                r#"{{"status":0,"body":{{"userid":"99990001","access_token":"5c0b{z}00000001","#,
                r#""refresh_token":"5c0b{z}00000002","csrf_token":"","nonce":null,"#,
                r#""email":"scrubbed-0001@example.org","mac_address":"00:00:5e:00:53:01","#,
                r#""callbackurl":"https:\/\/example.org\/hooks\/3f9a","comment":"scrubbed-0002","#,
                r#""series":[{{"deviceid":99990002,"hash_deviceid":null}}],"token_type":"Bearer"}}}}"#
            ),
            z = "0".repeat(28)
        );
        assert_eq!(problems(&text), Vec::<String>::new());
    }

    #[test]
    fn live_looking_values_are_named_by_path_without_the_value() {
        let text = concat!(
            r#"{"status":0,"body":{"userid":10203040,"#,
            r#""series":[{"hash_deviceid":"0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"}],"#,
            r#""comment":"weight","note":"mail jane.doe@gmail.com","#,
            r#""hdr":"Authorization: Bearer abcdefgh12345678","mac":"at 00:24:e4:aa:bb:cc."}}"#
        );
        let p = problems(text);
        assert_eq!(p.len(), 6, "{p:#?}");
        assert!(p[0].starts_with("body.userid: `userid` holds a number of 8 characters"));
        assert!(p[1].starts_with(
            "body.series[0].hash_deviceid: `hash_deviceid` holds a hex string of 40 characters"
        ));
        assert!(p[2].starts_with("body.comment: `comment` holds a string of 6 characters"));
        assert!(p[3].starts_with("body.note: an email address"));
        assert!(p[4].starts_with("body.hdr: a bearer token"));
        assert!(p[5].starts_with("body.mac: a MAC address"));
        for line in &p {
            assert!(
                !line.contains("10203040") && !line.contains("0a1b2c") && !line.contains("jane")
            );
        }
    }

    #[test]
    fn shapes_found_anywhere() {
        assert_eq!(secret_shapes("Europe/Paris"), Vec::<String>::new());
        assert_eq!(secret_shapes("user.info,user.metrics").len(), 0);
        assert_eq!(secret_shapes("x@y").len(), 0);
        assert_eq!(secret_shapes("a@b.example.com").len(), 0);
        assert_eq!(secret_shapes("A@GMAIL.COM").len(), 1);
        assert_eq!(secret_shapes("mac 00-24-E4-AA-BB-CC").len(), 1);
        assert_eq!(
            secret_shapes("fe80::1:00:24:e4:aa:bb:cc").len(),
            0,
            "part of a longer run"
        );
        assert_eq!(secret_shapes("token_type Bearer").len(), 0);
        assert_eq!(
            secret_shapes(&format!("Bearer 5c0b{}00000001", "0".repeat(28))).len(),
            0
        );
        assert_eq!(secret_shapes(&"ab".repeat(16)).len(), 1);
        assert_eq!(secret_shapes(&"ab".repeat(15)).len(), 0);
    }

    #[test]
    fn forms_and_text() {
        let f = check_form(
            "n/a.form",
            "userid=10203040&appli=1&deviceid=5c0b000000000001\n",
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].path, "userid");
        assert_eq!(f[0].to_string().split(": ").next(), Some("n/a.form"));
        assert!(check_form("n/a.form", "userid=99990001&appli=46&action=unlink").is_empty());
        let t = check_text("manifest.toml", "a = 1\ncallbackurl = \"x@acme.io\"\n");
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].path, "line 2");
    }
}
