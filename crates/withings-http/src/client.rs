//! The client: one generic path for every endpoint, plus the OAuth calls.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use tracing::Instrument;
use tracing::field::Empty;
use withings_model::oauth2::{GetDemoAccess, RequestToken, Revoke, Signed, TokenBody};
use withings_model::signature::{GetNonce, NonceBody};
use withings_model::{EmptyBody, Endpoint, Form, Reply, Service, parse_reply};

use crate::clock::{Clock, SystemClock};
use crate::limiter::{Limiter, RateLimiter};
use crate::oauth::{self, AppCredentials, AuthorizationCode, CsrfState, PendingAuthorization};
use crate::retry::RetryPolicy;
use crate::token::{AccessToken, MemoryTokenStore, Refreshed, TokenSet, TokenStore};
use crate::transport::{HttpReply, Transport};
use crate::{Error, ErrorKind, sign};
use withings_model::scope::Scope;

/// A Withings cloud: its API host and its account (authorization) host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Region {
    /// The public cloud: `https://wbsapi.withings.net`, `https://account.withings.com`.
    #[default]
    Eu,
    /// The US medical cloud (contract partners): `https://wbsapi.us.withingsmed.net`,
    /// `https://account.us.withingsmed.com`.
    Us,
}

impl Region {
    /// The API base URL.
    #[must_use]
    pub const fn api_url(self) -> &'static str {
        match self {
            Self::Eu => "https://wbsapi.withings.net",
            Self::Us => "https://wbsapi.us.withingsmed.net",
        }
    }

    /// The account host that serves the authorization page.
    #[must_use]
    pub const fn account_url(self) -> &'static str {
        match self {
            Self::Eu => "https://account.withings.com",
            Self::Us => "https://account.us.withingsmed.com",
        }
    }
}

/// Builds a [`Client`] — or any type made from one (`T: From<Client>`): the façade's client
/// is built by this same builder, so no option is written twice.
pub struct ClientBuilder<T = Client> {
    target: PhantomData<fn() -> T>,
    base_url: String,
    account_url: String,
    timeout: Option<Duration>,
    max_response_size: usize,
    retry: RetryPolicy,
    limiter: Option<Arc<dyn Limiter>>,
    clock: Arc<dyn Clock>,
    credentials: Option<AppCredentials>,
    tokens: TokenSource,
    refresh_margin: Duration,
    on_wait: Option<WaitHook>,
}

/// Told about every wait before it starts (see [`ClientBuilder::on_wait`]).
#[derive(Clone)]
struct WaitHook(Arc<dyn Fn(Wait) + Send + Sync>);

impl fmt::Debug for WaitHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WaitHook")
    }
}

/// A wait the client is about to do, for a progress line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Wait {
    /// Why.
    pub reason: WaitReason,
    /// For how long; zero when not known in advance (the limiter's pacing, which lasts until
    /// its next free slot).
    pub duration: Duration,
}

/// Why the client waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitReason {
    /// The client-side rate limiter spaces the calls.
    Pacing,
    /// Withings answered 601 (or HTTP 429) and said how long to wait.
    RateLimited,
    /// A transient failure (522, a network error) before trying again.
    Backoff,
}

#[derive(Debug)]
enum TokenSource {
    Store(Arc<dyn TokenStore>),
    Static(AccessToken),
}

impl<T> fmt::Debug for ClientBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("account_url", &self.account_url)
            .field("timeout", &self.timeout)
            .field("max_response_size", &self.max_response_size)
            .field("retry", &self.retry)
            .field("limiter", &self.limiter)
            .field("clock", &self.clock)
            .field("credentials", &self.credentials)
            .field("tokens", &self.tokens)
            .field("refresh_margin", &self.refresh_margin)
            .field("on_wait", &self.on_wait)
            .finish()
    }
}

impl<T> Default for ClientBuilder<T> {
    fn default() -> Self {
        Self {
            target: PhantomData,
            base_url: Region::Eu.api_url().to_owned(),
            account_url: Region::Eu.account_url().to_owned(),
            timeout: Some(Duration::from_secs(30)),
            max_response_size: 64 * 1024 * 1024,
            retry: RetryPolicy::default(),
            limiter: Some(Arc::new(RateLimiter::withings_default())),
            clock: Arc::new(SystemClock),
            credentials: None,
            tokens: TokenSource::Store(Arc::new(MemoryTokenStore::new())),
            refresh_margin: Duration::from_secs(300),
            on_wait: None,
        }
    }
}

impl<T: From<Client>> ClientBuilder<T> {
    /// The API base URL (default `https://wbsapi.withings.net`). Any https URL; plain http
    /// only to a loopback address (127.0.0.0/8, `::1`, `localhost`), for tests and local
    /// sandboxes. Checked by [`build`](Self::build).
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Sets both the API URL and the account URL for a Withings cloud.
    #[must_use]
    pub fn region(mut self, region: Region) -> Self {
        self.base_url = region.api_url().to_owned();
        self.account_url = region.account_url().to_owned();
        self
    }

    /// The host serving the authorization page (default `https://account.withings.com`).
    #[must_use]
    pub fn account_url(mut self, url: impl Into<String>) -> Self {
        self.account_url = url.into();
        self
    }

    /// The time allowed for one HTTP exchange, from sending the request to the last byte of
    /// the response (default 30 s). Retries get a fresh allowance each.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// No per-request timeout. Only for tests on a paused tokio clock, where a pending timer
    /// would fire while the runtime waits on real I/O.
    #[must_use]
    pub fn no_timeout(mut self) -> Self {
        self.timeout = None;
        self
    }

