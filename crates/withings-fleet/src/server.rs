//! `withings serve`: the fleet's HTTP side.
//!
//! | route | what it does |
//! |---|---|
//! | `GET /connect` | 302 to Withings' authorize page, with a fresh `state` kept in PostgreSQL |
//! | `GET /oauth/callback?code&state` | spends the `state`, exchanges the code, stores the user's tokens (sealed), subscribes their notifications, answers a small HTML page |
//! | `HEAD`/`GET /notify/<secret>` | 200: Withings' probe before it records a subscription |
//! | `POST /notify/<secret>` | parses the notification, commits a job to the queue, and only then answers 200 |
//! | `GET /healthz` | 200 while the process runs |
//! | `GET /readyz` | 200 when the database answers and its tables are current, else 503 |
//!
//! # The notification POST
//! Withings' notifications are unsigned, so the path carries an unguessable secret (a wrong
//! one gets 404, as any unknown path), and an optional allow-list of source addresses
//! ([`ServerConfig::allow_from`](crate::config::ServerConfig::allow_from)) answers 403 to
//! other peers. The body (capped at `server.max_body`) is parsed with
//! [`withings::Delivery::parse`] (400 when malformed) and becomes one job:
//! appli 46 with `unlink`/`delete` → an `Unlink` job, 46 with `update` → a `ProfileUpdate`
//! job, any other appli → a `Notify` job for that appli and window. [`JobQueue::enqueue`](withings_postgres::JobQueue::enqueue)
//! commits it before the answer: 200 only once it is durable. When the database cannot take
//! it, the answer is 503 and Withings sends the notification again: it counts any status of
//! 400 or more (or no answer within 2 s) as a failure and retries at about +10 s, +1 min,
//! +1 h and +4 h (API notes §8), so nothing acknowledged is lost. Withings may drop a
//! subscription after repeated failures; the reconciler subscribes it again and the
//! periodic catch-up sync fetches what was missed meanwhile.
//!
//! The POST path makes no Withings call and builds no client: a notification for a user the
//! fleet does not know (or who is not active) is answered 200 and dropped by the queue,
//! which writes nothing; a user's queue is deduplicated (one queued job per user × kind ×
//! appli, a burst widens its window) and capped (`queue_cap`). A flood of forged POSTs
//! therefore costs one indexed read each and never a request of the application's budget.
//!
//! # Onboarding
//! The callback subscribes the user at once ([`crate::reconcile::reconcile`], at most
//! [`RECONCILE_WAIT`]), so the page can say their data will flow; when that fails or takes
//! longer (Withings down, the shared rate limit busy), a `Reconcile` job is queued and a
//! worker finishes it. The reconciler compares before it changes, so a job that runs after
//! a successful direct reconciliation changes nothing.
//!
//! # Logs
//! One `access` line per request (method, route name, status, milliseconds), at `info`.
//! The route is a name (`notify`), never the path: the notification path holds the secret.
//! No token, code, `state`, client secret or key is ever logged.

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use withings::http::{AuthorizationCode, CsrfState};
use withings::notification::UserAction;
use withings::{Appli, CallbackUrl, Delivery, MemoryTokenStore, Scope};
use withings_postgres::{Enqueued, Fleet, JobKind, NewJob};

use crate::config::FleetConfig;
use crate::error::{Error, Result, error_chain as chain};

/// How long the OAuth callback waits for the direct subscription of a new user before it
/// leaves the rest to a `Reconcile` job.
pub const RECONCILE_WAIT: Duration = Duration::from_secs(10);

