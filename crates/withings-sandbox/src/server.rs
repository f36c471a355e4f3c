//! The public face: [`Sandbox`], its builder, and the running server.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming as Body;
use hyper::header::{CONTENT_TYPE, HeaderValue, LOCATION};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use jiff::Timestamp;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::api::{AUTHORIZE_PATH, Account, Config, Incoming, Inner, Method, Outgoing};
use crate::data::DemoData;
use crate::deliver::{Deliveries, Notice};
use crate::state::State;
use withings_http::{Clock, ManualClock, SystemClock};

/// The client id the sandbox accepts unless the builder says otherwise. Invented.
pub const DEMO_CLIENT_ID: &str = "sandbox-client";
/// The client secret the sandbox accepts unless the builder says otherwise. Invented, and
/// not a secret: anyone can read it here.
pub const DEMO_CLIENT_SECRET: &str = "sandbox-secret";
/// The demo user's id, as the token response gives it (a string, API notes §3.2). Invented.
pub const DEMO_USER_ID: &str = crate::api::USER_ID;
/// The demo user's time zone: `YYYY-MM-DD` parameters and `date` fields are local dates there.
pub const DEMO_TIME_ZONE: &str = crate::data::TIME_ZONE_NAME;

/// Largest request body read; Withings forms are a few hundred bytes.
const MAX_BODY: usize = 64 * 1024;
/// The most accounts a sandbox holds: their record ids are shifted by a billion each.
const MAX_USERS: usize = 100_000;
/// Every scope: what [`RunningSandbox::issue_tokens`] grants.
const ALL_SCOPES: &str = "user.info,user.metrics,user.activity,user.sleepevents";

/// Why the sandbox could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The listening socket could not be bound (address in use, not a local address…).
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The address asked for is not a loopback one: the sandbox accepts any client with the
    /// public demo credentials and hands out tokens, so it never listens on a network.
    #[error("cannot listen on {addr}: the sandbox listens on loopback only (127.0.0.0/8 or ::1)")]
    NotLoopback {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// [`RunningSandbox::advance`] was called on a sandbox whose clock is not a
    /// [`ManualClock`]: its time cannot be moved.
    #[error(
        "the sandbox's clock cannot be moved: build it with `now(…)` or `clock(ManualClock)` to advance it"
    )]
    FixedClock,
    /// The bound socket could not tell its own address.
    #[error("cannot read the address the sandbox listens on")]
    LocalAddr(#[source] std::io::Error),
    /// A user id that names no account of the sandbox (see [`SandboxBuilder::users`]).
    #[error("no account of the sandbox has the user id `{userid}`")]
    UnknownUser {
        /// The user id asked for.
        userid: String,
    },
    /// [`RunningSandbox::approve`] was given a URL the authorize page does not accept.
    #[error("the authorize page refused the request (HTTP {status}): {message}")]
    Refused {
        /// The HTTP status the page would have answered a browser with.
        status: u16,
        /// Its plain-text explanation, naming the bad parameter.
        message: String,
    },
}

/// An offline stand-in of the Withings API, built but not yet listening.
///
/// Build one with [`Sandbox::builder`], then either [`start`](Self::start) it on a background
/// task or [`serve`](Self::serve) it in the foreground. Clones share the same state (tokens,
/// subscriptions, data).
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
    addr: SocketAddr,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("addr", &self.addr)
            .field("client_id", &self.inner.config.client_id)
            .finish_non_exhaustive()
    }
}

/// Settings of a [`Sandbox`]. Every setting has a default; `Sandbox::builder().build()` is a
/// sandbox on `127.0.0.1:<any free port>` with the demo credentials and the real clock.
pub struct SandboxBuilder {
    clock: Option<Arc<dyn Clock>>,
    client_id: String,
    client_secret: String,
    addr: SocketAddr,
    meas_page_size: usize,
    page_size: usize,
    rate_limit: bool,
    app_limit: Option<(usize, Duration)>,
    seed: u64,
    history_days: u32,
    manual: Option<ManualClock>,
    users: usize,
    access_lifetime: i64,
    notify_retry_scale: f64,
    notify_timeout: Duration,
    probe_callbacks: bool,
}

impl fmt::Debug for SandboxBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxBuilder")
            .field("client_id", &self.client_id)
            .field("addr", &self.addr)
            .field("meas_page_size", &self.meas_page_size)
            .field("page_size", &self.page_size)
            .field("rate_limit", &self.rate_limit)
            .field("app_limit", &self.app_limit)
            .field("seed", &self.seed)
            .field("history_days", &self.history_days)
            .field("users", &self.users)
            .field("access_lifetime", &self.access_lifetime)
            .field("notify_retry_scale", &self.notify_retry_scale)
            .field("notify_timeout", &self.notify_timeout)
            .field("probe_callbacks", &self.probe_callbacks)
            .finish_non_exhaustive()
    }
}

