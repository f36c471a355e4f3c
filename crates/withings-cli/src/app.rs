//! What every command shares: the client, the token file, progress on stderr, error mapping.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use withings::decode::Decode;
use withings::http::{AppCredentials, CallbackUrl, FileTokenStore, RetryPolicy};
use withings::model::{Endpoint, Paged, PagedBody};
use withings::paging::Page;
use withings::{Interrupted, Output};

use crate::config::Settings;
use crate::error::{Exit, Failure, from_http};
use crate::output::Format;

/// The client and the choices of one run.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub(crate) client: withings::Client,
    pub(crate) tz: Option<TimeZone>,
    pub(crate) format: Format,
    pub(crate) now: Timestamp,
    /// Whether the client has the app's credentials (needed to refresh the token).
    pub(crate) has_credentials: bool,
    /// How long a listing waits out the rate limit at one page in all (`--max-wait`).
    pub(crate) max_wait: Duration,
}

impl Ctx {
    /// Maps a façade error to a failure, with the CLI's advice where the library's would
    /// name library calls.
    pub(crate) fn fail(&self, e: withings::Error) -> Failure {
        if let Some(h) = e.http()
            && h.kind() == withings::http::ErrorKind::Config
            && !self.has_credentials
        {
            return Failure::config(
                "the token needs a refresh, which needs the app's credentials: pass --client-id and --client-secret, set WITHINGS_CLIENT_ID and WITHINGS_CLIENT_SECRET, or put them in the config file",
            );
        }
        from_facade(&e)
    }
}

/// Maps any façade error to an exit code and one line.
pub(crate) fn from_facade(e: &withings::Error) -> Failure {
    match e {
        withings::Error::Request(e) => Failure::new(Exit::Usage, e.to_string()),
        other => match other.http() {
            Some(h) => from_http(h),
            None => Failure::new(Exit::Api, other.to_string()),
        },
    }
}

/// How the client is built: the same for `auth`, the data commands and the demo.
#[derive(Debug, Clone)]
pub(crate) struct ClientSpec {
    pub(crate) base_url: Option<String>,
    pub(crate) account_url: Option<String>,
    pub(crate) credentials: Option<AppCredentials>,
    pub(crate) token_file: PathBuf,
    /// How long one call may wait out the rate limit in all (`--max-wait`).
    pub(crate) max_wait: Duration,
}

impl ClientSpec {
    pub(crate) fn from_settings(
        settings: &Settings,
        credentials: Option<AppCredentials>,
    ) -> Result<Self, Failure> {
        Ok(Self {
            base_url: settings.base_url.clone(),
            account_url: settings.account_url.clone(),
            credentials,
            token_file: settings.token_path()?,
            max_wait: settings.max_wait,
        })
    }

    pub(crate) fn with_redirect(mut self, uri: CallbackUrl) -> Self {
        self.credentials = self.credentials.map(|c| c.with_redirect_uri(uri));
        self
    }

    pub(crate) fn build(&self) -> Result<withings::Client, Failure> {
        // A 601 is waited out (as long as Withings asks, up to `--max-wait` in all for one
        // call), never silently: every wait shows on the progress line of the command
        // under way. A listing that still ends up refused waits in `all_pages` and goes on
        // from the page refused. Transient failures (522, network) retry as usual.
        let retry = RetryPolicy::default().max_rate_limit_wait(self.max_wait);
        let mut b = withings::Client::builder()
            .retry_policy(retry)
            .on_wait(show_wait)
            .token_store(FileTokenStore::new(&self.token_file));
        if let Some(limiter) = crate::sync::rate_limit_from_env() {
            b = b.rate_limiter(limiter);
        }
        if let Some(base) = &self.base_url {
            b = b.base_url(base.clone());
            // A sandbox serves the authorize page under its API URL.
            b = b.account_url(self.account_url.clone().unwrap_or_else(|| base.clone()));
        } else if let Some(account) = &self.account_url {
            b = b.account_url(account.clone());
        }
        if let Some(c) = &self.credentials {
            b = b.credentials(c.clone());
        }
        b.build().map_err(|e| {
            if e.kind() == withings::http::ErrorKind::Config {
                Failure::config(format!(
                    "{e} (check --base-url / --account-url: https, or http to 127.0.0.1 for a sandbox)"
                ))
            } else {
                from_http(&e)
            }
        })
    }
}

/// Refuses early, with the fix, when there is no token to use.
pub(crate) fn require_token(path: &Path) -> Result<(), Failure> {
    if path.exists() {
        Ok(())
    } else {
        Err(Failure::new(
            Exit::Auth,
            format!(
                "no token in {}: run `withings auth` first (or pass --token-file)",
                path.display()
            ),
        ))
    }
}

/// A spinner and `label: page 3…` on stderr, redrawn in place by indicatif, only when stderr
/// is a terminal that log lines (`-v`, `RUST_LOG`) are not writing to; cleared when dropped.
#[derive(Debug)]
pub(crate) struct Progress {
    bar: ProgressBar,
    on: bool,
    ticking: bool,
}