    /// The largest response body accepted, in bytes (default 64 MiB).
    #[must_use]
    pub fn max_response_size(mut self, bytes: usize) -> Self {
        self.max_response_size = bytes;
        self
    }

    /// How calls are retried (default [`RetryPolicy::default`]).
    #[must_use]
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The client-side rate limiter (default: a new 120-per-minute limiter per client). Give
    /// every client of the same application a clone of one limiter: Withings counts per
    /// application.
    #[must_use]
    pub fn rate_limiter(mut self, limiter: impl Limiter) -> Self {
        self.limiter = Some(Arc::new(limiter));
        self
    }

    /// No client-side rate limiting (the 601 handling stays).
    #[must_use]
    pub fn no_rate_limit(mut self) -> Self {
        self.limiter = None;
        self
    }

    /// The clock used for token expiry and signatures (default [`SystemClock`]).
    #[must_use]
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The application's credentials: needed to authorize, exchange codes, refresh tokens
    /// and sign requests.
    #[must_use]
    pub fn credentials(mut self, credentials: AppCredentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Where tokens are loaded from and saved to (default: in memory only). The client
    /// refreshes them as they expire and saves every new pair before using it.
    #[must_use]
    pub fn token_store(mut self, store: impl TokenStore + 'static) -> Self {
        self.tokens = TokenSource::Store(Arc::new(store));
        self
    }

    /// A fixed access token, never refreshed (scripts, the demo account). Replaces any
    /// token store.
    #[must_use]
    pub fn access_token(mut self, token: AccessToken) -> Self {
        self.tokens = TokenSource::Static(token);
        self
    }

    /// How long before expiry a token is refreshed (default 5 minutes).
    #[must_use]
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// Calls `hook` before every wait — pacing by the rate limiter, a 601 waited out, a
    /// backoff — so a program can show it (a progress line: "waiting 57 s:
    /// rate limit"). The hook must return quickly; it runs on the calling task.
    #[must_use]
    pub fn on_wait(mut self, hook: impl Fn(Wait) + Send + Sync + 'static) -> Self {
        self.on_wait = Some(WaitHook(Arc::new(hook)));
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] for a base or account URL that is not https (or http to a
    /// loopback address); [`ErrorKind::Tls`] if the TLS configuration cannot be built.
    pub fn build(self) -> Result<T, Error> {
        let transport = Transport::new(&self.base_url, self.timeout, self.max_response_size)?;
        let account_url = crate::transport::check_base_url(&self.account_url)?;
        let auth = match self.tokens {
            TokenSource::Static(t) => Auth::Static(t),
            TokenSource::Store(store) => Auth::Managed(Managed {
                store,
                current: Mutex::new(None),
                refresh: tokio::sync::Mutex::new(()),
                attempts: std::sync::atomic::AtomicU64::new(0),
                failure: Mutex::new(None),
            }),
        };
        Ok(T::from(Client {
            inner: Arc::new(Inner {
                transport,
                account_url,
                retry: self.retry,
                limiter: self.limiter,
                clock: self.clock,
                credentials: self.credentials,
                auth,
                refresh_margin: self.refresh_margin,
                on_wait: self.on_wait,
            }),
        }))
    }
}

/// A Withings API client. Cheap to clone (an `Arc` inside); clones share the connection
/// pool, the tokens and the rate limiter.
///
/// Every call goes through one path: the client-side rate limiter, a valid access token
/// (refreshed a few minutes before expiry, one refresh for any number of concurrent callers,
/// saved before first use), a form POST, the envelope's status read before the body, status
/// → typed [`Error`], retries ([`RetryPolicy`]), and on status 401 one refresh and one retry.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    transport: Transport,
    account_url: String,
    retry: RetryPolicy,
    limiter: Option<Arc<dyn Limiter>>,
    clock: Arc<dyn Clock>,
    credentials: Option<AppCredentials>,
    auth: Auth,
    refresh_margin: Duration,
    on_wait: Option<WaitHook>,
}

#[derive(Debug)]
enum Auth {
    Static(AccessToken),
    Managed(Managed),
}

#[derive(Debug)]
struct Managed {
    store: Arc<dyn TokenStore>,
    current: Mutex<Option<Arc<TokenSet>>>,
    /// Held while loading or refreshing: the single flight.
    refresh: tokio::sync::Mutex<()>,
    /// How many refresh attempts have finished, successful or not: a caller that waited for
    /// the flight sees it move and shares that attempt's outcome instead of trying again.
    attempts: std::sync::atomic::AtomicU64,
    /// The outcome of the last attempt when it failed, for the callers that waited on it.
    failure: Mutex<Option<SharedFailure>>,
}

/// A failed refresh, kept so every caller waiting on the same attempt gets the same error.
#[derive(Debug, Clone)]
struct SharedFailure {
    attempt: u64,
    kind: ErrorKind,
    status: Option<i64>,
    message: String,
}

impl SharedFailure {
    fn of(attempt: u64, e: &Error) -> Self {
        Self {
            attempt,
            kind: e.kind(),
            status: e.status(),
            message: e.to_string(),
        }
    }