/// How long a notification body may take to arrive (Withings sends about 100 bytes at
/// once; a client trickling bytes must not hold a task and a connection).
const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens the fleet's database (migrating it), listens on `server.listen` and serves until
/// `shutdown` completes; then stops accepting, lets open requests finish for at most
/// `shutdown_grace`, and returns.
///
/// # Errors
/// [`Error::Postgres`] when the database cannot be opened; [`Error::Io`] when the address
/// cannot be bound; [`Error::Config`].
pub async fn serve(config: FleetConfig, shutdown: impl Future<Output = ()>) -> Result<()> {
    let fleet = config.open_fleet().await?;
    check_subscriptions_after_outage(&fleet, config.queue_cap).await?;
    // Marks the callback alive while this server runs (any replica will do).
    let alive = {
        let fleet = fleet.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(ALIVE_EVERY).await;
                if let Err(e) = fleet.mark_alive(ALIVE_NAME).await {
                    tracing::warn!(error = %e, "cannot record that the server is alive");
                }
            }
        })
    };
    let _stop_marking = AbortOnDrop(alive);
    let listener = TcpListener::bind(config.server.listen)
        .await
        .map_err(|source| Error::Io {
            what: format!("cannot listen on {}", config.server.listen),
            source,
        })?;
    tracing::info!(listen = %config.server.listen, public_url = %config.server.public_url, "serving");
    FleetServer::new(config, fleet)?
        .serve(listener, shutdown)
        .await;
    Ok(())
}

/// How often a running server records that the callback is alive.
const ALIVE_EVERY: Duration = Duration::from_secs(60);
/// The name of that record in `fleet_alive`.
const ALIVE_NAME: &str = "serve";
/// A callback unreachable for longer than this may have lost subscriptions: Withings
/// retries a failed delivery for hours and drops a subscription after repeated failures
/// (API notes §8), and a check costs one `notify list` per user.
pub const RECONCILE_AFTER_DOWN: Duration = Duration::from_secs(10 * 60);

/// Stops a background task when the server returns.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// At start: when no server of the fleet ran for more than [`RECONCILE_AFTER_DOWN`],
/// notifications may have failed often enough for Withings to drop subscriptions, so every
/// active user gets a subscription check (a `Reconcile` job for the workers). Returns the
/// gap, `None` on the very first start.
///
/// # Errors
/// [`Error::Postgres`].
pub async fn check_subscriptions_after_outage(
    fleet: &Fleet,
    queue_cap: i64,
) -> Result<Option<Duration>> {
    let gap = fleet.mark_alive(ALIVE_NAME).await?;
    if let Some(down) = gap.filter(|g| *g > RECONCILE_AFTER_DOWN) {
        let queued = crate::jobs::reconcile_all(fleet, queue_cap).await?;
        tracing::warn!(
            down_s = down.as_secs(),
            queued = queued.queued,
            merged = queued.merged,
            "no server answered notifications for a while: every user's subscriptions will be checked"
        );
    }
    Ok(gap)
}

/// The server: configuration, shared state and the pre-checked URLs. Cheap to clone.
#[derive(Clone)]
pub struct FleetServer {
    inner: Arc<Shared>,
}

/// Shows the public URL only: the notification URL holds the secret.
impl std::fmt::Debug for FleetServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FleetServer")
            .field("public_url", &self.inner.config.server.public_url)
            .finish_non_exhaustive()
    }
}

struct Shared {
    config: FleetConfig,
    fleet: Fleet,
    /// The notification URL for subscriptions (holds the secret: never logged).
    notify_callback: CallbackUrl,
    /// A client without tokens, for authorize URLs only (it sends nothing).
    authorizer: withings::Client,
}

impl FleetServer {
    /// A server for `config` over `fleet` (already migrated, e.g. by
    /// [`FleetConfig::open_fleet`]).
    ///
    /// # Errors
    /// [`Error::Config`] when the public URL gives a redirect or notification URL Withings
    /// would refuse.
    pub fn new(config: FleetConfig, fleet: Fleet) -> Result<Self> {
        // Both checked now, so a bad public URL stops the start, not the first onboarding.
        config.redirect_callback()?;
        let notify_callback = config.notify_callback()?;
        let authorizer = config
            .client_builder()?
            .no_rate_limit()
            .token_store(MemoryTokenStore::new())
            .build()?;
        Ok(Self {
            inner: Arc::new(Shared {
                config,
                fleet,
                notify_callback,
                authorizer,
            }),
        })
    }

