//! Where credentials, the token file and the API URL come from.
//!
//! Each setting is taken from the first of:
//! 1. a flag (`--client-id`, `--client-secret`, `--redirect-url`, `--base-url`, `--token-file`);
//! 2. the environment (`WITHINGS_CLIENT_ID`, `WITHINGS_CLIENT_SECRET`, `WITHINGS_REDIRECT_URL`,
//!    `WITHINGS_BASE_URL`, `WITHINGS_TOKEN_FILE`);
//! 3. the config file: `--config`, else `$WITHINGS_CONFIG`, else `config.yaml` in the config
//!    directory (`$XDG_CONFIG_HOME/withings/`, else `~/.config/withings/`).
//!
//! Each value keeps the name of its source ([`Sourced::from`]) for messages.
//!
//! `./.test_settings.yaml`, the file of the Go client this tool replaces (keys `CID`,
//! `Secret`, `RedirectURL`), is a fallback of its own, all or nothing: it is read only when
//! none of the three sources above gives any of the client id, the client secret and the
//! redirect URL, and then all three come from it, with one line on stderr ("using credentials
//! from ./.test_settings.yaml"). Its values are never mixed with those of another source: when
//! a flag, a variable or the config file gives one credential, the file is not even read, and
//! a message about a missing credential says it was ignored. It never gives the base URL or
//! the token file.
//!
//! Both files are YAML read by serde_norway (`key: value`, values optionally quoted, `#`
//! comments), and may also hold `key = value` lines, read by a small line reader of their
//! own (see [`parse_settings`]). Keys, in any case: `client_id` (or `CID`), `client_secret`
//! (or `Secret`), `redirect_url` (or `RedirectURL`), `base_url`.
//!
//! The token lives in `token.json` in the config directory unless `--token-file` says
//! otherwise; it is written with mode 0600 by `withings::http::FileTokenStore`.

use std::env;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use withings::http::{AppCredentials, CallbackUrl, ClientSecret, UrlRule};
use withings::model::url::broken_rules;

use crate::cli::Global;
use crate::error::Failure;

/// The file of the Go client (`zono-dev/withings-go`) that the seed's users already have.
pub(crate) const GO_SETTINGS: &str = ".test_settings.yaml";

/// What stderr says, once, when the credentials come from [`GO_SETTINGS`].
pub(crate) const GO_SETTINGS_NOTE: &str = "note: using credentials from ./.test_settings.yaml \
     (no flag, WITHINGS_* variable or config file gives any)";

/// A value and where it came from (for messages; never the value itself when secret).
///
/// `T` is `String` for plain values and [`ClientSecret`] for the client secret, whose
/// `Debug` is `ClientSecret([redacted])`: a `Sourced<ClientSecret>` prints only its source.
#[derive(Debug, Clone)]
pub(crate) struct Sourced<T = String> {
    pub(crate) value: T,
    pub(crate) from: String,
}

/// Whether `./.test_settings.yaml` gave the credentials (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum GoSettings {
    /// Not read: another source gives a credential (`because` names it, e.g.
    /// `$WITHINGS_CLIENT_ID`).
    Ignored { because: String },
    /// Read, because no other source gives any credential; the credentials it holds are used.
    Used,
    /// Read, because no other source gives any credential, and absent or without credentials.
    #[default]
    Absent,
}

/// Everything read from flags, environment and files.
///
/// `Debug` shows no secret: the client secret is a [`ClientSecret`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Settings {
    pub(crate) client_id: Option<Sourced>,
    pub(crate) client_secret: Option<Sourced<ClientSecret>>,
    pub(crate) redirect_url: Option<Sourced>,
    pub(crate) base_url: Option<String>,
    pub(crate) account_url: Option<String>,
    /// The config file looked at (it may not exist), for messages.
    pub(crate) config_path: Option<PathBuf>,
    pub(crate) token_file: Option<PathBuf>,
    /// What became of `./.test_settings.yaml`, for messages.
    pub(crate) go_settings: GoSettings,
    /// How long one call may wait out the rate limit in all (`--max-wait`).
    pub(crate) max_wait: std::time::Duration,
}