impl Default for SandboxBuilder {
    fn default() -> Self {
        Self {
            clock: None,
            client_id: DEMO_CLIENT_ID.to_owned(),
            client_secret: DEMO_CLIENT_SECRET.to_owned(),
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            meas_page_size: 30,
            page_size: 10,
            rate_limit: true,
            app_limit: Some((120, Duration::from_secs(60))),
            seed: 0x5eed_5a4d_b0c5_0001,
            history_days: crate::data::HISTORY_DAYS as u32,
            manual: None,
            users: 1,
            access_lifetime: crate::state::ACCESS_LIFETIME,
            notify_retry_scale: 1.0,
            notify_timeout: Duration::from_secs(5),
            probe_callbacks: false,
        }
    }
}

impl SandboxBuilder {
    /// Where "now" comes from (default: [`SystemClock`]). The account's history ends at the
    /// clock's time when [`build`](Self::build) runs (the *start*); afterwards the data,
    /// token lifetimes, code expiry and the identical-request rule follow the clock: as it
    /// moves, new records appear, some old ones are edited or deleted (see the crate docs).
    ///
    /// A [`ManualClock`] is shared, not copied: moving the test's clone (or calling
    /// [`RunningSandbox::advance`]) moves the sandbox's time, and a client given the same
    /// clock moves with it.
    #[must_use]
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.manual = (&clock as &dyn std::any::Any)
            .downcast_ref::<ManualClock>()
            .cloned();
        self.clock = Some(Arc::new(clock));
        self
    }

    /// A clock stopped at `now` (a [`ManualClock`] that [`RunningSandbox::advance`] moves).
    /// Two sandboxes built with the same `now` (and seed) answer the same requests with the
    /// same bytes, and still do after the same advances.
    #[must_use]
    pub fn now(self, now: Timestamp) -> Self {
        self.clock(ManualClock::new(now))
    }

    /// The client id the authorize page and the token endpoint accept (default
    /// [`DEMO_CLIENT_ID`]).
    #[must_use]
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = client_id.into();
        self
    }

    /// The client secret the token endpoint accepts (default [`DEMO_CLIENT_SECRET`]).
    #[must_use]
    pub fn client_secret(mut self, client_secret: impl Into<String>) -> Self {
        self.client_secret = client_secret.into();
        self
    }

    /// The address [`Sandbox::start`] and [`Sandbox::listen`] bind (default `127.0.0.1:0`,
    /// any free port). It must be a loopback address (127.0.0.0/8 or `::1`): anything else
    /// makes them fail with [`Error::NotLoopback`].
    #[must_use]
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Measure groups per `getmeas` page (default 30; at least 1).
    #[must_use]
    pub fn meas_page_size(mut self, size: usize) -> Self {
        self.meas_page_size = size.max(1);
        self
    }

    /// Records per page of the v2 lists: getactivity, getworkouts, sleep getsummary, heart
    /// list (default 10; at least 1). Small values make tests walk many pages.
    #[must_use]
    pub fn page_size(mut self, size: usize) -> Self {
        self.page_size = size.max(1);
        self
    }

    /// Whether an identical request repeated within 10 s is refused with status 601
    /// (default true, as Withings does).
    #[must_use]
    pub fn rate_limit(mut self, on: bool) -> Self {
        self.rate_limit = on;
        self
    }

    /// The application-wide limit, as Withings enforces it (API notes §9.4): more than
    /// `requests` in any window of `period`, all users and endpoints together, get status 601
    /// with `wait_seconds` (default 120 per minute). Tests compress the period (say 120 per
    /// second) and give the client's limiter the same numbers. The window runs on the real
    /// monotonic clock, whatever [`clock`](Self::clock) says.
    #[must_use]
    pub fn app_limit(mut self, requests: u32, period: Duration) -> Self {
        let requests = usize::try_from(requests).unwrap_or(usize::MAX);
        self.app_limit = Some((requests, period));
        self
    }

    /// No application-wide limit (tests that send bursts on purpose).
    #[must_use]
    pub fn no_app_limit(mut self) -> Self {
        self.app_limit = None;
        self
    }

    /// The seed of the demo data and of the invented tokens (default: a fixed value).
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Days of history before the start, the start's day included (default 1,826: five
    /// years; at least 1, at most 36,525: a century). Days are generated when first asked
    /// for, so a long history costs no startup time; a shorter one bounds what a "whole
    /// history" call returns (a one-year benchmark, a test that walks every page).
    #[must_use]
    pub fn history_days(mut self, days: u32) -> Self {
        self.history_days = days.clamp(1, 36_525);
        self
    }

    /// How many accounts the sandbox holds (default 1: the demo user alone; at least 1, at
    /// most 100,000). The first is the demo user ([`DEMO_USER_ID`], the same data as
    /// always); the others have the user ids that follow it (`10203041`, `10203042`…, see
    /// [`RunningSandbox::user_ids`]), their own tokens and their own data, generated from
    /// the seed and the account's rank, with record ids shifted by a billion per account so
    /// no two accounts share an id. Every account has the same history length and time
    /// zone; days are generated when first read, so idle accounts cost nothing.
    ///
    /// The authorize page approves as the first account unless the sandbox-only parameter
    /// `sandbox_user=<userid>` names another ([`RunningSandbox::approve_as`] does it for
    /// you); [`RunningSandbox::issue_tokens`] skips the page altogether.
    #[must_use]
    pub fn users(mut self, n: usize) -> Self {
        self.users = n.clamp(1, MAX_USERS);
        self
    }

    /// How long an access token lives, in time of the sandbox's clock (default 3 hours, as
    /// Withings; whole seconds, at least 1): the `expires_in` of token responses. A load test
    /// on the system clock makes tokens expire during its run with a few seconds.
    #[must_use]
    pub fn access_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.access_lifetime = i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX).max(1);
        self
    }

    /// Multiplies the delays of Withings' notification retry schedule (default 1: retries
    /// 10 s, 1 min, 1 h and 4 h after the previous failed attempt). Tests compress it:
    /// `0.001` retries after 10 ms, 60 ms, 3.6 s and 14.4 s. Negative or non-finite values
    /// count as 0 (retries at once).
    #[must_use]
    pub fn notify_retry_scale(mut self, scale: f64) -> Self {
        self.notify_retry_scale = if scale.is_finite() {
            scale.max(0.0)
        } else {
            0.0
        };
        self
    }

    /// How long a callback URL may take to answer the HEAD probe or a notification before
    /// the attempt counts as failed (default 5 s: Withings asks for an answer within a few
    /// seconds).
    #[must_use]
    pub fn notify_timeout(mut self, timeout: Duration) -> Self {
        self.notify_timeout = timeout;
        self
    }

    /// Whether `notify subscribe` probes a callback URL the sandbox can reach (`http://` on
    /// loopback) with a HEAD request first, as Withings does, and refuses the subscription
    /// with status 293 unless it answers 2xx within
    /// [`notify_timeout`](Self::notify_timeout) (default false: subscriptions are recorded
    /// unprobed, so a client's test may subscribe a URL nothing listens on). A fleet's test
    /// turns it on to check its callback route answers the probe. Other URLs are never
    /// probed.
    #[must_use]
    pub fn probe_callbacks(mut self, on: bool) -> Self {
        self.probe_callbacks = on;
        self
    }

    /// Fixes the start at the clock's current time and returns the sandbox. Nothing is
    /// generated yet: each day is made the first time a request needs it.
    #[must_use]
    pub fn build(self) -> Sandbox {
        let clock = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let start = clock.now();
        let accounts = (0..self.users)
            .map(|user| {
                let rank = user as i64;
                let seed = if user == 0 {
                    self.seed
                } else {
                    crate::rng::mix(self.seed ^ crate::rng::mix(user as u64 ^ 0x0acc_0a17))
                };
                // The demo user's id, then the numbers that follow it.
                let id = if user == 0 {
                    crate::api::USER_ID.to_owned()
                } else {
                    (crate::api::USER_NUMBER + rank).to_string()
                };
                let data = DemoData::new(seed, start, i64::from(self.history_days))
                    .with_ids(rank * 1_000_000_000);
                Account { id, data }
            })
            .collect();
        let config = Config {
            client_id: self.client_id,
            client_secret: self.client_secret,
            meas_page_size: self.meas_page_size,
            page_size: self.page_size,
            rate_limit: self.rate_limit,
            app_limit: self.app_limit,
            notify_retry_scale: self.notify_retry_scale,
            notify_timeout: self.notify_timeout,
            probe_callbacks: self.probe_callbacks,
        };
        let inner = Inner {
            config,
            clock,
            manual: self.manual,
            accounts,
            state: Mutex::new(State::with_accounts(
                self.seed,
                self.users,
                self.access_lifetime,
            )),
            deliveries: Deliveries::new(),
        };
        Sandbox {
            inner: Arc::new(inner),
            addr: self.addr,
        }
    }
}