    fn to_error(&self) -> Error {
        let e = Error::new(self.kind).with_message(format!(
            "{} (the refresh this call waited for failed)",
            self.message
        ));
        match self.status {
            Some(s) => e.with_status(s),
            None => e,
        }
    }
}

impl Managed {
    fn snapshot(&self) -> Option<Arc<TokenSet>> {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set(&self, tokens: Arc<TokenSet>) {
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Some(tokens);
    }
}

/// Why a refresh was asked for.
enum Reason {
    /// The token is expired or about to be (or not loaded yet).
    Expiring,
    /// Withings refused this access token (status 401).
    Rejected(AccessToken),
    /// The caller asked.
    Forced,
}

/// Which failures a call may be sent again after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resend {
    /// An idempotent request: after any retryable failure.
    Any,
    /// A request that is not idempotent: only when Withings refused it unprocessed (601,
    /// HTTP 429, a refused token then refreshed) or it provably never left.
    Unprocessed,
    /// Never: a code exchange, and signed calls (their caller signs each attempt anew).
    Never,
}

impl Resend {
    /// What the declaration of `E` allows ([`Endpoint::IDEMPOTENT`]).
    fn declared<E: Endpoint>() -> Self {
        if E::IDEMPOTENT {
            Self::Any
        } else {
            Self::Unprocessed
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum CallAuth {
    Bearer,
    None,
}

enum Bearer<'a> {
    Static(&'a AccessToken),
    Managed(Arc<TokenSet>),
}

impl Bearer<'_> {
    fn token(&self) -> &AccessToken {
        match self {
            Self::Static(t) => t,
            Self::Managed(set) => set.access_token(),
        }
    }
}

type RefreshFuture<'a> = Pin<Box<dyn Future<Output = Result<Arc<TokenSet>, Error>> + Send + 'a>>;

/// The raw `body` of a successful response, as JSON text: the escape hatch for actions the
/// model does not describe. `Debug` shows only its length (it may hold tokens).
pub struct RawBody {
    json: Box<str>,
}

impl RawBody {
    /// The JSON text of `body`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.json
    }

    /// The JSON text of `body`.
    #[must_use]
    pub fn into_string(self) -> String {
        self.json.into_string()
    }

    /// Parses `body` into any deserializable type (a model type, or a JSON value type).
    ///
    /// # Errors
    /// [`ErrorKind::Decode`] naming the JSON path (`body.…`) of the mismatch.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, Error> {
        withings_model::de::from_slice::<T>(self.json.as_bytes())
            .map_err(|e| Error::decode(e.within("body"), self.json.as_bytes(), &[]))
    }
}

impl fmt::Debug for RawBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawBody")
            .field("len", &self.json.len())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("inner", &self.inner)
            .finish()
    }
}

/// A successful answer of [`Client::send_with`]: read by the caller's one-pass reader, or,
/// when that declined, by the wire model.
#[derive(Debug, Clone, PartialEq)]
pub enum Received<T, B> {
    /// What the one-pass reader answered.
    OnePass(T),
    /// The wire body (the endpoint's [`Endpoint::Body`]): the reader declined.
    Wire(B),
}

/// The reader of a call that has none: declines everything.
fn declines<T>(_: &[u8]) -> Option<T> {
    None
}

fn secret(s: &str) -> SecretString {
    SecretString::from(s)
}

impl Client {
    /// A builder with the defaults: the public cloud, 30 s timeout, 120 requests per minute,
    /// tokens in memory.
    #[must_use]
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The client-side rate limiter, to share with other clients of the same application.
    #[must_use]
    pub fn rate_limiter(&self) -> Option<Arc<dyn Limiter>> {
        self.inner.limiter.clone()
    }

    /// The API base URL in use.
    #[must_use]
    pub fn base_url(&self) -> &str {
        self.inner.transport.base()
    }

    /// Sends any endpoint the model describes and returns its typed body.
    ///
    /// Calls to `/v2/oauth2` and `/v2/signature` carry no bearer token; all others do.
    ///
    /// # Errors
    /// An [`Error`] whose [`kind`](Error::kind) tells the status family (auth, invalid
    /// params, rate limited...), a transport or TLS failure, a timeout, or a body that does not
    /// match the model (with its JSON path). Retryable failures are returned only once the
    /// [`RetryPolicy`] is exhausted.
    ///
    /// A request is sent again after a failure only as its declaration allows
    /// ([`Endpoint::IDEMPOTENT`]): an idempotent read after any retryable failure; any other
    /// request only when Withings refused it unprocessed (601, HTTP 429, a refused token then
    /// refreshed) or it provably never left ([`Error::is_unsent`]).
    pub async fn send<E: Endpoint>(&self, endpoint: &E) -> Result<E::Body, Error> {
        self.send_as(endpoint, Resend::declared::<E>()).await
    }

    /// As [`send`](Self::send), reading a successful response with `one_pass` first: a
    /// reader from the response's bytes (envelope included) straight to the caller's value,
    /// which answers `None` ("declines") for anything it does not read — a status other than
    /// 0 above all. What it answers is [`Received::OnePass`]; when it declines, the response
    /// goes the way [`send`](Self::send) takes it, and a success is [`Received::Wire`].
    ///
    /// Only a success can be read in one pass: every other answer — a status to act on (401
    /// refreshed, 601 waited out, retries), an error with its JSON path, secrets redacted —
    /// is exactly [`send`](Self::send)'s, with the same requests sent. The reader runs on
    /// every response with an HTTP 2xx status, before the wire model is tried. (The façade
    /// passes `withings_decode`'s one-pass readers; this crate does not depend on them.)
    ///
    /// ```
    /// # async fn _run(client: &withings_http::Client) -> Result<(), withings_http::Error> {
    /// use withings_http::Received;
    /// use withings_model::user::GetGoals;
    ///
    /// /// Just the number of bytes of a successful response; `None` for any other.
    /// fn length(bytes: &[u8]) -> Option<usize> {
    ///     bytes.starts_with(br#"{"status":0,"#).then_some(bytes.len())
    /// }
    /// match client.send_with(&GetGoals::new(), length).await? {
    ///     Received::OnePass(n) => println!("{n} bytes"),
    ///     Received::Wire(body) => println!("{body:?}"),
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub async fn send_with<E: Endpoint, T>(
        &self,
        endpoint: &E,
        one_pass: fn(&[u8]) -> Option<T>,
    ) -> Result<Received<T, E::Body>, Error> {
        let auth = Self::auth_for(E::SERVICE);
        let form = Bytes::from(endpoint.form().encode());
        let resend = Resend::declared::<E>();
        self.call_with(E::SERVICE, E::ACTION, form, auth, resend, one_pass)
            .await
    }