/// The three credentials of one source, or of the sources 1–3 together.
#[derive(Debug, Default)]
struct Credentials {
    client_id: Option<Sourced>,
    client_secret: Option<Sourced<ClientSecret>>,
    redirect_url: Option<Sourced>,
}

impl Credentials {
    /// Where the first credential given comes from, if any.
    fn first_source(&self) -> Option<&str> {
        self.client_id
            .as_ref()
            .map(|s| s.from.as_str())
            .or_else(|| self.client_secret.as_ref().map(|s| s.from.as_str()))
            .or_else(|| self.redirect_url.as_ref().map(|s| s.from.as_str()))
    }

    /// The credentials of `pairs`, a settings file at `path`.
    fn from_file(pairs: &[(String, String)], path: &Path) -> Self {
        Self {
            client_id: pick(pairs, ID_KEYS, path),
            client_secret: pick(pairs, SECRET_KEYS, path).map(secret),
            redirect_url: pick(pairs, REDIRECT_KEYS, path),
        }
    }
}

/// Sources 1–3 when they give any credential; otherwise what `read_go` gives, all of it.
/// `read_go` is called only in that case: the file is not even read when it would be ignored.
fn choose_credentials(
    primary: Credentials,
    read_go: impl FnOnce() -> Result<Credentials, Failure>,
) -> Result<(Credentials, GoSettings), Failure> {
    if let Some(because) = primary.first_source() {
        let because = because.to_owned();
        return Ok((primary, GoSettings::Ignored { because }));
    }
    let go = read_go()?;
    if go.first_source().is_some() {
        Ok((go, GoSettings::Used))
    } else {
        Ok((go, GoSettings::Absent))
    }
}

/// Says [`GO_SETTINGS_NOTE`] on stderr, once per process.
fn note_go_settings() {
    static SAID: AtomicBool = AtomicBool::new(false);
    if !SAID.swap(true, Ordering::Relaxed) {
        let _ = writeln!(std::io::stderr(), "{GO_SETTINGS_NOTE}");
    }
}

fn secret(s: Sourced) -> Sourced<ClientSecret> {
    Sourced {
        value: ClientSecret::new(s.value),
        from: s.from,
    }
}

/// `./.test_settings.yaml`: in the current directory, and named so in messages.
fn go_settings_path() -> PathBuf {
    Path::new(".").join(GO_SETTINGS)
}

/// `$XDG_CONFIG_HOME/withings` or `~/.config/withings`.
pub(crate) fn config_dir() -> Option<PathBuf> {
    let non_empty = |k: &str| env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    non_empty("XDG_CONFIG_HOME")
        .filter(|p| p.is_absolute())
        .or_else(|| non_empty("HOME").map(|h| h.join(".config")))
        .map(|d| d.join("withings"))
}

fn env_value(key: &str) -> Option<Sourced> {
    env::var(key)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(|v| Sourced {
            value: v.trim().to_owned(),
            from: format!("${key}"),
        })
}

fn flag(value: Option<&String>, name: &str) -> Option<Sourced> {
    value.filter(|v| !v.trim().is_empty()).map(|v| Sourced {
        value: v.trim().to_owned(),
        from: format!("--{name}"),
    })
}

fn secret_flag(value: Option<&ClientSecret>, name: &str) -> Option<Sourced<ClientSecret>> {
    value
        .map(ClientSecret::expose_secret)
        .filter(|v| !v.trim().is_empty())
        .map(|v| Sourced {
            value: ClientSecret::new(v.trim()),
            from: format!("--{name}"),
        })
}

/// The settings of a file, keys lower-cased: the YAML mapping's entries in document order,
/// then the `key = value` lines in line order.
///
/// A line that starts with a bare key (letters, digits, `_`, `-`, `.`) followed by `=` is a
/// `key = value` line, read by [`key_value_line`]; every other line is YAML, read by
/// serde_norway with the `key = value` lines blanked out, so YAML errors name the file's own
/// line numbers. Of the YAML mapping only the keys this tool knows are kept; they must hold a
/// single value (a string, number or boolean, kept as written), and other keys may hold
/// anything.
pub(crate) fn parse_settings(text: &str, path: &Path) -> Result<Vec<(String, String)>, Failure> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut yaml = String::with_capacity(text.len());
    let mut key_values = Vec::new();
    for line in text.lines() {
        match key_value_line(line) {
            Some(pair) => key_values.push(pair),
            None => yaml.push_str(line),
        }
        yaml.push('\n');
    }
    let Entries(mut pairs) = serde_norway::from_str(&yaml).map_err(|e| yaml_error(&e, path))?;
    pairs.extend(key_values);
    Ok(pairs)
}

