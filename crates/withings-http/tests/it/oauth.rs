//! OAuth: authorize URL, completing from a pasted URL, exchange, refresh with rotation,
//! single flight, 401 handling, signed requests.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::SignedDuration;
use wiremock::matchers::{bearer_token, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};
use withings_http::{
    AppCredentials, Client, Error, ErrorKind, ManualClock, MemoryTokenStore, Region, Scope,
    StoreFuture, TokenSet, TokenStore,
};
use withings_model::measure::GetMeas;

use crate::common::*;

fn query(url: &str) -> Vec<(String, String)> {
    let q = url.split_once('?').unwrap().1;
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

fn get<'a>(q: &'a [(String, String)], key: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

#[test]
fn authorize_url_is_https_with_comma_scopes_a_fresh_state_and_optional_demo_mode() {
    let client = Client::builder()
        .credentials(credentials())
        .build()
        .unwrap();
    let a = client
        .authorize(&[Scope::UserMetrics, Scope::UserActivity])
        .unwrap();
    let b = client
        .authorize(&[Scope::UserMetrics, Scope::UserActivity])
        .unwrap();
    assert!(
        a.url()
            .starts_with("https://account.withings.com/oauth2_user/authorize2?"),
        "{}",
        a.url()
    );
    let q = query(a.url());
    assert_eq!(get(&q, "response_type"), Some("code"));
    assert_eq!(get(&q, "client_id"), Some(CLIENT_ID));
    assert_eq!(get(&q, "scope"), Some("user.metrics,user.activity"));
    assert_eq!(
        get(&q, "redirect_uri"),
        Some("https://example.com/withings/cb")
    );
    assert_eq!(get(&q, "state"), Some(a.state().expose_secret()));
    assert_eq!(get(&q, "mode"), None);
    assert_eq!(a.state().expose_secret().len(), 32);
    assert_ne!(
        a.state().expose_secret(),
        b.state().expose_secret(),
        "state is fresh each time"
    );
    assert!(!a.url().contains(CLIENT_SECRET));

    let demo = client.authorize_demo(&[Scope::UserMetrics]).unwrap();
    assert_eq!(get(&query(demo.url()), "mode"), Some("demo"));

    let us = Client::builder()
        .region(Region::Us)
        .credentials(credentials())
        .build()
        .unwrap();
    assert!(
        us.authorize(&[Scope::UserInfo])
            .unwrap()
            .url()
            .starts_with("https://account.us.withingsmed.com/")
    );

    let no_redirect = Client::builder()
        .credentials(AppCredentials::new(CLIENT_ID, CLIENT_SECRET))
        .build()
        .unwrap();
    assert_eq!(
        no_redirect
            .authorize(&[Scope::UserMetrics])
            .unwrap_err()
            .kind(),
        ErrorKind::Config
    );
    assert_eq!(client.authorize(&[]).unwrap_err().kind(), ErrorKind::Config);
}

#[tokio::test]
async fn completing_from_the_pasted_url_exchanges_the_code_and_saves_the_tokens() {
    let server = MockServer::start().await;
    requesttoken()
        .and(form_has("grant_type", "authorization_code"))
        .and(form_has("client_id", CLIENT_ID))
        .and(form_has("client_secret", CLIENT_SECRET))
        .and(form_has("code", "c0de-from-redirect"))
        .and(form_has("redirect_uri", "https://example.com/withings/cb"))
        .and(|r: &Request| !r.headers.contains_key("authorization"))
        // userid as a number here (API notes §3.2: int or string).
        .respond_with(ok(&token_body(NEW_ACCESS, NEW_REFRESH, Some("10203040"))))
        .expect(1)
        .mount(&server)
        .await;
    getmeas()
        .and(bearer_token(NEW_ACCESS))
        .respond_with(ok(GETMEAS_BODY))
        .expect(1)
        .mount(&server)
        .await;
    let store = Arc::new(MemoryTokenStore::new());
    let clock = ManualClock::new(t0());
    let client = builder(&server, &clock)
        .token_store(store.clone())
        .build()
        .unwrap();
    let pending = client.authorize(&[Scope::UserMetrics]).unwrap();
    let pasted = format!(
        "https://example.com/withings/cb?code=c0de-from-redirect&state={}",
        pending.state().expose_secret()
    );
    let tokens = client
        .complete_authorization(&pending, &pasted)
        .await
        .unwrap();
    assert_eq!(tokens.userid(), Some(USERID));
    assert_eq!(
        tokens.expires_at(),
        t0() + SignedDuration::from_secs(10_800)
    );
    assert_eq!(tokens.scope(), Some("user.metrics,user.activity"));
    let saved = store.get().unwrap();
    assert_eq!(saved.access_token().expose_secret(), NEW_ACCESS);
    assert_eq!(saved.refresh_token().expose_secret(), NEW_REFRESH);
    client.send(&GetMeas::new()).await.unwrap();
}

#[tokio::test]
async fn userid_as_a_string_is_read_too() {
    let server = MockServer::start().await;
    requesttoken()
        .respond_with(ok(&token_body(
            NEW_ACCESS,
            NEW_REFRESH,
            Some("\"10203040\""),
        )))
        .mount(&server)
        .await;
    let client = builder(&server, &ManualClock::new(t0())).build().unwrap();
    let tokens = client.exchange_code(&"c0de".into()).await.unwrap();
    assert_eq!(tokens.userid(), Some(USERID));
}

#[tokio::test]
async fn a_state_mismatch_is_rejected_before_any_request() {
    let server = MockServer::start().await;
    requesttoken()
        .respond_with(ok(&token_body(NEW_ACCESS, NEW_REFRESH, None)))
        .expect(0)
        .mount(&server)
        .await;
    let client = builder(&server, &ManualClock::new(t0())).build().unwrap();
    let pending = client.authorize(&[Scope::UserMetrics]).unwrap();
    let forged = "https://example.com/withings/cb?code=c0de&state=0123456789abcdef0123456789abcdef";
    let e = client
        .complete_authorization(&pending, forged)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidState);
    assert!(e.is_auth());
    assert!(
        e.to_string().contains("start the authorization again"),
        "{e}"
    );
    let missing = client
        .complete_authorization(&pending, "https://example.com/withings/cb?code=c0de")
        .await;
    assert_eq!(missing.unwrap_err().kind(), ErrorKind::InvalidState);
}