    async fn send_as<E: Endpoint>(&self, endpoint: &E, resend: Resend) -> Result<E::Body, Error> {
        let auth = Self::auth_for(E::SERVICE);
        let form = Bytes::from(endpoint.form().encode());
        self.call::<E::Body>(E::SERVICE, E::ACTION, form, auth, resend)
            .await
    }

    /// Sends any action with any form (an `action` pair in `form` is ignored: `action` is
    /// sent first) and returns the raw `body`, with the same status handling and token
    /// refresh as [`send`](Self::send). Nothing tells whether an undeclared action is
    /// idempotent, so it is sent again only when that is safe for any action (601, HTTP 429,
    /// a refused token then refreshed, a request that never left).
    ///
    /// # Errors
    /// As [`send`](Self::send), except that the body is not checked against a model.
    pub async fn send_raw(
        &self,
        service: Service,
        action: &str,
        form: &Form,
    ) -> Result<RawBody, Error> {
        self.send_raw_as(
            service,
            action,
            form,
            Self::auth_for(service),
            Resend::Unprocessed,
        )
        .await
    }

    async fn send_raw_as(
        &self,
        service: Service,
        action: &str,
        form: &Form,
        auth: CallAuth,
        resend: Resend,
    ) -> Result<RawBody, Error> {
        let mut s = form_urlencoded::Serializer::new(String::new());
        s.append_pair("action", action);
        s.extend_pairs(form.pairs().filter(|(k, _)| *k != "action"));
        let raw: Box<RawValue> = self
            .call(service, action, Bytes::from(s.finish()), auth, resend)
            .await?;
        Ok(RawBody { json: raw.into() })
    }

    fn auth_for(service: Service) -> CallAuth {
        // Token and signature actions authenticate with the client secret or a signature;
        // an access token there would only be one more place it travels.
        if service.takes_user_token() {
            CallAuth::Bearer
        } else {
            CallAuth::None
        }
    }

    /// A call whose success is read by the wire model alone.
    async fn call<B: DeserializeOwned>(
        &self,
        service: Service,
        action: &str,
        form: Bytes,
        auth: CallAuth,
        resend: Resend,
    ) -> Result<B, Error> {
        match self
            .call_with::<B, Infallible>(service, action, form, auth, resend, declines)
            .await?
        {
            Received::Wire(body) => Ok(body),
            Received::OnePass(never) => match never {},
        }
    }