    /// Serves on `listener` until `shutdown` completes; then stops accepting, asks open
    /// connections to close after their current request, and waits for them at most
    /// `shutdown_grace`.
    pub async fn serve(self, listener: TcpListener, shutdown: impl Future<Output = ()>) {
        let (closing, closed) = watch::channel(());
        let mut connections = JoinSet::new();
        let mut shutdown = pin!(shutdown);
        loop {
            let accepted = tokio::select! {
                () = &mut shutdown => break,
                accepted = listener.accept() => accepted,
                // Reap finished connections so the set does not grow with the server's age.
                Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            };
            let (stream, peer) = match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: transient, try again shortly.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let server = self.clone();
            let mut closed = closed.clone();
            connections.spawn(async move {
                let service = service_fn(move |req| {
                    let server = server.clone();
                    async move { Ok::<_, Infallible>(server.handle(req, peer).await) }
                });
                let mut conn = pin!(
                    http1::Builder::new()
                        // A client that never finishes its headers does not hold a task.
                        .timer(TokioTimer::new())
                        .header_read_timeout(Duration::from_secs(30))
                        .serve_connection(TokioIo::new(stream), service)
                );
                tokio::select! {
                    _ = conn.as_mut() => {}
                    _ = closed.changed() => {
                        conn.as_mut().graceful_shutdown();
                        let _ = conn.await;
                    }
                }
            });
        }
        drop(listener);
        drop(closing);
        let grace = self.inner.config.shutdown_grace;
        let drained = tokio::time::timeout(grace, async {
            while connections.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                open = connections.len(),
                "connections still open after the shutdown grace; closing them"
            );
            connections.shutdown().await;
        }
        tracing::info!("server stopped");
    }

    /// Routes one request and writes its access-log line.
    async fn handle(&self, req: Request<Incoming>, peer: SocketAddr) -> Response<Full<Bytes>> {
        let started = Instant::now();
        let method = req.method().clone();
        let (route, response) = self.route(req, peer).await;
        tracing::info!(
            target: "withings_fleet::access",
            %method,
            route,
            status = response.status().as_u16(),
            ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        );
        response
    }

    async fn route(
        &self,
        req: Request<Incoming>,
        peer: SocketAddr,
    ) -> (&'static str, Response<Full<Bytes>>) {
        let path = req.uri().path();
        if let Some(secret) = path.strip_prefix("/notify/") {
            if !same_secret(secret, self.inner.config.server.notify_secret.expose()) {
                return ("unknown", text(StatusCode::NOT_FOUND, "not found\n"));
            }
            let response = match *req.method() {
                Method::HEAD | Method::GET => empty(StatusCode::OK),
                Method::POST => self.notify(req, peer).await,
                _ => method_not_allowed("HEAD, GET, POST"),
            };
            return ("notify", response);
        }
        let name = match path {
            "/connect" => "connect",
            "/oauth/callback" => "callback",
            "/healthz" => "healthz",
            "/readyz" => "readyz",
            _ => return ("unknown", text(StatusCode::NOT_FOUND, "not found\n")),
        };
        if *req.method() != Method::GET && *req.method() != Method::HEAD {
            return (name, method_not_allowed("GET, HEAD"));
        }
        let response = match name {
            "connect" => self.connect().await,
            "callback" => self.callback(req.uri().query().unwrap_or("")).await,
            "healthz" => text(StatusCode::OK, "ok\n"),
            _ => self.ready().await,
        };
        (name, response)
    }