impl Sandbox {
    /// A builder with every default.
    #[must_use]
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// The client id this sandbox accepts.
    #[must_use]
    pub fn client_id(&self) -> &str {
        &self.inner.config.client_id
    }

    /// The client secret this sandbox accepts.
    #[must_use]
    pub fn client_secret(&self) -> &str {
        &self.inner.config.client_secret
    }

    /// Binds the builder's address and serves on a background tokio task until
    /// [`RunningSandbox::shutdown`] or until the [`RunningSandbox`] is dropped.
    ///
    /// # Panics
    /// Outside a tokio runtime (as `tokio::spawn` does).
    ///
    /// # Errors
    /// [`Error::NotLoopback`] when the builder's address is not a loopback one,
    /// [`Error::Bind`] when it cannot be bound.
    pub async fn start(self) -> Result<RunningSandbox, Error> {
        let listener = self.listen().await?;
        let addr = listener.local_addr().map_err(Error::LocalAddr)?;
        let (stop, stopped) = oneshot::channel::<()>();
        let client_id = self.client_id().to_owned();
        let client_secret = self.client_secret().to_owned();
        let inner = Arc::clone(&self.inner);
        // Dropping `stop` (with the RunningSandbox) ends the wait as surely as sending on it.
        let task = tokio::spawn(self.serve_until(listener, async move {
            let _ = stopped.await;
        }));
        Ok(RunningSandbox {
            base_url: format!("http://{addr}"),
            addr,
            client_id,
            client_secret,
            inner,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// Binds the builder's address, for [`serve`](Self::serve) or
    /// [`serve_until`](Self::serve_until) in the foreground (the `withings sandbox` command).
    ///
    /// # Errors
    /// [`Error::NotLoopback`] when the address is not a loopback one (127.0.0.0/8 or `::1`;
    /// nothing is bound then), [`Error::Bind`] when it cannot be bound.
    pub async fn listen(&self) -> Result<TcpListener, Error> {
        let addr = self.addr;
        check_loopback(addr)?;
        TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind { addr, source })
    }

    /// Serves on `listener` in the current task, forever. The listener is the caller's: get
    /// one from [`listen`](Self::listen) to keep the sandbox on loopback.
    pub async fn serve(self, listener: TcpListener) {
        self.serve_until(listener, std::future::pending()).await;
    }

    /// Serves on `listener` until `shutdown` completes (e.g. on Ctrl-C); connections still
    /// open then finish their current request and close. The listener is the caller's: get
    /// one from [`listen`](Self::listen) to keep the sandbox on loopback.
    pub async fn serve_until(self, listener: TcpListener, shutdown: impl Future<Output = ()>) {
        self.inner
            .deliveries
            .set_runtime(tokio::runtime::Handle::current());
        let (closing, closed) = watch::channel(());
        let mut shutdown = pin!(shutdown);
        loop {
            let accepted = tokio::select! {
                () = &mut shutdown => break,
                accepted = listener.accept() => accepted,
            };
            let Ok((stream, _)) = accepted else {
                // Out of file descriptors and the like: transient, try again shortly.
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            };
            let _ = stream.set_nodelay(true);
            let inner = Arc::clone(&self.inner);
            let mut closed = closed.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| handle(Arc::clone(&inner), req));
                let mut conn =
                    pin!(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
                tokio::select! {
                    _ = conn.as_mut() => {}
                    _ = closed.changed() => {
                        conn.as_mut().graceful_shutdown();
                        let _ = conn.await;
                    }
                }
            });
        }
        // Wakes every connection's `closed.changed()`.
        drop(closing);
        // Notifications still waiting for a retry are dropped with the server.
        self.inner.deliveries.stop();
    }
}