    /// The one path of every call: a success read by `one_pass` when it answers, else by the
    /// wire model as `B`.
    async fn call_with<B: DeserializeOwned, T>(
        &self,
        service: Service,
        action: &str,
        form: Bytes,
        auth: CallAuth,
        resend: Resend,
        one_pass: fn(&[u8]) -> Option<T>,
    ) -> Result<Received<T, B>, Error> {
        let span = tracing::info_span!(
            "withings.call",
            service = service.path(),
            action,
            attempt = Empty,
            status = Empty,
            latency_ms = Empty,
        );
        self.call_in_span(service, action, form, auth, resend, one_pass, &span)
            .instrument(span.clone())
            .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn call_in_span<B: DeserializeOwned, T>(
        &self,
        service: Service,
        action: &str,
        form: Bytes,
        auth: CallAuth,
        resend: Resend,
        one_pass: fn(&[u8]) -> Option<T>,
        span: &tracing::Span,
    ) -> Result<Received<T, B>, Error> {
        let uri = self.inner.transport.uri(service)?;
        let policy = &self.inner.retry;
        let started = tokio::time::Instant::now();
        let mut attempt: u32 = 0;
        let mut backoffs: u32 = 0;
        let mut rate_waits: u32 = 0;
        let mut waited = Duration::ZERO;
        let mut refreshed = false;
        loop {
            attempt += 1;
            span.record("attempt", attempt);
            if let Some(limiter) = &self.inner.limiter {
                let mut acquire = limiter.acquire();
                // Tell the hook only when the limiter actually makes the call wait.
                if futures_poll_once(&mut acquire).await.is_none() {
                    self.notify_wait(WaitReason::Pacing, Duration::ZERO);
                    acquire.await;
                }
            }
            let bearer = match auth {
                CallAuth::Bearer => Some(
                    self.bearer()
                        .await
                        .map_err(|e| e.with_call(service, action))?,
                ),
                CallAuth::None => None,
            };
            let token = bearer.as_ref().map(Bearer::token);
            let result = match self
                .inner
                .transport
                .post(uri.clone(), form.clone(), token)
                .await
            {
                Ok(reply) => self.interpret::<B, T>(reply, token, one_pass),
                Err(e) => Err(e),
            };
            let err = match result {
                Ok(body) => {
                    span.record("status", 0);
                    span.record("latency_ms", started.elapsed().as_millis() as u64);
                    return Ok(body);
                }
                Err(e) => e.with_call(service, action),
            };
            if let Some(s) = err.status() {
                span.record("status", s);
            }
            // Status 401 (or another authentication status): the token may have been revoked
            // or rotated elsewhere. Refresh once, retry once (API notes §9.3).
            if resend == Resend::Never {
                span.record("latency_ms", started.elapsed().as_millis() as u64);
                return Err(err);
            }
            if err.kind() == ErrorKind::Auth
                && err.status().is_some()
                && !refreshed
                && let (Some(b), Auth::Managed(m)) = (&bearer, &self.inner.auth)
            {
                refreshed = true;
                let rejected = b.token().clone();
                drop(bearer);
                tracing::debug!(
                    status = err.status(),
                    "access token refused; refreshing once"
                );
                self.refresh_boxed(m, Reason::Rejected(rejected))
                    .await
                    .map_err(|e| e.with_call(service, action))?;
                continue;
            }
            if err.kind() == ErrorKind::RateLimited {
                // A zero wait must not turn into a busy loop.
                let wait = err
                    .retry_after()
                    .unwrap_or(Duration::from_secs(60))
                    .max(Duration::from_secs(1));
                if rate_waits < 20 && waited.saturating_add(wait) <= policy.rate_limit_budget() {
                    rate_waits += 1;
                    waited = waited.saturating_add(wait);
                    tracing::debug!(wait_s = wait.as_secs(), "rate limited; waiting as told");
                    self.notify_wait(WaitReason::RateLimited, wait);
                    tokio::time::sleep(wait).await;
                    continue;
                }
            } else if err.is_retryable()
                && backoffs < policy.retries()
                && (resend == Resend::Any || err.is_unsent())
            {
                let delay = policy.backoff(backoffs);
                backoffs += 1;
                tracing::debug!(kind = ?err.kind(), delay_ms = delay.as_millis() as u64, "retrying");
                self.notify_wait(WaitReason::Backoff, delay);
                tokio::time::sleep(delay).await;
                continue;
            }
            span.record("latency_ms", started.elapsed().as_millis() as u64);
            return Err(err);
        }
    }

    fn notify_wait(&self, reason: WaitReason, duration: Duration) {
        if let Some(hook) = &self.inner.on_wait {
            (hook.0)(Wait { reason, duration });
        }
    }

    /// Status before body; an HTTP error page without an envelope is an HTTP error. A
    /// success `one_pass` reads is its answer; anything it declines is read as before.
    fn interpret<B: DeserializeOwned, T>(
        &self,
        reply: HttpReply,
        token: Option<&AccessToken>,
        one_pass: fn(&[u8]) -> Option<T>,
    ) -> Result<Received<T, B>, Error> {
        // The reader answers only for `{"status":0,…}`: a 2xx status is all it may see (an
        // error page is never handed to it, whatever it holds).
        if (200..300).contains(&reply.status)
            && let Some(read) = one_pass(&reply.body)
        {
            return Ok(Received::OnePass(read));
        }
        let parsed = match parse_reply::<B>(&reply.body) {
            Ok(Reply::Ok(body)) => return Ok(Received::Wire(body)),
            Ok(Reply::Status(status)) => Ok(status),
            Err(e) => Err(e),
        };
        // Error path: gather what must not appear in the error.
        let snapshot = match &self.inner.auth {
            Auth::Managed(m) => m.snapshot(),
            Auth::Static(_) => None,
        };
        let mut secrets: Vec<&str> = Vec::with_capacity(4);
        if let Some(t) = token {
            secrets.push(t.expose_secret());
        }
        if let Some(s) = &snapshot {
            secrets.push(s.access_token().expose_secret());
            secrets.push(s.refresh_token().expose_secret());
        }
        if let Some(c) = &self.inner.credentials {
            secrets.push(c.client_secret().expose_secret());
        }
        match parsed {
            Ok(status) => Err(Error::from_status(&status, &secrets)),
            Err(_) if reply.status == 429 => Err(Error::new(ErrorKind::RateLimited)
                .with_http_status(429)
                .with_retry_after(Some(reply.retry_after.unwrap_or(Duration::from_secs(60))))),
            Err(_) if !(200..300).contains(&reply.status) => {
                Err(Error::new(ErrorKind::HttpStatus).with_http_status(reply.status))
            }
            Err(parse) => Err(Error::decode(parse, &reply.body, &secrets)),
        }
    }

    async fn bearer(&self) -> Result<Bearer<'_>, Error> {
        match &self.inner.auth {
            Auth::Static(t) => Ok(Bearer::Static(t)),
            Auth::Managed(m) => {
                if let Some(current) = m.snapshot()
                    && !current.expires_within(self.inner.clock.now(), self.inner.refresh_margin)
                {
                    return Ok(Bearer::Managed(current));
                }
                self.refresh_boxed(m, Reason::Expiring)
                    .await
                    .map(Bearer::Managed)
            }
        }
    }

    /// Boxed: the refresh sends a request through [`Self::call`], which may itself refresh.
    fn refresh_boxed<'a>(&'a self, m: &'a Managed, reason: Reason) -> RefreshFuture<'a> {
        Box::pin(self.refresh_single_flight(m, reason))
    }