    /// `GET /connect`: a fresh `state` in PostgreSQL, then 302 to the authorize page.
    async fn connect(&self) -> Response<Full<Bytes>> {
        let config = &self.inner.config;
        let state = match self
            .inner
            .fleet
            .create_state(config.server.oauth_state_ttl)
            .await
        {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %chain(&e), "cannot create an OAuth state");
                return page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Not available",
                    "The service cannot start an authorization right now. Please try again in a minute.",
                );
            }
        };
        match authorize_url(&self.inner.authorizer, &config.withings.scopes, &state) {
            Ok(url) => Response::builder()
                .status(StatusCode::FOUND)
                .header(LOCATION, url)
                .header(CACHE_CONTROL, "no-store")
                .body(Full::new(Bytes::new()))
                .unwrap_or_else(|_| empty(StatusCode::INTERNAL_SERVER_ERROR)),
            Err(e) => {
                tracing::error!(error = %chain(&e), "cannot build the authorize URL");
                page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Not available",
                    "The service is misconfigured; its operator has been told.",
                )
            }
        }
    }

    /// `GET /oauth/callback`: `state` spent, code exchanged, user stored and subscribed.
    async fn callback(&self, query: &str) -> Response<Full<Bytes>> {
        let mut code = None;
        let mut state = None;
        let mut declined = false;
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            match &*k {
                "code" if !v.is_empty() => code = Some(AuthorizationCode::new(v.into_owned())),
                "state" if !v.is_empty() => state = Some(CsrfState::new(v.into_owned())),
                "error" => declined = true,
                _ => {}
            }
        }
        let again = "Please start again from the page that sent you to Withings.";
        if declined {
            return page(
                StatusCode::BAD_REQUEST,
                "Not connected",
                "The authorization was declined on Withings' page, so nothing was connected.",
            );
        }
        let (Some(code), Some(state)) = (code, state) else {
            return page(
                StatusCode::BAD_REQUEST,
                "Not connected",
                &format!("This link is incomplete. {again}"),
            );
        };
        let fleet = &self.inner.fleet;
        match fleet.take_state(state.expose_secret()).await {
            Ok(true) => {}
            Ok(false) => {
                return page(
                    StatusCode::BAD_REQUEST,
                    "Not connected",
                    &format!("This authorization link has expired or was already used. {again}"),
                );
            }
            Err(e) => {
                tracing::error!(error = %chain(&e), "cannot check an OAuth state");
                return unavailable_page();
            }
        }
        let config = &self.inner.config;
        let exchange = async {
            let client = config
                .client_builder()?
                .rate_limiter(config.limiter(fleet))
                // The exchange's tokens are only returned here, then stored by `add_user`.
                .token_store(MemoryTokenStore::new())
                .build()?;
            Ok::<_, Error>(client.exchange_code(&code).await?)
        };
        let tokens = match exchange.await {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(error = %chain(&e), "the authorization code exchange failed");
                return page(
                    StatusCode::BAD_REQUEST,
                    "Not connected",
                    &format!("Withings did not confirm the authorization. {again}"),
                );
            }
        };
        let Some(userid) = tokens.userid().map(str::to_owned) else {
            tracing::warn!("Withings answered the code exchange without a user id");
            return page(
                StatusCode::BAD_REQUEST,
                "Not connected",
                &format!("Withings did not say which account was connected. {again}"),
            );
        };
        if let Err(e) = fleet.add_user(&tokens).await {
            tracing::error!(error = %chain(&e), userid, "cannot store a new user's tokens");
            return unavailable_page();
        }
        tracing::info!(userid, "user connected");
        self.subscribe(&userid).await;
        page(
            StatusCode::OK,
            "Connected",
            "Your Withings account is connected. New measurements will be synced as Withings reports them; you can close this page.",
        )
    }

    /// Subscribes a new user's notifications now, or queues a `Reconcile` job to do it.
    async fn subscribe(&self, userid: &str) {
        let config = &self.inner.config;
        let fleet = &self.inner.fleet;
        let direct = async {
            let client = config
                .client_builder()?
                .rate_limiter(config.limiter(fleet))
                .token_store(fleet.token_store(userid))
                .build()?;
            crate::reconcile::reconcile(
                &client,
                &self.inner.notify_callback,
                &config.withings.applis,
            )
            .await
        };
        let why = match tokio::time::timeout(RECONCILE_WAIT, direct).await {
            Ok(Ok(plan)) => {
                tracing::info!(userid, %plan, "subscriptions made");
                return;
            }
            Ok(Err(e)) => chain(&e),
            Err(_) => format!("not done within {RECONCILE_WAIT:?}"),
        };
        let job = NewJob::new(userid, JobKind::Reconcile);
        match fleet.queue().enqueue(job, config.queue_cap).await {
            Ok(outcome) => {
                tracing::warn!(userid, error = %why, ?outcome, "subscribing failed; a worker will retry");
            }
            Err(e) => tracing::error!(
                userid,
                error = %why,
                queue_error = %chain(&e),
                "subscribing failed and no Reconcile job could be queued; the next catch-up will subscribe"
            ),
        }
    }

    /// `POST /notify/<secret>`: one job committed, then 200.
    async fn notify(&self, req: Request<Incoming>, peer: SocketAddr) -> Response<Full<Bytes>> {
        let server = &self.inner.config.server;
        if !allowed(&server.allow_from, peer.ip()) {
            tracing::warn!(peer = %peer.ip(), "notification from an address not allowed");
            return text(StatusCode::FORBIDDEN, "forbidden\n");
        }
        let declared = req
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let max = server.max_body;
        if declared.is_some_and(|n| n > u64::try_from(max).unwrap_or(u64::MAX)) {
            return text(StatusCode::PAYLOAD_TOO_LARGE, "body too large\n");
        }
        let read = tokio::time::timeout(BODY_TIMEOUT, Limited::new(req.into_body(), max).collect());
        let body = match read.await {
            Ok(Ok(b)) => b.to_bytes(),
            Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
                return text(StatusCode::PAYLOAD_TOO_LARGE, "body too large\n");
            }
            Ok(Err(_)) => return text(StatusCode::BAD_REQUEST, "unreadable body\n"),
            Err(_) => return text(StatusCode::REQUEST_TIMEOUT, "body too slow\n"),
        };
        match job_for(&body) {
            Ok(job) => self.enqueue(job).await,
            Err(why) => {
                tracing::debug!(why, "malformed notification");
                text(StatusCode::BAD_REQUEST, &format!("{why}\n"))
            }
        }
    }

    async fn enqueue(&self, job: NewJob) -> Response<Full<Bytes>> {
        let userid = job.userid.clone();
        let kind = job.kind;
        match self
            .inner
            .fleet
            .queue()
            .enqueue(job, self.inner.config.queue_cap)
            .await
        {
            Ok(outcome) => {
                match outcome {
                    Enqueued::UnknownUser => {
                        tracing::debug!(
                            userid,
                            "notification for a user who is not active: dropped"
                        );
                    }
                    Enqueued::Capped => {
                        tracing::warn!(
                            userid,
                            kind = kind.as_str(),
                            "the user's queue is full: notification dropped"
                        );
                    }
                    other => {
                        tracing::debug!(userid, kind = kind.as_str(), outcome = ?other, "notification queued")
                    }
                }
                text(StatusCode::OK, "ok\n")
            }
            Err(e) => {
                tracing::error!(userid, error = %chain(&e), "cannot queue a notification; answering 503 so Withings retries");
                text(StatusCode::SERVICE_UNAVAILABLE, "try again later\n")
            }
        }
    }

    /// `GET /readyz`.
    async fn ready(&self) -> Response<Full<Bytes>> {
        match self.inner.fleet.database().ready().await {
            Ok(()) => text(StatusCode::OK, "ready\n"),
            Err(e) => {
                tracing::warn!(error = %chain(&e), "not ready");
                text(StatusCode::SERVICE_UNAVAILABLE, "database not ready\n")
            }
        }
    }
}