#[tokio::test]
async fn an_expired_or_reused_code_says_so() {
    let server = MockServer::start().await;
    requesttoken()
        .respond_with(status(503, "Invalid Params: invalid code"))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server, &ManualClock::new(t0())).build().unwrap();
    let pending = client.authorize(&[Scope::UserMetrics]).unwrap();
    let e = client
        .complete_authorization(&pending, "c0de-bare")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CodeExpired);
    assert_eq!(e.status(), Some(503));
    let text = e.to_string();
    assert!(
        text.contains("expired or was already used") && text.contains("30 s"),
        "{text}"
    );
}

#[tokio::test]
async fn status_401_refreshes_once_and_retries_once() {
    let server = MockServer::start().await;
    getmeas()
        .and(bearer_token(ACCESS))
        .respond_with(status(
            401,
            "XRequestID: Not provided invalid_token: The access token provided is invalid",
        ))
        .expect(1)
        .mount(&server)
        .await;
    requesttoken()
        .and(form_has("grant_type", "refresh_token"))
        .and(form_has("refresh_token", REFRESH))
        .and(form_has("client_secret", CLIENT_SECRET))
        // No userid in this refresh answer: the stored one must be kept.
        .respond_with(ok(&token_body(NEW_ACCESS, NEW_REFRESH, None)))
        .expect(1)
        .mount(&server)
        .await;
    getmeas()
        .and(bearer_token(NEW_ACCESS))
        .respond_with(ok(GETMEAS_BODY))
        .expect(1)
        .mount(&server)
        .await;
    let store = Arc::new(MemoryTokenStore::with_tokens(old_tokens()));
    let client = builder(&server, &ManualClock::new(t0()))
        .token_store(store.clone())
        .build()
        .unwrap();
    client.send(&GetMeas::new()).await.unwrap();
    let saved = store.get().unwrap();
    assert_eq!(saved.refresh_token().expose_secret(), NEW_REFRESH);
    assert_eq!(
        saved.userid(),
        Some(USERID),
        "userid kept across a refresh that omits it"
    );
}