/// The progress line of the command under way, for the client's wait hook.
static CURRENT: std::sync::Mutex<Option<ProgressBar>> = std::sync::Mutex::new(None);

/// The client's wait hook: the wait goes on the current progress line (nothing is drawn
/// when stderr is not a terminal).
fn show_wait(wait: withings::http::Wait) {
    let current = CURRENT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    if let Some(bar) = current {
        let what = match wait.reason {
            withings::http::WaitReason::RateLimited => format!(
                "rate limited (status 601), waiting {} s",
                wait.duration.as_secs()
            ),
            withings::http::WaitReason::Pacing => {
                "pacing to Withings' rate limit (120 requests a minute)".to_owned()
            }
            _ => "a transient failure, trying again".to_owned(),
        };
        bar.set_message(what);
    }
}

impl Progress {
    pub(crate) fn new(label: impl Into<String>) -> Self {
        let on = std::io::stderr().is_terminal() && !crate::logging::writes_lines();
        // Styled while hidden, so that nothing is drawn before the first step.
        let bar = ProgressBar::hidden();
        let style = ProgressStyle::with_template("{spinner} {prefix}: {msg}…")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        bar.set_style(style);
        bar.set_prefix(label.into());
        if on {
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        *CURRENT
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(bar.clone());
        Self {
            bar,
            on,
            ticking: false,
        }
    }

    pub(crate) fn step(&mut self, what: &str, n: usize) {
        self.show(format!("{what} {n}"));
    }

    pub(crate) fn step_of(&mut self, what: &str, n: usize, total: usize) {
        self.show(format!("{what} {n}/{total}"));
    }

    /// `page 3: rate limited, waiting 12 s`: the wait before `what` `n` is asked again.
    pub(crate) fn waiting(&mut self, what: &str, n: usize, secs: u64) {
        self.show(format!("{what} {n}: rate limited, waiting {secs} s"));
    }

    /// Nothing is drawn before the first step; from then on the spinner turns on its own
    /// while the next call is under way.
    fn show(&mut self, what: String) {
        self.bar.set_message(what);
        if self.on && !self.ticking {
            self.bar.enable_steady_tick(Duration::from_millis(120));
            self.ticking = true;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
        *CURRENT
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }
}

/// Every page of a paged request, merged by the library, with a progress line. A page refused
/// for the rate limit is asked again once the wait Withings gives has passed (shown on the
/// progress line), from that page on: the pages before it are kept, none is asked twice.
pub(crate) async fn all_pages<E>(ctx: &Ctx, request: E) -> Result<Output<E>, Failure>
where
    E: Paged,
    E::Body: PagedBody + Decode,
    Output<E>: Page + Send + 'static,
{
    let mut progress = Progress::new(E::ACTION);
    let mut result = ctx
        .client
        .collect_all_observed(request, |n| progress.step("page", n))
        .await;
    // The page waited at, and how long in all.
    let mut waited = (0, Duration::ZERO);
    loop {
        let stop = match result {
            Ok(all) => return Ok(all),
            Err(stop) => stop,
        };
        let Some(wait) = wait_before_resuming(&stop, &mut waited, ctx.max_wait) else {
            return Err(ctx.fail(stop.into_error()));
        };
        let mut left = wait;
        while !left.is_zero() {
            let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
            progress.waiting("page", stop.page, secs);
            let tick = left.min(Duration::from_secs(1));
            tokio::time::sleep(tick).await;
            left -= tick;
        }
        result = ctx
            .client
            .collect_rest_observed(stop, |n| progress.step("page", n))
            .await;
    }
}

/// How long to wait before resuming `stop`: `Some` for a rate limit whose wait keeps the
/// time spent at its page within `patience` (`--max-wait`). Each wait is as long as asked
/// (a shorter one would only earn another 601), so a page whose waits would add up to more
/// is not waited for at all.
fn wait_before_resuming<E>(
    stop: &Interrupted<E>,
    waited: &mut (usize, Duration),
    patience: Duration,
) -> Option<Duration>
where
    E: Endpoint,
    E::Body: Decode,
{
    if !stop.error.is_rate_limited() || stop.resume.is_none() {
        return None;
    }
    // Withings' rule without a hint (API notes §9.3); never a busy loop.
    let wait = stop
        .error
        .retry_after()
        .unwrap_or(Duration::from_secs(60))
        .max(Duration::from_secs(1));
    if waited.0 != stop.page {
        *waited = (stop.page, Duration::ZERO);
    }
    let total = waited.1.saturating_add(wait);
    if total > patience {
        return None;
    }
    waited.1 = total;
    Some(wait)
}

/// A request the library may split into 24 h calls, sent whole, with a progress line.
pub(crate) async fn send_split<E>(ctx: &Ctx, request: &E) -> Result<Output<E>, Failure>
where
    E: Endpoint,
    E::Body: Decode,
{
    let mut progress = Progress::new(E::ACTION);
    ctx.client
        .send_observed(request, |n, total| progress.step_of("call", n, total))
        .await
        .map_err(|e| ctx.fail(e))
}
