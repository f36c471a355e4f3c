//! The escape hatch (`Client::call`) and the OAuth 2 calls (refresh, signed revoke,
//! authorization).

use wiremock::MockServer;
use withings::model::measure::GetMeas;
use withings::model::oauth2::{RequestToken, Revoke};
use withings::model::signature::GetNonce;
use withings::model::user::GetDevice;
use withings::{
    AccessToken, AppCredentials, CallbackUrl, Client, Endpoint, ErrorKind, Form, MemoryTokenStore,
    RefreshToken, RetryPolicy, Service, TokenSet,
};

use crate::support::{
    assert_form, catch_all, client, fixture_of, form as form_of, mount, mount_for, only_request,
    param, requests, serve, serve_for, ts,
};

#[tokio::test]
async fn call_sends_any_action_and_returns_the_json_body() {
    let body = fixture_of::<GetDevice>("normal");
    let server = serve_for::<GetDevice>(body.clone(), 1).await;
    let c = client(&server);
    let json = c
        .call(
            GetDevice::SERVICE,
            GetDevice::ACTION,
            [("extra", "1"), ("action", "ignored")],
        )
        .await
        .unwrap();
    let whole: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json, whole["body"]);
    let r = only_request(&server, "/v2/user").await;
    assert_form(&r, &[("action", "getdevice"), ("extra", "1")]);
}

#[tokio::test]
async fn call_form_handles_statuses_like_the_typed_calls() {
    let server =
        serve_for::<GetMeas>(fixture_of::<GetMeas>("status-2554-not-implemented"), 1).await;
    let c = client(&server);
    let mut form = Form::new();
    form.push("meastypes", "1,6");
    let e = c
        .call_form(Service::Measure, GetMeas::ACTION, &form)
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(2554));
    assert_eq!(e.http_kind(), Some(ErrorKind::NotImplemented));
    assert_eq!(
        param(&requests(&server).await[0], "meastypes").as_deref(),
        Some("1,6")
    );
}

