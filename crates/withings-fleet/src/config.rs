//! The settings of the fleet's processes (`withings serve`, `withings worker`,
//! `withings jobs`): one TOML file, each value overridable by an environment variable.
//!
//! [`FleetConfig::load`] reads the file (when given) and then the environment; a variable
//! that is set and not empty wins over the file. [`FleetConfig::validate`] (called by
//! `load`) refuses what cannot work: a notification secret shorter than 128 bits, a token key
//! that is not 32 bytes of base64, a public URL that is not https (loopback http is allowed
//! for tests), and so on. Messages name the setting and where it came from, never a secret's
//! value; `Debug` shows `[redacted]` for every secret (the client secret, the notification
//! secret, the token key and the database URL's password).
//!
//! # The file
//! ```toml
//! token_key = "…"            # `withings serve --gen-key` prints one (base64, 32 bytes)
//! queue_cap = 100            # queued jobs per user beyond which a notification is dropped
//! shutdown_grace = "30s"     # how long a stopping process waits for work in progress
//!
//! [database]
//! url = "postgres://withings:…@127.0.0.1/withings"
//! max_connections = 16
//!
//! [withings]                 # the application registered with Withings
//! client_id = "…"
//! client_secret = "…"
//! # base_url = "https://wbsapi.withings.net"      # the API (e.g. a sandbox)
//! # account_url = "https://account.withings.com"  # the authorize page
//! scopes = ["user.info", "user.metrics", "user.activity"]
//! applis = [1, 4, 16, 44, 46]                     # notification categories to subscribe
//!
//! [server]
//! public_url = "https://fleet.example.com"   # the origin Withings and browsers reach
//! notify_secret = "…"                        # ≥ 128 bits: `withings serve --gen-key`
//! listen = "127.0.0.1:8080"
//! allow_from = []                            # e.g. ["203.0.113.0/24", "2001:db8::/32"]
//! oauth_state_ttl = "10m"
//! max_body = 16384                           # bytes of a notification POST
//!
//! [rate_limit]                # the application-wide budget, shared by every worker
//! requests = 120
//! period = "60s"
//! margin = "1s"               # added to the period: absorbs network jitter
//!
//! [worker]
//! lease = "2m"                # a claimed job is someone else's after this without heartbeat
//! heartbeat = "30s"           # how often a running job's lease is extended (< lease)
//! poll = "1s"                 # the wait between claims when the queue is empty
//! max_attempts = 8            # then the job is parked with its error
//! catchup_every = "24h"       # a full incremental sync per user, for notifications lost
//! refresh_margin = "5m"       # an access token this close to expiry is refreshed first
//! cooldown = "10s"            # from the end of a user's job to their next (Withings: 601 on a repeat within 10 s)
//! purge_on_unlink = false     # delete a user's data when they unlink the app
//! jobs_in_flight = 4          # jobs one worker process runs at once
//! ```
//! Durations are strings: a number and a unit, `ms`, `s`, `m`, `h` or `d` (`"1050ms"`,
//! `"30s"`, `"24h"`); a bare integer is seconds.
//!
//! Withings calls `<public_url>/oauth/callback` after authorization (register exactly that
//! URL as the app's callback URL) and `<public_url>/notify/<notify_secret>` with
//! notifications. Notifications are unsigned: the secret in the path is what keeps forged
//! POSTs out, so it is long and random, and never logged.
//!
//! # The environment
//! | variable | setting |
//! |---|---|
//! | `WITHINGS_FLEET_CONFIG` | the file, when `--config` is not given |
//! | `WITHINGS_DATABASE_URL` | `database.url` |
//! | `WITHINGS_DATABASE_MAX_CONNECTIONS` | `database.max_connections` |
//! | `WITHINGS_CLIENT_ID` | `withings.client_id` (the same variable as the CLI's) |
//! | `WITHINGS_CLIENT_SECRET` | `withings.client_secret` (the same as the CLI's) |
//! | `WITHINGS_BASE_URL` | `withings.base_url` (the same as the CLI's) |
//! | `WITHINGS_ACCOUNT_URL` | `withings.account_url` |
//! | `WITHINGS_SCOPES` | `withings.scopes`, comma-separated |
//! | `WITHINGS_APPLIS` | `withings.applis`, comma-separated codes |
//! | `WITHINGS_PUBLIC_URL` | `server.public_url` |
//! | `WITHINGS_NOTIFY_SECRET` | `server.notify_secret` |
//! | `WITHINGS_LISTEN` | `server.listen` |
//! | `WITHINGS_NOTIFY_ALLOW_FROM` | `server.allow_from`, comma-separated IPs or CIDRs |
//! | `WITHINGS_OAUTH_STATE_TTL` | `server.oauth_state_ttl` |
//! | `WITHINGS_MAX_BODY` | `server.max_body` |
//! | `WITHINGS_TOKEN_KEY` | `token_key` |
//! | `WITHINGS_QUEUE_CAP` | `queue_cap` |
//! | `WITHINGS_SHUTDOWN_GRACE` | `shutdown_grace` |
//! | `WITHINGS_RATE_REQUESTS` | `rate_limit.requests` |
//! | `WITHINGS_RATE_PERIOD` | `rate_limit.period` |
//! | `WITHINGS_RATE_MARGIN` | `rate_limit.margin` |
//! | `WITHINGS_WORKER_LEASE` | `worker.lease` |
//! | `WITHINGS_WORKER_HEARTBEAT` | `worker.heartbeat` |
//! | `WITHINGS_WORKER_POLL` | `worker.poll` |
//! | `WITHINGS_WORKER_MAX_ATTEMPTS` | `worker.max_attempts` |
//! | `WITHINGS_WORKER_REFRESH_MARGIN` | `worker.refresh_margin` |
//! | `WITHINGS_WORKER_COOLDOWN` | `worker.cooldown` |
//! | `WITHINGS_WORKER_CATCHUP_EVERY` | `worker.catchup_every` |
//! | `WITHINGS_WORKER_PURGE_ON_UNLINK` | `worker.purge_on_unlink` (`true`/`false`) |
//! | `WITHINGS_WORKER_JOBS_IN_FLIGHT` | `worker.jobs_in_flight` |
//!
//! # The source-address allow-list
//! `server.allow_from` is empty by default: the path secret alone keeps forged POSTs out (and
//! a forged POST for a known user only queues a sync, merged with any queued one). To accept
//! notifications only from Withings' servers, list their addresses. Withings publishes them
//! as DNS TXT records (API notes §1) and changes them with at least a week's notice:
//! ```text
//! dig +short TXT ipblock-notify.withings.net
//! dig +short TXT ipblock-front.withings.net
//! # US medical cloud: ipblock-notify.us.withingsmed.net, ipblock-front.us.withingsmed.net
//! ```
//! Put every address or CIDR the records hold into the list (both records: the HEAD probe and
//! the POSTs may come from either), and re-read them on a schedule (a cron job writing
//! `WITHINGS_NOTIFY_ALLOW_FROM` and restarting the server). Only notification POSTs are
//! checked; the HEAD/GET probe always gets 200. The list is checked against the TCP peer:
//! behind a reverse proxy the peer is the proxy, so enforce the list at the proxy instead.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use base64::Engine as _;
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use withings::http::ClientSecret;
use withings::{AppCredentials, Appli, CallbackUrl, Client, ClientBuilder, Scope};
use withings_postgres::{Cipher, Database, Fleet, PgLimiter};

