//! The authorize page, code exchange, rotation, token expiry.

use withings_decode::Decode;
use withings_model::measure::GetMeas;
use withings_model::oauth2::{RequestToken, Revoke as OAuthRevoke, TokenBody};
use withings_model::signature::{GetNonce, NonceBody};
use withings_model::user::{GetDevice, GetGoals};
use withings_model::{EmptyBody, Reply, parse_reply};
use withings_sandbox::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_USER_ID};

use crate::harness::{Harness, REDIRECT, SCOPE, form, query_param, tokens};

#[tokio::test]
async fn authorize_redirects_at_once_with_a_code_and_the_state() {
    let h = Harness::start().await;
    let state = "s t&a/te=1";
    let target = format!(
        "/oauth2_user/authorize2?{}",
        form(&[
            ("response_type", "code"),
            ("client_id", DEMO_CLIENT_ID),
            ("redirect_uri", "https://example.org/cb?keep=1"),
            ("state", state),
            ("scope", SCOPE),
            ("mode", "demo"),
        ])
    );
    let resp = h.get(&target).await;
    assert_eq!(resp.status, 302);
    let location = resp.header("location").unwrap();
    assert!(
        location.starts_with("https://example.org/cb?keep=1&code="),
        "{location}"
    );
    assert_eq!(query_param(location, "state").as_deref(), Some(state));
    let code = query_param(location, "code").unwrap();
    assert_eq!(code.len(), 40);
    assert!(code.bytes().all(|b| b.is_ascii_hexdigit()));
}

#[tokio::test]
async fn authorize_names_the_bad_parameter() {
    let h = Harness::start().await;
    let good = [
        ("response_type", "code"),
        ("client_id", DEMO_CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("state", "x"),
        ("scope", SCOPE),
    ];
    for (drop, replace, expected) in [
        ("state", None, "`state` is missing"),
        ("client_id", Some("someone-else"), "`client_id`"),
        ("redirect_uri", Some("example.org/cb"), "`redirect_uri`"),
        ("response_type", Some("token"), "`response_type`"),
        (
            "scope",
            Some("user.metrics user.activity"),
            "comma-separated",
        ),
        ("scope", None, "`scope` is missing"),
    ] {
        let pairs: Vec<(&str, &str)> = good
            .iter()
            .filter_map(|&(k, v)| {
                if k == drop {
                    replace.map(|r| (k, r))
                } else {
                    Some((k, v))
                }
            })
            .collect();
        let resp = h
            .get(&format!("/oauth2_user/authorize2?{}", form(&pairs)))
            .await;
        assert_eq!(resp.status, 400, "{drop}");
        assert!(
            resp.header("content-type")
                .unwrap()
                .starts_with("text/plain")
        );
        assert!(resp.text().contains(expected), "{drop}: {}", resp.text());
    }
}

#[tokio::test]
async fn a_code_exchanges_for_the_token_body_of_the_reference() {
    let h = Harness::start().await;
    let code = h.authorize("abc").await;
    let resp = h.exchange(&code).await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), Some("application/json"));
    let v = resp.json();
    let body = &v["body"];
    // `userid` as a string, as Withings' support article shows it (API notes §3.2).
    assert_eq!(body["userid"], DEMO_USER_ID);
    assert!(resp.text().contains(r#""userid":"10203040""#));
    assert_eq!(body["expires_in"], 10800);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], SCOPE);
    for key in ["access_token", "refresh_token"] {
        let t = body[key].as_str().unwrap();
        assert!(
            t.len() == 40 && t.bytes().all(|b| b.is_ascii_hexdigit()),
            "{key}: {t}"
        );
    }
    assert!(!body["csrf_token"].as_str().unwrap().is_empty());
    let Reply::Ok(parsed) = parse_reply::<TokenBody>(&resp.body).unwrap() else {
        panic!("{}", resp.text())
    };
    assert_eq!(parsed.userid.as_deref(), Some(DEMO_USER_ID));
    parsed.decode().unwrap();
}

