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
mod cli;
mod config;
mod data;
mod demo;
mod error;
mod logging;
mod output;
mod raw;
mod serve;
mod window;

use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind as ClapKind;
use jiff::Timestamp;

use crate::app::{ClientSpec, Ctx, require_token};
use crate::cli::{Cli, Command, NotifyCommand};
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
            let first = rendered
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("error: invalid arguments");
            let first = first.strip_prefix("error: ").unwrap_or(first);
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
        Command::Sandbox(args) => serve::run(&args, &mut out).await,
        Command::Demo(_) => demo::run(&g, now(), &mut out).await,
        Command::Auth(args) => {
            let stdin = io::stdin();
            let interactive = stdin.is_terminal();
            let mut input = stdin.lock();
            let mut err = io::stderr();
            auth::run(&g, &args, &mut input, interactive, &mut out, &mut err).await
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
                Command::Meas(a) => data::meas(&ctx, &a.types, &a.window).await?,
                Command::Activity(w) => data::activity(&ctx, &w).await?,
                Command::Intraday(w) => data::intraday(&ctx, &w).await?,
                Command::Workouts(w) => data::workouts(&ctx, &w).await?,
                Command::Sleep(w) => data::sleep(&ctx, &w).await?,
                Command::SleepSummary(w) => data::sleep_summary(&ctx, &w).await?,
                Command::Heart(w) => data::heart(&ctx, &w).await?,
                Command::Devices => data::devices(&ctx).await?,
                Command::Goals => data::goals(&ctx).await?,
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
                Command::Raw(args) => {
                    raw::run(&ctx, args, &mut out).await?;
                    return out.flush().or_else(ignore_pipe);
                }
                Command::Sandbox(_) | Command::Demo(_) | Command::Auth(_) => {
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
