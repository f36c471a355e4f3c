//! Requests in, responses out, with no HTTP library in sight: the hyper glue in `server.rs`
//! turns a request into an [`Incoming`] and writes back the [`Outgoing`].

/// Routes a call to the handler of the endpoint it is for, naming each endpoint by its one
/// declaration in the model (`E::SERVICE`, `E::ACTION`), never by string literals; anything
/// else goes to the fallback (status 2554, like the real API).
macro_rules! route {
    ($service:expr, $action:expr; $($endpoint:ty => $handler:expr,)+ ; else => $fallback:expr $(,)?) => {{
        use withings_model::Endpoint as _;
        let (service, action): (withings_model::Service, &str) = ($service, $action);
        $(
            if service == <$endpoint>::SERVICE && action == <$endpoint>::ACTION {
                $handler
            } else
        )+
        {
            $fallback
        }
    }};
}

mod data;
mod notify;
mod oauth;

pub(crate) use notify::finish_probe;

pub(crate) use oauth::{SANDBOX_USER, USER_ID, USER_NUMBER};

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use jiff::Timestamp;
use jiff::civil::Date;
use withings_model::Service;

use crate::data::DemoData;
use crate::json::{J, Obj};
use crate::state::State;
use withings_http::{Clock, ManualClock};

/// The path of the authorize page, under the sandbox's base URL (Withings serves it on the
/// `account.withings.com` host).
pub const AUTHORIZE_PATH: &str = "/oauth2_user/authorize2";

/// The sandbox's settings, fixed when it is built.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) meas_page_size: usize,
    pub(crate) page_size: usize,
    pub(crate) rate_limit: bool,
    /// The application-wide limit: at most this many requests in any window of the period,
    /// all users and endpoints together; `None`: no limit.
    pub(crate) app_limit: Option<(usize, std::time::Duration)>,
    /// The delays of Withings' notification retry schedule are multiplied by this.
    pub(crate) notify_retry_scale: f64,
    /// How long a callback may take to answer a probe or a delivery.
    pub(crate) notify_timeout: std::time::Duration,
    /// Whether `notify subscribe` probes a reachable callback URL with HEAD first.
    pub(crate) probe_callbacks: bool,
}

/// One account of the sandbox: its user id and its data.
#[derive(Debug)]
pub(crate) struct Account {
    pub(crate) id: String,
    pub(crate) data: DemoData,
}

/// Everything a request handler needs, shared by all connections.
pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) clock: Arc<dyn Clock>,
    /// The same clock when it is a [`ManualClock`]: tests move it through the sandbox.
    pub(crate) manual: Option<ManualClock>,
    /// At least one: the first is the demo user.
    pub(crate) accounts: Vec<Account>,
    pub(crate) state: Mutex<State>,
    /// Notifications sent to callback URLs, and the tasks sending them.
    pub(crate) deliveries: crate::deliver::Deliveries,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The HTTP method, as far as the sandbox cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Other,
}

/// A request, taken apart.
#[derive(Debug)]
pub(crate) struct Incoming<'a> {
    pub(crate) method: Method,
    pub(crate) path: &'a str,
    pub(crate) query: &'a str,
    pub(crate) body: &'a [u8],
    pub(crate) authorization: Option<&'a str>,
}

/// A response.
#[derive(Debug, PartialEq)]
pub(crate) enum Outgoing {
    /// HTTP 200 with a JSON envelope, whatever the `status` inside (API notes §2).
    Json(String),
    /// HTTP 302 to this location.
    Redirect(String),
    /// A plain-text page with this HTTP status.
    Text(u16, String),
    /// A subscription waiting for its callback URL to answer the HEAD probe: the async glue
    /// probes, then [`finish_probe`] answers.
    Probe(Probe),
}

/// A `notify subscribe` whose callback URL the sandbox can reach (http on loopback): it is
/// only recorded once the URL answers a HEAD request with 2xx, as Withings does (§8).
#[derive(Debug, PartialEq)]
pub(crate) struct Probe {
    pub(crate) subscription: crate::state::Subscription,
    pub(crate) target: crate::deliver::Target,
}

/// What an authenticated handler answers: a body, or a subscription to probe first.
#[derive(Debug)]
pub(crate) enum Answer {
    Body(J),
    Probe(Probe),
}

/// A non-zero `status`, its `error` text and its body.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: i64,
    error: String,
    body: Obj,
}

impl ApiError {
    pub(crate) fn new(status: i64, error: impl Into<String>) -> Self {
        Self {
            status,
            error: error.into(),
            body: Obj::new(),
        }
    }

    /// Status 503, the "invalid params" answer (API notes §9.2).
    pub(crate) fn invalid(detail: impl std::fmt::Display) -> Self {
        Self::new(503, format!("Invalid Params: {detail}"))
    }

