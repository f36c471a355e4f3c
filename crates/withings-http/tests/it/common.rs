//! Shared fixtures: invented credentials and tokens, response builders, a temp directory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::Timestamp;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockBuilder, MockServer, Request, ResponseTemplate};
use withings_http::{
    AppCredentials, CallbackUrl, Client, ClientBuilder, ManualClock, RetryPolicy, TokenSet,
};

pub(crate) const CLIENT_ID: &str = "cl1ent-id-0a1b2c3d";
pub(crate) const CLIENT_SECRET: &str = "S3CRET-client-5ecret-0ddba11";
pub(crate) const ACCESS: &str = "ACCESS-old-7f3a9c1e2b4d6f80";
pub(crate) const REFRESH: &str = "REFRESH-old-9e8d7c6b5a4f3e2d";
pub(crate) const NEW_ACCESS: &str = "ACCESS-new-1234567890abcdef";
pub(crate) const NEW_REFRESH: &str = "REFRESH-new-fedcba0987654321";
pub(crate) const USERID: &str = "10203040";

/// Every secret the tests use, to search formatted output for.
pub(crate) const ALL_SECRETS: &[&str] = &[CLIENT_SECRET, ACCESS, REFRESH, NEW_ACCESS, NEW_REFRESH];

pub(crate) const GETMEAS_BODY: &str = r#"{"updatetime":1717430000,"timezone":"Europe\/Paris","measuregrps":[{"grpid":1,"attrib":0,"date":1717429800,"created":1717429900,"category":1,"deviceid":null,"measures":[{"value":70005,"type":1,"unit":-3}]}],"more":0}"#;

pub(crate) fn t0() -> Timestamp {
    Timestamp::from_second(1_717_430_000).unwrap()
}

pub(crate) fn credentials() -> AppCredentials {
    AppCredentials::new(CLIENT_ID, CLIENT_SECRET)
        .with_redirect_uri(CallbackUrl::parse("https://example.com/withings/cb").unwrap())
}

/// Tokens issued at `t0`, valid 3 hours from then.
pub(crate) fn old_tokens() -> TokenSet {
    TokenSet::new(
        ACCESS.into(),
        REFRESH.into(),
        t0() + jiff::SignedDuration::from_hours(3),
    )
    .with_userid(USERID)
}

/// A client for `server` with credentials, a manual clock at `t0`, no rate limiter and fast
/// retries.
pub(crate) fn builder(server: &MockServer, clock: &ManualClock) -> ClientBuilder {
    Client::builder()
        .base_url(server.uri())
        .credentials(credentials())
        .clock(clock.clone())
        .no_rate_limit()
        .retry_policy(
            RetryPolicy::default()
                .base_delay(Duration::from_millis(1))
                .max_delay(Duration::from_millis(5)),
        )
}

/// `{"status":0,"body":<body>}` as Withings sends it.
pub(crate) fn ok(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "application/json")
        .set_body_string(format!(r#"{{"status":0,"body":{body}}}"#))
}

/// An error envelope: HTTP 200 with a non-zero status.
pub(crate) fn status(code: i64, error: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "application/json")
        .set_body_string(format!(
            r#"{{"status":{code},"body":{{}},"error":"{error}"}}"#
        ))
}

pub(crate) fn token_body(access: &str, refresh: &str, userid: Option<&str>) -> String {
    let user = userid
        .map(|u| format!(r#""userid":{u},"#))
        .unwrap_or_default();
    format!(
        r#"{{{user}"access_token":"{access}","refresh_token":"{refresh}","expires_in":10800,"scope":"user.metrics,user.activity","csrf_token":"CSRF0000","token_type":"Bearer"}}"#
    )
}

/// A form-field matcher (wiremock has none; order-independent and decodes %XX).
pub(crate) fn form_has(
    key: &'static str,
    value: &'static str,
) -> impl Fn(&Request) -> bool + Send + Sync + 'static {
    move |r: &Request| form_urlencoded::parse(&r.body).any(|(k, v)| k == key && v == value)
}

pub(crate) fn form_lacks(key: &'static str) -> impl Fn(&Request) -> bool + Send + Sync + 'static {
    move |r: &Request| !form_urlencoded::parse(&r.body).any(|(k, _)| k == key)
}

pub(crate) fn form_of(r: &Request) -> Vec<(String, String)> {
    form_urlencoded::parse(&r.body).into_owned().collect()
}

pub(crate) fn getmeas() -> MockBuilder {
    Mock::given(method("POST"))
        .and(path("/measure"))
        .and(form_has("action", "getmeas"))
}

pub(crate) fn requesttoken() -> MockBuilder {
    Mock::given(method("POST"))
        .and(path("/v2/oauth2"))
        .and(form_has("action", "requesttoken"))
}

/// A fresh directory under the system temp dir, removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(tag: &str) -> Self {
        let mut b = [0u8; 8];
        getrandom_fill(&mut b);
        let name: String = b.iter().map(|x| format!("{x:02x}")).collect();
        let p = std::env::temp_dir().join(format!("withings-http-{tag}-{name}"));
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn getrandom_fill(b: &mut [u8]) {
    getrandom::getrandom(b).unwrap();
}
