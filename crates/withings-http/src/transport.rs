//! The HTTP layer: one pooled hyper client over rustls, form POSTs, timeouts, a size cap.

use std::error::Error as StdError;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Uri, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use withings_model::Service;

use crate::token::AccessToken;
use crate::{Error, ErrorKind};
use withings_model::url::UrlParts;

const USER_AGENT: &str = concat!("withings-http/", env!("CARGO_PKG_VERSION"));

/// What came back over HTTP.
pub(crate) struct HttpReply {
    pub(crate) status: u16,
    pub(crate) body: Bytes,
    pub(crate) retry_after: Option<Duration>,
}

pub(crate) struct Transport {
    client: HyperClient<HttpsConnector<HttpConnector>, Full<Bytes>>,
    base: String,
    uris: Vec<(Service, Uri)>,
    timeout: Option<Duration>,
    max_bytes: usize,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("base", &self.base)
            .field("timeout", &self.timeout)
            .field("max_bytes", &self.max_bytes)
            .finish_non_exhaustive()
    }
}

/// Checks a base URL: https anywhere, plain http only to a loopback address, so a token is
/// never sent in clear over a network. Returns it without a trailing slash.
///
/// A URL carrying `user:password@` is refused first, with a message that does not repeat
/// it (the password would reach the terminal and the logs); other messages quote the URL.
pub(crate) fn check_base_url(url: &str) -> Result<String, Error> {
    if has_userinfo(url) {
        return Err(Error::config(
            "the base URL carries credentials (user:password@); remove them",
        ));
    }
    let parts = UrlParts::parse(url)
        .ok_or_else(|| Error::config(format!("base URL `{url}` is not an absolute http(s) URL")))?;
    let parsed: Uri = url
        .parse()
        .map_err(|_| Error::config(format!("base URL `{url}` is not a valid URL")))?;
    if parsed.query().is_some() {
        return Err(Error::config(format!(
            "base URL `{url}` must not have a query string"
        )));
    }
    match parts.scheme.to_ascii_lowercase().as_str() {
        "https" => {}
        "http" if is_loopback(&parts.host) => {}
        "http" => {
            return Err(Error::config(format!(
                "base URL `{url}` uses plain http to a host that is not loopback; tokens would \
                 travel in clear: use https (http is allowed only to 127.0.0.0/8, ::1 or localhost)"
            )));
        }
        other => {
            return Err(Error::config(format!(
                "base URL `{url}` has scheme `{other}`; use https"
            )));
        }
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// Whether the authority of `url` (after `scheme://`, or from the start when there is no
/// scheme, up to the first `/`, `?` or `#`) holds a `@`: `user:password@host`. Checked on
/// the text, so that even a URL the parser refuses is never echoed with its password.
fn has_userinfo(url: &str) -> bool {
    let rest = url.trim().split_once("://").map_or(url, |(_, rest)| rest);
    rest.split(['/', '?', '#'])
        .next()
        .is_some_and(|authority| authority.contains('@'))
}

fn is_loopback(host: &str) -> bool {
    // Only the exact name: other `*.localhost` names depend on the resolver.
    host == "localhost"
        || host == "localhost."
        || host.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
        || host.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback())
}

impl Transport {
    pub(crate) fn new(
        base_url: &str,
        timeout: Option<Duration>,
        max_bytes: usize,
    ) -> Result<Self, Error> {
        let base = check_base_url(base_url)?;
        let uris = Service::ALL
            .iter()
            .map(|s| {
                format!("{base}{}", s.path())
                    .parse::<Uri>()
                    .map(|u| (*s, u))
                    .map_err(|e| {
                        Error::config(format!("base URL `{base}` gives an invalid URL"))
                            .with_source(e)
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        // An application may have installed its own provider (FIPS, aws-lc); otherwise ring.
        // Passing it explicitly avoids rustls' process-level provider panic (rust-stack §1.4).
        let provider = rustls::crypto::CryptoProvider::get_default()
            .cloned()
            .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(timeout);
        // https_or_http: wiremock and the sandbox are plain http; check_base_url already
        // refused http anywhere but loopback.
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(provider)
            .map_err(|e| Error::new(ErrorKind::Tls).with_source(e))?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = HyperClient::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(https);
        Ok(Self {
            client,
            base,
            uris,
            timeout,
            max_bytes,
        })
    }

    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    pub(crate) fn uri(&self, service: Service) -> Result<Uri, Error> {
        if let Some((_, u)) = self.uris.iter().find(|(s, _)| *s == service) {
            return Ok(u.clone());
        }
        format!("{}{}", self.base, service.path())
            .parse()
            .map_err(|e| {
                Error::config(format!("invalid URL for {}", service.path())).with_source(e)
            })
    }

    /// POSTs a form, with the bearer token when given, and collects the whole response
    /// within the timeout and the size cap.
    pub(crate) async fn post(
        &self,
        uri: Uri,
        form: Bytes,
        bearer: Option<&AccessToken>,
    ) -> Result<HttpReply, Error> {
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            )
            .header(header::ACCEPT, HeaderValue::from_static("application/json"))
            .header(header::USER_AGENT, HeaderValue::from_static(USER_AGENT))
            .body(Full::new(form))
            .map_err(|e| Error::config("cannot build the request").with_source(e))?;
        if let Some(token) = bearer {
            let mut v = HeaderValue::try_from(format!("Bearer {}", token.expose_secret()))
                .map_err(|_| {
                    Error::new(ErrorKind::Auth)
                        .with_message("the access token holds characters a header cannot carry")
                })?;
            // Keeps it out of hyper's Debug output and HPACK tables.
            v.set_sensitive(true);
            req.headers_mut().insert(header::AUTHORIZATION, v);
        }
        let max = self.max_bytes;
        let exchange = async {
            let resp = self.client.request(req).await.map_err(request_error)?;
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(crate::error::capped_wait);
            let body = Limited::new(resp.into_body(), max)
                .collect()
                .await
                .map_err(|e| body_error(e, max))?
                .to_bytes();
            Ok(HttpReply {
                status,
                body,
                retry_after,
            })
        };
        match self.timeout {
            Some(t) => tokio::time::timeout(t, exchange).await.unwrap_or_else(|_| {
                Err(Error::new(ErrorKind::Timeout).with_message(format!(
                    "no complete response within {:.1} s",
                    t.as_secs_f64()
                )))
            }),
            None => exchange.await,
        }
    }
}

/// Whether a rustls error is somewhere in the chain (io::Error hides its inner error from
/// `source()`, so look inside with `get_ref`).
fn is_tls(e: &(dyn StdError + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if err.is::<rustls::Error>() {
            return true;
        }
        if let Some(inner) = err
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            // hyper-rustls nests io::Errors; each hides the next from `source()`.
            let inner: &(dyn StdError + 'static) = inner;
            if is_tls(inner) {
                return true;
            }
        }
        cur = err.source();
    }
    false
}

fn request_error(e: hyper_util::client::legacy::Error) -> Error {
    // A connect error (refused, unresolved name, failed handshake) means no byte of the
    // request left: sending it again cannot do anything twice.
    let unsent = e.is_connect();
    let err = if is_tls(&e) {
        Error::new(ErrorKind::Tls).with_source(e)
    } else {
        let msg = if unsent {
            "could not connect to the server"
        } else {
            "the connection failed during the request"
        };
        Error::new(ErrorKind::Transport)
            .with_message(msg)
            .with_source(e)
    };
    if unsent { err.unsent() } else { err }
}

fn body_error(e: Box<dyn StdError + Send + Sync>, max: usize) -> Error {
    if e.is::<http_body_util::LengthLimitError>() {
        return Error::new(ErrorKind::ResponseTooLarge)
            .with_message(format!("the response is larger than the {max}-byte cap"));
    }
    Error::new(ErrorKind::Transport)
        .with_message("the connection broke while reading the response")
        .with_boxed_source(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_allows_https_and_loopback_http_only() {
        assert_eq!(
            check_base_url("https://wbsapi.withings.net/").unwrap(),
            "https://wbsapi.withings.net"
        );
        assert!(check_base_url("https://proxy.example.com/withings").is_ok());
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.3.4.5",
            "http://[::1]:9000",
            "http://localhost:1234",
        ] {
            assert!(check_base_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://wbsapi.withings.net",
            "http://192.168.1.2:8080",
            "http://10.0.0.1",
            "http://128.0.0.1",
            "http://app.localhost",
            "http://[::2]",
            "ftp://127.0.0.1",
            "wbsapi.withings.net",
            "https://x.example/?q=1",
        ] {
            let e = check_base_url(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Config, "{bad}");
        }
        let e = check_base_url("http://wbsapi.withings.net").unwrap_err();
        assert!(e.to_string().contains("use https"), "{e}");
    }

    #[test]
    fn base_url_with_credentials_is_refused_without_echoing_them() {
        for bad in [
            "https://alice:pa55w0rd@wbsapi.withings.net",
            "https://alice:pa55w0rd@wbsapi.withings.net/path?x=1",
            "http://alice:pa55w0rd@127.0.0.1:8080",
            "http://alice:pa55w0rd@10.0.0.1",
            "ftp://alice:pa55w0rd@example.com",
            "alice:pa55w0rd@wbsapi.withings.net",
            "https://alice:pa55w0rd@[::1",
            "https://pa55w0rd@example.com",
        ] {
            let e = check_base_url(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Config, "{bad}");
            let text = format!("{e} {e:?}");
            assert!(!text.contains("pa55w0rd"), "{bad}: {text}");
            assert!(
                text.contains("the base URL carries credentials (user:password@); remove them"),
                "{bad}: {text}"
            );
        }
        // An `@` in the path or query is not userinfo.
        assert!(check_base_url("https://proxy.example.com/@withings").is_ok());
        let e = check_base_url("https://x.example/?a=b@c").unwrap_err();
        assert!(e.to_string().contains("query string"), "{e}");
    }
}
