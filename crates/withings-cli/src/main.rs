//! The `withings` command: authorize, fetch and print Withings data; an offline sandbox and
//! demo.
//!
//! ```text
//! withings demo                          # the whole flow, offline
//! withings auth                          # once: authorize, token saved 0600
//! withings meas --types weight --since 30d --format csv
//! withings sleep-summary --since 7d --tz Asia/Tokyo
//! withings raw v2/user getdevice --format json
//! withings sandbox                       # a stand-in API on 127.0.0.1:8088
//! withings -v devices                    # one stderr line per API call (-vv: debug)
//! ```
//!
//! Errors print one line (`error: what went wrong: what to do`) and exit with a code that
//! says which kind of failure it was (see [`error`]).

mod app;
mod auth;
mod chart;
mod cli;
mod config;
mod data;
mod demo;
mod error;
mod export;
mod fleet_serve;
mod fleet_worker;
mod logging;
mod oauth2;
mod output;
mod raw;
mod sandbox;
mod sync;
mod window;

use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind as ClapKind;
use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::app::{ClientSpec, Ctx, require_token};
use crate::cli::{Cli, Command, HeartCommand, NotifyCommand, OAuth2Command, StethoCommand};
use crate::config::Settings;
use crate::error::{Exit, Failure};
use crate::output::Table;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage(&e),
    };
    logging::init(cli.global.verbose);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&Failure::other(format!("cannot start the runtime: {e}"))),
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => fail(&f),
    }
}

/// Help and version go to stdout as clap prints them; usage errors become one line.
fn usage(e: &clap::Error) -> ExitCode {
    match e.kind() {
        ClapKind::DisplayHelp | ClapKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        _ => {
            let rendered = e.render().to_string();
            let mut lines = rendered.lines().skip_while(|l| l.trim().is_empty());
            let first = lines.next().unwrap_or("error: invalid arguments");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            // "the following required arguments were not provided:" lists them on the
            // indented lines below: they go on the one line.
            let listed: Vec<&str> = if first.ends_with(':') {
                lines
                    .take_while(|l| l.starts_with(' '))
                    .map(str::trim)
                    .collect()
            } else {
                Vec::new()
            };
            let first = if listed.is_empty() {
                first.to_owned()
            } else {
                format!("{first} {}", listed.join(", "))
            };
            let hint = if matches!(
                e.kind(),
                ClapKind::DisplayHelpOnMissingArgumentOrSubcommand | ClapKind::MissingSubcommand
            ) {
                "; try `withings demo`, or see `withings --help`"
            } else {
                "; see `withings --help` (or `withings <command> --help`)"
            };
            fail(&Failure::new(Exit::Usage, format!("{first}{hint}")))
        }
    }
}

fn fail(f: &Failure) -> ExitCode {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "error: {}", f.message);
    ExitCode::from(f.exit.code())
}

/// The one read of the wall clock: windows (`--since 7d`) count back from it.
#[allow(clippy::disallowed_methods)]
fn now() -> Timestamp {
    Timestamp::now()
}

