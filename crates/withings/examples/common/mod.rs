//! What the `auth` and `get_measurements` examples share: options, the seed's settings file,
//! building the client.
//!
//! Credentials come from the environment (`WITHINGS_CLIENT_ID`, `WITHINGS_CLIENT_SECRET`,
//! `WITHINGS_REDIRECT_URL`) or, for what the environment does not set, from a settings file
//! with the keys of the Go client's `.test_settings.yaml`:
//!
//! ```yaml
//! CID: "your client id"
//! Secret: "your consumer secret"
//! RedirectURL: "https://example.com/withings/callback"
//! ```
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;

use withings::{AppCredentials, CallbackUrl, Client, FileTokenStore, Scope};

/// Command-line options.
#[derive(Debug)]
pub struct Options {
    /// `--settings FILE` (default `.test_settings.yaml`, like the Go client).
    pub settings: PathBuf,
    /// `--token FILE` (default `access_token.json`, like the Go client).
    pub token: PathBuf,
    /// `--base-url URL`: another API host (the offline sandbox: `http://127.0.0.1:PORT`).
    pub base_url: Option<String>,
    /// `--account-url URL`: another authorization host (the sandbox: the same URL).
    pub account_url: Option<String>,
    /// `--tz ZONE`: an IANA zone for printed times (default: each record's own zone).
    pub tz: Option<String>,
    /// `--hours N`: how far back to read (default 48).
    pub hours: i64,
    /// `--scopes a,b`: scopes to ask for (default `user.metrics,user.activity`).
    pub scopes: Vec<Scope>,
}

pub const USAGE: &str = "options:
  --settings FILE     settings file with CID, Secret, RedirectURL (default .test_settings.yaml)
  --token FILE        where the token is kept (default access_token.json)
  --base-url URL      API host (default https://wbsapi.withings.net; the sandbox: http://127.0.0.1:PORT)
  --account-url URL   authorization host (default https://account.withings.com)
  --tz ZONE           time zone for printed times, e.g. Asia/Tokyo (default: each record's zone)
  --hours N           how many hours back to read (default 48)
  --scopes LIST       comma list of user.metrics, user.activity, user.info, user.sleepevents
environment: WITHINGS_CLIENT_ID, WITHINGS_CLIENT_SECRET, WITHINGS_REDIRECT_URL override the file";

impl Options {
    /// Parses `std::env::args`; `Err` holds the message to print (usage included).
    pub fn parse() -> Result<Self, String> {
        let mut o = Self {
            settings: PathBuf::from(".test_settings.yaml"),
            token: PathBuf::from("access_token.json"),
            base_url: None,
            account_url: None,
            tz: None,
            hours: 48,
            scopes: vec![Scope::UserMetrics, Scope::UserActivity],
        };
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            if flag == "-h" || flag == "--help" {
                return Err(USAGE.to_owned());
            }
            let mut value = || {
                args.next()
                    .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
            };
            match flag.as_str() {
                "--settings" => o.settings = value()?.into(),
                "--token" => o.token = value()?.into(),
                "--base-url" => o.base_url = Some(value()?),
                "--account-url" => o.account_url = Some(value()?),
                "--tz" => o.tz = Some(value()?),
                "--hours" => {
                    let v = value()?;
                    o.hours = v
                        .parse()
                        .ok()
                        .filter(|h| (1..=24 * 366).contains(h))
                        .ok_or_else(|| format!("--hours {v}: give a number of hours"))?;
                }
                "--scopes" => {
                    o.scopes = value()?
                        .split(',')
                        .map(|s| parse_scope(s.trim()))
                        .collect::<Result<_, _>>()?;
                }
                other => return Err(format!("unknown option {other}\n{USAGE}")),
            }
        }
        Ok(o)
    }
}

fn parse_scope(s: &str) -> Result<Scope, String> {
    s.parse()
        .map_err(|e: withings::http::UnknownScope| e.to_string())
}

/// The three settings of the Go client's file.
#[derive(Debug)]
pub struct Settings {
    pub client_id: String,
    pub secret: String,
    pub redirect_url: Option<String>,
}

/// Reads `Key: "value"` lines (the subset of YAML the Go client's settings file uses);
/// blank lines and `#` comments are skipped, quotes are optional.
pub fn parse_settings(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let (key, value) = l.split_once(':')?;
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(value);
            Some((key.trim().to_owned(), value.to_owned()))
        })
        .collect()
}

impl Settings {
    /// The environment first, then the settings file for what it does not set.
    pub fn load(o: &Options) -> Result<Self, String> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let file: Vec<(String, String)> = match std::fs::read_to_string(&o.settings) {
            Ok(text) => parse_settings(&text),
            Err(_) => Vec::new(),
        };
        let from_file = |k: &str| {
            file.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty())
        };
        let missing = |what: &str, var: &str, key: &str| {
            format!(
                "no {what}: set {var}, or `{key}: \"...\"` in {}",
                o.settings.display()
            )
        };
        Ok(Self {
            client_id: env("WITHINGS_CLIENT_ID")
                .or_else(|| from_file("CID"))
                .ok_or_else(|| missing("client id", "WITHINGS_CLIENT_ID", "CID"))?,
            secret: env("WITHINGS_CLIENT_SECRET")
                .or_else(|| from_file("Secret"))
                .ok_or_else(|| missing("client secret", "WITHINGS_CLIENT_SECRET", "Secret"))?,
            redirect_url: env("WITHINGS_REDIRECT_URL").or_else(|| from_file("RedirectURL")),
        })
    }
}

/// A client with the app's credentials and the token file.
pub fn client(o: &Options, s: &Settings) -> Result<Client, String> {
    let mut credentials = AppCredentials::new(s.client_id.clone(), s.secret.clone());
    if let Some(url) = &s.redirect_url {
        let uri = match CallbackUrl::parse(url) {
            Ok(uri) => uri,
            // An app in Withings' restricted (development) mode may use a local URL.
            Err(e) => {
                eprintln!("note: {e}; using it anyway, as a restricted-mode application may");
                CallbackUrl::restricted(url).map_err(|e| format!("RedirectURL {url}: {e}"))?
            }
        };
        credentials = credentials.with_redirect_uri(uri);
    }
    let mut builder = Client::builder()
        .credentials(credentials)
        .token_store(FileTokenStore::new(&o.token));
    if let Some(url) = &o.base_url {
        builder = builder.base_url(url.clone());
        // The sandbox serves both hosts on one address.
        builder = builder.account_url(o.account_url.clone().unwrap_or_else(|| url.clone()));
    } else if let Some(url) = &o.account_url {
        builder = builder.account_url(url.clone());
    }
    builder.build().map_err(|e| e.to_string())
}

/// Prints an error and its causes.
pub fn report(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}
