//! The command line, as clap sees it.
// The doc comments below are the `--help` text, where plain URLs read best.
#![allow(rustdoc::bare_urls)]

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use jiff::SignedDuration;
use jiff::tz::TimeZone;
use withings::http::ClientSecret;
use withings::model::Service;
use withings::model::measure::MeasureType;
use withings::model::notify::Appli;

use crate::error::EXIT_CODES_HELP;
use crate::output::Format;
use crate::window::{When, parse_since, parse_tz, parse_when};

/// Authorize, fetch and print your Withings data. `withings demo` shows the whole flow
/// offline, against a built-in sandbox.
#[derive(Debug, Parser)]
#[command(name = "withings", version, after_help = EXIT_CODES_HELP)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options every command takes.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub(crate) struct Global {
    /// API base URL [default: https://wbsapi.withings.net; env WITHINGS_BASE_URL]. Point it at
    /// a sandbox, e.g. http://127.0.0.1:8088.
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) base_url: Option<String>,
    /// Host of the authorize page [default: the --base-url if given, else
    /// https://account.withings.com].
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) account_url: Option<String>,
    /// Token file [default: $XDG_CONFIG_HOME/withings/token.json or
    /// ~/.config/withings/token.json; env WITHINGS_TOKEN_FILE].
    #[arg(long, global = true, value_name = "PATH")]
    pub(crate) token_file: Option<PathBuf>,
    /// Config file of `key: value` lines [default: config.yaml beside the token; env
    /// WITHINGS_CONFIG]. The Go client's ./.test_settings.yaml (CID, Secret, RedirectURL) is
    /// read only when no flag, WITHINGS_* variable or config file gives any credential; then
    /// all three come from it, never mixed with other sources, and stderr says so.
    #[arg(long, global = true, value_name = "PATH")]
    pub(crate) config: Option<PathBuf>,
    /// The app's client id [env WITHINGS_CLIENT_ID].
    #[arg(long, global = true, value_name = "ID")]
    pub(crate) client_id: Option<String>,
    /// The app's client secret [env WITHINGS_CLIENT_SECRET; prefer the environment or the
    /// config file: flags show in the process list].
    #[arg(long, global = true, value_name = "SECRET", value_parser = parse_secret)]
    pub(crate) client_secret: Option<ClientSecret>,
    /// The app's registered callback URL [env WITHINGS_REDIRECT_URL].
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) redirect_url: Option<String>,
    /// Output format: an aligned table, or exact json / csv with stable columns.
    #[arg(long, global = true, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
    /// Show times in this IANA zone [default: the zone the API reports for each record; the
    /// system zone where it reports none].
    #[arg(long, global = true, value_name = "ZONE", value_parser = parse_tz)]
    pub(crate) tz: Option<TimeZone>,
    /// Log each API call on stderr (service, action, attempt, status, latency); -vv adds
    /// retries, waits and connections [env RUST_LOG for finer filters].
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
    /// How long one call may wait out Withings' rate limit (status 601) in all, in seconds,
    /// before the command gives up with the wait Withings asked for; 0 never waits.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 120)]
    pub(crate) max_wait: u64,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Authorize this tool: open the printed URL, allow, paste the URL you land on.
    Auth(AuthArgs),
    /// Body measures: weight, fat, blood pressure… (getmeas; default: the last 30 days).
    Meas(MeasArgs),
    /// Daily activity: steps, distance, calories (getactivity; default: the last 7 days).
    Activity(WindowArgs),
    /// Intraday activity samples (getintradayactivity, 24 h per call; default: the last 24 h).
    Intraday(WindowArgs),
    /// Workouts (getworkouts; default: the last 30 days).
    Workouts(WindowArgs),
    /// Sleep segments: light, deep, REM, awake (sleep get, 24 h per call; default: the last 24 h).
    Sleep(WindowArgs),
    /// One line per night (sleep getsummary; default: the last 7 days).
    SleepSummary(WindowArgs),
    /// ECG recordings (heart list; default: the last 365 days).
    Heart(WindowArgs),
    /// Devices linked to the account (getdevice).
    Devices,
    /// Goals: steps, sleep, weight (getgoals).
    Goals,
    /// Notification subscriptions.
    #[command(subcommand)]
    Notify(NotifyCommand),
    /// Any action: `withings raw v2/user getdevice`, `withings raw measure getmeas meastypes=1`.
    Raw(RawArgs),
    /// Run the offline sandbox in the foreground (Ctrl-C stops it).
    Sandbox(SandboxArgs),
    /// The whole flow against an in-process sandbox: auth, weight, activity, sleep.
    Demo(DemoArgs),
}

/// `withings auth`.
#[derive(Debug, Clone, Args)]
pub(crate) struct AuthArgs {
    /// Scopes to ask for, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "user.info,user.metrics,user.activity",
        value_parser = ["user.info", "user.metrics", "user.activity", "user.sleepevents"]
    )]
    pub(crate) scopes: Vec<String>,
    /// Log in as Withings' demo user (`mode=demo`).
    #[arg(long)]
    pub(crate) demo_user: bool,
    /// The app is in Withings' restricted mode: accept any http(s) redirect URL (localhost,
    /// IP addresses, other ports).
    #[arg(long)]
    pub(crate) restricted: bool,
}