/// Writes a table; a closed pipe (`withings meas | head`) is not an error.
fn emit(table: &Table, ctx: &Ctx, out: &mut dyn Write) -> Result<(), Failure> {
    let mut err = io::stderr().lock();
    for w in &table.warnings {
        let _ = writeln!(err, "warning: {w}");
    }
    match table.write(ctx.format, out).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let g = cli.global;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let result = match cli.command {
        Command::Sandbox(args) => sandbox::run(&args, &mut out).await,
        Command::Serve(args) => fleet_serve::run(g.config.as_deref(), &args, &mut out).await,
        Command::Worker(args) => fleet_worker::worker(g.config.as_deref(), &args, &mut out).await,
        Command::Jobs(args) => {
            fleet_worker::jobs(
                g.config.as_deref(),
                &args,
                g.tz.as_ref(),
                g.format,
                &mut out,
            )
            .await
        }
        Command::Demo(_) => demo::run(&g, now(), &mut out).await,
        Command::Export(args) => export::run(&args, g.format, now(), &mut out).await,
        Command::Chart(args) => {
            let tz = g.tz.clone().unwrap_or_else(TimeZone::system);
            chart::chart(&args, &tz, now(), &mut out).await
        }
        Command::Report(args) => {
            let tz = g.tz.clone().unwrap_or_else(TimeZone::system);
            chart::report(&args, &tz, now(), &mut out).await
        }
        Command::Auth(args) => {
            let stdin = io::stdin();
            let interactive = stdin.is_terminal();
            let mut input = stdin.lock();
            let mut err = io::stderr();
            auth::run(&g, &args, &mut input, interactive, &mut out, &mut err).await
        }
        Command::OAuth2(OAuth2Command::Revoke) => oauth2::revoke(&g, &mut out).await,
        Command::OAuth2(OAuth2Command::DemoAccess(args)) => {
            oauth2::demo_access(&g, &args, &mut out).await
        }
        command => {
            let settings = Settings::load(&g)?;
            let credentials = settings.credentials_if_any();
            let has_credentials = credentials.is_some();
            let spec = ClientSpec::from_settings(&settings, credentials)?;
            require_token(&spec.token_file)?;
            let ctx = Ctx {
                client: spec.build()?,
                tz: g.tz.clone(),
                format: g.format,
                now: now(),
                has_credentials,
                max_wait: spec.max_wait,
            };
            let table = match command {
                Command::Meas(a) => data::meas(&ctx, &a).await?,
                Command::Latest(a) => data::latest(&ctx, &a).await?,
                Command::Activity(a) => data::activity(&ctx, &a).await?,
                Command::Intraday(a) => data::intraday(&ctx, &a).await?,
                Command::Workouts(a) => data::workouts(&ctx, &a).await?,
                Command::Sleep(a) => data::sleep(&ctx, &a).await?,
                Command::SleepSummary(a) => data::sleep_summary(&ctx, &a).await?,
                Command::Heart(a) => match a.command {
                    None => data::heart(&ctx, &a.window).await?,
                    Some(HeartCommand::List(w)) => data::heart(&ctx, &w).await?,
                    Some(HeartCommand::Get(s)) => data::heart_get(&ctx, s.signalid).await?,
                },
                Command::Stetho(StethoCommand::List(w)) => data::stetho_list(&ctx, &w).await?,
                Command::Stetho(StethoCommand::Get(s)) => {
                    data::stetho_get(&ctx, s.signalid).await?
                }
                Command::ConfirmUser(a) => data::confirm_user(&ctx, &a).await?,
                Command::Devices => data::devices(&ctx).await?,
                Command::Goals(u) => data::goals(&ctx, u.units).await?,
                Command::Sync(a) => sync::run(&ctx, &a).await?,
                Command::Notify(NotifyCommand::List { appli }) => {
                    data::notify_list(&ctx, appli).await?
                }
                Command::Notify(NotifyCommand::Subscribe {
                    callback_url,
                    appli,
                    comment,
                    restricted,
                }) => {
                    let comment = comment.as_deref();
                    data::notify_subscribe(&ctx, &callback_url, restricted, appli, comment).await?
                }
                Command::Notify(NotifyCommand::Revoke {
                    callback_url,
                    appli,
                }) => data::notify_revoke(&ctx, &callback_url, appli).await?,
                Command::Notify(NotifyCommand::Get {
                    callback_url,
                    appli,
                }) => data::notify_get(&ctx, &callback_url, appli).await?,
                Command::Notify(NotifyCommand::Update {
                    callback_url,
                    appli,
                    new_callback_url,
                    new_appli,
                    comment,
                    restricted,
                }) => {
                    let change = match (new_callback_url, new_appli, comment) {
                        (Some(url), _, _) => data::NotifyChange::CallbackUrl { url, restricted },
                        (None, Some(a), _) => data::NotifyChange::Appli(a),
                        (None, None, Some(c)) => data::NotifyChange::Comment(c),
                        (None, None, None) => {
                            return Err(Failure::other("notify update without a change"));
                        }
                    };
                    data::notify_update(&ctx, &callback_url, appli, change).await?
                }
                Command::Raw(args) => {
                    raw::run(&ctx, args, &mut out).await?;
                    return out.flush().or_else(ignore_pipe);
                }
                Command::Sandbox(_)
                | Command::Demo(_)
                | Command::Auth(_)
                | Command::OAuth2(_)
                | Command::Export(_)
                | Command::Chart(_)
                | Command::Report(_)
                | Command::Serve(_)
                | Command::Worker(_)
                | Command::Jobs(_) => {
                    return Err(Failure::other("unreachable command dispatch"));
                }
            };
            emit(&table, &ctx, &mut out)
        }
    };
    out.flush().or_else(ignore_pipe)?;
    result
}

fn ignore_pipe(e: io::Error) -> Result<(), Failure> {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Ok(())
    } else {
        Err(e.into())
    }
}