/// The job a notification body asks for, or why it is malformed (a message for the
/// sender: it names the problem, never echoes the body).
fn job_for(body: &[u8]) -> std::result::Result<NewJob, String> {
    let delivery = Delivery::parse(body).map_err(|e| e.to_string())?;
    let event = delivery.event();
    let userid = event
        .user_id
        .as_deref()
        .filter(|u| !u.is_empty())
        .ok_or("no userid")?;
    let appli = event.appli.ok_or("no appli")?;
    if appli == Appli::User {
        let kind = match &event.action {
            Some(UserAction::Unlink | UserAction::Delete) => JobKind::Unlink,
            Some(UserAction::Update) => JobKind::ProfileUpdate,
            _ => return Err("appli 46 without a known action".to_owned()),
        };
        return Ok(NewJob::new(userid, kind));
    }
    let code = i32::try_from(appli.code()).map_err(|_| "appli out of range")?;
    Ok(NewJob::notify(
        userid,
        code,
        event.window.start.map(|t| t.as_second()),
        event.window.end.map(|t| t.as_second()),
    ))
}

/// The authorize URL of the façade (`Client::authorize`), with our `state` in place of the
/// one it drew: the state must live in PostgreSQL, where any server process finds it.
fn authorize_url(client: &withings::Client, scopes: &[Scope], state: &str) -> Result<String> {
    let pending = client.authorize(scopes)?;
    let url = pending.url();
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        if k == "state" {
            out.append_pair("state", state);
        } else {
            out.append_pair(&k, &v);
        }
    }
    Ok(format!("{base}?{}", out.finish()))
}