use crate::error::{Error, Result};

/// The variable naming the configuration file when no `--config` is given.
pub const CONFIG_ENV: &str = "WITHINGS_FLEET_CONFIG";

/// Fewest characters of a notification secret: 22 characters of the URL-safe base64
/// alphabet carry 132 bits, the least that is at least 128 (32 hex digits carry 128).
const MIN_NOTIFY_SECRET_CHARS: usize = 22;

/// Everything the fleet's processes need. See the [module docs](self) for the file and
/// the environment variables.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FleetConfig {
    /// The PostgreSQL database holding the shared state.
    pub database: DatabaseConfig,
    /// The application registered with Withings.
    pub withings: WithingsConfig,
    /// The HTTP server (`withings serve`).
    pub server: ServerConfig,
    /// The application-wide rate limit, shared by every worker through PostgreSQL.
    pub rate_limit: RateLimitConfig,
    /// The workers (`withings worker`).
    pub worker: WorkerConfig,
    /// The key sealing tokens at rest: 32 bytes, base64.
    pub token_key: Secret,
    /// Queued jobs per user beyond which a new notification is dropped (a flood of forged
    /// POSTs for one user cannot grow the queue without bound).
    pub queue_cap: i64,
    /// How long a stopping process waits for the work in progress.
    pub shutdown_grace: Duration,
}

/// The PostgreSQL side.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DatabaseConfig {
    /// `postgres://user:password@host:port/database` (or the key-value form). Secret: it
    /// may hold a password.
    pub url: Secret,
    /// The pool's size, per process.
    pub max_connections: usize,
}

/// The application registered with Withings.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WithingsConfig {
    /// The client id from the developer dashboard.
    pub client_id: String,
    /// The client secret.
    pub client_secret: ClientSecret,
    /// The API base URL; `None` for Withings' own.
    pub base_url: Option<String>,
    /// The host of the authorize page; `None` for Withings' own.
    pub account_url: Option<String>,
    /// The scopes asked of each user.
    pub scopes: Vec<Scope>,
    /// The notification categories each user is subscribed to.
    pub applis: Vec<Appli>,
}