    async fn refresh_single_flight(
        &self,
        m: &Managed,
        reason: Reason,
    ) -> Result<Arc<TokenSet>, Error> {
        use std::sync::atomic::Ordering;
        let seen = m.attempts.load(Ordering::SeqCst);
        let _flight = m.refresh.lock().await;
        let finished = m.attempts.load(Ordering::SeqCst);
        if finished != seen {
            // An attempt finished while this caller waited: share its outcome, failure
            // included, rather than trying again with what may be a dead token.
            let failed = m
                .failure
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
                .filter(|f| f.attempt == finished);
            if let Some(f) = failed {
                return Err(f.to_error());
            }
            if let Some(current) = m.snapshot() {
                return Ok(current);
            }
        }
        // Whoever held the lock before may have done the work: look again.
        let current = match m.snapshot() {
            Some(c) => c,
            None => match m.store.load().await? {
                Some(loaded) => {
                    let loaded = Arc::new(loaded);
                    m.set(loaded.clone());
                    loaded
                }
                None => {
                    return Err(Error::new(ErrorKind::Auth).with_message("no token is stored yet"));
                }
            },
        };
        let now = self.inner.clock.now();
        match &reason {
            Reason::Expiring if !current.expires_within(now, self.inner.refresh_margin) => {
                return Ok(current);
            }
            Reason::Rejected(refused)
                if !current.access_token().same_as(refused.expose_secret()) =>
            {
                return Ok(current);
            }
            _ => {}
        }
        let outcome = self.refresh_now(m, &current, &reason).await;
        let attempt = m.attempts.fetch_add(1, Ordering::SeqCst) + 1;
        *m.failure.lock().unwrap_or_else(PoisonError::into_inner) = outcome
            .as_ref()
            .err()
            .map(|e| SharedFailure::of(attempt, e));
        match outcome {
            Ok(new) => Ok(new),
            // Refreshing early failed for a passing reason: the token still works for now.
            Err(e)
                if matches!(reason, Reason::Expiring)
                    && !e.is_auth()
                    && !current.expires_within(now, Duration::ZERO) =>
            {
                tracing::warn!(kind = ?e.kind(), "early token refresh failed; using the current token until it expires");
                Ok(current)
            }
            Err(e) => Err(e),
        }
    }

