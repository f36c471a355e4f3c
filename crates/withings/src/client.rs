//! [`Client`], its builder, and the generic calls every typed request delegates to.

use std::fmt;

use withings_decode::{Decode, OnePass};
use withings_http::{AuthorizationCode, PendingAuthorization, RawBody, Received, Scope, TokenSet};
use withings_model::{Body, Endpoint, Form, Paged, PagedBody, RequestError, Service};

use crate::paging::{self, Interrupted, ItemStream, Page, PageStream};
use crate::{Error, Result};

/// The decoded value a request answers with.
pub type Output<E> = <<E as Endpoint>::Body as Decode>::Output;

/// A Withings API client: one per application (and token store), cheap to clone and share
/// between tasks.
///
/// Every endpoint is a request type of [`withings_model`], its own builder
/// (`GetMeas::new().meastypes([Weight]).between(a, b)`), sent by one generic path:
/// [`send`](Self::send) returns decoded domain values ([`withings_decode`]),
/// [`send_wire`](Self::send_wire) the wire body; paged requests also have
/// [`collect_all`](Self::collect_all), [`pages`](Self::pages) and [`stream`](Self::stream),
/// which say where to resume when a page fails ([`Interrupted`]).
/// Splitting into 24 h calls, paging and validation follow the endpoint's declaration,
/// whoever sends it. Every call goes through [`withings_http`]: status codes become errors,
/// 601 and 522 are retried, expired tokens are refreshed (and saved before use).
///
/// ```no_run
/// # async fn _run() -> withings::Result<()> {
/// use withings::{AppCredentials, Client, FileTokenStore};
///
/// let client = Client::builder()
///     .credentials(AppCredentials::new("client-id", "client-secret"))
///     .token_store(FileTokenStore::new("withings-token.json"))
///     .build()?;
/// let goals = client.send(&withings::model::user::GetGoals::new()).await?;
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
/// use withings::{AppCredentials, Client, MemoryTokenStore, CallbackUrl};
///
/// let credentials = AppCredentials::new("client-id", "client-secret")
///     .with_redirect_uri(CallbackUrl::parse("https://example.com/withings/callback")?);
/// let client = Client::builder()
///     .credentials(credentials)
///     .token_store(MemoryTokenStore::new())
///     .timeout(Duration::from_secs(10))
///     .build()?;
/// assert_eq!(client.base_url(), "https://wbsapi.withings.net");
/// # Ok::<(), withings::Error>(())
/// ```
///
/// It is the transport's builder ([`withings_http::ClientBuilder`]) set to build this
/// façade's [`Client`]: every option is defined once, there.
pub type ClientBuilder = withings_http::ClientBuilder<Client>;

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

    /// Sends a request and decodes the answer: any request the model declares, the same way
    /// for every caller.
    ///
    /// The request is validated first ([`Endpoint::validate`]); a split request (`sleep get`,
    /// `getintradayactivity` over more than 24 h) is sent as consecutive calls of at most
    /// 24 h, whose answers are merged ([`Body::append`]) and decoded once. A request sent as
    /// one call is read in one pass where its body has such a reader
    /// ([`Decode::decode_one_pass`]: getmeas, sleep get), and through the wire model where it
    /// declines; the answer is the same either way. A paged request returns the page it asks
    /// for: use [`collect_all`](Self::collect_all), [`pages`](Self::pages) or
    /// [`stream`](Self::stream) for every page.
    ///
    /// A record of a list that cannot be read does not fail the call: it is left out and
    /// listed in the output's `rejected` entries with its path, error and JSON text
    /// ([`Records::rejected`](withings_decode::Records::rejected), API notes §15); after a
    /// split request sent as several calls, each entry says which call it came from
    /// ([`Rejected::response`](withings_model::Rejected::response)).
    ///
    /// ```no_run
    /// # async fn _run(client: &withings::Client) -> withings::Result<()> {
    /// use withings::jiff::{Timestamp, ToSpan};
    /// use withings::model::measure::{GetMeas, MeasureType};
    /// use withings::model::sleep::{GetSleep, SleepField};
    ///
    /// let now = Timestamp::now();
    /// let weights = client
    ///     .send(&GetMeas::new().meastypes([MeasureType::Weight]).between(now - 720.hours(), now))
    ///     .await?;
    /// println!("{} groups", weights.groups.len());
    ///
    /// // Three days of sleep: three calls of 24 h, merged.
    /// let nights = client
    ///     .send(&GetSleep::new().between(now - 72.hours(), now).data_fields([SleepField::Hr]))
    ///     .await?;
    /// println!("{} segments", nights.segments.len());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Request`] for a request the model refuses (before anything is sent);
    /// [`Error::Http`] for transport, auth and API-status failures (after retries);
    /// [`Error::Decode`] when the body holds a value that cannot be interpreted.
    pub async fn send<E>(&self, request: &E) -> Result<Output<E>>
    where
        E: Endpoint,
        E::Body: Decode,
    {
        self.send_observed(request, |_, _| {}).await
    }

    /// As [`send`](Self::send), calling `on_call(n, total)` before the `n`-th call (from 1) of
    /// the `total` the request takes: a progress line for a long split request.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub async fn send_observed<E>(
        &self,
        request: &E,
        on_call: impl FnMut(usize, usize),
    ) -> Result<Output<E>>
    where
        E: Endpoint,
        E::Body: Decode,
    {
        match self.send_received_observed(request, on_call).await? {
            Received::OnePass(read) => Ok(read.output),
            Received::Wire(body) => decode::<E>(body),
        }
    }

    /// Sends a request and returns what was received, read as far as [`send`](Self::send)
    /// reads it before decoding: for a request sent as one call whose body has a one-pass
    /// reader ([`Decode::decode_one_pass`]: getmeas, sleep get) and an ordinary answer,
    /// [`Received::OnePass`] with the decoded output and the page's `more` and `offset`;
    /// otherwise [`Received::Wire`] with the wire body, to decode with [`Decode::decode`]
    /// (and to read `more`/`offset` from, for a paged body). A split request sent as several
    /// calls is always [`Received::Wire`]: their bodies merged, as [`send_wire`](Self::send_wire)
    /// returns them.
    ///
    /// For a caller that needs the wire body when the one pass declines (to keep a record
    /// the decoder rejects, with its JSON), without a second code path for split requests
    /// and without decoding a body twice. A one-pass output has no rejected records: the
    /// reader declines a response holding one, which then comes back as
    /// [`Received::Wire`], its rejections to be read from the wire body's decoding.
    ///
    /// ```no_run
    /// # async fn _run(client: &withings::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use withings::{Decode, Received};
    /// use withings::model::PagedBody;
    /// use withings::model::measure::GetMeas;
    ///
    /// let (meas, more, offset) = match client.send_received(&GetMeas::new()).await? {
    ///     Received::OnePass(page) => (page.output, page.more, page.offset),
    ///     Received::Wire(body) => {
    ///         let (more, offset) = (body.more(), body.offset());
    ///         (body.decode()?, more, offset)
    ///     }
    /// };
    /// println!("{} groups, more: {more} (offset {offset:?})", meas.groups.len());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`send_wire`](Self::send_wire). A body the one pass declines is returned undecoded:
    /// what [`Decode::decode`] would refuse in it is the caller's to find.
    pub async fn send_received<E>(
        &self,
        request: &E,
    ) -> Result<Received<OnePass<Output<E>>, E::Body>>
    where
        E: Endpoint,
        E::Body: Decode,
    {
        self.send_received_observed(request, |_, _| {}).await
    }

    /// As [`send_received`](Self::send_received), calling `on_call(n, total)` before each
    /// call.
    async fn send_received_observed<E>(
        &self,
        request: &E,
        mut on_call: impl FnMut(usize, usize),
    ) -> Result<Received<OnePass<Output<E>>, E::Body>>
    where
        E: Endpoint,
        E::Body: Decode,
    {
        let calls = request.calls()?;
        if let [call] = calls.as_slice() {
            on_call(1, 1);
            return self.send_one(call).await;
        }
        // Several calls are merged as wire bodies: the seam between two 24 h calls is
        // de-duplicated by `Body::append` (a segment or sample both calls return), which the
        // one-pass readers, reading one response each, cannot do.
        Ok(Received::Wire(self.send_calls(calls, on_call).await?))
    }

    /// One call: a success read in one pass by the body's reader
    /// ([`Decode::decode_one_pass`]) when it answers, else the wire body to decode. The
    /// same requests either way (retries, refresh, waits: [`withings_http::Client::send_with`]).
    async fn send_one<E>(&self, call: &E) -> Result<Received<OnePass<Output<E>>, E::Body>>
    where
        E: Endpoint,
        E::Body: Decode,
    {
        Ok(self
            .http
            .send_with(call, <E::Body as Decode>::decode_one_pass)
            .await?)
    }

    /// Sends a request and returns the wire body, undecoded (for a split request, the bodies
    /// of every call, merged). Decode it later with [`Decode`] if needed. Records that could
    /// not be read are left out of its lists and listed in their
    /// [`rejected`](withings_model::Items::rejected) entries.
    ///
    /// # Errors
    /// As [`send`](Self::send), and a body that does not match the wire model (with its JSON
    /// path).
    pub async fn send_wire<E: Endpoint>(&self, request: &E) -> Result<E::Body> {
        self.send_calls(request.calls()?, |_, _| {}).await
    }

    /// The wire bodies of `calls` (the calls of one request), merged.
    async fn send_calls<E: Endpoint>(
        &self,
        calls: Vec<E>,
        mut on_call: impl FnMut(usize, usize),
    ) -> Result<E::Body> {
        let total = calls.len();
        let mut merged: Option<E::Body> = None;
        for (i, call) in calls.iter().enumerate() {
            on_call(i + 1, total);
            let mut body = self.http.send(call).await?;
            if total > 1 {
                // Merged, a rejected record's path needs its call to mean something.
                body.number_rejected(i + 1);
            }
            match &mut merged {
                Some(all) => all.append(body),
                None => merged = Some(body),
            }
        }
        // `calls` always holds at least the request itself.
        merged.ok_or(Error::Request(RequestError::Missing {
            action: E::ACTION,
            what: "at least one call",
        }))
    }

    /// Every item of a paged request, following `more`/`offset` to the end, yielded as the
    /// pages arrive. See [`paging`](crate::paging) for when the stream stops; its last item is
    /// then an [`Interrupted`] that says where to resume.
    #[must_use]
    pub fn stream<E>(&self, request: E) -> ItemStream<E>
    where
        E: Paged,
        E::Body: PagedBody + Decode,
        Output<E>: Page + Send + 'static,
        <Output<E> as Page>::Item: Send + 'static,
    {
        paging::items(self.clone(), request)
    }

    /// Every page of a paged request, decoded, following `more`/`offset` to the end (or to
    /// an [`Interrupted`] that says where to resume).
    #[must_use]
    pub fn pages<E>(&self, request: E) -> PageStream<E>
    where
        E: Paged,
        E::Body: PagedBody + Decode,
        Output<E>: Send + 'static,
    {
        paging::pages(self.clone(), request, 1)
    }

    /// Every page of a paged request, merged into one value of the same type as one page.
    ///
    /// ```no_run
    /// # async fn _run(client: &withings::Client) -> withings::Result<()> {
    /// use withings::jiff::civil::date;
    /// use withings::model::sleep::GetSleepSummary;
    ///
    /// let nights = client
    ///     .collect_all(GetSleepSummary::new().dates(date(2024, 6, 1), date(2024, 6, 30)).all_fields())
    ///     .await?;
    /// for n in nights {
    ///     println!("{}: score {:?}", n.date, n.metrics.sleep_score);
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The first error of [`pages`](Self::pages), including [`Error::Pagination`], as an
    /// [`Interrupted`] that also holds the pages merged before it
    /// ([`fetched`](Interrupted::fetched)) and the request of the page that failed
    /// ([`resume`](Interrupted::resume)): give it to [`collect_rest`](Self::collect_rest) to
    /// go on from there. `?` turns it into its [`Error`].
    pub async fn collect_all<E>(&self, request: E) -> Result<Output<E>, Interrupted<E>>
    where
        E: Paged,
        E::Body: PagedBody + Decode,
        Output<E>: Page + Send + 'static,
    {
        paging::collect(self.clone(), request, 1, None, |_| {}).await
    }

    /// As [`collect_all`](Self::collect_all), calling `on_page(n)` as the `n`-th page (from
    /// 1) arrives: a progress line for a long history.
    ///
    /// # Errors
    /// As [`collect_all`](Self::collect_all).
    pub async fn collect_all_observed<E>(
        &self,
        request: E,
        on_page: impl FnMut(usize),
    ) -> Result<Output<E>, Interrupted<E>>
    where
        E: Paged,
        E::Body: PagedBody + Decode,
        Output<E>: Page + Send + 'static,
    {
        paging::collect(self.clone(), request, 1, None, on_page).await
    }

    /// Continues an interrupted [`collect_all`](Self::collect_all): sends its
    /// [`resume`](Interrupted::resume) request (the page that failed, then the pages after
    /// it) and merges them onto what it [`fetched`](Interrupted::fetched). After a 601, wait
    /// as long as the error says ([`Error::retry_after`]) first.
    ///
    /// ```no_run
    /// # async fn _run(client: &withings::Client) -> withings::Result<()> {
    /// use withings::model::heart::HeartList;
    ///
    /// let records = match client.collect_all(HeartList::new()).await {
    ///     Ok(all) => all,
    ///     // Once more from the page that failed, keeping the pages before it.
    ///     Err(stop) if stop.error.is_retryable() => client.collect_rest(stop).await?,
    ///     Err(stop) => return Err(stop.into()),
    /// };
    /// println!("{} records", records.len());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`collect_all`](Self::collect_all), pages numbered on from `stop`'s; `stop` itself,
    /// unchanged, when it has no `resume` (after [`Error::Pagination`]).
    pub async fn collect_rest<E>(&self, stop: Interrupted<E>) -> Result<Output<E>, Interrupted<E>>
    where
        E: Paged,
        E::Body: PagedBody + Decode,
        Output<E>: Page + Send + 'static,
    {
        paging::collect_rest(self.clone(), stop, |_| {}).await
    }

    /// As [`collect_rest`](Self::collect_rest), calling `on_page(n)` as the `n`-th page
    /// arrives, `n` counted on from the pages before the stop.
    ///
    /// # Errors
    /// As [`collect_rest`](Self::collect_rest).
    pub async fn collect_rest_observed<E>(
        &self,
        stop: Interrupted<E>,
        on_page: impl FnMut(usize),
    ) -> Result<Output<E>, Interrupted<E>>
    where
        E: Paged,
        E::Body: PagedBody + Decode,
        Output<E>: Page + Send + 'static,
    {
        paging::collect_rest(self.clone(), stop, on_page).await
    }

    /// The escape hatch: any action of any service — a declared one or any other path
    /// ([`Service::other`]: `v2/rawdata`, `v2/dropshipment`…) — with the same status handling,
    /// retries and token refresh as declared requests; returns the JSON `body`.
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
        let raw = self.call_raw(service, action, form).await?;
        Ok(raw.parse::<serde_json::Value>()?)
    }

    /// As [`call_form`](Self::call_form), returning the `body` as Withings sent it, byte for
    /// byte (numbers untouched).
    ///
    /// # Errors
    /// As [`call`](Self::call).
    pub async fn call_raw(&self, service: Service, action: &str, form: &Form) -> Result<RawBody> {
        Ok(self.http.send_raw(service, action, form).await?)
    }

    /// The escape hatch for signed actions (partner services, `oauth2` actions this crate
    /// does not wrap): sends `client_id`, a fresh `nonce` and its `signature`, then `form`,
    /// and returns the raw `body`. Each call takes a new nonce.
    ///
    /// ```no_run
    /// # async fn _run(client: &withings::Client) -> withings::Result<()> {
    /// use withings::{Form, Service};
    /// let mut form = Form::new();
    /// form.push("userid", "10203040");
    /// let body = client.call_signed(Service::other("v2/user")?, "get", &form).await?;
    /// println!("{}", body.as_str());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`call`](Self::call); `ErrorKind::Config` without app credentials.
    pub async fn call_signed(
        &self,
        service: Service,
        action: &str,
        form: &Form,
    ) -> Result<RawBody> {
        Ok(self.http.send_signed_raw(service, action, form).await?)
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

/// Decodes the wire body of a successful answer to `E`.
pub(crate) fn decode<E>(body: E::Body) -> Result<Output<E>>
where
    E: Endpoint,
    E::Body: Decode,
{
    body.decode()
        .map_err(|e| Error::decode(E::SERVICE, E::ACTION, e))
}

impl From<withings_http::Client> for Client {
    fn from(http: withings_http::Client) -> Self {
        Self::from_http(http)
    }
}

#[cfg(test)]
mod tests {
    use wiremock::{Mock, MockServer, ResponseTemplate};
    use withings_http::AccessToken;
    use withings_model::measure::GetMeas;
    use withings_model::sleep::GetSleep;

    use super::*;

    fn fixture(dir: &str, case: &str) -> String {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures")
            .join(dir)
            .join(format!("{case}.json"));
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    /// How `send_one` received `E`'s fixture `case`: `true` when read in one pass.
    async fn read_in_one_pass<E>(request: &E, case: &str) -> bool
    where
        E: Endpoint,
        E::Body: Decode + fmt::Debug,
        Output<E>: fmt::Debug,
    {
        let server = MockServer::start().await;
        Mock::given(wiremock::matchers::method("POST"))
            .respond_with(
                ResponseTemplate::new(200).set_body_string(fixture(&E::fixture_dir(), case)),
            )
            .expect(1)
            .mount(&server)
            .await;
        let client = Client::builder()
            .base_url(server.uri())
            .access_token(AccessToken::new("test-access-token"))
            .no_rate_limit()
            .build()
            .unwrap();
        match client.send_one(request).await.unwrap() {
            Received::OnePass(_) => true,
            Received::Wire(_) => false,
        }
    }

    /// A split request goes through the wire merge: `send_received` sends each of its calls
    /// and answers with their bodies merged, the body `send_wire` returns, never in one pass.
    #[tokio::test]
    async fn a_split_request_is_received_as_its_merged_wire_body() {
        let server = MockServer::start().await;
        Mock::given(wiremock::matchers::method("POST"))
            .respond_with(
                ResponseTemplate::new(200).set_body_string(fixture("v2-sleep-get", "normal")),
            )
            .mount(&server)
            .await;
        let client = Client::builder()
            .base_url(server.uri())
            .access_token(AccessToken::new("test-access-token"))
            .no_rate_limit()
            .build()
            .unwrap();
        let start = jiff::Timestamp::from_second(1_717_365_600).unwrap();
        let two_days = GetSleep::new().between(start, start + jiff::SignedDuration::from_hours(48));
        assert_eq!(two_days.calls().unwrap().len(), 2);
        let Received::Wire(body) = client.send_received(&two_days).await.unwrap() else {
            panic!("a split request was read in one pass");
        };
        let requests = server.received_requests().await.unwrap_or_default().len();
        assert_eq!(requests, 2, "one request per call");
        assert!(!body.series.is_empty());
        assert_eq!(body, client.send_wire(&two_days).await.unwrap());
    }

    /// The typed path of a one-call request takes the one pass where the decode crate has
    /// one and it answers, and the wire model where it declines (a quirk, a record to reject)
    /// or where the body has no one-pass reader.
    #[tokio::test]
    async fn one_call_is_read_in_one_pass_where_the_body_allows_it() {
        let getmeas = GetMeas::new();
        assert!(read_in_one_pass(&getmeas, "normal").await);
        assert!(!read_in_one_pass(&getmeas, "deviceid-number").await);
        assert!(!read_in_one_pass(&getmeas, "one-bad-group-among-good").await);
        let sleep = GetSleep::new().between(
            jiff::Timestamp::from_second(1_717_365_600).unwrap(),
            jiff::Timestamp::from_second(1_717_408_800).unwrap(),
        );
        assert!(read_in_one_pass(&sleep, "normal").await);
        assert!(!read_in_one_pass(&sleep, "one-bad-segment-among-good").await);
        let goals = withings_model::user::GetGoals::new();
        assert!(!read_in_one_pass(&goals, "normal").await);
    }
}