/// The HTTP server.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The https origin Withings and the users' browsers reach (no path, no trailing `/`).
    pub public_url: String,
    /// The unguessable path segment of the notification URL.
    pub notify_secret: Secret,
    /// The address to listen on.
    pub listen: SocketAddr,
    /// When not empty, notification POSTs from other peers get 403.
    pub allow_from: Vec<IpNet>,
    /// How long a `/connect` may take to come back to `/oauth/callback`.
    pub oauth_state_ttl: Duration,
    /// The largest notification body accepted, in bytes (Withings' are about 100).
    pub max_body: usize,
}

/// The application-wide rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimitConfig {
    /// Requests per period (Withings: 120 a minute per application).
    pub requests: u32,
    /// The period.
    pub period: Duration,
    /// Added to the period, for jitter between the fleet's clock and Withings'.
    pub margin: Duration,
}

/// The workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkerConfig {
    /// How long a claimed job stays claimed without a heartbeat.
    pub lease: Duration,
    /// How often a running job's lease is extended (shorter than the lease).
    pub heartbeat: Duration,
    /// The wait between claims when the queue is empty.
    pub poll: Duration,
    /// Tries before a failing job is parked.
    pub max_attempts: i32,
    /// The interval of each user's catch-up sync.
    pub catchup_every: Duration,
    /// How close to its expiry an access token is refreshed before a call (5 minutes, the
    /// client's default; tests with tokens of seconds shrink it with them). Subscriptions are
    /// reconciled in each user's catch-up sync, so they need no interval of their own.
    pub refresh_margin: Duration,
    /// The least time from the end of a user's job to the start of their next: the
    /// requests of a sync repeat those of the previous one when nothing changed, and
    /// Withings refuses a request repeated within 10 s (status 601). Also merges bursts.
    pub cooldown: Duration,
    /// Whether an unlink deletes the user's data.
    pub purge_on_unlink: bool,
    /// Jobs one worker process runs at once.
    pub jobs_in_flight: usize,
}

/// A secret setting: `Debug` prints `[redacted]`.
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    /// Wraps a value.
    #[must_use]
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    /// The value. Keep what you do with it out of logs.
    #[must_use]
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// An IP network: an address and a prefix length (`203.0.113.0/24`); a bare address is a
/// network of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Whether `ip` is in this network. An IPv4 address seen as IPv6 (`::ffff:a.b.c.d`, as
    /// a dual-stack socket reports it) is compared as IPv4.
    #[must_use]
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 @ IpAddr::V4(_) => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => prefix_eq(
                u128::from(u32::from(net)),
                u128::from(u32::from(ip)),
                32,
                self.prefix,
            ),
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_eq(u128::from(net), u128::from(ip), 128, self.prefix)
            }
            _ => false,
        }
    }
}

/// Whether the first `prefix` of `bits` bits of `a` and `b` are equal.
fn prefix_eq(a: u128, b: u128, bits: u8, prefix: u8) -> bool {
    let drop = u32::from(bits.saturating_sub(prefix));
    a.checked_shr(drop).unwrap_or(0) == b.checked_shr(drop).unwrap_or(0)
}