#[tokio::test]
async fn a_code_is_single_use() {
    let h = Harness::start().await;
    let code = h.authorize("abc").await;
    tokens(&h.exchange(&code).await);
    // Past the 10-second window, so the rate limit does not answer first.
    h.advance(11);
    let again = h.exchange(&code).await;
    assert_eq!(again.status, 200);
    assert_eq!(
        again.text(),
        r#"{"status":503,"body":{},"error":"Invalid Params: invalid code"}"#
    );
}

#[tokio::test]
async fn a_code_older_than_30_seconds_is_rejected() {
    let h = Harness::start().await;
    let code = h.authorize("abc").await;
    h.advance(31);
    let resp = h.exchange(&code).await;
    assert_eq!(resp.status_code(), 503);
    assert_eq!(resp.json()["error"], "Invalid Params: invalid code");
    let fresh = h.authorize("abc").await;
    h.advance(29);
    tokens(&h.exchange(&fresh).await);
}

#[tokio::test]
async fn an_unknown_code_a_wrong_secret_or_redirect_is_rejected() {
    let h = Harness::start().await;
    let code = h.authorize("abc").await;
    let base = [
        ("grant_type", "authorization_code"),
        ("client_id", DEMO_CLIENT_ID),
        ("client_secret", DEMO_CLIENT_SECRET),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    let with = |k: &str, v: &'static str| -> Vec<(&str, &str)> {
        base.iter()
            .map(|&(bk, bv)| if bk == k { (bk, v) } else { (bk, bv) })
            .collect()
    };
    for (pairs, error) in [
        (
            with("client_secret", "nope"),
            "Invalid Params: invalid client_secret",
        ),
        (
            with("redirect_uri", "https://elsewhere.example/cb"),
            "Invalid Params: invalid redirect_uri",
        ),
        (
            with("code", "0000000000000000000000000000000000000000"),
            "Invalid Params: invalid code",
        ),
        (
            with("grant_type", "password"),
            "Invalid Params: invalid grant_type",
        ),
    ] {
        let resp = h.post_to::<RequestToken>(&pairs).await;
        assert_eq!(resp.status_code(), 503, "{}", resp.text());
        assert_eq!(resp.json()["error"], error);
    }
    // None of those consumed the code.
    tokens(&h.exchange(&code).await);
}

#[tokio::test]
async fn refresh_rotates_and_the_old_token_dies_once_the_new_access_token_is_used() {
    let h = Harness::start().await;
    let (access0, refresh0) = h.login().await;
    let (access1, refresh1) = tokens(&h.refresh(&refresh0).await);
    assert_ne!(refresh1, refresh0);
    assert_ne!(access1, access0);
    // The new pair is not used yet: the old refresh token still works (Withings' safety net
    // for a client that failed to store the new pair).
    h.advance(11);
    let (access2, _refresh2) = tokens(&h.refresh(&refresh0).await);
    // The old access token stays valid until it expires.
    assert_eq!(h.call_to::<GetGoals>(&access0, &[]).await.status_code(), 0);
    // Using a new access token kills the old refresh token.
    assert_eq!(h.call_to::<GetDevice>(&access2, &[]).await.status_code(), 0);
    h.advance(11);
    let dead = h.refresh(&refresh0).await;
    assert_eq!(
        dead.text(),
        r#"{"status":503,"body":{},"error":"Invalid Params: invalid refresh_token"}"#
    );
    // The other successor is still good.
    tokens(&h.refresh(&refresh1).await);
}

#[tokio::test]
async fn the_old_refresh_token_dies_8_hours_after_rotation() {
    let h = Harness::start().await;
    let (_, refresh0) = h.login().await;
    tokens(&h.refresh(&refresh0).await);
    h.advance(8 * 3600);
    assert_eq!(h.refresh(&refresh0).await.status_code(), 503);
}