/// `name = value` at the start of a line → `(name lower-cased, value)`.
///
/// This form is not YAML (where `name = value` is one plain string), and not TOML either
/// (whose strings must be quoted, while these files have `client_id = abc` unquoted), so it
/// keeps this small reader: the value is the rest of the line, trimmed, `"x"` or `'x'`
/// unquoted, and an unquoted value loses a trailing ` # comment`.
fn key_value_line(line: &str) -> Option<(String, String)> {
    let (name, raw) = line.split_once('=')?;
    let name = name.trim_end();
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    bare.then(|| (name.to_ascii_lowercase(), unquote(raw.trim())))
}

/// `"x"` or `'x'` → `x`; unquoted values lose a trailing ` # comment`.
fn unquote(raw: &str) -> String {
    for q in ['"', '\''] {
        if let Some(inner) = raw.strip_prefix(q)
            && let Some(end) = inner.find(q)
        {
            return inner.get(..end).unwrap_or("").to_owned();
        }
    }
    raw.split_once(" #")
        .map_or(raw, |(v, _)| v)
        .trim()
        .to_owned()
}

/// A YAML error as `<file> line N: what`, without the value that was there (a misplaced
/// secret must not reach the terminal).
fn yaml_error(e: &serde_norway::Error, path: &Path) -> Failure {
    let text = e.to_string();
    match e.location() {
        Some(at) => {
            let mark = format!(" at line {} column {}", at.line(), at.column());
            let what = text.strip_suffix(&mark).unwrap_or(&text);
            Failure::config(format!("{} line {}: {what}", path.display(), at.line()))
        }
        None => Failure::config(format!("{}: {text}", path.display())),
    }
}

/// Every key a setting is read from (lower-case).
const KNOWN_KEYS: &[&[&str]] = &[ID_KEYS, SECRET_KEYS, REDIRECT_KEYS, BASE_KEYS];

/// The known entries of the YAML mapping, keys lower-cased, values as written.
struct Entries(Vec<(String, String)>);

impl<'de> serde::Deserialize<'de> for Entries {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // `any`, not `map`: a document that is not a mapping reaches the visitor, which says
        // so without echoing the text (serde's own message would quote it).
        d.deserialize_any(EntriesVisitor)
    }
}

struct EntriesVisitor;

/// What a document that is not a mapping of settings is told.
fn not_a_mapping<E: serde::de::Error>() -> E {
    E::custom("expected `key: value` (or `key = value`) lines")
}

impl<'de> serde::de::Visitor<'de> for EntriesVisitor {
    type Value = Entries;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("`key: value` (or `key = value`) lines")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
        let mut pairs = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let key = key.trim().to_ascii_lowercase();
            if KNOWN_KEYS.iter().any(|keys| keys.contains(&key.as_str())) {
                // `key:` alone (null) is an empty value, as unset.
                let value: Option<String> = map.next_value()?;
                pairs.push((key, value.unwrap_or_default()));
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(Entries(pairs))
    }