fn oauth_client(server: &MockServer) -> Client {
    let tokens = TokenSet::new(
        AccessToken::new("old-access"),
        RefreshToken::new("old-refresh"),
        ts(4_000_000_000),
    )
    .with_userid("10203040");
    Client::builder()
        .base_url(server.uri())
        .credentials(AppCredentials::new("client-id", "client-secret"))
        .token_store(MemoryTokenStore::with_tokens(tokens))
        .no_rate_limit()
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn oauth2_refresh_sends_the_refresh_token_and_returns_the_new_pair() {
    let text = fixture_of::<RequestToken>("normal");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let server = serve_for::<RequestToken>(text, 1).await;
    let c = oauth_client(&server);
    let tokens = c.refresh().await.unwrap();
    assert_eq!(tokens.userid(), json["body"]["userid"].as_str());
    assert_eq!(
        Some(tokens.refresh_token().expose_secret()),
        json["body"]["refresh_token"].as_str()
    );
    let current = c.tokens().await.unwrap().unwrap();
    assert_eq!(
        Some(current.access_token().expose_secret()),
        json["body"]["access_token"].as_str()
    );
    let r = &requests(&server).await[0];
    assert_form(
        r,
        &[
            ("action", "requesttoken"),
            ("grant_type", "refresh_token"),
            ("client_id", "client-id"),
            ("client_secret", "client-secret"),
            ("refresh_token", "old-refresh"),
        ],
    );
}

#[tokio::test]
async fn oauth2_revoke_gets_a_nonce_then_sends_a_signed_revoke() {
    let nonce_body = fixture_of::<GetNonce>("normal");
    let nonce: serde_json::Value = serde_json::from_str(&nonce_body).unwrap();
    let server = MockServer::start().await;
    mount_for::<GetNonce>(&server, nonce_body, 1).await;
    mount_for::<Revoke>(&server, r#"{"status":0,"body":{}}"#.to_owned(), 1).await;
    catch_all(&server).await;
    let c = oauth_client(&server);
    // Signed calls are the transport's: the façade hands them over through `http()`.
    c.http().revoke("10203040").await.unwrap();
    let rs = requests(&server).await;
    assert_eq!(rs.len(), 2);
    assert_eq!(param(&rs[0], "client_id").as_deref(), Some("client-id"));
    assert!(param(&rs[0], "signature").is_some_and(|s| s.len() == 64));
    assert_eq!(rs[1].url.path(), "/v2/oauth2");
    assert_eq!(param(&rs[1], "action").as_deref(), Some("revoke"));
    assert_eq!(
        param(&rs[1], "nonce").as_deref(),
        nonce["body"]["nonce"].as_str()
    );
    assert_eq!(param(&rs[1], "userid").as_deref(), Some("10203040"));
    assert!(param(&rs[1], "signature").is_some());
    assert!(
        rs[1].headers.get("authorization").is_none(),
        "no bearer on oauth2 calls"
    );
    server.verify().await;
}

#[tokio::test]
async fn oauth2_authorize_builds_the_url_with_state() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let credentials = AppCredentials::new("client-id", "client-secret")
        .with_redirect_uri(CallbackUrl::parse("https://example.com/withings/callback").unwrap());
    let c = Client::builder()
        .base_url(server.uri())
        .credentials(credentials)
        .build()
        .unwrap();
    let pending = c
        .authorize(&[withings::Scope::UserMetrics, withings::Scope::UserActivity])
        .unwrap();
    assert!(
        pending
            .url()
            .starts_with("https://account.withings.com/oauth2_user/authorize2?")
    );
    assert!(
        pending.url().contains("scope=user.metrics%2Cuser.activity"),
        "{}",
        pending.url()
    );
    let pasted = "https://example.com/withings/callback?code=c0ffee&state=wrong";
    let e = c
        .complete_authorization(&pending, pasted)
        .await
        .unwrap_err();
    assert_eq!(e.http_kind(), Some(ErrorKind::InvalidState));
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn call_reaches_a_service_with_no_declared_endpoint() {
    let server = serve(
        "/v2/rawdata",
        "get",
        r#"{"status":0,"body":{"rawdata":[1,2,3]}}"#.to_owned(),
        1,
    )
    .await;
    let c = client(&server);
    let rawdata = Service::other("v2/rawdata").unwrap();
    assert_eq!(rawdata.path(), "/v2/rawdata");
    let json = c
        .call(rawdata, "get", [("hash_deviceid", "5c0b")])
        .await
        .unwrap();
    assert_eq!(json["rawdata"][2], 3);
    let r = only_request(&server, "/v2/rawdata").await;
    assert_form(&r, &[("action", "get"), ("hash_deviceid", "5c0b")]);
    assert_eq!(
        r.headers.get("authorization").and_then(|v| v.to_str().ok()),
        Some("Bearer test-access-token")
    );
    // A declared service given by path is that service, and garbage is refused.
    assert_eq!(Service::other("/v2/sleep").unwrap(), Service::Sleep);
    assert!(Service::other("v2/../oauth2").is_err());
}

#[tokio::test]
async fn call_signed_takes_a_fresh_nonce_per_call_and_sends_no_token() {
    let nonce_body = fixture_of::<GetNonce>("normal");
    let nonce: serde_json::Value = serde_json::from_str(&nonce_body).unwrap();
    let nonce = nonce["body"]["nonce"].as_str().unwrap().to_owned();
    let server = MockServer::start().await;
    mount_for::<GetNonce>(&server, nonce_body, 2).await;
    let dropship = Service::other("v2/dropshipment").unwrap();
    mount(
        &server,
        dropship.path(),
        "getorderstatus",
        r#"{"status":0,"body":{"orders":[]}}"#.to_owned(),
        2,
    )
    .await;
    catch_all(&server).await;
    let c = oauth_client(&server);
    let mut form = Form::new();
    form.push("order_ids", "o-1").push("nonce", "forged");
    for _ in 0..2 {
        let body = c
            .call_signed(dropship, "getorderstatus", &form)
            .await
            .unwrap();
        assert_eq!(body.as_str(), r#"{"orders":[]}"#);
    }
    let sent: Vec<_> = requests(&server)
        .await
        .into_iter()
        .filter(|r| r.url.path() == "/v2/dropshipment")
        .collect();
    assert_eq!(sent.len(), 2);
    for r in &sent {
        let f = form_of(r);
        let keys: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            ["action", "client_id", "nonce", "signature", "order_ids"]
        );
        assert_eq!(param(r, "nonce").as_deref(), Some(nonce.as_str()));
        let sig = param(r, "signature").unwrap();
        assert_eq!(sig.len(), 64);
        assert!(sig.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(r.headers.get("authorization").is_none());
    }
    // One getnonce per signed call: a nonce is never reused.
    let nonces = requests(&server)
        .await
        .iter()
        .filter(|r| param(r, "action").as_deref() == Some(GetNonce::ACTION))
        .count();
    assert_eq!(nonces, 2);
}