/// A window of time; the default look-back depends on the command.
#[derive(Debug, Clone, Args)]
pub(crate) struct WindowArgs {
    /// How far back from now (or from --to): 48h, 7d, 30m, 2w.
    #[arg(long, value_name = "AGE", value_parser = parse_since, conflicts_with = "from")]
    pub(crate) since: Option<SignedDuration>,
    /// Start: 2024-06-01, 2024-06-01T07:00 (in --tz or the system zone), or RFC 3339.
    #[arg(long, value_name = "WHEN", value_parser = parse_when)]
    pub(crate) from: Option<When>,
    /// End (a bare date includes the whole day) [default: now].
    #[arg(long, value_name = "WHEN", value_parser = parse_when)]
    pub(crate) to: Option<When>,
}

/// `withings meas`.
#[derive(Debug, Clone, Args)]
pub(crate) struct MeasArgs {
    /// Measure types by name or code, comma-separated: weight,fat_ratio or 1,6 [default: all].
    #[arg(long, value_delimiter = ',', value_name = "TYPES", value_parser = parse_meastype)]
    pub(crate) types: Vec<MeasureType>,
    #[command(flatten)]
    pub(crate) window: WindowArgs,
}

/// `withings notify …`.
#[derive(Debug, Clone, Subcommand)]
pub(crate) enum NotifyCommand {
    /// The subscriptions of this user.
    List {
        /// Only this category (name or code: weight, sleep, 44…).
        #[arg(long, value_parser = parse_appli)]
        appli: Option<Appli>,
    },
    /// Send notifications of a category to a URL.
    Subscribe {
        /// The URL Withings will POST to.
        #[arg(long, value_name = "URL")]
        callback_url: String,
        /// The category (name or code).
        #[arg(long, value_parser = parse_appli)]
        appli: Appli,
        /// A label for the subscription.
        #[arg(long)]
        comment: Option<String>,
        /// The app is in Withings' restricted mode: accept any http(s) callback URL
        /// (localhost, IP addresses, other ports).
        #[arg(long)]
        restricted: bool,
    },
    /// Stop notifications to a URL.
    Revoke {
        /// The subscribed URL.
        #[arg(long, value_name = "URL")]
        callback_url: String,
        /// Only this category [default: every category of that URL].
        #[arg(long, value_parser = parse_appli)]
        appli: Option<Appli>,
    },
}

/// `withings raw`.
#[derive(Debug, Clone, Args)]
pub(crate) struct RawArgs {
    /// Service path or name: measure, v2/measure, sleep, heart, stetho, user, notify, or any
    /// other path (v2/rawdata, v2/dropshipment…).
    #[arg(value_parser = parse_service)]
    pub(crate) service: Service,
    /// The action, e.g. getdevice.
    pub(crate) action: String,
    /// Parameters as key=value.
    #[arg(value_parser = parse_param)]
    pub(crate) params: Vec<(String, String)>,
    /// Sign the call (client_id, a fresh nonce and its signature) instead of sending the
    /// user's token: partner actions need it. Needs the app's credentials.
    #[arg(long)]
    pub(crate) signed: bool,
}

/// `withings sandbox`.
#[derive(Debug, Clone, Args)]
pub(crate) struct SandboxArgs {
    /// Address to listen on (loopback; port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8088")]
    pub(crate) addr: SocketAddr,
    /// Do not refuse identical requests within 10 s (status 601).
    #[arg(long)]
    pub(crate) no_rate_limit: bool,
    /// Seed of the demo data.
    #[arg(long)]
    pub(crate) seed: Option<u64>,
}

/// `withings demo`.
#[derive(Debug, Clone, Args)]
pub(crate) struct DemoArgs {}

fn parse_meastype(s: &str) -> Result<MeasureType, String> {
    s.parse::<MeasureType>().map_err(|_| {
        format!("unknown measure type `{s}`: use a name such as weight, fat_ratio, heart_pulse, or a code such as 1")
    })
}

fn parse_appli(s: &str) -> Result<Appli, String> {
    s.parse::<Appli>().map_err(|_| {
        format!("unknown notification category `{s}`: use weight, temperature, blood_pressure, activity, sleep, user, bed_in, bed_out, ecg, … or a code")
    })
}

fn parse_service(s: &str) -> Result<Service, String> {
    match Service::other(s) {
        Ok(Service::OAuth2 | Service::Signature) => Err(format!(
            "`{s}` handles tokens and signatures: use `withings auth` instead"
        )),
        Ok(svc) => Ok(svc),
        Err(e) => Err(e.to_string()),
    }
}

fn parse_param(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.to_owned())),
        _ => Err(format!("`{s}` is not key=value")),
    }
}

/// `--client-secret`, kept as a [`ClientSecret`] so that `Debug` of the parsed command line
/// shows no secret.
fn parse_secret(s: &str) -> Result<ClientSecret, std::convert::Infallible> {
    Ok(ClientSecret::new(s))
}