    /// Status 2554: no such service or action (API notes §9.1).
    pub(crate) fn not_implemented() -> Self {
        Self::new(2554, "Not implemented")
    }

    /// Status 401 with the text Withings sends for a missing, unknown or expired token
    /// (API notes §2).
    fn invalid_token() -> Self {
        Self::new(
            401,
            "XRequestID: Not provided invalid_token: The access token provided is invalid",
        )
    }

    fn envelope(self) -> String {
        J::from(
            Obj::new()
                .put("status", self.status)
                .put("body", self.body)
                .put("error", self.error),
        )
        .encode()
    }
}

fn ok_envelope(body: J) -> String {
    J::from(Obj::new().put("status", 0).put("body", body)).encode()
}

/// Request parameters: the query string and the form body, in that order.
#[derive(Debug)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub(crate) fn parse(query: &str, body: &[u8]) -> Self {
        let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        pairs.extend(form_urlencoded::parse(body).into_owned());
        Self(pairs)
    }

    /// The first non-empty value of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn required(&self, key: &str) -> Result<&str, ApiError> {
        self.get(key)
            .ok_or_else(|| ApiError::invalid(format_args!("missing {key}")))
    }

    /// An integer parameter (unix seconds, offsets, codes).
    pub(crate) fn int(&self, key: &str) -> Result<Option<i64>, ApiError> {
        self.get(key)
            .map(|v| {
                v.trim()
                    .parse::<i64>()
                    .map_err(|_| ApiError::invalid(format_args!("{key} is not an integer")))
            })
            .transpose()
    }

    pub(crate) fn required_int(&self, key: &str) -> Result<i64, ApiError> {
        self.int(key)?
            .ok_or_else(|| ApiError::invalid(format_args!("missing {key}")))
    }

    /// A `YYYY-MM-DD` parameter.
    pub(crate) fn ymd(&self, key: &str) -> Result<Option<Date>, ApiError> {
        self.get(key)
            .map(|v| {
                let ok = v.len() == 10
                    && v.as_bytes().get(4) == Some(&b'-')
                    && v.as_bytes().get(7) == Some(&b'-');
                ok.then(|| v.parse::<Date>().ok()).flatten().ok_or_else(|| {
                    ApiError::invalid(format_args!("{key} is not a YYYY-MM-DD date"))
                })
            })
            .transpose()
    }

    /// A comma-separated list (`meastypes`, `data_fields`); `None` when absent or empty.
    pub(crate) fn list(&self, key: &str) -> Option<Vec<String>> {
        let items: Vec<String> = self
            .get(key)?
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        (!items.is_empty()).then_some(items)
    }

    /// The `offset` of a paged request.
    pub(crate) fn offset(&self) -> Result<usize, ApiError> {
        match self.int("offset")? {
            None => Ok(0),
            Some(o) => {
                usize::try_from(o).map_err(|_| ApiError::invalid("offset must not be negative"))
            }
        }
    }
}