#[tokio::test]
async fn a_second_401_after_the_refresh_is_returned_not_looped() {
    let server = MockServer::start().await;
    getmeas()
        .respond_with(status(401, "invalid_token"))
        .expect(2)
        .mount(&server)
        .await;
    requesttoken()
        .respond_with(ok(&token_body(NEW_ACCESS, NEW_REFRESH, None)))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server, &ManualClock::new(t0()))
        .token_store(MemoryTokenStore::with_tokens(old_tokens()))
        .build()
        .unwrap();
    let e = client.send(&GetMeas::new()).await.unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::Auth, Some(401)));
    assert!(e.to_string().contains("run the authorization again"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_calls_with_an_expired_token_cause_exactly_one_refresh() {
    let server = MockServer::start().await;
    requesttoken()
        .and(form_has("refresh_token", REFRESH))
        // Slow enough that every caller finds the token expired while the refresh runs.
        .respond_with(
            ok(&token_body(NEW_ACCESS, NEW_REFRESH, None)).set_delay(Duration::from_millis(200)),
        )
        .expect(1)
        .mount(&server)
        .await;
    getmeas()
        .and(bearer_token(NEW_ACCESS))
        .respond_with(ok(GETMEAS_BODY))
        .expect(50)
        .mount(&server)
        .await;
    getmeas()
        .and(bearer_token(ACCESS))
        .respond_with(status(401, "old token used"))
        .expect(0)
        .mount(&server)
        .await;
    let clock = ManualClock::new(t0() + SignedDuration::from_hours(4));
    let client = builder(&server, &clock)
        .token_store(MemoryTokenStore::with_tokens(old_tokens()))
        .build()
        .unwrap();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.send(&GetMeas::new()).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_calls_share_one_failed_refresh() {
    let server = MockServer::start().await;
    requesttoken()
        // Slow enough that every caller waits on this one attempt.
        .respond_with(
            status(503, "Invalid Params: invalid refresh_token")
                .set_delay(Duration::from_millis(200)),
        )
        .expect(1)
        .mount(&server)
        .await;
    getmeas()
        .respond_with(ok(GETMEAS_BODY))
        .expect(0)
        .mount(&server)
        .await;
    let clock = ManualClock::new(t0() + SignedDuration::from_hours(4));
    let client = builder(&server, &clock)
        .token_store(MemoryTokenStore::with_tokens(old_tokens()))
        .build()
        .unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.send(&GetMeas::new()).await })
        })
        .collect();
    for t in tasks {
        let e = t.await.unwrap().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_concurrent_forced_refreshes_send_one_request() {
    let server = MockServer::start().await;
    requesttoken()
        .respond_with(
            ok(&token_body(NEW_ACCESS, NEW_REFRESH, None)).set_delay(Duration::from_millis(200)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server, &ManualClock::new(t0()))
        .token_store(MemoryTokenStore::with_tokens(old_tokens()))
        .build()
        .unwrap();
    let tasks: Vec<_> = (0..5)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.refresh().await })
        })
        .collect();
    for t in tasks {
        let tokens = t.await.unwrap().unwrap();
        assert_eq!(tokens.access_token().expose_secret(), NEW_ACCESS);
    }
}

