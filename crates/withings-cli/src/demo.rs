//! `withings demo`: the whole flow against an in-process sandbox, as a real user sees it.
//!
//! Each step sends requests that differ from every earlier one (the code exchange, then one
//! window per data command), so the sandbox's "same request within 10 s" rule (status 601)
//! is never hit.

use std::io::Write;
use std::path::PathBuf;

use jiff::{SignedDuration, Timestamp};
use withings::http::{AppCredentials, CallbackUrl};
use withings::model::measure::MeasureType;
use withings_sandbox::Sandbox;
use withings_sync::{DataType, SqliteStore, SyncOptions};

use crate::app::{ClientSpec, Ctx, from_facade};
use crate::auth::{prepare_dir, saved_line, scopes};
use crate::cli::{ActivityArgs, Global, MeasArgs, SleepSummaryArgs, WindowArgs};
use crate::data;
use crate::error::Failure;
use crate::output::Format;
use crate::sandbox::EXAMPLE_REDIRECT;

fn since(hours: i64) -> WindowArgs {
    WindowArgs {
        since: Some(SignedDuration::from_hours(hours)),
        from: None,
        to: None,
    }
}

/// The authorize URL with its `code` hidden: a demo prints what a user sees, not secrets.
fn without_code(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some(("code", _)) => "code=…".to_owned(),
            _ => p.to_owned(),
        })
        .collect();
    format!("{base}?{}", pairs.join("&"))
}

/// A private temporary directory for the demo's token, removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(crate) async fn run(g: &Global, now: Timestamp, out: &mut dyn Write) -> Result<(), Failure> {
    writeln!(
        out,
        "Withings demo: the whole flow against a sandbox on this machine (invented data, no account, no network)."
    )?;
    writeln!(out)?;

    // 90 days: enough for the trends the report draws, and a first sync of a few seconds.
    let sandbox = Sandbox::builder()
        .history_days(DEMO_DAYS)
        .build()
        .start()
        .await
        .map_err(|e| Failure::other(format!("cannot start the sandbox: {e}")))?;
    writeln!(out, "1. Sandbox started at {}", sandbox.base_url())?;

    let (token_file, _temp) = match &g.token_file {
        Some(p) => (p.clone(), None),
        None => {
            let dir = std::env::temp_dir().join(format!("withings-demo-{}", std::process::id()));
            let file = dir.join("token.json");
            (file, Some(TempDir(dir)))
        }
    };
    prepare_dir(&token_file)?;
    let redirect =
        CallbackUrl::parse(EXAMPLE_REDIRECT).map_err(|e| Failure::other(e.to_string()))?;
    let credentials = AppCredentials::new(sandbox.client_id(), sandbox.client_secret())
        .with_redirect_uri(redirect);
    let spec = ClientSpec {
        base_url: Some(sandbox.base_url().to_owned()),
        account_url: None,
        credentials: Some(credentials),
        token_file: token_file.clone(),
        max_wait: std::time::Duration::from_secs(g.max_wait),
    };
    let client = spec.build()?;

    let pending = client
        .authorize(&scopes(&[
            "user.info".into(),
            "user.metrics".into(),
            "user.activity".into(),
        ]))
        .map_err(|e| from_facade(&e))?;
    writeln!(
        out,
        "2. `withings auth` prints the URL to open in a browser, where you log in and allow access:"
    )?;
    writeln!(out, "   {}", pending.url())?;
    let landed = sandbox
        .approve(pending.url())
        .map_err(|e| Failure::other(format!("the sandbox did not approve: {e}")))?;
    writeln!(
        out,
        "   (demo: approved automatically) The browser lands on your callback URL:"
    )?;
    writeln!(out, "   {}", without_code(&landed))?;
    writeln!(
        out,
        "   You paste that URL back; its state is checked and its code (valid 30 s) exchanged."
    )?;
    let tokens = client
        .complete_authorization(&pending, &landed)
        .await
        .map_err(|e| from_facade(&e))?;
    writeln!(out, "   {}", saved_line(&tokens, &token_file))?;
    writeln!(out)?;

    let ctx = Ctx {
        client,
        tz: g.tz.clone(),
        format: Format::Table,
        now,
        has_credentials: true,
        max_wait: std::time::Duration::from_secs(g.max_wait),
    };
    writeln!(
        out,
        "3. Weight, last 30 days (`withings meas --types weight --since 30d`):"
    )?;
    let weight = MeasArgs {
        types: vec![MeasureType::Weight],
        window: since(30 * 24),
        ..MeasArgs::default()
    };
    data::meas(&ctx, &weight).await?.write(Format::Table, out)?;
    writeln!(out)?;

    writeln!(
        out,
        "4. Activity, last 7 days (`withings activity --since 7d`):"
    )?;
    let week = ActivityArgs {
        window: since(7 * 24),
        ..ActivityArgs::default()
    };
    data::activity(&ctx, &week)
        .await?
        .write(Format::Table, out)?;
    writeln!(out)?;

    writeln!(
        out,
        "5. Sleep summary, last 7 nights (`withings sleep-summary --since 7d`):"
    )?;
    let nights = SleepSummaryArgs {
        window: since(7 * 24),
        ..SleepSummaryArgs::default()
    };
    data::sleep_summary(&ctx, &nights)
        .await?
        .write(Format::Table, out)?;
    writeln!(out)?;

    sync_and_report(&ctx, tokens.userid(), out).await?;

    writeln!(
        out,
        "Done. Run `withings sandbox` to keep a sandbox up and point any command at it with --base-url;"
    )?;
    writeln!(
        out,
        "with your own app's credentials, `withings auth` then `withings meas` show your real data."
    )?;
    drop(ctx);
    sandbox.shutdown().await;
    Ok(())
}