/// The token of an `Authorization: Bearer …` header.
fn bearer(header: Option<&str>) -> Option<&str> {
    let (scheme, token) = header?.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// One page of `items` from `offset`: the page, whether more follow, and the next offset.
pub(crate) fn page<T>(items: &[T], offset: usize, size: usize) -> (&[T], bool, usize) {
    let start = offset.min(items.len());
    let end = start.saturating_add(size.max(1)).min(items.len());
    let slice = items.get(start..end).unwrap_or_default();
    (slice, end < items.len(), end)
}

impl Inner {
    /// The first account: the demo user, whose data the single-user readers show.
    pub(crate) fn demo(&self) -> &DemoData {
        // `SandboxBuilder::build` always makes at least one account.
        &self.accounts[0].data
    }

    /// The index of the account with this user id.
    pub(crate) fn user_index(&self, userid: &str) -> Option<usize> {
        self.accounts.iter().position(|a| a.id == userid)
    }

    /// The user id of an account.
    pub(crate) fn user_id(&self, user: usize) -> &str {
        self.accounts.get(user).map_or("", |a| a.id.as_str())
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-written in a way that
        // matters for a demo server; keep serving.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn respond(&self, req: &Incoming<'_>) -> Outgoing {
        let now = self.clock.now();
        let path = req.path.trim_end_matches('/');
        if path == AUTHORIZE_PATH {
            return match req.method {
                Method::Get => oauth::authorize(self, now, req.query),
                _ => Outgoing::Text(405, "The authorize page answers GET only.\n".into()),
            };
        }
        if path.is_empty() && req.method == Method::Get {
            return Outgoing::Text(200, self.index_page());
        }
        if req.method == Method::Other {
            return Outgoing::Text(405, "Withings services answer POST (or GET) only.\n".into());
        }
        if let Some((requests, period)) = self.config.app_limit {
            // The real monotonic clock, not the sandbox's (which tests may freeze): the
            // period is compressed for tests instead.
            if let Some(wait) =
                self.state()
                    .app_request(std::time::Instant::now(), requests, period)
            {
                let mut e =
                    ApiError::new(601, "Too many requests: the application limit is reached");
                e.body.push("wait_seconds", wait);
                return Outgoing::Json(e.envelope());
            }
        }
        let token = bearer(req.authorization);
        if self.config.rate_limit {
            let key = format!(
                "{path}\n{}\n{}\n{}",
                req.query,
                String::from_utf8_lossy(req.body),
                token.unwrap_or("")
            );
            if let Some(wait) = self.state().same_request(now, key) {
                let mut e = ApiError::new(601, "Same arguments in less than 10 seconds");
                e.body.push("wait_seconds", wait);
                return Outgoing::Json(e.envelope());
            }
        }
        let params = Params::parse(req.query, req.body);
        let service = Service::ALL.iter().copied().find(|s| s.path() == path);
        if !matches!(service, Some(Service::OAuth2 | Service::Signature)) {
            self.state().record(crate::state::RecordedCall {
                path: path.to_owned(),
                form: params.0.clone(),
            });
        }
        let result = match service {
            None => Err(ApiError::not_implemented()),
            Some(Service::OAuth2) => oauth::oauth2(self, now, &params).map(Answer::Body),
            Some(Service::Signature) => oauth::signature(self, &params).map(Answer::Body),
            Some(service) => self.authenticated(now, token, service, &params),
        };
        match result {
            Ok(Answer::Body(body)) => Outgoing::Json(ok_envelope(body)),
            Ok(Answer::Probe(probe)) => Outgoing::Probe(probe),
            Err(e) => Outgoing::Json(e.envelope()),
        }
    }

    fn authenticated(
        &self,
        now: Timestamp,
        token: Option<&str>,
        service: Service,
        p: &Params,
    ) -> Result<Answer, ApiError> {
        let token = token.ok_or_else(ApiError::invalid_token)?;
        let (_, user) = self
            .state()
            .authenticate(now, token)
            .ok_or_else(ApiError::invalid_token)?;
        let account = self
            .accounts
            .get(user)
            .ok_or_else(ApiError::invalid_token)?;
        let action = p.get("action").unwrap_or("");
        match service {
            Service::Notify => notify::handle(self, user, service, action, p),
            _ => data::handle(self, &account.data, now, service, action, p).map(Answer::Body),
        }
    }

    fn index_page(&self) -> String {
        format!(
            "Withings sandbox: an offline stand-in of the Withings API with invented demo data.\n\n\
             client_id:     {}\nclient_secret: {}\nauthorize:     {AUTHORIZE_PATH}?response_type=code&client_id=…&redirect_uri=…&state=…&scope=user.metrics,user.activity\n\
             token:         POST /v2/oauth2 action=requesttoken\n\
             data:          POST /measure, /v2/measure, /v2/sleep, /v2/heart, /v2/user, /notify (Authorization: Bearer …)\n",
            self.config.client_id, self.config.client_secret
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_end_with_no_more() {
        let items: Vec<i32> = (0..7).collect();
        assert_eq!(page(&items, 0, 3), (&items[0..3], true, 3));
        assert_eq!(page(&items, 6, 3), (&items[6..7], false, 7));
        assert_eq!(page(&items, 99, 3), (&items[7..7], false, 7));
        assert_eq!(page(&items, 0, 0), (&items[0..1], true, 1));
    }

    #[test]
    fn params_read_query_then_body() {
        let p = Params::parse("a=1&b=", b"b=2&list=1%2C%206,&d=2024-06-03&bad=2024-6-3");
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), Some("2"));
        assert_eq!(p.list("list"), Some(vec!["1".into(), "6".into()]));
        assert_eq!(p.ymd("d").unwrap(), Some(Date::constant(2024, 6, 3)));
        assert!(p.ymd("bad").is_err());
        assert!(p.int("d").is_err());
        assert_eq!(p.int("missing").unwrap(), None);
    }

    #[test]
    fn the_user_number_is_the_demo_user_id() {
        assert_eq!(USER_NUMBER.to_string(), USER_ID);
    }

    #[test]
    fn bearer_tokens_are_read_case_insensitively() {
        assert_eq!(bearer(Some("Bearer abc")), Some("abc"));
        assert_eq!(bearer(Some("bearer  abc ")), Some("abc"));
        assert_eq!(bearer(Some("Basic abc")), None);
        assert_eq!(bearer(Some("Bearer ")), None);
        assert_eq!(bearer(None), None);
    }
}
