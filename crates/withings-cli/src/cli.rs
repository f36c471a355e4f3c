//! The command line, as clap sees it.
// The doc comments below are the `--help` text, where plain URLs read best.
#![allow(rustdoc::bare_urls)]

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand};
use jiff::SignedDuration;
use jiff::tz::TimeZone;
use withings::decode::query::attribution::AmbiguousPolicy;
use withings::decode::units::UnitSystem;
use withings::http::ClientSecret;
use withings::model::Service;
use withings::model::activity::{ActivityField, IntradayField};
use withings::model::measure::MeasureType;
use withings::model::notify::Appli;
use withings::model::sleep::{SleepField, SleepSummaryField};
use withings::model::workout::WorkoutField;

use crate::error::EXIT_CODES_HELP;
use crate::output::Format;
use crate::window::{Updated, When, parse_since, parse_tz, parse_updated, parse_when};

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
    /// The latest value of each measure type (and position): one row each, from your own
    /// real measures (getmeas; default: the whole history).
    Latest(LatestArgs),
    /// Daily activity: steps, distance, calories (getactivity; default: the last 7 days).
    Activity(ActivityArgs),
    /// Intraday activity samples (getintradayactivity, 24 h per call; default: the last 24 h).
    Intraday(IntradayArgs),
    /// Workouts (getworkouts; default: the last 30 days).
    Workouts(WorkoutsArgs),
    /// Sleep segments: light, deep, REM, awake (sleep get, 24 h per call; default: the last 24 h).
    Sleep(SleepArgs),
    /// One line per night (sleep getsummary; default: the last 7 days).
    SleepSummary(SleepSummaryArgs),
    /// ECG recordings (heart list; default: the last 365 days); `heart get <SIGNALID>`: one
    /// recording's signal.
    Heart(HeartArgs),
    /// Stethoscope recordings: `stetho list`, `stetho get <SIGNALID>`.
    #[command(subcommand)]
    Stetho(StethoCommand),
    /// Say whether an ambiguous measure group (attrib 1) is yours (v2/measure confirmuser).
    #[command(name = "confirmuser")]
    ConfirmUser(ConfirmUserArgs),
    /// Devices linked to the account (getdevice).
    Devices,
    /// Goals: steps, sleep, weight (getgoals).
    Goals(UnitsArgs),
    /// Notification subscriptions.
    #[command(subcommand)]
    Notify(NotifyCommand),
    /// The app's grant (signed calls): `oauth2 revoke`, `oauth2 demo-access`.
    #[command(subcommand, name = "oauth2")]
    OAuth2(OAuth2Command),
    /// Any action: `withings raw v2/user getdevice`, `withings raw measure getmeas meastypes=1`.
    Raw(RawArgs),
    /// Run the offline sandbox in the foreground (Ctrl-C stops it).
    Sandbox(SandboxArgs),
    /// The whole flow against an in-process sandbox: auth, weight, activity, sleep.
    Demo(DemoArgs),
    /// Sync your history into a local database (SQLite), fetching only what changed.
    Sync(crate::sync::SyncArgs),
    /// Print a table of the local database as csv (default) or --format json, offline.
    Export(crate::export::ExportArgs),
    /// Draw the local database as an SVG chart, offline: weight, body-fat, sleep, steps,
    /// heart-rate.
    Chart(crate::chart::ChartArgs),
    /// Write one self-contained HTML page of charts and latest values, offline.
    Report(crate::chart::ReportArgs),
    /// The fleet's web server: user onboarding (/connect, /oauth/callback), Withings'
    /// notification callback, /healthz and /readyz, until SIGTERM/SIGINT. Reads the fleet's
    /// --config file (TOML) and WITHINGS_* variables; -v shows one line per request.
    Serve(crate::fleet_serve::ServeArgs),
    /// A fleet worker: claims jobs from the shared PostgreSQL queue and syncs the users they
    /// name, until SIGTERM/SIGINT (then finishes or releases its jobs). Reads the fleet's
    /// --config file (TOML) and WITHINGS_* variables.
    Worker(crate::fleet_worker::WorkerArgs),
    /// The fleet's job queue: jobs with their state, attempts and last error (parked jobs need
    /// a person), or --counts per state.
    Jobs(crate::fleet_worker::JobsArgs),
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
#[derive(Debug, Clone, Default, Args)]
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
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct MeasArgs {
    /// Measure types by name or code, comma-separated: weight,fat_ratio or 1,6 [default: all].
    #[arg(long, value_delimiter = ',', value_name = "TYPES", value_parser = parse_meastype)]
    pub(crate) types: Vec<MeasureType>,
    /// Real measurements, objectives (the targets you set, e.g. a goal weight), or all
    /// [default: real].
    #[arg(long, value_name = "CATEGORY", value_parser = parse_category, default_value = "real")]
    pub(crate) category: CategoryArg,
    #[command(flatten)]
    pub(crate) updated: UpdatedArgs,
    #[command(flatten)]
    pub(crate) units: UnitsArgs,
    #[command(flatten)]
    pub(crate) window: WindowArgs,
}