#[tokio::test]
async fn a_pair_another_process_saved_is_used_instead_of_refreshing() {
    let server = MockServer::start().await;
    requesttoken()
        .respond_with(ok(&token_body("never", "never", None)))
        .expect(0)
        .mount(&server)
        .await;
    getmeas()
        .and(bearer_token(NEW_ACCESS))
        .respond_with(ok(GETMEAS_BODY))
        .expect(1)
        .mount(&server)
        .await;
    let dir = TempDir::new("shared-store");
    let path = dir.path().join("tokens.json");
    let store = withings_http::FileTokenStore::new(&path);
    store.save(&old_tokens()).await.unwrap();
    // 4 h later the pair this client loaded has expired...
    let clock = ManualClock::new(t0() + SignedDuration::from_hours(4));
    let client = builder(&server, &clock)
        .token_store(store.clone())
        .build()
        .unwrap();
    assert!(client.tokens().await.unwrap().is_some());
    // ...but another process already refreshed and saved a fresh pair.
    let fresh = withings_http::TokenSet::new(
        NEW_ACCESS.into(),
        NEW_REFRESH.into(),
        t0() + SignedDuration::from_hours(7),
    );
    store.save(&fresh).await.unwrap();
    client.send(&GetMeas::new()).await.unwrap();
    assert!(path.with_file_name("tokens.json.lock").exists());
}

#[tokio::test]
async fn a_token_close_to_expiry_is_refreshed_before_the_call() {
    let server = MockServer::start().await;
    requesttoken()
        .respond_with(ok(&token_body(NEW_ACCESS, NEW_REFRESH, None)))
        .expect(1)
        .mount(&server)
        .await;
    getmeas()
        .and(bearer_token(NEW_ACCESS))
        .respond_with(ok(GETMEAS_BODY))
        .expect(2)
        .mount(&server)
        .await;
    // 2 minutes before expiry: inside the 5-minute margin.
    let clock = ManualClock::new(t0() + SignedDuration::from_mins(178));
    let client = builder(&server, &clock)
        .token_store(MemoryTokenStore::with_tokens(old_tokens()))
        .build()
        .unwrap();
    client.send(&GetMeas::new()).await.unwrap();
    client.send(&GetMeas::new()).await.unwrap();
    let t = client.tokens().await.unwrap().unwrap();
    assert_eq!(
        t.expires_at(),
        withings_http::Clock::now(&clock) + SignedDuration::from_secs(10_800),
        "expiry from the injected clock"
    );
}

/// A store that logs its saves into a shared event log.
#[derive(Debug)]
struct LoggingStore {
    inner: MemoryTokenStore,
    log: Arc<Mutex<Vec<String>>>,
    fail: bool,
}

impl TokenStore for LoggingStore {
    fn load(&self) -> StoreFuture<'_, Option<TokenSet>> {
        self.inner.load()
    }

    fn save<'a>(&'a self, tokens: &'a TokenSet) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            if self.fail {
                return Err(Error::token_store("disk full (simulated)"));
            }
            // Let a racing request (there must be none) reach the server first.
            tokio::time::sleep(Duration::from_millis(50)).await;
            self.inner.save(tokens).await?;
            self.log
                .lock()
                .unwrap()
                .push(format!("save {}", tokens.refresh_token().expose_secret()));
            Ok(())
        })
    }
}

