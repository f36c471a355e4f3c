//! Shared helpers: a wiremock server per test, a client pointed at it, fixtures, forms.

use std::path::{Path, PathBuf};

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};
use withings::{AccessToken, Client, Endpoint, RetryPolicy};

/// `fixtures/<dir>/<case>.json`, as bytes (served byte for byte).
pub fn fixture(dir: &str, case: &str) -> String {
    let p = fixtures_root().join(dir).join(format!("{case}.json"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

/// `fixtures/<E's folder>/<case>.json`.
pub fn fixture_of<E: Endpoint>(case: &str) -> String {
    fixture(&E::fixture_dir(), case)
}

pub fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// A client with a fixed token, no client-side rate limit and no retries, on `server`.
pub fn client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.uri())
        .access_token(AccessToken::new("test-access-token"))
        .no_rate_limit()
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client")
}

/// Mounted last, with the lowest priority: any request no other mock expects gets a 418 and
/// fails the test when the server is dropped, naming the request.
pub async fn catch_all(server: &MockServer) {
    Mock::given(|_: &Request| true)
        .respond_with(
            ResponseTemplate::new(418)
                .set_body_string("unexpected request: no mock of this test matches it"),
        )
        .with_priority(u8::MAX)
        .named("catch-all: an unexpected request reached the server")
        .expect(0)
        .mount(server)
        .await;
}

/// A server answering `body` to every POST on `service_path` whose `action` is `action`,
/// exactly `times` times, then the catch-all.
pub async fn serve(
    service_path: &str,
    action: &'static str,
    body: String,
    times: u64,
) -> MockServer {
    let server = MockServer::start().await;
    mount(&server, service_path, action, body, times).await;
    catch_all(&server).await;
    server
}

/// [`serve`] on the service and action of `E`.
pub async fn serve_for<E: Endpoint>(body: String, times: u64) -> MockServer {
    serve(E::SERVICE.path(), E::ACTION, body, times).await
}

/// [`mount`] on the service and action of `E`.
pub async fn mount_for<E: Endpoint>(server: &MockServer, body: String, times: u64) {
    mount(server, E::SERVICE.path(), E::ACTION, body, times).await;
}

pub async fn mount(
    server: &MockServer,
    service_path: &str,
    action: &'static str,
    body: String,
    times: u64,
) {
    Mock::given(method("POST"))
        .and(path(service_path))
        .and(move |r: &Request| param(r, "action").as_deref() == Some(action))
        .respond_with(ResponseTemplate::new(200).set_body_string(body))
        .named(format!("{service_path} action={action}"))
        .expect(times)
        .mount(server)
        .await;
}

/// The form pairs of a request, in order.
pub fn form(r: &Request) -> Vec<(String, String)> {
    form_urlencoded::parse(&r.body).into_owned().collect()
}

/// One parameter of a request's form.
pub fn param(r: &Request, key: &str) -> Option<String> {
    form_urlencoded::parse(&r.body)
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// Every request the server received (in order).
pub async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.expect("recording is on")
}

/// The only request the server received, checked to be a POST to `service_path` with a
/// bearer token.
pub async fn only_request(server: &MockServer, service_path: &str) -> Request {
    let mut all = requests(server).await;
    assert_eq!(
        all.len(),
        1,
        "expected exactly one request, got {}",
        all.len()
    );
    let r = all.remove(0);
    assert_eq!(r.url.path(), service_path);
    assert_eq!(r.method.as_str(), "POST");
    let auth = r
        .headers
        .get("authorization")
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    assert_eq!(auth.as_deref(), Some("Bearer test-access-token"));
    r
}

/// Asserts a request's form is exactly `expected` (order included: `action` first).
pub fn assert_form(r: &Request, expected: &[(&str, &str)]) {
    let got = form(r);
    let want: Vec<(String, String)> = expected
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    assert_eq!(got, want, "request form of {}", r.url.path());
}

pub fn ts(s: i64) -> withings::jiff::Timestamp {
    withings::jiff::Timestamp::from_second(s).expect("timestamp")
}

/// What decoding a response directly (without the façade) gives: the reference the typed
/// calls of `calls.rs` are compared with. (`fixtures.rs` compares the façade with the
/// `.expected` snapshots themselves.)
pub fn decoded<B>(body: &str) -> serde_json::Value
where
    B: withings::Decode + serde::de::DeserializeOwned,
{
    match withings::decode::decode_reply::<B>(body.as_bytes()) {
        Ok(withings::decode::Reply::Ok(v)) => serde_json::to_value(v).unwrap(),
        Ok(withings::decode::Reply::Status(s)) => panic!("the fixture is an API status: {s}"),
        Err(e) => panic!("the fixture does not decode: {e}"),
    }
}