#[tokio::test]
async fn data_calls_need_a_valid_unexpired_token() {
    let h = Harness::start().await;
    let expected = r#"{"status":401,"body":{},"error":"XRequestID: Not provided invalid_token: The access token provided is invalid"}"#;
    let no_token = h.post_to::<GetMeas>(&[]).await;
    assert_eq!(no_token.status, 200);
    assert_eq!(no_token.text(), expected);
    let unknown = h
        .call_to::<GetDevice>("0123456789abcdef0123456789abcdef01234567", &[])
        .await;
    assert_eq!(unknown.text(), expected);

    let (access, _) = h.login().await;
    assert_eq!(h.call_to::<GetGoals>(&access, &[]).await.status_code(), 0);
    h.advance(10_799);
    assert_eq!(h.call_to::<GetDevice>(&access, &[]).await.status_code(), 0);
    h.advance(1);
    assert_eq!(h.call_to::<GetGoals>(&access, &[]).await.text(), expected);
}

#[tokio::test]
async fn nonce_and_revoke() {
    let h = Harness::start().await;
    let (access, refresh) = h.login().await;
    let nonce = h
        .post_to::<GetNonce>(&[
            ("client_id", DEMO_CLIENT_ID),
            ("timestamp", "1717430000"),
            ("signature", "ab"),
        ])
        .await;
    let Reply::Ok(body) = parse_reply::<NonceBody>(&nonce.body).unwrap() else {
        panic!("{}", nonce.text())
    };
    body.decode().unwrap();
    let revoke = [
        ("client_id", DEMO_CLIENT_ID),
        ("nonce", "n"),
        ("signature", "s"),
        ("userid", DEMO_USER_ID),
    ];
    let unsigned: Vec<(&str, &str)> = revoke
        .iter()
        .copied()
        .filter(|(k, _)| *k != "signature")
        .collect();
    assert_eq!(h.post_to::<OAuthRevoke>(&unsigned).await.status_code(), 503);
    let resp = h.post_to::<OAuthRevoke>(&revoke).await;
    assert!(
        matches!(parse_reply::<EmptyBody>(&resp.body).unwrap(), Reply::Ok(_)),
        "{}",
        resp.text()
    );
    assert_eq!(h.call_to::<GetGoals>(&access, &[]).await.status_code(), 401);
    h.advance(11);
    assert_eq!(h.refresh(&refresh).await.status_code(), 503);
}

#[tokio::test]
async fn approve_plays_the_browser_and_its_code_exchanges() {
    let h = Harness::start().await;
    let query = form(&[
        ("response_type", "code"),
        ("client_id", DEMO_CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("state", "st4te"),
        ("scope", SCOPE),
    ]);
    let url = format!("{}?{query}", h.sandbox.authorize_url());
    let location = h.sandbox.approve(&url).unwrap();
    assert!(
        location.starts_with(&format!("{REDIRECT}?code=")),
        "{location}"
    );
    assert_eq!(query_param(&location, "state").as_deref(), Some("st4te"));
    let code = query_param(&location, "code").unwrap();
    tokens(&h.exchange(&code).await);

    // Path and query alone work too; every call issues a new code.
    let again = h
        .sandbox
        .approve(&format!("/oauth2_user/authorize2?{query}"))
        .unwrap();
    assert_ne!(query_param(&again, "code").unwrap(), code);

    let bad = h
        .sandbox
        .approve(&format!(
            "{}?{}",
            h.sandbox.authorize_url(),
            form(&[("response_type", "code")])
        ))
        .unwrap_err();
    assert!(
        matches!(&bad, withings_sandbox::Error::Refused { status: 400, message } if message.contains("`client_id`")),
        "{bad:?}"
    );
    let elsewhere = h
        .sandbox
        .approve(&format!("{}/v2/user?{query}", h.sandbox.base_url()))
        .unwrap_err();
    assert!(
        matches!(
            elsewhere,
            withings_sandbox::Error::Refused { status: 404, .. }
        ),
        "{elsewhere:?}"
    );
}