/// `--units`, on the commands that print masses, lengths or temperatures.
#[derive(Debug, Clone, Copy, Default, Args)]
pub(crate) struct UnitsArgs {
    /// metric: the API's units (kg, m, °C); imperial: lb, in, mi, °F. A converted value that
    /// is not exact is rounded to 2 decimals (miles to 3); json and csv say which in `exact`
    /// where there is one, and columns named with a unit change name (distance_mi).
    #[arg(long, value_name = "SYSTEM", value_parser = parse_units, default_value = "metric")]
    pub(crate) units: UnitSystem,
}

/// `withings latest`.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct LatestArgs {
    /// Measure types by name or code, comma-separated [default: all].
    #[arg(long, value_delimiter = ',', value_name = "TYPES", value_parser = parse_meastype)]
    pub(crate) types: Vec<MeasureType>,
    /// Groups that may be someone else's (attrib 1, a weigh-in the scale could not
    /// attribute): skip them, include them, or take only them.
    #[arg(long, value_name = "POLICY", value_parser = parse_ambiguous, default_value = "skip")]
    pub(crate) ambiguous: AmbiguousPolicy,
    #[command(flatten)]
    pub(crate) units: UnitsArgs,
    #[command(flatten)]
    pub(crate) window: WindowArgs,
}

/// `meas --category`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum CategoryArg {
    /// Real measurements (category 1).
    #[default]
    Real,
    /// Objectives (category 2).
    Objective,
    /// Both: no `category` is sent.
    All,
}

/// `--updated-since`, on the commands whose action takes `lastupdate`.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct UpdatedArgs {
    /// Instead of a window: what was created or modified after this (`lastupdate`), a
    /// date or time like --from (2024-06-01, 2024-06-01T07:00, RFC 3339) or an age (7d, 48h).
    #[arg(long, value_name = "WHEN", value_parser = parse_updated, conflicts_with_all = ["since", "from", "to"])]
    pub(crate) updated_since: Option<Updated>,
}

/// `withings activity`.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct ActivityArgs {
    /// Only these fields, comma-separated (steps,distance,…) [default: the API's set].
    #[arg(long, value_delimiter = ',', value_name = "FIELDS", value_parser = activity_field)]
    pub(crate) data_fields: Vec<ActivityField>,
    #[command(flatten)]
    pub(crate) updated: UpdatedArgs,
    #[command(flatten)]
    pub(crate) units: UnitsArgs,
    #[command(flatten)]
    pub(crate) window: WindowArgs,
}

/// `withings intraday`.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct IntradayArgs {
    /// Only these fields, comma-separated (steps,heart_rate,…) [default: all].
    #[arg(long, value_delimiter = ',', value_name = "FIELDS", value_parser = intraday_field)]
    pub(crate) data_fields: Vec<IntradayField>,
    #[command(flatten)]
    pub(crate) units: UnitsArgs,
    #[command(flatten)]
    pub(crate) window: WindowArgs,
}

/// `withings workouts`.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct WorkoutsArgs {
    /// Only these fields, comma-separated (calories,steps,…) [default: the API's set].
    #[arg(long, value_delimiter = ',', value_name = "FIELDS", value_parser = workout_field)]
    pub(crate) data_fields: Vec<WorkoutField>,
    #[command(flatten)]
    pub(crate) updated: UpdatedArgs,
    #[command(flatten)]
    pub(crate) units: UnitsArgs,
    #[command(flatten)]
    pub(crate) window: WindowArgs,
}

/// `withings sleep`.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct SleepArgs {
    /// Only these series, comma-separated (hr,rr,…) [default: all].
    #[arg(long, value_delimiter = ',', value_name = "FIELDS", value_parser = sleep_field)]
    pub(crate) data_fields: Vec<SleepField>,
    #[command(flatten)]
    pub(crate) window: WindowArgs,
}

/// `withings sleep-summary`.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct SleepSummaryArgs {
    /// Only these fields, comma-separated (total_timeinbed,sleep_score,…) [default: all].
    #[arg(long, value_delimiter = ',', value_name = "FIELDS", value_parser = sleep_summary_field)]
    pub(crate) data_fields: Vec<SleepSummaryField>,
    #[command(flatten)]
    pub(crate) updated: UpdatedArgs,
    #[command(flatten)]
    pub(crate) window: WindowArgs,
}

/// `withings heart [list] [window]` or `withings heart get <SIGNALID>`.
#[derive(Debug, Clone, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct HeartArgs {
    #[command(subcommand)]
    pub(crate) command: Option<HeartCommand>,
    #[command(flatten)]
    pub(crate) window: WindowArgs,
}

/// `withings heart …`.
#[derive(Debug, Clone, Subcommand)]
pub(crate) enum HeartCommand {
    /// ECG recordings (what `withings heart` lists).
    List(WindowArgs),
    /// One ECG signal (heart get): the table shows a summary and the sample count; json and
    /// csv give every sample (µV).
    Get(SignalArgs),
}

