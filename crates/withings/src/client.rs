//! [`Client`], its builder, and the generic calls every typed request delegates to.

use std::fmt;
use std::time::Duration;

use withings_decode::Decode;
use withings_http::{
    AccessToken, AppCredentials, AuthorizationCode, Clock, PendingAuthorization, RateLimiter,
    Region, RetryPolicy, Scope, TokenSet, TokenStore,
};
use withings_model::{Endpoint, Form, Paged, PagedBody, Service};

use crate::calls::{
    ActivityCalls, HeartCalls, MeasureCalls, NotifyCalls, OAuth2Calls, SleepCalls, StethoCalls,
    UserCalls,
};
use crate::paging::{self, ItemStream, Page, PageStream};
use crate::{Error, Result};

/// A Withings API client: one per application (and token store), cheap to clone and share
/// between tasks.
///
/// Calls are grouped per service — [`measures`](Self::measures), [`activity`](Self::activity),
/// [`sleep`](Self::sleep), [`heart`](Self::heart), [`stetho`](Self::stetho),
/// [`user`](Self::user), [`notify`](Self::notify), [`oauth2`](Self::oauth2) — each a typed
/// request builder ending in `.send().await`, which returns decoded domain values
/// ([`withings_decode`]); `.send_wire().await` returns the wire body instead. Every call
/// goes through [`withings_http`]: status codes become errors, 601 and 522 are retried,
/// expired tokens are refreshed (and saved before use).
///
/// ```no_run
/// # async fn _run() -> withings::Result<()> {
/// use withings::{AppCredentials, Client, FileTokenStore};
///
/// let client = Client::builder()
///     .credentials(AppCredentials::new("client-id", "client-secret"))
///     .token_store(FileTokenStore::new("withings-token.json"))
///     .build()?;
/// let goals = client.user().getgoals().send().await?;
/// println!("{:?} steps a day", goals.steps);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    http: withings_http::Client,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client").field("http", &self.http).finish()
    }
}

/// Builds a [`Client`]: app credentials, where tokens live, and transport options. Every
/// option has a default (the public EU cloud, 30 s timeout, 120 requests a minute, tokens in
/// memory).
///
/// ```
/// use std::time::Duration;
/// use withings::{AppCredentials, Client, MemoryTokenStore, RedirectUri};
///
/// let credentials = AppCredentials::new("client-id", "client-secret")
///     .with_redirect_uri(RedirectUri::parse("https://example.com/withings/callback")?);
/// let client = Client::builder()
///     .credentials(credentials)
///     .token_store(MemoryTokenStore::new())
///     .timeout(Duration::from_secs(10))
///     .build()?;
/// assert_eq!(client.base_url(), "https://wbsapi.withings.net");
/// # Ok::<(), withings::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct ClientBuilder {
    http: withings_http::ClientBuilder,
}

impl ClientBuilder {
    /// The application's client id and secret (and redirect URI, for authorizing).
    #[must_use]
    pub fn credentials(mut self, credentials: AppCredentials) -> Self {
        self.http = self.http.credentials(credentials);
        self
    }

    /// Where the tokens are loaded from and saved to (default: memory only). Use
    /// [`FileTokenStore`](crate::FileTokenStore) to keep them between runs.
    #[must_use]
    pub fn token_store(mut self, store: impl TokenStore + 'static) -> Self {
        self.http = self.http.token_store(store);
        self
    }

    /// A fixed access token, never refreshed (for short scripts and tests).
    #[must_use]
    pub fn access_token(mut self, token: AccessToken) -> Self {
        self.http = self.http.access_token(token);
        self
    }