#[tokio::test]
async fn the_rotated_token_is_saved_before_the_new_access_token_is_used() {
    let server = MockServer::start().await;
    let log = Arc::new(Mutex::new(Vec::new()));
    let l1 = log.clone();
    requesttoken()
        .respond_with(move |_: &Request| {
            l1.lock().unwrap().push("refresh".to_owned());
            ok(&token_body(NEW_ACCESS, NEW_REFRESH, None))
        })
        .expect(1)
        .mount(&server)
        .await;
    let l2 = log.clone();
    getmeas()
        .respond_with(move |r: &Request| {
            let auth = r
                .headers
                .get("authorization")
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned();
            l2.lock().unwrap().push(format!("getmeas with {auth}"));
            ok(GETMEAS_BODY)
        })
        .expect(1)
        .mount(&server)
        .await;
    let store = LoggingStore {
        inner: MemoryTokenStore::with_tokens(old_tokens()),
        log: log.clone(),
        fail: false,
    };
    let clock = ManualClock::new(t0() + SignedDuration::from_hours(4));
    let client = builder(&server, &clock).token_store(store).build().unwrap();
    client.send(&GetMeas::new()).await.unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        vec![
            "refresh".to_owned(),
            format!("save {NEW_REFRESH}"),
            format!("getmeas with Bearer {NEW_ACCESS}")
        ]
    );
}

#[tokio::test]
async fn when_saving_the_rotated_token_fails_the_new_access_token_is_never_used() {
    let server = MockServer::start().await;
    requesttoken()
        .respond_with(ok(&token_body(NEW_ACCESS, NEW_REFRESH, None)))
        .expect(1)
        .mount(&server)
        .await;
    getmeas()
        .respond_with(ok(GETMEAS_BODY))
        .expect(0)
        .mount(&server)
        .await;
    let log = Arc::new(Mutex::new(Vec::new()));
    let store = Arc::new(LoggingStore {
        inner: MemoryTokenStore::with_tokens(old_tokens()),
        log,
        fail: true,
    });
    let clock = ManualClock::new(t0() + SignedDuration::from_hours(4));
    let client = builder(&server, &clock)
        .token_store(store.clone())
        .build()
        .unwrap();
    let e = client.send(&GetMeas::new()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenStore);
    assert_eq!(
        store.inner.get().unwrap().refresh_token().expose_secret(),
        REFRESH,
        "old pair still stored"
    );
    assert_eq!(
        client
            .tokens()
            .await
            .unwrap()
            .unwrap()
            .access_token()
            .expose_secret(),
        ACCESS
    );
}

#[tokio::test]
async fn a_refused_refresh_asks_for_a_new_authorization() {
    let server = MockServer::start().await;
    requesttoken()
        .respond_with(status(503, "Invalid Params: invalid refresh_token"))
        .expect(1)
        .mount(&server)
        .await;
    getmeas()
        .respond_with(ok(GETMEAS_BODY))
        .expect(0)
        .mount(&server)
        .await;
    let clock = ManualClock::new(t0() + SignedDuration::from_hours(4));
    let client = builder(&server, &clock)
        .token_store(MemoryTokenStore::with_tokens(old_tokens()))
        .build()
        .unwrap();
    let e = client.send(&GetMeas::new()).await.unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::Auth, Some(503)));
    assert!(e.is_auth());
    assert!(
        e.to_string().contains("refused the refresh token")
            && e.to_string().contains("run the authorization again"),
        "{e}"
    );
}