/// Days of history in the demo's sandbox.
const DEMO_DAYS: u32 = 90;

/// Step 6: the sandbox's history into a database, then the report. Both stay in a folder
/// of the system's temporary directory, to be opened after the demo.
async fn sync_and_report(
    ctx: &Ctx,
    user: Option<&str>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let dir = std::env::temp_dir().join(format!("withings-demo-report-{}", std::process::id()));
    let db = dir.join("withings.db");
    prepare_dir(&db)?;
    let store = SqliteStore::open(&db).map_err(|e| crate::sync::failure(Some(ctx), e))?;
    let user = user
        .map(str::to_owned)
        .ok_or_else(|| crate::sync::failure(Some(ctx), withings_sync::Error::NoUser))?;
    writeln!(
        out,
        "6. Your history into a local database, then a report (`withings sync`, `withings report`):"
    )?;
    // What the report draws; `withings sync` alone also fetches workouts, sleep segments,
    // ECGs, devices and goals.
    let options = SyncOptions::new(ctx.now).only([
        DataType::Measures,
        DataType::Activity,
        DataType::SleepSummaries,
    ]);
    let report = withings_sync::Sync::new(ctx.client.clone(), store.clone(), user, options)
        .run(|_| {})
        .await
        .map_err(|e| crate::sync::failure(Some(ctx), e))?;
    let total = report.total();
    writeln!(
        out,
        "   {DEMO_DAYS} days synced into {} ({} calls, {} rows written);",
        db.display(),
        total.calls,
        total.stats.written()
    )?;
    let html = dir.join("report.html");
    let args = crate::chart::DrawArgs {
        since: None,
        user: None,
        db: Some(db),
    };
    let tz = ctx.tz.clone().unwrap_or_else(jiff::tz::TimeZone::system);
    crate::chart::write_report(&store, &args, &tz, ctx.now, &html).await?;
    writeln!(
        out,
        "   the report is {}: open it in a browser.",
        html.display()
    )?;
    writeln!(out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_hidden_and_the_rest_kept() {
        assert_eq!(
            without_code("https://example.org/cb?code=abc&state=xyz"),
            "https://example.org/cb?code=…&state=xyz"
        );
        assert_eq!(
            without_code("https://example.org/cb"),
            "https://example.org/cb"
        );
    }
}
