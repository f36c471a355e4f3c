//! The transport: base-URL rules, timeouts, the size cap, TLS failures.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wiremock::MockServer;
use withings_http::{Client, ErrorKind, RetryPolicy};
use withings_model::measure::GetMeas;

use crate::common::*;

#[test]
fn plain_http_to_a_non_loopback_host_is_refused() {
    for url in [
        "http://wbsapi.withings.net",
        "http://192.168.1.20:8080",
        "http://[2001:db8::1]/",
        "http://localhost.example.com",
    ] {
        let e = Client::builder().base_url(url).build().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{url}");
        let text = e.to_string();
        assert!(
            text.contains("use https") && text.contains("loopback"),
            "{text}"
        );
    }
    for url in [
        "https://wbsapi.withings.net",
        "https://10.1.2.3:8443/api",
        "http://127.0.0.1:9",
        "http://[::1]:9",
        "http://localhost:9",
    ] {
        assert!(Client::builder().base_url(url).build().is_ok(), "{url}");
    }
    assert_eq!(
        Client::builder()
            .account_url("http://account.withings.com")
            .build()
            .unwrap_err()
            .kind(),
        ErrorKind::Config
    );
}

/// A server that reads one request, answers with headers and part of the body, and then
/// never finishes.
async fn never_ending_server(send_headers: bool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 4096];
        let _ = sock.read(&mut buf).await;
        if send_headers {
            let _ = sock
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n{\"status\":0,\"bo")
                .await;
        }
        // Hold the connection until the client gives up.
        let _ = sock.read(&mut buf).await;
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_response_that_never_ends_hits_the_timeout() {
    for send_headers in [true, false] {
        let base = never_ending_server(send_headers).await;
        let client = Client::builder()
            .base_url(base)
            .access_token(ACCESS.into())
            .timeout(Duration::from_millis(300))
            .retry_policy(RetryPolicy::none())
            .build()
            .unwrap();
        let start = Instant::now();
        let e = client.send(&GetMeas::new()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Timeout, "headers sent: {send_headers}");
        assert!(e.is_timeout() && e.is_retryable());
        assert!(e.to_string().contains("within 0.3 s"), "{e}");
        assert!(start.elapsed() < Duration::from_secs(5));
    }
}

#[tokio::test]
async fn a_response_over_the_size_cap_is_refused() {
    let server = MockServer::start().await;
    getmeas()
        .respond_with(ok(GETMEAS_BODY))
        .mount(&server)
        .await;
    let client = Client::builder()
        .base_url(server.uri())
        .access_token(ACCESS.into())
        .max_response_size(64)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let e = client.send(&GetMeas::new()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ResponseTooLarge);
    assert!(e.to_string().contains("64-byte cap"), "{e}");
}

#[tokio::test]
async fn a_tls_failure_is_its_own_kind() {
    // A plain-TCP server answering a TLS ClientHello with HTTP text.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 4096];
        let _ = sock.read(&mut buf).await;
        let _ = sock
            .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
            .await;
    });
    let client = Client::builder()
        .base_url(format!("https://{addr}"))
        .access_token(ACCESS.into())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let e = client.send(&GetMeas::new()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls, "{e:?}");
    assert!(!e.is_retryable());
}