impl FromStr for IpNet {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{s}` is not an IP address or CIDR"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{s}`: the prefix length must be 0 to {max}"))?,
        };
        Ok(Self { addr, prefix })
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// The file as written: every key optional, so the environment can fill what it lacks.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    token_key: Option<String>,
    queue_cap: Option<i64>,
    shutdown_grace: Option<DurationText>,
    #[serde(default)]
    database: FileDatabase,
    #[serde(default)]
    withings: FileWithings,
    #[serde(default)]
    server: FileServer,
    #[serde(default)]
    rate_limit: FileRate,
    #[serde(default)]
    worker: FileWorker,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDatabase {
    url: Option<String>,
    max_connections: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileWithings {
    client_id: Option<String>,
    client_secret: Option<String>,
    base_url: Option<String>,
    account_url: Option<String>,
    scopes: Option<Vec<String>>,
    applis: Option<Vec<i64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileServer {
    public_url: Option<String>,
    notify_secret: Option<String>,
    listen: Option<String>,
    allow_from: Option<Vec<String>>,
    oauth_state_ttl: Option<DurationText>,
    max_body: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRate {
    requests: Option<u32>,
    period: Option<DurationText>,
    margin: Option<DurationText>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileWorker {
    lease: Option<DurationText>,
    heartbeat: Option<DurationText>,
    poll: Option<DurationText>,
    max_attempts: Option<i32>,
    catchup_every: Option<DurationText>,
    refresh_margin: Option<DurationText>,
    cooldown: Option<DurationText>,
    purge_on_unlink: Option<bool>,
    jobs_in_flight: Option<usize>,
}

/// A duration as the file writes it: `"30s"`, or a bare integer of seconds.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum DurationText {
    Seconds(u64),
    Text(String),
}

impl DurationText {
    fn get(&self, key: &str) -> Result<Duration> {
        match self {
            Self::Seconds(s) => Ok(Duration::from_secs(*s)),
            Self::Text(t) => parse_duration(t).map_err(|e| Error::config(format!("{key}: {e}"))),
        }
    }
}

/// `"1050ms"`, `"30s"`, `"10m"`, `"24h"`, `"7d"`, or a bare number of seconds.
///
/// # Errors
/// A message naming what is wrong with the text.
pub fn parse_duration(text: &str) -> std::result::Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{t}` is not a duration (e.g. \"30s\", \"1050ms\", \"24h\")"))?;
    let seconds = |k: u64| {
        n.checked_mul(k)
            .map(Duration::from_secs)
            .ok_or_else(|| format!("`{t}` is too long"))
    };
    match unit.trim() {
        "ms" => Ok(Duration::from_millis(n)),
        "" | "s" => seconds(1),
        "m" | "min" => seconds(60),
        "h" => seconds(3600),
        "d" => seconds(86_400),
        other => Err(format!(
            "`{t}`: unknown unit `{other}` (use ms, s, m, h or d)"
        )),
    }
}

/// Where each setting was found, for messages: `the file (server.listen)` or `$WITHINGS_LISTEN`.
fn from_env(key: &str) -> String {
    format!("${key}")
}

/// The text of the variable `key` when set and not blank.
type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

fn env_text(lookup: Lookup<'_>, key: &str) -> Option<String> {
    lookup(key)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// A value from the environment (parsed) or else the file, with the name of its source.
/// (The file's value was parsed with the file, by serde, which names the key on error.)
fn pick<T>(
    lookup: Lookup<'_>,
    env: &str,
    file: Option<T>,
    parse: impl Fn(&str) -> std::result::Result<T, String>,
) -> Result<Option<T>> {
    match env_text(lookup, env) {
        Some(text) => parse(&text)
            .map(Some)
            .map_err(|e| Error::config(format!("{}: {e}", from_env(env)))),
        None => Ok(file),
    }
}

fn parse_num<T: FromStr>(text: &str) -> std::result::Result<T, String> {
    text.parse()
        .map_err(|_| format!("`{text}` is not a valid number"))
}

fn parse_bool(text: &str) -> std::result::Result<bool, String> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(format!("`{text}` is not true or false")),
    }
}

fn comma_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn parse_scopes(list: &[String]) -> std::result::Result<Vec<Scope>, String> {
    list.iter()
        .map(|s| s.parse::<Scope>().map_err(|e| e.to_string()))
        .collect()
}

fn parse_applis(list: &[i64]) -> std::result::Result<Vec<Appli>, String> {
    list.iter()
        .map(|&code| {
            let appli = Appli::from_code(code);
            if appli.is_known() {
                Ok(appli)
            } else {
                Err(format!(
                    "{code} is not a notification category Withings documents"
                ))
            }
        })
        .collect()
}

fn parse_nets(list: &[String]) -> std::result::Result<Vec<IpNet>, String> {
    list.iter().map(|s| s.parse()).collect()
}

impl FleetConfig {
    /// Reads `file` (when given, else `$WITHINGS_FLEET_CONFIG` when set), then the
    /// environment, and checks the result.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read; [`Error::Config`] naming the setting that
    /// is missing or wrong.
    pub fn load(file: Option<&Path>) -> Result<Self> {
        let lookup = |k: &str| std::env::var(k).ok();
        let path: Option<PathBuf> = file
            .map(Path::to_path_buf)
            .or_else(|| env_text(&lookup, CONFIG_ENV).map(PathBuf::from));
        let text = match &path {
            Some(p) => Some(std::fs::read_to_string(p).map_err(|source| Error::Io {
                what: format!("cannot read the configuration file {}", p.display()),
                source,
            })?),
            None => None,
        };
        let name = path.as_ref().map(|p| p.display().to_string());
        Self::from_parts(
            text.as_deref(),
            name.as_deref().unwrap_or("the file"),
            &lookup,
        )
    }

    /// The configuration of `toml` (a file's text) and the variables `lookup` gives (`None`
    /// for an unset one): what [`load`](Self::load) does, without touching the process's
    /// environment (tests).
    ///
    /// # Errors
    /// As [`load`](Self::load).
    pub fn from_parts(
        toml: Option<&str>,
        file_name: &str,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        let file: FileConfig = match toml {
            // toml's message names the line and the key, and quotes at most the line that
            // failed to parse; a secret misplaced there is the owner's file on their terminal.
            Some(text) => toml::from_str(text)
                .map_err(|e| Error::config(format!("{file_name}: {}", e.message())))?,
            None => FileConfig::default(),
        };
        let l: Lookup<'_> = lookup;
        let dur = |env: &str, v: Option<DurationText>, key: &str| -> Result<Option<Duration>> {
            let v = v.map(|d| d.get(key)).transpose()?;
            pick(l, env, v, parse_duration)
        };
        let required = |v: Option<String>, key: &str, env: &str| {
            v.ok_or_else(|| {
                Error::config(format!(
                    "`{key}` is not set: put it in the configuration file or set ${env}"
                ))
            })
        };
        let id = |s: &str| Ok::<_, String>(s.to_owned());

        let database = DatabaseConfig {
            url: Secret::new(required(
                pick(l, "WITHINGS_DATABASE_URL", file.database.url, id)?,
                "database.url",
                "WITHINGS_DATABASE_URL",
            )?),
            max_connections: pick(
                l,
                "WITHINGS_DATABASE_MAX_CONNECTIONS",
                file.database.max_connections,
                parse_num,
            )?
            .unwrap_or(16),
        };

        let scopes = match env_text(l, "WITHINGS_SCOPES") {
            Some(t) => parse_scopes(&comma_list(&t))
                .map_err(|e| Error::config(format!("$WITHINGS_SCOPES: {e}")))?,
            None => match file.withings.scopes {
                Some(list) => parse_scopes(&list)
                    .map_err(|e| Error::config(format!("withings.scopes: {e}")))?,
                None => vec![Scope::UserInfo, Scope::UserMetrics, Scope::UserActivity],
            },
        };
        let applis = match env_text(l, "WITHINGS_APPLIS") {
            Some(t) => {
                let codes: Vec<i64> = comma_list(&t)
                    .iter()
                    .map(|c| parse_num::<i64>(c))
                    .collect::<std::result::Result<_, _>>()
                    .map_err(|e| Error::config(format!("$WITHINGS_APPLIS: {e}")))?;
                parse_applis(&codes).map_err(|e| Error::config(format!("$WITHINGS_APPLIS: {e}")))?
            }
            None => match file.withings.applis {
                Some(codes) => parse_applis(&codes)
                    .map_err(|e| Error::config(format!("withings.applis: {e}")))?,
                None => vec![
                    Appli::Weight,
                    Appli::BloodPressure,
                    Appli::Activity,
                    Appli::Sleep,
                    Appli::User,
                ],
            },
        };
        let withings = WithingsConfig {
            client_id: required(
                pick(l, "WITHINGS_CLIENT_ID", file.withings.client_id, id)?,
                "withings.client_id",
                "WITHINGS_CLIENT_ID",
            )?,
            client_secret: ClientSecret::new(required(
                pick(l, "WITHINGS_CLIENT_SECRET", file.withings.client_secret, id)?,
                "withings.client_secret",
                "WITHINGS_CLIENT_SECRET",
            )?),
            base_url: pick(l, "WITHINGS_BASE_URL", file.withings.base_url, id)?,
            account_url: pick(l, "WITHINGS_ACCOUNT_URL", file.withings.account_url, id)?,
            scopes,
            applis,
        };

        let allow_from = match env_text(l, "WITHINGS_NOTIFY_ALLOW_FROM") {
            Some(t) => parse_nets(&comma_list(&t))
                .map_err(|e| Error::config(format!("$WITHINGS_NOTIFY_ALLOW_FROM: {e}")))?,
            None => parse_nets(&file.server.allow_from.unwrap_or_default())
                .map_err(|e| Error::config(format!("server.allow_from: {e}")))?,
        };
        let server = ServerConfig {
            public_url: required(
                pick(l, "WITHINGS_PUBLIC_URL", file.server.public_url, id)?,
                "server.public_url",
                "WITHINGS_PUBLIC_URL",
            )?
            .trim_end_matches('/')
            .to_owned(),
            notify_secret: Secret::new(required(
                pick(l, "WITHINGS_NOTIFY_SECRET", file.server.notify_secret, id)?,
                "server.notify_secret",
                "WITHINGS_NOTIFY_SECRET",
            )?),
            listen: pick(
                l,
                "WITHINGS_LISTEN",
                file.server
                    .listen
                    .map(|s| {
                        s.parse().map_err(|_| {
                            Error::config(format!("server.listen: `{s}` is not an address:port"))
                        })
                    })
                    .transpose()?,
                |s| {
                    s.parse()
                        .map_err(|_| format!("`{s}` is not an address:port"))
                },
            )?
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            allow_from,
            oauth_state_ttl: dur(
                "WITHINGS_OAUTH_STATE_TTL",
                file.server.oauth_state_ttl,
                "server.oauth_state_ttl",
            )?
            .unwrap_or(Duration::from_secs(600)),
            max_body: pick(l, "WITHINGS_MAX_BODY", file.server.max_body, parse_num)?
                .unwrap_or(16 * 1024),
        };

        let rate_limit = RateLimitConfig {
            requests: pick(
                l,
                "WITHINGS_RATE_REQUESTS",
                file.rate_limit.requests,
                parse_num,
            )?
            .unwrap_or(120),
            period: dur(
                "WITHINGS_RATE_PERIOD",
                file.rate_limit.period,
                "rate_limit.period",
            )?
            .unwrap_or(Duration::from_secs(60)),
            margin: dur(
                "WITHINGS_RATE_MARGIN",
                file.rate_limit.margin,
                "rate_limit.margin",
            )?
            .unwrap_or(Duration::from_secs(1)),
        };

        let worker = WorkerConfig {
            lease: dur("WITHINGS_WORKER_LEASE", file.worker.lease, "worker.lease")?
                .unwrap_or(Duration::from_secs(120)),
            heartbeat: dur(
                "WITHINGS_WORKER_HEARTBEAT",
                file.worker.heartbeat,
                "worker.heartbeat",
            )?
            .unwrap_or(Duration::from_secs(30)),
            poll: dur("WITHINGS_WORKER_POLL", file.worker.poll, "worker.poll")?
                .unwrap_or(Duration::from_secs(1)),
            max_attempts: pick(
                l,
                "WITHINGS_WORKER_MAX_ATTEMPTS",
                file.worker.max_attempts,
                parse_num,
            )?
            .unwrap_or(8),
            catchup_every: dur(
                "WITHINGS_WORKER_CATCHUP_EVERY",
                file.worker.catchup_every,
                "worker.catchup_every",
            )?
            .unwrap_or(Duration::from_secs(24 * 3600)),
            refresh_margin: dur(
                "WITHINGS_WORKER_REFRESH_MARGIN",
                file.worker.refresh_margin,
                "worker.refresh_margin",
            )?
            .unwrap_or(Duration::from_secs(300)),
            cooldown: dur(
                "WITHINGS_WORKER_COOLDOWN",
                file.worker.cooldown,
                "worker.cooldown",
            )?
            .unwrap_or(withings_postgres::DEFAULT_COOLDOWN),
            purge_on_unlink: pick(
                l,
                "WITHINGS_WORKER_PURGE_ON_UNLINK",
                file.worker.purge_on_unlink,
                parse_bool,
            )?
            .unwrap_or(false),
            jobs_in_flight: pick(
                l,
                "WITHINGS_WORKER_JOBS_IN_FLIGHT",
                file.worker.jobs_in_flight,
                parse_num,
            )?
            .unwrap_or(4),
        };

        let config = Self {
            database,
            withings,
            server,
            rate_limit,
            worker,
            token_key: Secret::new(required(
                pick(l, "WITHINGS_TOKEN_KEY", file.token_key, id)?,
                "token_key",
                "WITHINGS_TOKEN_KEY",
            )?),
            queue_cap: pick(l, "WITHINGS_QUEUE_CAP", file.queue_cap, parse_num)?.unwrap_or(100),
            shutdown_grace: dur(
                "WITHINGS_SHUTDOWN_GRACE",
                file.shutdown_grace,
                "shutdown_grace",
            )?
            .unwrap_or(Duration::from_secs(30)),
        };
        config.validate()?;
        Ok(config)
    }

    /// Checks what the types do not: lengths, ranges, URL shapes, the key.
    ///
    /// # Errors
    /// [`Error::Config`] naming the first setting that cannot work.
    pub fn validate(&self) -> Result<()> {
        let secret = self.server.notify_secret.expose();
        if secret.len() < MIN_NOTIFY_SECRET_CHARS {
            return Err(Error::config(format!(
                "server.notify_secret is {} characters: it needs at least 128 random bits \
                 ({MIN_NOTIFY_SECRET_CHARS} or more characters of A-Z a-z 0-9 - _); \
                 `withings serve --gen-key` prints one",
                secret.len()
            )));
        }
        if !secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(Error::config(
                "server.notify_secret may hold only A-Z a-z 0-9 - _ (it is a URL path segment)",
            ));
        }
        let distinct = secret
            .bytes()
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        if distinct < 8 {
            return Err(Error::config(
                "server.notify_secret repeats a few characters: it must be random \
                 (`withings serve --gen-key` prints one)",
            ));
        }
        let key = base64::engine::general_purpose::STANDARD
            .decode(self.token_key.expose().trim())
            .map_err(|_| {
                Error::config("token_key is not base64 (`withings serve --gen-key` prints one)")
            })?;
        if key.len() != 32 {
            return Err(Error::config(format!(
                "token_key is {} bytes once decoded, it must be 32 (`withings serve --gen-key` prints one)",
                key.len()
            )));
        }
        check_origin(&self.server.public_url, "server.public_url")?;
        for (url, key) in [
            (&self.withings.base_url, "withings.base_url"),
            (&self.withings.account_url, "withings.account_url"),
        ] {
            if let Some(url) = url {
                check_origin(url.trim_end_matches('/'), key)?;
            }
        }
        if self.withings.scopes.is_empty() {
            return Err(Error::config("withings.scopes is empty"));
        }
        if self.database.max_connections == 0 {
            return Err(Error::config("database.max_connections must be at least 1"));
        }
        if self.rate_limit.requests == 0 || self.rate_limit.period.is_zero() {
            return Err(Error::config(
                "rate_limit.requests and rate_limit.period must be more than 0",
            ));
        }
        if self.queue_cap < 1 {
            return Err(Error::config("queue_cap must be at least 1"));
        }
        if self.worker.max_attempts < 1 || self.worker.jobs_in_flight == 0 {
            return Err(Error::config(
                "worker.max_attempts and worker.jobs_in_flight must be at least 1",
            ));
        }
        if self.worker.lease < Duration::from_secs(1) {
            return Err(Error::config("worker.lease must be at least 1s"));
        }
        if self.worker.heartbeat.is_zero() || self.worker.heartbeat >= self.worker.lease {
            return Err(Error::config(
                "worker.heartbeat must be more than 0 and shorter than worker.lease",
            ));
        }
        if self.server.max_body < 256 {
            return Err(Error::config("server.max_body must be at least 256 bytes"));
        }
        Ok(())
    }

    /// `<public_url>/oauth/callback`: the redirect URI (register exactly this with Withings).
    #[must_use]
    pub fn redirect_url(&self) -> String {
        format!("{}/oauth/callback", self.server.public_url)
    }

    /// `<public_url>/notify/<notify_secret>`: the notification callback URL that the
    /// server serves and the reconciler subscribes. It holds the secret: never log it.
    #[must_use]
    pub fn callback_url(&self) -> Secret {
        Secret::new(format!(
            "{}/notify/{}",
            self.server.public_url,
            self.server.notify_secret.expose()
        ))
    }

    /// The application-wide limiter every client of this process uses: `requests` per
    /// `period` plus `margin`, booked in PostgreSQL, so every process of the fleet shares it.
    #[must_use]
    pub fn limiter(&self, fleet: &Fleet) -> PgLimiter {
        fleet
            .limiter(self.rate_limit.requests, self.rate_limit.period)
            .with_margin(self.rate_limit.margin)
    }

    /// The redirect URI as a checked [`CallbackUrl`]: Withings' rules for an https public
    /// URL; any http(s) URL for a loopback one (tests, the sandbox).
    ///
    /// # Errors
    /// [`Error::Config`] naming the rule `server.public_url` breaks.
    pub fn redirect_callback(&self) -> Result<CallbackUrl> {
        checked_callback(&self.redirect_url()).map_err(|rule| {
            Error::config(format!(
                "server.public_url: the redirect URI {} breaks Withings' rules: {}",
                self.redirect_url(),
                rule.explain()
            ))
        })
    }

    /// The notification callback URL as a checked [`CallbackUrl`] (for `notify subscribe`).
    /// It holds the secret: never log it (its `Debug` shows it).
    ///
    /// # Errors
    /// [`Error::Config`] naming the rule broken (without the URL, which holds the secret).
    pub fn notify_callback(&self) -> Result<CallbackUrl> {
        checked_callback(self.callback_url().expose()).map_err(|rule| {
            Error::config(format!(
                "server.public_url: the notification URL (<public_url>/notify/<secret>) breaks \
                 Withings' rules: {}",
                rule.explain()
            ))
        })
    }

    /// A façade client builder with the app's credentials (redirect URI included) and the
    /// configured API and account URLs; add a token store and [`limiter`](Self::limiter).
    ///
    /// # Errors
    /// As [`redirect_callback`](Self::redirect_callback).
    pub fn client_builder(&self) -> Result<ClientBuilder> {
        let credentials = AppCredentials::new(
            self.withings.client_id.clone(),
            self.withings.client_secret.clone(),
        )
        .with_redirect_uri(self.redirect_callback()?);
        let mut builder = Client::builder()
            .credentials(credentials)
            .refresh_margin(self.worker.refresh_margin);
        if let Some(url) = &self.withings.base_url {
            builder = builder.base_url(url.trim_end_matches('/'));
        }
        if let Some(url) = &self.withings.account_url {
            builder = builder.account_url(url.trim_end_matches('/'));
        }
        Ok(builder)
    }

    /// Connects to the database, brings its tables to this build's version (under an
    /// advisory lock: processes starting together migrate once) and opens the token key.
    ///
    /// # Errors
    /// [`Error::Postgres`] when the database is unreachable or the key is refused.
    pub async fn open_fleet(&self) -> Result<Fleet> {
        let cipher = Cipher::from_base64(self.token_key.expose().trim())?;
        let db =
            Database::connect(self.database.url.expose(), self.database.max_connections).await?;
        db.migrate().await?;
        Ok(Fleet::new(db, cipher))
    }
}

/// A fresh notification path secret: 32 random bytes from the OS (256 bits), base64url
/// without padding (43 characters, all valid in a URL path).
///
/// # Errors
/// [`Error::Config`] when the OS gives no random bytes.
pub fn generate_notify_secret() -> Result<Secret> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| {
        Error::config(format!(
            "no OS random source for the notification secret: {e}"
        ))
    })?;
    Ok(Secret::new(
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
    ))
}

/// A fresh token key (32 random bytes, base64), the form `token_key` takes.
///
/// # Errors
/// [`Error::Postgres`] when the OS gives no random bytes.
pub fn generate_token_key() -> Result<Secret> {
    Ok(Secret::new(Cipher::generate_base64()?))
}

/// Withings' rules, or any http(s) URL when the host is loopback (the rules forbid it, and
/// only a restricted app or the sandbox can use one).
fn checked_callback(url: &str) -> std::result::Result<CallbackUrl, withings::UrlRule> {
    match CallbackUrl::parse(url) {
        Ok(u) => Ok(u),
        Err(rule) if is_loopback_url(url) => CallbackUrl::restricted(url).map_err(|_| rule),
        Err(rule) => Err(rule),
    }
}

fn is_loopback_url(url: &str) -> bool {
    url.parse::<http::Uri>()
        .ok()
        .and_then(|u| u.host().map(is_loopback_host))
        .unwrap_or(false)
}

fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `https://host[:port]` without a path, or `http://` to a loopback host (tests, sandbox).
fn check_origin(url: &str, key: &str) -> Result<()> {
    let uri: http::Uri = url
        .parse()
        .map_err(|_| Error::config(format!("{key}: `{url}` is not a URL")))?;
    let host = uri
        .host()
        .ok_or_else(|| Error::config(format!("{key}: `{url}` has no host")))?;
    let loopback = is_loopback_host(host);
    match uri.scheme_str() {
        Some("https") => {}
        Some("http") if loopback => {}
        _ => {
            return Err(Error::config(format!(
                "{key}: `{url}` must be https (plain http only to a loopback address)"
            )));
        }
    }
    if uri
        .path_and_query()
        .is_some_and(|p| p.as_str() != "/" && !p.as_str().is_empty())
    {
        return Err(Error::config(format!(
            "{key}: `{url}` must be an origin (scheme, host, port) without a path"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_with_their_units() {
        assert_eq!(parse_duration("1050ms"), Ok(Duration::from_millis(1050)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert!(
            parse_duration("5 weeks")
                .unwrap_err()
                .contains("unknown unit")
        );
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
    }

    #[test]
    fn networks_contain_their_addresses_only() {
        let net: IpNet = "203.0.113.0/24".parse().unwrap();
        assert!(net.contains("203.0.113.77".parse().unwrap()));
        assert!(!net.contains("203.0.114.1".parse().unwrap()));
        assert!(net.contains("::ffff:203.0.113.5".parse().unwrap()));
        let one: IpNet = "198.51.100.7".parse().unwrap();
        assert!(one.contains("198.51.100.7".parse().unwrap()));
        assert!(!one.contains("198.51.100.8".parse().unwrap()));
        let v6: IpNet = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains("2001:db8:1::1".parse().unwrap()));
        assert!(!v6.contains("2001:db9::1".parse().unwrap()));
        assert!(!v6.contains("203.0.113.77".parse().unwrap()));
        let all: IpNet = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("192.0.2.1".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<IpNet>().is_err());
        assert!("not-an-ip".parse::<IpNet>().is_err());
    }
}