#[tokio::test]
async fn an_empty_store_asks_for_an_authorization() {
    let server = MockServer::start().await;
    getmeas()
        .respond_with(ok(GETMEAS_BODY))
        .expect(0)
        .mount(&server)
        .await;
    let client = builder(&server, &ManualClock::new(t0())).build().unwrap();
    let e = client.send(&GetMeas::new()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert!(
        e.to_string()
            .contains("no token is stored yet; run the authorization again"),
        "{e}"
    );
}

/// HMAC-SHA256 built from SHA-256 by hand (RFC 2104), independent of the crate's signer.
fn hmac_sha256_hex(key: &[u8], msg: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(msg);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn the_hand_made_hmac_matches_rfc_4231() {
    assert_eq!(
        hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?"),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[tokio::test]
async fn revoke_is_signed_with_a_fresh_nonce() {
    let server = MockServer::start().await;
    let ts = t0().as_second().to_string();
    // Reference §3.4: values of action, client_id, timestamp (sorted by key), joined by commas.
    let nonce_sig = hmac_sha256_hex(
        CLIENT_SECRET.as_bytes(),
        format!("getnonce,{CLIENT_ID},{ts}").as_bytes(),
    );
    let revoke_sig = hmac_sha256_hex(
        CLIENT_SECRET.as_bytes(),
        format!("revoke,{CLIENT_ID},n0nce5e2d").as_bytes(),
    );
    let leak = |r: &Request| {
        !r.headers.contains_key("authorization")
            && !String::from_utf8_lossy(&r.body).contains(CLIENT_SECRET)
    };
    let (ts2, nonce_sig2, revoke_sig2) = (ts.clone(), nonce_sig.clone(), revoke_sig.clone());
    Mock::given(method("POST"))
        .and(path("/v2/signature"))
        .and(form_has("action", "getnonce"))
        .and(form_has("client_id", CLIENT_ID))
        .and(move |r: &Request| form_of(r).contains(&("timestamp".to_owned(), ts2.clone())))
        .and(move |r: &Request| form_of(r).contains(&("signature".to_owned(), nonce_sig2.clone())))
        .and(leak)
        .respond_with(ok(r#"{"nonce":"n0nce5e2d"}"#))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/oauth2"))
        .and(form_has("action", "revoke"))
        .and(form_has("client_id", CLIENT_ID))
        .and(form_has("nonce", "n0nce5e2d"))
        .and(form_has("userid", USERID))
        .and(move |r: &Request| form_of(r).contains(&("signature".to_owned(), revoke_sig2.clone())))
        .and(leak)
        .respond_with(ok("{}"))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server, &ManualClock::new(t0())).build().unwrap();
    client.revoke(USERID).await.unwrap();
}

#[tokio::test]
async fn demo_access_is_signed_and_installs_the_tokens() {
    let server = MockServer::start().await;
    Mock::given(path("/v2/signature"))
        .respond_with(ok(r#"{"nonce":"d3m0"}"#))
        .expect(1)
        .mount(&server)
        .await;
    let sig = hmac_sha256_hex(
        CLIENT_SECRET.as_bytes(),
        format!("getdemoaccess,{CLIENT_ID},d3m0").as_bytes(),
    );
    Mock::given(path("/v2/oauth2"))
        .and(form_has("action", "getdemoaccess"))
        .and(form_has("scope_oauth2", "user.metrics,user.activity"))
        .and(move |r: &Request| form_of(r).contains(&("signature".to_owned(), sig.clone())))
        .and(form_lacks("client_secret"))
        .respond_with(ok(&token_body(NEW_ACCESS, NEW_REFRESH, None)))
        .expect(1)
        .mount(&server)
        .await;
    getmeas()
        .and(bearer_token(NEW_ACCESS))
        .respond_with(ok(GETMEAS_BODY))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server, &ManualClock::new(t0())).build().unwrap();
    let t = client
        .demo_access(&[Scope::UserMetrics, Scope::UserActivity])
        .await
        .unwrap();
    assert_eq!(t.userid(), None);
    client.send(&GetMeas::new()).await.unwrap();
}

#[tokio::test]
async fn a_fixed_access_token_is_sent_as_is_and_never_refreshed() {
    let server = MockServer::start().await;
    getmeas()
        .and(bearer_token(ACCESS))
        .respond_with(status(401, "invalid_token"))
        .expect(1)
        .mount(&server)
        .await;
    requesttoken()
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let client = builder(&server, &ManualClock::new(t0()))
        .access_token(ACCESS.into())
        .build()
        .unwrap();
    assert_eq!(
        client.send(&GetMeas::new()).await.unwrap_err().kind(),
        ErrorKind::Auth
    );
    assert_eq!(
        client.refresh().await.unwrap_err().kind(),
        ErrorKind::Config
    );
}