    /// An empty file, or one of comments only.
    fn visit_unit<E: serde::de::Error>(self) -> Result<Entries, E> {
        Ok(Entries(Vec::new()))
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Entries, E> {
        Ok(Entries(Vec::new()))
    }

    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Entries, E> {
        Err(not_a_mapping())
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Entries, E> {
        Err(not_a_mapping())
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Entries, E> {
        Err(not_a_mapping())
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Entries, E> {
        Err(not_a_mapping())
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Entries, E> {
        Err(not_a_mapping())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _: A) -> Result<Entries, A::Error> {
        Err(not_a_mapping())
    }
}

fn read_settings(path: &Path, required: bool) -> Result<Vec<(String, String)>, Failure> {
    match fs::read_to_string(path) {
        Ok(text) => parse_settings(&text, path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => Ok(Vec::new()),
        Err(e) => Err(Failure::config(format!(
            "cannot read the config file {}: {e}",
            path.display()
        ))),
    }
}

fn pick(pairs: &[(String, String)], keys: &[&str], path: &Path) -> Option<Sourced> {
    pairs
        .iter()
        .find(|(k, v)| keys.contains(&k.as_str()) && !v.is_empty())
        .map(|(k, v)| Sourced {
            value: v.clone(),
            from: format!("{} ({k})", path.display()),
        })
}

const ID_KEYS: &[&str] = &["client_id", "cid", "clientid"];
const SECRET_KEYS: &[&str] = &["client_secret", "secret", "clientsecret"];
const REDIRECT_KEYS: &[&str] = &[
    "redirect_url",
    "redirecturl",
    "redirect_uri",
    "callback_url",
];
const BASE_KEYS: &[&str] = &["base_url"];

impl Settings {
    /// Reads flags, environment, the config file, and `./.test_settings.yaml` when none of
    /// them gives a credential (saying so on stderr when it gives some).
    pub(crate) fn load(g: &Global) -> Result<Self, Failure> {
        let (config_path, required) = match (&g.config, env::var_os("WITHINGS_CONFIG")) {
            (Some(p), _) => (Some(p.clone()), true),
            (None, Some(p)) if !p.is_empty() => (Some(PathBuf::from(p)), true),
            _ => (config_dir().map(|d| d.join("config.yaml")), false),
        };
        let file = match &config_path {
            Some(p) => read_settings(p, required)?,
            None => Vec::new(),
        };
        let from_file = |keys: &[&str]| config_path.as_deref().and_then(|p| pick(&file, keys, p));
        let primary = Credentials {
            client_id: flag(g.client_id.as_ref(), "client-id")
                .or_else(|| env_value("WITHINGS_CLIENT_ID"))
                .or_else(|| from_file(ID_KEYS)),
            client_secret: secret_flag(g.client_secret.as_ref(), "client-secret")
                .or_else(|| env_value("WITHINGS_CLIENT_SECRET").map(secret))
                .or_else(|| from_file(SECRET_KEYS).map(secret)),
            redirect_url: flag(g.redirect_url.as_ref(), "redirect-url")
                .or_else(|| env_value("WITHINGS_REDIRECT_URL"))
                .or_else(|| from_file(REDIRECT_KEYS)),
        };
        let (credentials, go_settings) = choose_credentials(primary, || {
            let go_path = go_settings_path();
            let go = read_settings(&go_path, false)?;
            Ok(Credentials::from_file(&go, &go_path))
        })?;
        if go_settings == GoSettings::Used {
            note_go_settings();
        }
        let file_base = config_path
            .as_deref()
            .and_then(|p| pick(&file, BASE_KEYS, p))
            .map(|s| s.value);
        let token_file = g
            .token_file
            .clone()
            .or_else(|| env_value("WITHINGS_TOKEN_FILE").map(|s| PathBuf::from(s.value)))
            .or_else(|| config_dir().map(|d| d.join("token.json")));
        Ok(Self {
            client_id: credentials.client_id,
            client_secret: credentials.client_secret,
            redirect_url: credentials.redirect_url,
            base_url: g
                .base_url
                .clone()
                .or_else(|| env_value("WITHINGS_BASE_URL").map(|s| s.value))
                .or(file_base),
            account_url: g.account_url.clone(),
            config_path,
            token_file,
            go_settings,
            max_wait: std::time::Duration::from_secs(g.max_wait),
        })
    }

    /// Where a missing setting can come from; `go_key` is its key in `.test_settings.yaml`.
    fn where_to_put(&self, flag: &str, env: &str, key: &str, go_key: &str) -> String {
        let file = self.config_path.as_ref().map_or_else(
            || "a config file (--config)".to_owned(),
            |p| p.display().to_string(),
        );
        let go = match &self.go_settings {
            GoSettings::Ignored { because } if go_settings_path().exists() => format!(
                "; ./{GO_SETTINGS} is ignored because {because} gives a credential, and its \
                 values are never mixed with those of other sources"
            ),
            GoSettings::Ignored { .. } => format!(
                " (`{GO_SETTINGS}` here is read only when no flag, variable or config file \
                 gives any credential)"
            ),
            GoSettings::Used => format!(
                "; the other credentials come from ./{GO_SETTINGS}: add `{go_key}: …` there, \
                 or give them all another way"
            ),
            GoSettings::Absent => format!(" (or all three in `{GO_SETTINGS}` here)"),
        };
        format!("pass --{flag}, set {env}, or put `{key}: …` in {file}{go}")
    }

    /// The client id and secret, or a message naming every place they can come from.
    pub(crate) fn credentials(&self) -> Result<AppCredentials, Failure> {
        let id = self.client_id.as_ref().ok_or_else(|| {
            Failure::config(format!(
                "no client id: {}",
                self.where_to_put("client-id", "WITHINGS_CLIENT_ID", "client_id", "CID")
            ))
        })?;
        let secret = self.client_secret.as_ref().ok_or_else(|| {
            Failure::config(format!(
                "no client secret: {}",
                self.where_to_put(
                    "client-secret",
                    "WITHINGS_CLIENT_SECRET",
                    "client_secret",
                    "Secret"
                )
            ))
        })?;
        Ok(AppCredentials::new(id.value.clone(), secret.value.clone()))
    }

    /// The credentials when both are known (data commands need them only to refresh).
    pub(crate) fn credentials_if_any(&self) -> Option<AppCredentials> {
        self.credentials().ok()
    }

    /// The redirect URL, checked against Withings' rules (all of them, each broken one
    /// named), or any absolute http(s) URL when `restricted`.
    pub(crate) fn redirect_uri(&self, restricted: bool) -> Result<CallbackUrl, Failure> {
        let url = self.redirect_url.as_ref().ok_or_else(|| {
            Failure::config(format!(
                "no redirect URL (the callback URL registered for the app): {}",
                self.where_to_put(
                    "redirect-url",
                    "WITHINGS_REDIRECT_URL",
                    "redirect_url",
                    "RedirectURL"
                )
            ))
        })?;
        check_redirect(&url.value, &url.from, restricted)
    }

    /// The token file, or a message when no config directory can be found.
    pub(crate) fn token_path(&self) -> Result<PathBuf, Failure> {
        self.token_file.clone().ok_or_else(|| {
            Failure::config(
                "cannot find a config directory (neither $XDG_CONFIG_HOME nor $HOME is set): pass --token-file",
            )
        })
    }
}

fn check_redirect(url: &str, from: &str, restricted: bool) -> Result<CallbackUrl, Failure> {
    let checked = if restricted {
        CallbackUrl::restricted(url)
    } else {
        CallbackUrl::parse(url)
    };
    match checked {
        Ok(uri) => Ok(uri),
        Err(first) => {
            let mut rules = if restricted {
                vec![UrlRule::NotAUrl]
            } else {
                broken_rules(url)
            };
            if rules.is_empty() {
                rules.push(first);
            }
            let list: Vec<String> = rules
                .iter()
                .enumerate()
                .map(|(i, r)| format!("({}) {}", i + 1, r.explain()))
                .collect();
            let hint = if restricted {
                ""
            } else {
                " (or pass --restricted if Withings keeps the app in restricted mode, which allows http, localhost and other ports)"
            };
            Err(Failure::config(format!(
                "the redirect URL `{url}` from {from} breaks Withings' callback-URL rules: {}; register a conforming callback URL in the Withings developer dashboard and give the same URL here{hint}",
                list.join(", ")
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_settings_and_key_value_files_parse() {
        let text = "# mine\nCID: \"abc\"\nSecret: 'x y'\nRedirectURL: https://example.com/cb?a=1 # note\nbase_url = http://127.0.0.1:8088\n";
        let pairs = parse_settings(text, Path::new("f")).unwrap();
        assert_eq!(
            pairs,
            vec![
                ("cid".into(), "abc".into()),
                ("secret".into(), "x y".into()),
                ("redirecturl".into(), "https://example.com/cb?a=1".into()),
                ("base_url".into(), "http://127.0.0.1:8088".into()),
            ]
        );
        let e = parse_settings("CID abc\n", Path::new("f")).unwrap_err();
        assert!(e.message.contains("f line 1"), "{}", e.message);
    }

    #[test]
    fn yaml_values_stay_as_written_and_other_keys_may_hold_anything() {
        let text = "---\nclient_ID: 0123\nSECRET: 1e3 # not a number\nother:\n  nested: [1, 2]\nredirect_url:\r\nbase_url: ~\n...\n";
        let pairs = parse_settings(text, Path::new("f")).unwrap();
        assert_eq!(
            pairs,
            vec![
                ("client_id".into(), "0123".into()),
                ("secret".into(), "1e3".into()),
                ("redirect_url".into(), String::new()),
                ("base_url".into(), String::new()),
            ]
        );
        let flow = parse_settings("{CID: a, Secret: \"b c\"}", Path::new("f")).unwrap();
        assert_eq!(
            flow,
            vec![("cid".into(), "a".into()), ("secret".into(), "b c".into())]
        );
        assert_eq!(parse_settings("", Path::new("f")).unwrap(), vec![]);
        assert_eq!(
            parse_settings("# only\n\n", Path::new("f")).unwrap(),
            vec![]
        );
    }

    #[test]
    fn key_value_lines_are_read_by_their_own_rules() {
        let text = "\u{feff}client_id = abc # note\nclient_secret = \"x # y\"\nredirect_url=https://e.com/cb?a=1\nbase-url = x=y\n";
        let pairs = parse_settings(text, Path::new("f")).unwrap();
        assert_eq!(
            pairs,
            vec![
                ("client_id".into(), "abc".into()),
                ("client_secret".into(), "x # y".into()),
                ("redirect_url".into(), "https://e.com/cb?a=1".into()),
                ("base-url".into(), "x=y".into()),
            ]
        );
        // `=` after a colon is YAML's: a value with `=` in it.
        let yaml = parse_settings("RedirectURL: https://e.com/cb?a=1\n", Path::new("f")).unwrap();
        assert_eq!(
            yaml,
            vec![("redirecturl".into(), "https://e.com/cb?a=1".into())]
        );
    }

    #[test]
    fn errors_name_the_file_and_line_but_never_the_value() {
        let secret = "t0p-s3cret";
        for (text, line) in [
            (
                format!("{secret}\n"),
                "conf.yaml line 1: expected `key: value`",
            ),
            (
                format!("CID: a\nSecret: [{secret}]\n"),
                "conf.yaml line 2: ",
            ),
            (
                format!("CID: a\n  Secret: {secret}\n"),
                "conf.yaml line 2: ",
            ),
            (format!("CID: a\nSecret {secret}\n"), "at line 2"),
            (
                format!("CID: \"a\nSecret: {secret}\n"),
                "conf.yaml line 3: ",
            ),
        ] {
            let e = parse_settings(&text, Path::new("conf.yaml")).unwrap_err();
            assert!(e.message.contains(line), "{text:?}: {}", e.message);
            assert!(!e.message.contains(secret), "{}", e.message);
        }
    }

    fn sourced(value: &str, from: &str) -> Sourced {
        Sourced {
            value: value.to_owned(),
            from: from.to_owned(),
        }
    }

    #[test]
    fn settings_and_flags_never_show_the_client_secret_in_debug() {
        use clap::Parser;
        let settings = Settings {
            client_id: Some(sourced("my-app", "--client-id")),
            client_secret: Some(secret(sourced("t0p-s3cret", "$WITHINGS_CLIENT_SECRET"))),
            redirect_url: Some(sourced(
                "https://example.org/cb",
                "conf.yaml (redirect_url)",
            )),
            ..Settings::default()
        };
        for debug in [
            format!("{settings:?}"),
            format!("{settings:#?}"),
            format!("{:?}", settings.client_secret),
            format!("{:?}", settings.credentials().unwrap()),
        ] {
            assert!(!debug.contains("t0p-s3cret"), "{debug}");
        }
        let debug = format!("{settings:?}");
        assert!(
            debug.contains("my-app")
                && debug.contains("$WITHINGS_CLIENT_SECRET")
                && debug.contains("[redacted]"),
            "{debug}"
        );
        // The value is still what is used.
        assert_eq!(
            settings
                .credentials()
                .unwrap()
                .client_secret()
                .expose_secret(),
            "t0p-s3cret"
        );

        let cli = crate::cli::Cli::try_parse_from([
            "withings",
            "--client-secret",
            "fl4g-s3cret",
            "devices",
        ])
        .unwrap();
        let debug = format!("{cli:?} {:?}", cli.global);
        assert!(!debug.contains("fl4g-s3cret"), "{debug}");
        let from_flag = secret_flag(cli.global.client_secret.as_ref(), "client-secret").unwrap();
        assert_eq!(from_flag.value.expose_secret(), "fl4g-s3cret");
        assert!(!format!("{from_flag:?}").contains("fl4g-s3cret"));
    }

    #[test]
    fn the_go_settings_are_used_all_or_nothing() {
        let go_path = Path::new("./.test_settings.yaml");
        let go_file = || {
            let pairs = parse_settings(
                "CID: go-id\nSecret: go-secret\nRedirectURL: https://go/cb\n",
                go_path,
            )
            .unwrap();
            Ok(Credentials::from_file(&pairs, go_path))
        };
        // Nothing elsewhere: all three from the file, each naming it.
        let (c, go) = choose_credentials(Credentials::default(), go_file).unwrap();
        assert_eq!(go, GoSettings::Used);
        assert_eq!(c.client_id.unwrap().from, "./.test_settings.yaml (cid)");
        assert_eq!(c.client_secret.unwrap().value.expose_secret(), "go-secret");
        assert_eq!(c.redirect_url.unwrap().value, "https://go/cb");
        // One credential elsewhere: the file is not read, nothing of it is taken.
        let primary = Credentials {
            client_id: Some(sourced("env-id", "$WITHINGS_CLIENT_ID")),
            ..Credentials::default()
        };
        let (c, go) = choose_credentials(primary, || -> Result<Credentials, Failure> {
            panic!("read although another source gives a credential")
        })
        .unwrap();
        assert_eq!(
            go,
            GoSettings::Ignored {
                because: "$WITHINGS_CLIENT_ID".into()
            }
        );
        assert!(c.client_secret.is_none() && c.redirect_url.is_none());
        let settings = Settings {
            client_id: c.client_id,
            go_settings: go,
            ..Settings::default()
        };
        let e = settings.credentials().unwrap_err();
        assert!(
            e.message
                .starts_with("no client secret: pass --client-secret")
                && e.message.contains(".test_settings.yaml"),
            "{}",
            e.message
        );
        // An empty or absent file gives nothing.
        let (c, go) =
            choose_credentials(Credentials::default(), || Ok(Credentials::default())).unwrap();
        assert_eq!(go, GoSettings::Absent);
        assert!(c.first_source().is_none());
        // A file with only some credentials: the message says where to add the rest.
        let settings = Settings {
            client_id: Some(sourced("go-id", "./.test_settings.yaml (cid)")),
            go_settings: GoSettings::Used,
            ..Settings::default()
        };
        let e = settings.credentials().unwrap_err();
        assert!(e.message.contains("add `Secret: …` there"), "{}", e.message);
    }

    #[test]
    fn every_broken_rule_is_named() {
        use UrlRule as R;
        assert_eq!(broken_rules("https://example.com/cb"), vec![]);
        assert_eq!(
            broken_rules("http://localhost:8080/cb"),
            vec![R::NotHttps, R::Localhost, R::Port]
        );
        assert_eq!(broken_rules("https://127.0.0.1/cb"), vec![R::IpAddress]);
        assert_eq!(broken_rules("https://[::1]:443/cb"), vec![R::IpAddress]);
        assert_eq!(broken_rules("example.com/cb"), vec![R::NotAUrl]);
        assert_eq!(broken_rules("https://u:p@example.com/"), vec![R::NotAUrl]);
        let long = format!("https://example.com/{}", "a".repeat(250));
        assert_eq!(broken_rules(&long), vec![R::TooLong]);
    }

    #[test]
    fn a_bad_redirect_url_is_explained_rule_by_rule() {
        let e = check_redirect("http://localhost:8080/cb", "--redirect-url", false).unwrap_err();
        assert!(
            e.message.contains("(1) it must start with https://")
                && e.message.contains("(2) its host must not be localhost")
                && e.message.contains("(3) its port"),
            "{}",
            e.message
        );
        assert!(check_redirect("http://localhost:8080/cb", "x", true).is_ok());
    }
}
