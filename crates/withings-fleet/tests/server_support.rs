//! The harness of the server tests: a server on a loopback port over a fresh database of a
//! throwaway cluster, with the offline sandbox as Withings.
// Each test binary that includes this module uses part of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use withings::{AccessToken, RefreshToken, TokenSet};
use withings_fleet::FleetConfig;
use withings_fleet::server::FleetServer;
use withings_postgres::testing::TestCluster;
use withings_postgres::{Fleet, JobFilter, JobRow};
use withings_sandbox::{RunningSandbox, Sandbox};

pub(crate) type Http = HttpClient<HttpConnector, Full<Bytes>>;

/// A server on a loopback port over a fresh database, with the sandbox as Withings.
pub(crate) struct Harness {
    pub(crate) sandbox: RunningSandbox,
    pub(crate) fleet: Fleet,
    pub(crate) config: FleetConfig,
    /// `http://127.0.0.1:<port>`.
    pub(crate) origin: String,
    pub(crate) http: Http,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Harness {
    pub(crate) async fn start(pg: &TestCluster, db: &str, extra_env: &[(&str, &str)]) -> Self {
        let sandbox = Sandbox::builder()
            .users(3)
            // Tests send what they send on purpose: no 601 for repeated or bursty requests.
            .rate_limit(false)
            .no_app_limit()
            .build()
            .start()
            .await
            .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let url = pg.database(db).unwrap();
        let key = withings_fleet::config::generate_token_key().unwrap();
        let secret = withings_fleet::config::generate_notify_secret().unwrap();
        let mut env: HashMap<String, String> = [
            ("WITHINGS_DATABASE_URL", url.as_str()),
            ("WITHINGS_CLIENT_ID", sandbox.client_id()),
            ("WITHINGS_CLIENT_SECRET", sandbox.client_secret()),
            ("WITHINGS_BASE_URL", sandbox.base_url()),
            ("WITHINGS_ACCOUNT_URL", sandbox.base_url()),
            ("WITHINGS_PUBLIC_URL", origin.as_str()),
            ("WITHINGS_NOTIFY_SECRET", secret.expose()),
            ("WITHINGS_TOKEN_KEY", key.expose()),
            ("WITHINGS_SHUTDOWN_GRACE", "2s"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        for (k, v) in extra_env {
            env.insert((*k).to_owned(), (*v).to_owned());
        }
        let config = FleetConfig::from_parts(None, "-", &|k| env.get(k).cloned()).unwrap();
        let fleet = config.open_fleet().await.unwrap();
        let server = FleetServer::new(config.clone(), fleet.clone()).unwrap();
        let debug = format!("{server:?}");
        assert!(
            !debug.contains(secret.expose()) && debug.contains(&origin),
            "{debug}"
        );
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.serve(listener, async {
            let _ = stopped.await;
        }));
        Self {
            sandbox,
            fleet,
            config,
            origin,
            http: HttpClient::builder(TokioExecutor::new()).build_http(),
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub(crate) fn notify_path(&self) -> String {
        format!("/notify/{}", self.config.server.notify_secret.expose())
    }

    pub(crate) async fn request(
        &self,
        method: Method,
        path_or_url: &str,
        body: &str,
    ) -> (StatusCode, HashMap<String, String>, String) {
        let url = if path_or_url.starts_with("http") {
            path_or_url.to_owned()
        } else {
            format!("{}{path_or_url}", self.origin)
        };
        let req = Request::builder()
            .method(method)
            .uri(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from(body.to_owned())))
            .unwrap();
        let resp = self.http.request(req).await.unwrap();
        let status = resp.status();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, headers, String::from_utf8_lossy(&body).into_owned())
    }

    pub(crate) async fn post_notify(&self, body: &str) -> StatusCode {
        self.request(Method::POST, &self.notify_path(), body)
            .await
            .0
    }

    pub(crate) async fn jobs(&self) -> Vec<JobRow> {
        self.fleet
            .queue()
            .list(&JobFilter {
                state: None,
                userid: None,
                limit: 100_000,
            })
            .await
            .unwrap()
    }

    /// Adds `userid` (a sandbox account) as an active user with fresh tokens, without the
    /// browser flow.
    pub(crate) async fn add_user(&self, userid: &str) {
        let issued = self.sandbox.issue_tokens(userid).unwrap();
        let expires = withings::jiff::Timestamp::from_second(
            self.sandbox.now().as_second() + issued.expires_in,
        )
        .unwrap();
        let tokens = TokenSet::new(
            AccessToken::new(issued.access_token),
            RefreshToken::new(issued.refresh_token),
            expires,
        )
        .with_userid(userid)
        .with_scope(issued.scope);
        self.fleet.add_user(&tokens).await.unwrap();
    }

    pub(crate) async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .expect("the server stops within its grace")
                .unwrap();
        }
        self.sandbox.shutdown().await;
    }
}

pub(crate) fn query_param(url: &str, key: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}