/// `withings stetho …`.
#[derive(Debug, Clone, Subcommand)]
pub(crate) enum StethoCommand {
    /// Stethoscope recordings (stetho list; default: the last 365 days).
    List(WindowArgs),
    /// One stethoscope signal (stetho get): the table shows a summary and the sample count;
    /// json and csv give every sample.
    Get(SignalArgs),
}

/// A recording's signal.
#[derive(Debug, Clone, Args)]
pub(crate) struct SignalArgs {
    /// The signal id (the `signal_id` column of the list).
    #[arg(value_name = "SIGNALID")]
    pub(crate) signalid: i64,
}

/// `withings confirmuser`.
#[derive(Debug, Clone, Args)]
#[command(group(ArgGroup::new("answer").required(true).args(["confirm", "reject"])))]
pub(crate) struct ConfirmUserArgs {
    /// The measure group (the `grpid` column of `withings meas`).
    #[arg(value_name = "GRPID")]
    pub(crate) grpid: i64,
    /// The group is yours.
    #[arg(long)]
    pub(crate) confirm: bool,
    /// The group is someone else's.
    #[arg(long)]
    pub(crate) reject: bool,
}

/// `withings oauth2 …`.
#[derive(Debug, Clone, Subcommand)]
pub(crate) enum OAuth2Command {
    /// Revoke the stored grant: Withings invalidates the user's tokens and drops their
    /// notification subscriptions; the token file is then removed. Needs the app's
    /// credentials (a signed call).
    Revoke,
    /// Tokens for Withings' demo account (getdemoaccess, signed), saved to the token file as
    /// `withings auth` would. Needs the app's credentials.
    DemoAccess(DemoAccessArgs),
}

/// `withings oauth2 demo-access`.
#[derive(Debug, Clone, Args)]
pub(crate) struct DemoAccessArgs {
    /// Scopes to ask for, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "user.info,user.metrics,user.activity",
        value_parser = ["user.info", "user.metrics", "user.activity", "user.sleepevents"]
    )]
    pub(crate) scopes: Vec<String>,
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
    /// One subscription: the category of a URL (notify get).
    Get {
        /// The subscribed URL.
        #[arg(long, value_name = "URL")]
        callback_url: String,
        /// The category [default: Withings' default, weight].
        #[arg(long, value_parser = parse_appli)]
        appli: Option<Appli>,
    },
    /// Change one thing of a subscription: its URL, its category or its comment (notify
    /// update).
    #[command(group(ArgGroup::new("change").required(true).args(["new_callback_url", "new_appli", "comment"])))]
    Update {
        /// The subscribed URL.
        #[arg(long, value_name = "URL")]
        callback_url: String,
        /// The category of the subscription to change.
        #[arg(long, value_parser = parse_appli)]
        appli: Appli,
        /// The new URL (checked as `notify subscribe` checks it).
        #[arg(long, value_name = "URL")]
        new_callback_url: Option<String>,
        /// The new category.
        #[arg(long, value_parser = parse_appli)]
        new_appli: Option<Appli>,
        /// The new label.
        #[arg(long)]
        comment: Option<String>,
        /// The app is in Withings' restricted mode: accept any http(s) new URL.
        #[arg(long, requires = "new_callback_url")]
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

fn parse_units(s: &str) -> Result<UnitSystem, String> {
    s.parse::<UnitSystem>()
        .map_err(|_| format!("unknown unit system `{s}`: use metric or imperial"))
}

fn parse_ambiguous(s: &str) -> Result<AmbiguousPolicy, String> {
    s.parse::<AmbiguousPolicy>()
        .map_err(|_| format!("unknown policy `{s}`: use skip, include or only"))
}

fn parse_category(s: &str) -> Result<CategoryArg, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "real" | "1" => Ok(CategoryArg::Real),
        "objective" | "objectives" | "2" => Ok(CategoryArg::Objective),
        "all" => Ok(CategoryArg::All),
        _ => Err(format!(
            "unknown category `{s}`: use real, objective or all"
        )),
    }
}

/// A `data_fields` name of one action: one of `all`, by its wire name (any letter case).
fn parse_field<F: Copy + std::fmt::Display + std::str::FromStr>(
    s: &str,
    all: &[F],
    action: &str,
) -> Result<F, String> {
    s.parse::<F>().map_err(|_| {
        let names: Vec<String> = all.iter().map(ToString::to_string).collect();
        format!(
            "unknown data field `{}` for {action}: the valid ones are {}",
            s.trim(),
            names.join(", ")
        )
    })
}

fn activity_field(s: &str) -> Result<ActivityField, String> {
    parse_field(s, ActivityField::ALL, "getactivity")
}

fn intraday_field(s: &str) -> Result<IntradayField, String> {
    parse_field(s, IntradayField::ALL, "getintradayactivity")
}

fn workout_field(s: &str) -> Result<WorkoutField, String> {
    parse_field(s, WorkoutField::ALL, "getworkouts")
}

fn sleep_field(s: &str) -> Result<SleepField, String> {
    parse_field(s, SleepField::ALL, "sleep get")
}

fn sleep_summary_field(s: &str) -> Result<SleepSummaryField, String> {
    parse_field(s, SleepSummaryField::ALL, "sleep getsummary")
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