/// The distinct callback URLs of `subscriptions`, in the order first subscribed: a URL
/// subscribed twice gets one notification.
fn callback_urls<'a>(
    subscriptions: impl Iterator<Item = &'a crate::state::Subscription>,
) -> Vec<String> {
    let mut urls: Vec<String> = Vec::new();
    for s in subscriptions {
        if !urls.contains(&s.callbackurl) {
            urls.push(s.callbackurl.clone());
        }
    }
    urls
}

/// Refuses an address that is not loopback: 127.0.0.0/8, `::1`, or `::ffff:127.x.y.z`.
/// The unspecified addresses (`0.0.0.0`, `::`) listen on every interface and are refused.
fn check_loopback(addr: SocketAddr) -> Result<(), Error> {
    if addr.ip().to_canonical().is_loopback() {
        Ok(())
    } else {
        Err(Error::NotLoopback { addr })
    }
}

/// A sandbox listening on loopback, served by a background task.
///
/// Dropping it stops the server too; [`shutdown`](Self::shutdown) also waits for the
/// listener to close.
#[derive(Debug)]
pub struct RunningSandbox {
    addr: SocketAddr,
    base_url: String,
    client_id: String,
    client_secret: String,
    /// Shared with the server task: lets [`approve`](Self::approve) answer without HTTP.
    inner: Arc<Inner>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl RunningSandbox {
    /// The base URL to give a client in place of `https://wbsapi.withings.net`, e.g.
    /// `http://127.0.0.1:49152` (no trailing slash). The authorize page lives under it too.
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address the sandbox listens on.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What became of the refresh requests so far, all accounts together.
    #[must_use]
    pub fn refresh_counts(&self) -> crate::RefreshCounts {
        self.inner.state().refreshes
    }

    /// How many requests arrived so far, and how many of them the application-wide limit
    /// refused with status 601.
    #[must_use]
    pub fn app_limit_counts(&self) -> (u64, u64) {
        let state = self.inner.state();
        (state.app_requests, state.app_refused)
    }

    /// The data calls answered so far (the latest 4,096), oldest first: what a client really
    /// sent, for tests that compare request sequences. Token and signature calls are left
    /// out (their forms hold secrets).
    #[must_use]
    pub fn calls(&self) -> Vec<crate::RecordedCall> {
        self.inner.state().calls.iter().cloned().collect()
    }

    /// The sandbox's "now": what its clock says.
    #[must_use]
    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    /// The start: the instant the history ends at, the clock's time when the sandbox was
    /// built. The odd records and the first day's changes are placed relative to it.
    #[must_use]
    pub fn started_at(&self) -> Timestamp {
        Timestamp::from_second(self.inner.demo().origin).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    /// The sandbox's clock when it is a [`ManualClock`] (built with
    /// [`now`](SandboxBuilder::now) or given one): hand it to a client so both move together.
    #[must_use]
    pub fn manual_clock(&self) -> Option<ManualClock> {
        self.inner.manual.clone()
    }

    /// Moves the sandbox's time forward by `by` and returns the new "now". What a day
    /// brings is listed in the crate docs (living account); nothing happens in the
    /// background: the next answers simply show the account at the new time.
    ///
    /// ```
    /// use std::time::Duration;
    /// use withings_sandbox::Sandbox;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), withings_sandbox::Error> {
    /// let start = jiff::Timestamp::from_second(1_717_430_000).unwrap();
    /// let sandbox = Sandbox::builder().now(start).build().start().await?;
    /// let before = sandbox.inventory();
    /// sandbox.advance(Duration::from_secs(86_400))?;
    /// let since = sandbox.updated_since(start);
    /// assert!(since.measure_groups > 0 && since.activity_days >= 2);
    /// assert_eq!(sandbox.deleted_since(start).len(), 1, "the guest's weigh-in");
    /// assert!(sandbox.inventory().activity_days > before.activity_days);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::FixedClock`] when the clock is not a [`ManualClock`] (the system clock
    /// moves by itself).
    pub fn advance(&self, by: Duration) -> Result<Timestamp, Error> {
        let clock = self.inner.manual.as_ref().ok_or(Error::FixedClock)?;
        clock.advance(by);
        Ok(clock.now())
    }

    /// What the first account (the demo user's) holds now, counted as a store keeps it:
    /// compare a sync's tables with it.
    #[must_use]
    pub fn inventory(&self) -> crate::Inventory {
        self.inner
            .demo()
            .inventory(self.inner.clock.now().as_second(), None)
    }

    /// What a `lastupdate=since` call to each list endpoint returns now for the first
    /// account: the records created or modified after `since`. A sync that resumes from a cursor at `since`
    /// should fetch exactly these.
    #[must_use]
    pub fn updated_since(&self, since: Timestamp) -> crate::Inventory {
        self.inner
            .demo()
            .inventory(self.inner.clock.now().as_second(), Some(since.as_second()))
    }

    /// The `grpid`s of the measure groups that existed at `since` and have been deleted
    /// since, oldest first: what `sync --full` should remove. `lastupdate` never reports
    /// them (Withings says nothing of deletions).
    #[must_use]
    pub fn deleted_since(&self, since: Timestamp) -> Vec<i64> {
        self.inner
            .demo()
            .deleted_between(since.as_second(), self.inner.clock.now().as_second())
    }

    /// The authorize page, in place of `https://account.withings.com/oauth2_user/authorize2`.
    #[must_use]
    pub fn authorize_url(&self) -> String {
        format!("{}{AUTHORIZE_PATH}", self.base_url)
    }

    /// The client id the sandbox accepts.
    #[must_use]
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The client secret the sandbox accepts.
    #[must_use]
    pub fn client_secret(&self) -> &str {
        &self.client_secret
    }

    /// Plays the user who opens `authorize_url` in a browser and clicks "allow": returns the
    /// URL the browser is redirected to (`redirect_uri?code=…&state=…`), exactly as the
    /// authorize page's `Location` header would say. Demos and tests use it where a person
    /// would use a browser; nothing goes over the network.
    ///
    /// `authorize_url` is a whole URL (`http://127.0.0.1:…/oauth2_user/authorize2?…`) or just
    /// its path and query. The code it issues lives 30 s and works once, as any other.
    ///
    /// # Errors
    /// [`Error::Refused`] when the URL is not the authorize page or a parameter is wrong
    /// (the message names it, as the page would).
    pub fn approve(&self, authorize_url: &str) -> Result<String, Error> {
        self.approve_with(authorize_url, None)
    }

    /// [`approve`](Self::approve) as the account `userid` (one of
    /// [`user_ids`](Self::user_ids)): the `sandbox_user` parameter of the URL, if any, is
    /// replaced by it.
    ///
    /// # Errors
    /// [`Error::UnknownUser`] when no account has this id; [`Error::Refused`] as
    /// [`approve`](Self::approve).
    pub fn approve_as(&self, userid: &str, authorize_url: &str) -> Result<String, Error> {
        self.account(userid)?;
        self.approve_with(authorize_url, Some(userid))
    }

    fn approve_with(&self, authorize_url: &str, user: Option<&str>) -> Result<String, Error> {
        let rest = authorize_url
            .split_once("://")
            .map_or(authorize_url, |(_, after_scheme)| after_scheme);
        // Without a scheme the text is already a path; with one, the path starts after the
        // authority.
        let target = if rest.len() == authorize_url.len() {
            rest
        } else {
            rest.find('/').and_then(|i| rest.get(i..)).unwrap_or("/")
        };
        let target = target.split_once('#').map_or(target, |(t, _)| t);
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let query = match user {
            None => query.to_owned(),
            Some(userid) => form_urlencoded::Serializer::new(String::new())
                .extend_pairs(
                    form_urlencoded::parse(query.as_bytes())
                        .filter(|(k, _)| k != crate::api::SANDBOX_USER),
                )
                .append_pair(crate::api::SANDBOX_USER, userid)
                .finish(),
        };
        if path.trim_end_matches('/') != AUTHORIZE_PATH {
            return Err(Error::Refused {
                status: 404,
                message: format!("`{path}` is not the authorize page ({AUTHORIZE_PATH})"),
            });
        }
        let incoming = Incoming {
            method: Method::Get,
            path,
            query: &query,
            body: b"",
            authorization: None,
        };
        match self.inner.respond(&incoming) {
            Outgoing::Redirect(location) => Ok(location),
            Outgoing::Text(status, message) => Err(Error::Refused {
                status,
                message: message.trim().to_owned(),
            }),
            Outgoing::Json(_) | Outgoing::Probe(_) => Err(Error::Refused {
                status: 200,
                message: "the authorize page answered with JSON instead of a redirect".into(),
            }),
        }
    }

    /// The index of the account `userid`.
    fn account(&self, userid: &str) -> Result<usize, Error> {
        self.inner
            .user_index(userid)
            .ok_or_else(|| Error::UnknownUser {
                userid: userid.to_owned(),
            })
    }

    /// The user ids of the accounts, first the demo user's ([`DEMO_USER_ID`]); as many as
    /// [`SandboxBuilder::users`] asked for.
    #[must_use]
    pub fn user_ids(&self) -> Vec<String> {
        self.inner.accounts.iter().map(|a| a.id.clone()).collect()
    }

    /// Mints a valid token pair for `userid` with every scope, as if the user had gone
    /// through the authorize page and the code had been exchanged (no 601 rule, no
    /// application-limit request is spent): a load test's 200 users need no browser flow.
    /// The tokens behave like any other: the access token expires, the refresh token
    /// rotates.
    ///
    /// # Errors
    /// [`Error::UnknownUser`] when no account has this id.
    pub fn issue_tokens(&self, userid: &str) -> Result<crate::IssuedTokens, Error> {
        let user = self.account(userid)?;
        let now = self.inner.clock.now();
        let issued = self
            .inner
            .state()
            .issue_tokens(now, user, ALL_SCOPES.to_owned(), None);
        Ok(crate::IssuedTokens {
            userid: userid.to_owned(),
            access_token: issued.access_token,
            refresh_token: issued.refresh_token,
            expires_in: issued.expires_in,
            scope: issued.scope,
        })
    }

    /// How many refreshes of `userid`'s tokens succeeded (0 for an unknown user). A fleet
    /// that shares tokens correctly refreshes once per expiry, whatever its worker count.
    #[must_use]
    pub fn refresh_count(&self, userid: &str) -> u64 {
        self.inner
            .user_index(userid)
            .map_or(0, |user| self.inner.state().refresh_count(user))
    }

    /// How many refresh requests, all accounts together, presented a refresh token that had
    /// already been rotated (used once) or was dead, whether the rotation grace let them
    /// through or not: two workers racing on one token. Stays 0 in a correct fleet. (A
    /// worker killed between the refresh and storing its result leaves the next one to
    /// refresh with the rotated token, which the grace accepts:
    /// [`refresh_counts`](Self::refresh_counts)`().reused` counts those.)
    #[must_use]
    pub fn dead_refreshes(&self) -> u64 {
        self.inner.state().dead_refreshes
    }

    /// How many requests the identical-request rule refused with status 601 (the same
    /// request, token included, less than 10 s after the first; the other 601 rule,
    /// the application limit, is in [`app_limit_stats`](Self::app_limit_stats)).
    #[must_use]
    pub fn same_request_refusals(&self) -> u64 {
        self.inner.state().same_refused
    }

    /// How many authenticated calls (data and `notify`) were made with `userid`'s tokens (0
    /// for an unknown user). Calls the 601 rules refused, and token calls, are not counted.
    #[must_use]
    pub fn api_calls(&self, userid: &str) -> u64 {
        self.inner
            .user_index(userid)
            .map_or(0, |user| self.inner.state().call_count(user))
    }

    /// The application-wide limit as the sandbox saw it: requests, 601s sent, and the
    /// largest number of requests that arrived in any window of the period.
    #[must_use]
    pub fn app_limit_stats(&self) -> crate::AppLimitStats {
        let state = self.inner.state();
        crate::AppLimitStats {
            requests: state.app_requests,
            refused: state.app_refused,
            max_in_window: state.app_max_in_window,
            limit: self
                .inner
                .config
                .app_limit
                .map(|(n, period)| (u32::try_from(n).unwrap_or(u32::MAX), period)),
        }
    }

    /// The `notify` subscriptions of `userid`: (appli, callback URL), in the order made.
    ///
    /// # Errors
    /// [`Error::UnknownUser`] when no account has this id.
    pub fn subscriptions(&self, userid: &str) -> Result<Vec<(i64, String)>, Error> {
        let user = self.account(userid)?;
        Ok(self
            .inner
            .state()
            .subscriptions
            .iter()
            .filter(|s| s.user == user)
            .map(|s| (s.appli, s.callbackurl.clone()))
            .collect())
    }

    /// Makes a weigh-in appear on `userid`'s account: a measure group dated `at` (weight and
    /// fat ratio from the Body+), uploaded now (its `created` and `modified` are the
    /// sandbox's "now", so `getmeas` with `lastupdate` returns it), and a notification for
    /// appli 1 with the window `at − 60 s … at + 60 s` to every callback URL the user
    /// subscribed for appli 1. Returns the group's `grpid` (unique in the sandbox).
    ///
    /// # Errors
    /// [`Error::UnknownUser`] when no account has this id.
    pub fn add_weigh_in(&self, userid: &str, at: Timestamp) -> Result<i64, Error> {
        let user = self.account(userid)?;
        let now = self.inner.clock.now().as_second();
        let at = at.as_second();
        let account = self
            .inner
            .accounts
            .get(user)
            .ok_or_else(|| Error::UnknownUser {
                userid: userid.to_owned(),
            })?;
        let grpid = account.data.add_weigh_in(now, at);
        self.send(user, 1, Some((at - 60, at + 60)), None);
        Ok(grpid)
    }

    /// Sends a notification for `appli` with the window `start … end` to every callback URL
    /// `userid` subscribed for it, without changing any data (a load test's other
    /// categories: 44 for sleep, 16 for activity…). Returns how many deliveries started
    /// (callback URLs the sandbox cannot reach are skipped: see [`deliveries`](Self::deliveries)).
    ///
    /// # Errors
    /// [`Error::UnknownUser`] when no account has this id.
    pub fn notify(
        &self,
        userid: &str,
        appli: i64,
        start: Timestamp,
        end: Timestamp,
    ) -> Result<usize, Error> {
        let user = self.account(userid)?;
        Ok(self.send(
            user,
            appli,
            Some((start.as_second(), end.as_second())),
            None,
        ))
    }

    /// Plays the user removing the application from their Withings account: every token of
    /// `userid` dies (calls answer 401, refreshes 503), their subscriptions go, and
    /// `userid=…&appli=46&action=unlink` is POSTed to the callback URLs they had subscribed
    /// for appli 46. Returns how many deliveries started.
    ///
    /// # Errors
    /// [`Error::UnknownUser`] when no account has this id.
    pub fn unlink(&self, userid: &str) -> Result<usize, Error> {
        let user = self.account(userid)?;
        let gone = self.inner.state().revoke_user(user);
        let urls = callback_urls(gone.iter().filter(|s| s.appli == 46));
        Ok(self.deliver(user, 46, None, Some("unlink"), &urls))
    }

    /// Every notification sent so far (one per callback URL), oldest first, with its
    /// attempts: a delivery that failed is retried on Withings' schedule (scaled by
    /// [`SandboxBuilder::notify_retry_scale`]), at most five attempts in all. Only `http://`
    /// callback URLs on loopback are contacted; subscriptions to any other URL are kept but
    /// receive nothing.
    #[must_use]
    pub fn deliveries(&self) -> Vec<crate::Delivery> {
        self.inner.deliveries.records()
    }

    /// Waits until every delivery is finished (delivered or out of retries), at most
    /// `timeout`; returns whether they all are.
    pub async fn deliveries_settled(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.inner.deliveries.in_flight() == 0 {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// The measure groups `userid` has now, dated from `start` to `end` (both included):
    /// generated and added ones, each `grpid` once, sorted by `grpid`. What a store that
    /// synced the window should hold, to compare with its rows.
    ///
    /// # Errors
    /// [`Error::UnknownUser`] when no account has this id.
    pub fn ground_truth(
        &self,
        userid: &str,
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<crate::GroupTruth>, Error> {
        let user = self.account(userid)?;
        let now = self.inner.clock.now().as_second();
        Ok(self.inner.accounts.get(user).map_or_else(Vec::new, |a| {
            a.data
                .groups_between(start.as_second(), end.as_second(), now)
        }))
    }

    /// The weigh-ins [`add_weigh_in`](Self::add_weigh_in) made on `userid`'s account, as
    /// they are now, sorted by `grpid`: exactly the records the appli-1 notifications
    /// announced.
    ///
    /// # Errors
    /// [`Error::UnknownUser`] when no account has this id.
    pub fn added_weigh_ins(&self, userid: &str) -> Result<Vec<crate::GroupTruth>, Error> {
        let user = self.account(userid)?;
        let now = self.inner.clock.now().as_second();
        Ok(self
            .inner
            .accounts
            .get(user)
            .map_or_else(Vec::new, |a| a.data.added_truth(now)))
    }

    /// Sends a notification of `user` to the callback URLs subscribed for `appli`.
    fn send(
        &self,
        user: usize,
        appli: i64,
        window: Option<(i64, i64)>,
        action: Option<&'static str>,
    ) -> usize {
        let urls = {
            let state = self.inner.state();
            callback_urls(
                state
                    .subscriptions
                    .iter()
                    .filter(|s| s.user == user && s.appli == appli),
            )
        };
        self.deliver(user, appli, window, action, &urls)
    }

    fn deliver(
        &self,
        user: usize,
        appli: i64,
        window: Option<(i64, i64)>,
        action: Option<&'static str>,
        urls: &[String],
    ) -> usize {
        let notice = Notice {
            userid: self.inner.user_id(user).to_owned(),
            appli,
            window,
            action,
        };
        let config = &self.inner.config;
        self.inner.deliveries.send(
            &notice,
            urls,
            config.notify_retry_scale,
            config.notify_timeout,
        )
    }

    /// Stops accepting connections and waits for the server task to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

async fn handle(
    inner: Arc<Inner>,
    req: Request<Body>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let Ok(body) = Limited::new(body, MAX_BODY)
        .collect()
        .await
        .map(|c| c.to_bytes())
    else {
        return Ok(text(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The request body is too large or could not be read.\n".into(),
        ));
    };
    let method = match parts.method {
        hyper::Method::GET => Method::Get,
        hyper::Method::POST => Method::Post,
        _ => Method::Other,
    };
    let incoming = Incoming {
        method,
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        body: &body,
        authorization: parts
            .headers
            .get(hyper::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok()),
    };
    let outgoing = match inner.respond(&incoming) {
        Outgoing::Probe(probe) => crate::api::finish_probe(&inner, probe).await,
        other => other,
    };
    Ok(match outgoing {
        Outgoing::Json(json) => {
            let mut resp = Response::new(Full::new(Bytes::from(json)));
            resp.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            resp
        }
        Outgoing::Redirect(location) => match HeaderValue::from_str(&location) {
            Ok(value) => {
                let mut resp = Response::new(Full::new(Bytes::new()));
                *resp.status_mut() = StatusCode::FOUND;
                resp.headers_mut().insert(LOCATION, value);
                resp
            }
            Err(_) => text(
                StatusCode::BAD_REQUEST,
                "Invalid request: parameter `redirect_uri` cannot be used in a Location header.\n"
                    .into(),
            ),
        },
        Outgoing::Text(status, body) => text(
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            body,
        ),
        // `finish_probe` answered it above; never reached.
        Outgoing::Probe(_) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The subscription was not probed.\n".into(),
        ),
    })
}

fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_means_127_0_0_0_8_and_1_only() {
        for ok in [
            "127.0.0.1:0",
            "127.0.0.2:8088",
            "127.255.255.254:1",
            "[::1]:0",
            "[::ffff:127.0.0.1]:0",
        ] {
            let addr: SocketAddr = ok.parse().unwrap();
            assert!(check_loopback(addr).is_ok(), "{ok}");
        }
        for bad in [
            "0.0.0.0:0",
            "[::]:8088",
            "128.0.0.1:0",
            "192.168.1.2:0",
            "[::2]:0",
            "[::ffff:10.0.0.1]:0",
            "[fe80::1]:0",
        ] {
            let addr: SocketAddr = bad.parse().unwrap();
            let err = check_loopback(addr).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "cannot listen on {addr}: the sandbox listens on loopback only (127.0.0.0/8 or ::1)"
                )
            );
        }
    }
}