/// Compares the path segment with the secret in time that does not depend on where they
/// differ (the lengths may leak; the secret's length is not the secret).
fn same_secret(given: &str, secret: &str) -> bool {
    given.len() == secret.len()
        && given
            .bytes()
            .zip(secret.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

fn text(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "text/plain; charset=utf-8")
        .header(CACHE_CONTROL, "no-store")
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap_or_else(|_| empty(StatusCode::INTERNAL_SERVER_ERROR))
}

fn empty(status: StatusCode) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = status;
    r
}

fn method_not_allowed(allow: &'static str) -> Response<Full<Bytes>> {
    let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
    r.headers_mut()
        .insert(http::header::ALLOW, http::HeaderValue::from_static(allow));
    r
}

fn unavailable_page() -> Response<Full<Bytes>> {
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Not connected",
        "The service could not save the connection right now. Please start again in a minute.",
    )
}

/// A small HTML page. `title` and `message` are this module's own text, never input.
fn page(status: StatusCode, title: &str, message: &str) -> Response<Full<Bytes>> {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title></head>\n<body style=\"font-family: sans-serif; max-width: 36em; margin: 3em auto\">\
         <h1>{title}</h1>\n<p>{message}</p>\n</body></html>\n"
    );
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "text/html; charset=utf-8")
        .header(CACHE_CONTROL, "no-store")
        .body(Full::new(Bytes::from(html)))
        .unwrap_or_else(|_| empty(StatusCode::INTERNAL_SERVER_ERROR))
}

/// Whether `ip` may POST notifications under `allow` (empty: everyone).
fn allowed(allow: &[crate::config::IpNet], ip: IpAddr) -> bool {
    allow.is_empty() || allow.iter().any(|n| n.contains(ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_become_the_jobs_the_design_says() {
        let j = job_for(b"userid=42&appli=44&startdate=1717364400&enddate=1717393800").unwrap();
        assert_eq!(
            j,
            NewJob::notify("42", 44, Some(1_717_364_400), Some(1_717_393_800))
        );
        let j = job_for(b"userid=42&appli=46&action=unlink").unwrap();
        assert_eq!(j, NewJob::new("42", JobKind::Unlink));
        let j = job_for(b"userid=42&appli=46&action=delete").unwrap();
        assert_eq!(j, NewJob::new("42", JobKind::Unlink));
        let j = job_for(b"userid=42&appli=46&action=update").unwrap();
        assert_eq!(j, NewJob::new("42", JobKind::ProfileUpdate));
        assert_eq!(job_for(b"appli=1&startdate=1").unwrap_err(), "no userid");
        assert_eq!(job_for(b"userid=42").unwrap_err(), "no appli");
        assert!(job_for(b"userid=42&appli=abc").is_err());
        assert!(job_for(b"userid=42&appli=46&action=dance").is_err());
    }

    #[test]
    fn the_secret_comparison_needs_every_byte() {
        assert!(same_secret("abcdef", "abcdef"));
        assert!(!same_secret("abcdeg", "abcdef"));
        assert!(!same_secret("abcde", "abcdef"));
        assert!(!same_secret("", "abcdef"));
    }
}
