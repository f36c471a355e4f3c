//! A started sandbox with a hand-driven clock, and a minimal HTTP/1.1 client over a raw TCP
//! socket (no external network, nothing between the test and the bytes the sandbox sends).

use std::net::SocketAddr;
use std::time::Duration;

use jiff::Timestamp;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use withings_model::Endpoint;
use withings_model::oauth2::RequestToken;
use withings_sandbox::{ManualClock, RunningSandbox, Sandbox, SandboxBuilder};

/// 2024-06-03T15:53:20Z, a Monday afternoon in Paris.
pub(crate) const NOW: i64 = 1_717_430_000;
pub(crate) const REDIRECT: &str = "https://example.org/withings/callback";
pub(crate) const SCOPE: &str = "user.info,user.metrics,user.activity";

pub(crate) fn ts(secs: i64) -> Timestamp {
    Timestamp::from_second(secs).unwrap()
}

/// A response as read off the socket.
#[derive(Debug)]
pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Resp {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap()
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// The envelope's `status`.
    pub(crate) fn status_code(&self) -> i64 {
        self.json()["status"]
            .as_i64()
            .unwrap_or_else(|| panic!("no status: {}", self.text()))
    }
}

/// Sends one request on a fresh connection and reads the whole response.
pub(crate) async fn send(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Resp {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let mut req =
            format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
        if method == "POST" {
            req.push_str(&format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(body);
        stream.write_all(req.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        raw
    };
    let raw = tokio::time::timeout(Duration::from_secs(20), exchange)
        .await
        .expect("the sandbox did not answer in 20 s");
    parse(&raw)
}

fn parse(raw: &[u8]) -> Resp {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("no end of headers");
    let head = std::str::from_utf8(&raw[..split]).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if let Some(len) = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
    {
        body.truncate(len.1.parse().unwrap());
    }
    assert!(
        !headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked")),
        "the sandbox sends whole bodies"
    );
    Resp {
        status,
        headers,
        body,
    }
}

/// `key=value&…`, form-encoded.
pub(crate) fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// `action=E::ACTION` followed by `params`: the form of a call to a declared endpoint.
fn with_action<'a, E: Endpoint>(params: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    assert!(
        params.iter().all(|(k, _)| *k != "action"),
        "the action comes from the endpoint's declaration ({})",
        E::ACTION
    );
    let mut pairs = Vec::with_capacity(params.len() + 1);
    pairs.push(("action", E::ACTION));
    pairs.extend_from_slice(params);
    pairs
}

/// A started sandbox whose clock the test moves.
pub(crate) struct Harness {
    pub(crate) sandbox: RunningSandbox,
    pub(crate) clock: ManualClock,
}

impl Harness {
    pub(crate) async fn start() -> Self {
        Self::with(|b| b).await
    }

    pub(crate) async fn with(configure: impl FnOnce(SandboxBuilder) -> SandboxBuilder) -> Self {
        Self::at(NOW, configure).await
    }

    pub(crate) async fn at(
        now: i64,
        configure: impl FnOnce(SandboxBuilder) -> SandboxBuilder,
    ) -> Self {
        let clock = ManualClock::new(ts(now));
        let sandbox = configure(Sandbox::builder().clock(clock.clone()))
            .build()
            .start()
            .await
            .unwrap();
        Self { sandbox, clock }
    }

    pub(crate) fn advance(&self, secs: i64) {
        self.clock
            .advance(std::time::Duration::from_secs(secs.unsigned_abs()));
    }

    pub(crate) async fn get(&self, target: &str) -> Resp {
        send(self.sandbox.addr(), "GET", target, &[], "").await
    }

    /// POST a form without a token.
    pub(crate) async fn post(&self, path: &str, pairs: &[(&str, &str)]) -> Resp {
        send(self.sandbox.addr(), "POST", path, &[], &form(pairs)).await
    }

    /// POST a form with `Authorization: Bearer <token>`.
    pub(crate) async fn call(&self, token: &str, path: &str, pairs: &[(&str, &str)]) -> Resp {
        let auth = format!("Bearer {token}");
        send(
            self.sandbox.addr(),
            "POST",
            path,
            &[("Authorization", &auth)],
            &form(pairs),
        )
        .await
    }

    /// POST to a declared endpoint without a token: `E::SERVICE`'s path, `action=E::ACTION`
    /// first, then `params`.
    pub(crate) async fn post_to<E: Endpoint>(&self, params: &[(&str, &str)]) -> Resp {
        self.post(E::SERVICE.path(), &with_action::<E>(params))
            .await
    }

    /// POST to a declared endpoint with `Authorization: Bearer <token>`: `E::SERVICE`'s path,
    /// `action=E::ACTION` first, then `params`.
    pub(crate) async fn call_to<E: Endpoint>(&self, token: &str, params: &[(&str, &str)]) -> Resp {
        self.call(token, E::SERVICE.path(), &with_action::<E>(params))
            .await
    }

    /// The authorize page's redirect: the `code` it carries.
    pub(crate) async fn authorize(&self, state: &str) -> String {
        let target = format!(
            "/oauth2_user/authorize2?{}",
            form(&[
                ("response_type", "code"),
                ("client_id", self.sandbox.client_id()),
                ("redirect_uri", REDIRECT),
                ("state", state),
                ("scope", SCOPE),
            ])
        );
        let resp = self.get(&target).await;
        assert_eq!(resp.status, 302, "{}", resp.text());
        query_param(resp.header("location").unwrap(), "code").unwrap()
    }

    pub(crate) async fn exchange(&self, code: &str) -> Resp {
        let (id, secret) = (
            self.sandbox.client_id().to_owned(),
            self.sandbox.client_secret().to_owned(),
        );
        self.post_to::<RequestToken>(&[
            ("grant_type", "authorization_code"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("code", code),
            ("redirect_uri", REDIRECT),
        ])
        .await
    }

    pub(crate) async fn refresh(&self, refresh_token: &str) -> Resp {
        let (id, secret) = (
            self.sandbox.client_id().to_owned(),
            self.sandbox.client_secret().to_owned(),
        );
        self.post_to::<RequestToken>(&[
            ("grant_type", "refresh_token"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("refresh_token", refresh_token),
        ])
        .await
    }

    /// Authorize and exchange: (access token, refresh token).
    pub(crate) async fn login(&self) -> (String, String) {
        let code = self.authorize("login").await;
        let resp = self.exchange(&code).await;
        tokens(&resp)
    }
}

/// (access token, refresh token) of a successful token response.
pub(crate) fn tokens(resp: &Resp) -> (String, String) {
    let v = resp.json();
    assert_eq!(v["status"], 0, "{}", resp.text());
    (
        v["body"]["access_token"].as_str().unwrap().to_owned(),
        v["body"]["refresh_token"].as_str().unwrap().to_owned(),
    )
}

pub(crate) fn query_param(url: &str, key: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}