    /// Refreshes under the store's lock ([`TokenStore::refresh_locked`]): the stored pair is
    /// read again first, and one another process saved since `current` was loaded is used
    /// instead of spending a refresh token that is already dead. After a refused refresh the
    /// store is read once more, for a store that another process writes without the lock.
    async fn refresh_now(
        &self,
        m: &Managed,
        current: &Arc<TokenSet>,
        reason: &Reason,
    ) -> Result<Arc<TokenSet>, Error> {
        let now = self.inner.clock.now();
        let margin = self.inner.refresh_margin;
        let used = Mutex::new(current.refresh_token().expose_secret().to_owned());
        let refresh: crate::token::RefreshFn<'_> = Box::new(|stored: Option<TokenSet>| {
            Box::pin(async {
                let base = match stored {
                    Some(s)
                        if !s
                            .refresh_token()
                            .same_as(current.refresh_token().expose_secret()) =>
                    {
                        // Another process rotated the pair: theirs is the live one.
                        let still_good = !s.expires_within(now, margin)
                            && match reason {
                                Reason::Rejected(refused) => {
                                    !s.access_token().same_as(refused.expose_secret())
                                }
                                _ => true,
                            };
                        if still_good {
                            tracing::info!("the token store holds a newer pair; using it");
                            return Ok(Refreshed::Keep);
                        }
                        s
                    }
                    _ => (**current).clone(),
                };
                *used.lock().unwrap_or_else(PoisonError::into_inner) =
                    base.refresh_token().expose_secret().to_owned();
                let new = self.request_refresh(&base).await?;
                Ok(Refreshed::New(new))
            })
        });
        let saved = match m.store.refresh_locked(refresh).await {
            Ok(saved) => saved,
            Err(e) if e.is_auth() => {
                let used = used.lock().unwrap_or_else(PoisonError::into_inner).clone();
                match m.store.load().await {
                    Ok(Some(s))
                        if !s.refresh_token().same_as(&used)
                            && !s.expires_within(now, Duration::ZERO) =>
                    {
                        tracing::info!(
                            "refresh refused, but the store holds a newer pair; using it"
                        );
                        Some(s)
                    }
                    _ => return Err(e),
                }
            }
            Err(e) => return Err(e),
        };
        let new = Arc::new(saved.ok_or_else(|| {
            Error::new(ErrorKind::Auth).with_message("no token is stored any more")
        })?);
        // Saved before first use: using the new access token kills the old refresh token
        // (API notes §3.3), so the new pair had to be durable first.
        m.set(new.clone());
        tracing::info!("access token refreshed and saved");
        Ok(new)
    }

    /// One `requesttoken` call with `base`'s refresh token; the new pair, not yet saved.
    async fn request_refresh(&self, base: &TokenSet) -> Result<TokenSet, Error> {
        let creds = self.credentials("refreshing the token")?;
        let req = RequestToken::refresh_token(
            creds.client_id(),
            secret(creds.client_secret().expose_secret()),
            secret(base.refresh_token().expose_secret()),
        );
        let body: TokenBody = self
            .call(
                Service::OAuth2,
                RequestToken::ACTION,
                Bytes::from(req.form().encode()),
                CallAuth::None,
                // A refresh token is rotated by its first use: resend only what never arrived.
                Resend::Unprocessed,
            )
            .await
            .map_err(|e| match e.kind() {
                ErrorKind::Auth | ErrorKind::InvalidParams | ErrorKind::Unauthorized => e
                    .into_kind(ErrorKind::Auth)
                    .with_message("Withings refused the refresh token"),
                _ => e,
            })?;
        self.token_set(body, Some(base))
    }

    fn token_set(&self, body: TokenBody, previous: Option<&TokenSet>) -> Result<TokenSet, Error> {
        TokenSet::from_response(
            body.access_token.into(),
            body.refresh_token.into(),
            body.expires_in,
            body.userid,
            body.scope,
            self.inner.clock.now(),
            previous,
        )
    }

    fn credentials(&self, what: &str) -> Result<&AppCredentials, Error> {
        self.inner.credentials.as_ref().ok_or_else(|| {
            Error::config(format!(
                "{what} needs the app's credentials: ClientBuilder::credentials"
            ))
        })
    }

    /// Saves new tokens and makes them current (for a client with a token store).
    async fn install(&self, tokens: &TokenSet) -> Result<(), Error> {
        if let Auth::Managed(m) = &self.inner.auth {
            let _flight = m.refresh.lock().await;
            m.store.save(tokens).await?;
            m.set(Arc::new(tokens.clone()));
        }
        Ok(())
    }

    /// Starts an authorization: the URL to send the user to (https `authorize2`, scopes
    /// joined by commas, a fresh random `state`), to be completed with
    /// [`complete_authorization`](Self::complete_authorization).
    ///
    /// # Errors
    /// [`ErrorKind::Config`] without credentials, without a redirect URI, or without scopes.
    pub fn authorize(&self, scopes: &[Scope]) -> Result<PendingAuthorization, Error> {
        self.authorize_with(scopes, false)
    }

    /// As [`authorize`](Self::authorize), logging in as Withings' demo user (`mode=demo`).
    ///
    /// # Errors
    /// As [`authorize`](Self::authorize).
    pub fn authorize_demo(&self, scopes: &[Scope]) -> Result<PendingAuthorization, Error> {
        self.authorize_with(scopes, true)
    }

    fn authorize_with(&self, scopes: &[Scope], demo: bool) -> Result<PendingAuthorization, Error> {
        let creds = self.credentials("authorizing")?;
        let redirect = creds.redirect_uri().ok_or_else(|| {
            Error::config("authorizing needs a redirect URI: AppCredentials::with_redirect_uri")
        })?;
        if scopes.is_empty() {
            return Err(Error::config("authorizing needs at least one scope"));
        }
        let state = CsrfState::random()?;
        let url = oauth::authorize_url(
            &self.inner.account_url,
            creds,
            redirect,
            scopes,
            demo,
            &state,
        );
        Ok(PendingAuthorization::new(url, state))
    }

    /// Completes an authorization from what the user pasted (the redirected URL, whose
    /// `state` must match, or the bare code): exchanges the code, saves the tokens and makes
    /// them current.
    ///
    /// # Errors
    /// Those of [`PendingAuthorization::code_from`] and [`exchange_code`](Self::exchange_code).
    pub async fn complete_authorization(
        &self,
        pending: &PendingAuthorization,
        pasted: &str,
    ) -> Result<TokenSet, Error> {
        let code = pending.code_from(pasted)?;
        self.exchange_code(&code).await
    }

    /// Exchanges an authorization code for tokens (`requesttoken`, grant
    /// `authorization_code`), saves them to the token store and makes them current. (A client
    /// built with a fixed [`access_token`](ClientBuilder::access_token) only returns them.)
    ///
    /// # Errors
    /// [`ErrorKind::CodeExpired`] when Withings says the code is invalid (codes live 30 s and
    /// work once); [`ErrorKind::Config`] without credentials or redirect URI;
    /// [`ErrorKind::TokenStore`] when the tokens cannot be saved; the errors of
    /// [`send`](Self::send).
    pub async fn exchange_code(&self, code: &AuthorizationCode) -> Result<TokenSet, Error> {
        let creds = self.credentials("exchanging a code")?;
        let redirect = creds.redirect_uri().ok_or_else(|| {
            Error::config(
                "exchanging a code needs the redirect URI: AppCredentials::with_redirect_uri",
            )
        })?;
        let req = RequestToken::authorization_code(
            creds.client_id(),
            secret(creds.client_secret().expose_secret()),
            secret(code.expose_secret()),
            redirect.as_str(),
        );
        // Never sent twice: a code works once, so a second try after a timeout would only
        // report "code expired" while the first one's tokens are lost.
        let body = self.send_as(&req, Resend::Never).await.map_err(|e| {
            let e = e.redacting(&[code.expose_secret()]);
            let about_code = e
                .api_error_text()
                .is_none_or(|t| t.to_ascii_lowercase().contains("code"));
            if e.kind() == ErrorKind::InvalidParams && about_code {
                e.into_kind(ErrorKind::CodeExpired)
            } else {
                e
            }
        })?;
        let tokens = self.token_set(body, None)?;
        self.install(&tokens).await?;
        Ok(tokens)
    }

    /// Refreshes the tokens now (one refresh even if called concurrently), saves them, and
    /// returns them.
    ///
    /// # Errors
    /// [`ErrorKind::Auth`] when Withings refuses the refresh token (authorize again) or no
    /// token is stored; [`ErrorKind::Config`] with a fixed access token or without
    /// credentials; [`ErrorKind::TokenStore`] when saving fails.
    pub async fn refresh(&self) -> Result<TokenSet, Error> {
        match &self.inner.auth {
            Auth::Managed(m) => self
                .refresh_boxed(m, Reason::Forced)
                .await
                .map(|t| (*t).clone()),
            Auth::Static(_) => Err(Error::config(
                "a client with a fixed access token cannot refresh it",
            )),
        }
    }

    /// The current tokens, loading them from the store on first use (`None` when the store is
    /// empty or the client has a fixed access token).
    ///
    /// # Errors
    /// [`ErrorKind::TokenStore`] when the store cannot be read.
    pub async fn tokens(&self) -> Result<Option<TokenSet>, Error> {
        let Auth::Managed(m) = &self.inner.auth else {
            return Ok(None);
        };
        if let Some(t) = m.snapshot() {
            return Ok(Some((*t).clone()));
        }
        let _flight = m.refresh.lock().await;
        if let Some(t) = m.snapshot() {
            return Ok(Some((*t).clone()));
        }
        let loaded = m.store.load().await?;
        if let Some(t) = &loaded {
            m.set(Arc::new(t.clone()));
        }
        Ok(loaded)
    }

    /// Gets a fresh nonce and signs `action` with it (API notes §3.4): the `nonce` and
    /// `signature` a signed action sends beside `client_id`. A nonce works once: sign again
    /// for every attempt.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] without credentials; the errors of [`send`](Self::send) for
    /// `getnonce` (status 342 is a bad signature).
    pub async fn sign(&self, action: &str) -> Result<Signed, Error> {
        let creds = self.credentials("signing a request")?;
        let now = self.inner.clock.now();
        let sig = sign::getnonce(creds.client_secret(), creds.client_id(), now.as_second());
        let nonce: NonceBody = self
            .send(&GetNonce::new(creds.client_id(), now, sig))
            .await?;
        let sig = sign::action(
            creds.client_secret(),
            action,
            creds.client_id(),
            &nonce.nonce,
        );
        Ok(Signed::new(nonce.nonce, sig))
    }

    /// Sends any signed action of any service: `client_id`, then a fresh `nonce` and its
    /// `signature` ([`sign`](Self::sign)), then `form`; returns the raw `body`. For partner
    /// actions this crate declares no endpoint of. The signature authenticates the call: no
    /// user token is sent.
    ///
    /// # Errors
    /// As [`sign`](Self::sign) and [`send_raw`](Self::send_raw).
    pub async fn send_signed_raw(
        &self,
        service: Service,
        action: &str,
        form: &Form,
    ) -> Result<RawBody, Error> {
        let creds = self.credentials("signing a request")?;
        self.signing_each_attempt(action, |signed| {
            let mut signed_form = Form::new();
            signed_form.push("client_id", creds.client_id().to_owned());
            signed.encode(&mut signed_form);
            for (k, v) in form.pairs() {
                if !matches!(k, "action" | "client_id" | "nonce" | "signature") {
                    signed_form.push(k.to_owned(), v.to_owned());
                }
            }
            async move {
                self.send_raw_as(service, action, &signed_form, CallAuth::None, Resend::Never)
                    .await
            }
        })
        .await
    }

    /// Runs `attempt` with a fresh signature each time: a nonce works once, so a signed call
    /// is never sent twice as is. Sent again (re-signed) only when Withings refused it
    /// unprocessed (601, HTTP 429: waited out within the policy's budget) or it never left.
    async fn signing_each_attempt<T, F, Fut>(&self, action: &str, attempt: F) -> Result<T, Error>
    where
        F: Fn(Signed) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let policy = &self.inner.retry;
        let mut tries: u32 = 0;
        let mut waited = Duration::ZERO;
        loop {
            let signed = self.sign(action).await?;
            let err = match attempt(signed).await {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            let wait = if err.kind() == ErrorKind::RateLimited {
                let wait = err
                    .retry_after()
                    .unwrap_or(Duration::from_secs(60))
                    .max(Duration::from_secs(1));
                if tries >= 20 || waited.saturating_add(wait) > policy.rate_limit_budget() {
                    return Err(err);
                }
                waited = waited.saturating_add(wait);
                wait
            } else if err.is_unsent() && tries < policy.retries() {
                policy.backoff(tries)
            } else {
                return Err(err);
            };
            tries += 1;
            tracing::debug!(kind = ?err.kind(), wait_ms = wait.as_millis() as u64, "signed call refused unprocessed; signing again");
            let reason = if err.kind() == ErrorKind::RateLimited {
                WaitReason::RateLimited
            } else {
                WaitReason::Backoff
            };
            self.notify_wait(reason, wait);
            tokio::time::sleep(wait).await;
        }
    }

    /// Revokes a user's tokens and notification subscriptions (`oauth2 revoke`, signed).
    ///
    /// # Errors
    /// [`ErrorKind::Config`] without credentials; the errors of [`send`](Self::send) (status
    /// 342 is a bad signature).
    pub async fn revoke(&self, userid: &str) -> Result<(), Error> {
        let creds = self.credentials("revoking")?;
        let _: EmptyBody = self
            .signing_each_attempt(Revoke::ACTION, |signed| async move {
                self.send_as(
                    &Revoke::new(creds.client_id(), signed, userid),
                    Resend::Never,
                )
                .await
            })
            .await?;
        Ok(())
    }

    /// Tokens for Withings' demo account (`oauth2 getdemoaccess`, signed); saved and made
    /// current like an exchanged code.
    ///
    /// # Errors
    /// As [`revoke`](Self::revoke), plus [`ErrorKind::TokenStore`] when saving fails.
    pub async fn demo_access(&self, scopes: &[Scope]) -> Result<TokenSet, Error> {
        let creds = self.credentials("getting demo access")?;
        let body = self
            .signing_each_attempt(GetDemoAccess::ACTION, |signed| async move {
                let scopes = scopes.iter().map(|s| s.as_str());
                let req = GetDemoAccess::new(creds.client_id(), signed, scopes);
                self.send_as(&req, Resend::Never).await
            })
            .await?;
        let tokens = self.token_set(body, None)?;
        self.install(&tokens).await?;
        Ok(tokens)
    }
}

/// Polls `fut` once: `Some(output)` if it was ready at once, `None` if it must wait (the
/// future keeps its progress and is awaited afterwards).
async fn futures_poll_once<F: Future + Unpin>(fut: &mut F) -> Option<F::Output> {
    std::future::poll_fn(|cx| match Pin::new(&mut *fut).poll(cx) {
        std::task::Poll::Ready(v) => std::task::Poll::Ready(Some(v)),
        std::task::Poll::Pending => std::task::Poll::Ready(None),
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_refuses_plain_http_off_loopback() {
        let e = Client::builder()
            .base_url("http://wbsapi.withings.net")
            .build()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        let c = Client::builder().region(Region::Us).build().unwrap();
        assert_eq!(c.base_url(), "https://wbsapi.us.withingsmed.net");
    }

    #[test]
    fn client_is_send_sync_and_cheap_to_clone() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<Client>();
        assert_eq!(std::mem::size_of::<Client>(), std::mem::size_of::<usize>());
    }
}