    /// The API base URL (default `https://wbsapi.withings.net`); plain http is allowed only to
    /// loopback addresses (tests, the offline sandbox).
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.http = self.http.base_url(url);
        self
    }

    /// The Withings cloud (API and account hosts).
    #[must_use]
    pub fn region(mut self, region: Region) -> Self {
        self.http = self.http.region(region);
        self
    }

    /// The host serving the authorization page (default `https://account.withings.com`).
    #[must_use]
    pub fn account_url(mut self, url: impl Into<String>) -> Self {
        self.http = self.http.account_url(url);
        self
    }

    /// The time allowed for one HTTP exchange (default 30 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.http = self.http.timeout(timeout);
        self
    }

    /// No time limit per HTTP exchange.
    #[must_use]
    pub fn no_timeout(mut self) -> Self {
        self.http = self.http.no_timeout();
        self
    }

    /// The largest response accepted, in bytes (default 64 MiB).
    #[must_use]
    pub fn max_response_size(mut self, bytes: usize) -> Self {
        self.http = self.http.max_response_size(bytes);
        self
    }

    /// How failures are retried (601, 522, transport errors).
    #[must_use]
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.http = self.http.retry_policy(policy);
        self
    }

    /// The client-side rate limiter (default 120 requests a minute); share one between the
    /// clients of one application.
    #[must_use]
    pub fn rate_limiter(mut self, limiter: RateLimiter) -> Self {
        self.http = self.http.rate_limiter(limiter);
        self
    }

    /// No client-side rate limiting.
    #[must_use]
    pub fn no_rate_limit(mut self) -> Self {
        self.http = self.http.no_rate_limit();
        self
    }

    /// The clock token expiry and signatures read (default: the system clock).
    #[must_use]
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.http = self.http.clock(clock);
        self
    }

    /// How long before expiry a token is refreshed (default 5 minutes).
    #[must_use]
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.http = self.http.refresh_margin(margin);
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`Error::Http`] with [`ErrorKind::Config`](withings_http::ErrorKind::Config) for a bad
    /// base URL or account URL.
    pub fn build(self) -> Result<Client> {
        Ok(Client::from_http(self.http.build()?))
    }
}

impl Client {
    /// A builder with the defaults.
    #[must_use]
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Wraps an already configured transport client.
    #[must_use]
    pub fn from_http(http: withings_http::Client) -> Self {
        Self { http }
    }

    /// The transport client underneath, for what this crate does not wrap.
    #[must_use]
    pub fn http(&self) -> &withings_http::Client {
        &self.http
    }

    /// The API base URL in use.
    #[must_use]
    pub fn base_url(&self) -> &str {
        self.http.base_url()
    }

