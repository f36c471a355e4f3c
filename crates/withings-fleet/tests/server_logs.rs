//! What `withings serve` logs: one access line per request naming the route, and no secret.
//!
//! A test binary of its own: the subscriber is the process's global one, so it sees every
//! thread's events (a scoped subscriber missed some when other tests ran beside it).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "server_support.rs"]
mod support;

use http::{Method, StatusCode};
use withings_postgres::testing::TestCluster;

use support::{Harness, query_param};

/// What the subscriber wrote.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Self;

    fn make_writer(&'a self) -> Self {
        self.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_name_routes_and_hold_no_secret() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let h = Harness::start(&pg, "logs", &[]).await;
    let user = h.sandbox.user_ids()[0].clone();
    let (_, headers, _) = h.request(Method::GET, "/connect", "").await;
    let callback = h.sandbox.approve_as(&user, &headers["location"]).unwrap();
    assert_eq!(
        h.request(Method::GET, &callback, "").await.0,
        StatusCode::OK
    );
    let tokens = withings::TokenStore::load(&h.fleet.token_store(&user))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        h.post_notify(&format!("userid={user}&appli=1")).await,
        StatusCode::OK
    );
    assert_eq!(h.post_notify("userid=424242&appli=1").await, StatusCode::OK);
    assert_eq!(h.post_notify("appli=1").await, StatusCode::BAD_REQUEST);
    let secrets = [
        h.config.server.notify_secret.expose().to_owned(),
        h.config.token_key.expose().to_owned(),
        h.config.withings.client_secret.expose_secret().to_owned(),
        query_param(&callback, "code").unwrap(),
        query_param(&callback, "state").unwrap(),
        tokens.access_token().expose_secret().to_owned(),
        tokens.refresh_token().expose_secret().to_owned(),
    ];
    h.stop().await;

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let access: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("withings_fleet::access"))
        .collect();
    assert!(
        access.iter().filter(|l| l.contains("notify")).count() >= 3
            && access.iter().any(|l| l.contains("connect"))
            && access.iter().any(|l| l.contains("callback")),
        "{text}"
    );
    for (i, secret) in secrets.iter().enumerate() {
        assert!(!secret.is_empty());
        assert!(
            !text.contains(secret.as_str()),
            "secret #{i} logged:\n{text}"
        );
    }
}