    /// Weight, body composition, blood pressure, temperature... (`/measure getmeas`), and
    /// confirming ambiguous measures (`/v2/measure confirmuser`).
    #[must_use]
    pub fn measures(&self) -> MeasureCalls<'_> {
        MeasureCalls::new(self)
    }

    /// Daily activity, intraday activity and workouts (`/v2/measure`).
    #[must_use]
    pub fn activity(&self) -> ActivityCalls<'_> {
        ActivityCalls::new(self)
    }

    /// Sleep: nightly summaries and sleep states (`/v2/sleep`).
    #[must_use]
    pub fn sleep(&self) -> SleepCalls<'_> {
        SleepCalls::new(self)
    }

    /// ECG and blood-pressure records, ECG signals (`/v2/heart`).
    #[must_use]
    pub fn heart(&self) -> HeartCalls<'_> {
        HeartCalls::new(self)
    }

    /// Stethoscope records and signals (`/v2/stetho`).
    #[must_use]
    pub fn stetho(&self) -> StethoCalls<'_> {
        StethoCalls::new(self)
    }

    /// The user's devices and goals (`/v2/user`).
    #[must_use]
    pub fn user(&self) -> UserCalls<'_> {
        UserCalls::new(self)
    }

    /// Notification subscriptions (`/notify`).
    #[must_use]
    pub fn notify(&self) -> NotifyCalls<'_> {
        NotifyCalls::new(self)
    }

    /// Authorization, tokens, revocation (`/v2/oauth2`).
    #[must_use]
    pub fn oauth2(&self) -> OAuth2Calls<'_> {
        OAuth2Calls::new(self)
    }

    /// Sends any request the model describes and decodes the answer.
    ///
    /// The typed builders ([`measures`](Self::measures)...) call this; use it directly with a
    /// request value built elsewhere. Unlike the builders, it sends `sleep get` and
    /// `getintradayactivity` as one call (Withings then answers at most 24 h).
    ///
    /// ```no_run
    /// # async fn _run(client: &withings::Client) -> withings::Result<()> {
    /// use withings::model::user::GetGoals;
    /// let goals = client.send(&GetGoals::new()).await?;
    /// println!("{:?}", goals.steps);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Http`] for transport, auth and API-status failures; [`Error::Decode`] when
    /// the body holds a value that cannot be interpreted.
    pub async fn send<E>(&self, endpoint: &E) -> Result<<E::Body as Decode>::Output>
    where
        E: Endpoint,
        E::Body: Decode,
    {
        let body = self.send_wire(endpoint).await?;
        body.decode()
            .map_err(|e| Error::decode(E::SERVICE, E::ACTION, e))
    }

    /// Sends any request the model describes and returns the wire body, undecoded.
    ///
    /// # Errors
    /// [`Error::Http`] for transport, auth and API-status failures, and for a body that does
    /// not match the wire model (with its JSON path).
    pub async fn send_wire<E: Endpoint>(&self, endpoint: &E) -> Result<E::Body> {
        Ok(self.http.send(endpoint).await?)
    }

    /// Every item of a paged request, following `more`/`offset` to the end, yielded as the
    /// pages arrive. See [`paging`](crate::paging) for when the stream stops.
    #[must_use]
    pub fn stream<E>(&self, endpoint: E) -> ItemStream<<<E::Body as Decode>::Output as Page>::Item>
    where
        E: Paged + Send + Sync + 'static,
        E::Body: PagedBody + Decode + Send,
        <E::Body as Decode>::Output: Page + Send + 'static,
        <<E::Body as Decode>::Output as Page>::Item: Send + 'static,
    {
        paging::items(self.clone(), endpoint)
    }

    /// Every page of a paged request, decoded, following `more`/`offset` to the end.
    #[must_use]
    pub fn pages<E>(&self, endpoint: E) -> PageStream<<E::Body as Decode>::Output>
    where
        E: Paged + Send + Sync + 'static,
        E::Body: PagedBody + Decode + Send,
        <E::Body as Decode>::Output: Send + 'static,
    {
        paging::pages(self.clone(), endpoint)
    }

    /// The escape hatch: any action of any service, with the same status handling, retries
    /// and token refresh as the typed calls; returns the JSON `body`.
    ///
    /// ```no_run
    /// # async fn _run(client: &withings::Client) -> withings::Result<()> {
    /// use withings::Service;
    /// let body = client.call(Service::User, "getdevice", [] as [(&str, &str); 0]).await?;
    /// println!("{}", body["devices"]);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`send`](Self::send), except that the body is only checked to be JSON.
    pub async fn call<I, K, V>(
        &self,
        service: Service,
        action: &str,
        params: I,
    ) -> Result<serde_json::Value>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<std::borrow::Cow<'static, str>>,
        V: Into<String>,
    {
        let mut form = Form::new();
        for (key, value) in params {
            form.push(key, value);
        }
        self.call_form(service, action, &form).await
    }

    /// As [`call`](Self::call), with a prepared [`Form`].
    ///
    /// # Errors
    /// As [`call`](Self::call).
    pub async fn call_form(
        &self,
        service: Service,
        action: &str,
        form: &Form,
    ) -> Result<serde_json::Value> {
        let raw = self.http.send_raw(service, action, form).await?;
        Ok(raw.parse::<serde_json::Value>()?)
    }

    /// Starts an authorization: the URL to send the user to, with a fresh `state`. Needs
    /// credentials with a redirect URI.
    ///
    /// # Errors
    /// [`Error::Http`] with `ErrorKind::Config` without credentials, redirect URI or scopes.
    pub fn authorize(&self, scopes: &[Scope]) -> Result<PendingAuthorization> {
        Ok(self.http.authorize(scopes)?)
    }

    /// Completes an authorization from what the user pasted (the redirected URL, whose
    /// `state` must match, or the bare code); saves the tokens.
    ///
    /// # Errors
    /// [`Error::Http`]: `InvalidState`, `AccessDenied`, `CodeExpired` (codes live 30 s),
    /// `TokenStore`...
    pub async fn complete_authorization(
        &self,
        pending: &PendingAuthorization,
        pasted: &str,
    ) -> Result<TokenSet> {
        Ok(self.http.complete_authorization(pending, pasted).await?)
    }

    /// Exchanges an authorization code for tokens and saves them.
    ///
    /// # Errors
    /// As [`complete_authorization`](Self::complete_authorization).
    pub async fn exchange_code(&self, code: &AuthorizationCode) -> Result<TokenSet> {
        Ok(self.http.exchange_code(code).await?)
    }

    /// Refreshes the tokens now, saves and returns them.
    ///
    /// # Errors
    /// [`Error::Http`]: `Auth` when the refresh token is refused or absent, `TokenStore`.
    pub async fn refresh(&self) -> Result<TokenSet> {
        Ok(self.http.refresh().await?)
    }

    /// The current tokens (loaded from the store on first use), `None` when there are none.
    ///
    /// # Errors
    /// [`Error::Http`] with `TokenStore` when the store cannot be read.
    pub async fn tokens(&self) -> Result<Option<TokenSet>> {
        Ok(self.http.tokens().await?)
    }
}

impl From<withings_http::Client> for Client {
    fn from(http: withings_http::Client) -> Self {
        Self::from_http(http)
    }
}
