//! Starting, serving in the foreground, shutting down.

use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use withings_sandbox::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Error, Sandbox};

use crate::harness::{NOW, send, ts};

#[tokio::test]
async fn start_reports_its_url_and_credentials_and_shutdown_closes_the_port() {
    let running = Sandbox::builder()
        .now(ts(NOW))
        .build()
        .start()
        .await
        .unwrap();
    let addr = running.addr();
    assert!(addr.ip().is_loopback());
    assert_eq!(
        running.base_url(),
        format!("http://127.0.0.1:{}", addr.port())
    );
    assert_eq!(
        running.authorize_url(),
        format!("{}/oauth2_user/authorize2", running.base_url())
    );
    assert_eq!(
        (running.client_id(), running.client_secret()),
        (DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    );
    assert_eq!(send(addr, "GET", "/", &[], "").await.status, 200);
    running.shutdown().await;
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "the listener is closed"
    );
}

#[tokio::test]
async fn credentials_come_from_the_builder() {
    let running = Sandbox::builder()
        .client_id("my-app")
        .client_secret("hush")
        .build()
        .start()
        .await
        .unwrap();
    assert_eq!(
        (running.client_id(), running.client_secret()),
        ("my-app", "hush")
    );
    let body = send(running.addr(), "GET", "/", &[], "").await;
    assert!(body.text().contains("my-app"));
}

#[tokio::test]
async fn a_busy_address_is_a_bind_error() {
    let taken = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = taken.local_addr().unwrap();
    let err = Sandbox::builder()
        .addr(addr)
        .build()
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Bind { addr: a, .. } if a == addr),
        "{err:?}"
    );
}

#[tokio::test]
async fn only_loopback_addresses_are_accepted() {
    for bad in [
        "0.0.0.0:0",
        "[::]:0",
        "192.0.2.1:0",
        "10.0.0.1:8088",
        "[2001:db8::1]:0",
    ] {
        let addr: std::net::SocketAddr = bad.parse().unwrap();
        let sandbox = Sandbox::builder().addr(addr).build();
        let err = sandbox.listen().await.unwrap_err();
        assert!(
            matches!(err, Error::NotLoopback { addr: a } if a == addr),
            "{bad}: {err:?}"
        );
        assert!(
            err.to_string()
                .contains("the sandbox listens on loopback only (127.0.0.0/8 or ::1)"),
            "{err}"
        );
        let err = sandbox.start().await.unwrap_err();
        assert!(matches!(err, Error::NotLoopback { .. }), "{bad}: {err:?}");
    }
    let running = Sandbox::builder()
        .addr("127.0.0.1:0".parse().unwrap())
        .build()
        .start()
        .await
        .unwrap();
    assert!(running.addr().ip().is_loopback());
    assert_eq!(send(running.addr(), "GET", "/", &[], "").await.status, 200);
    running.shutdown().await;
    // The foreground path: `listen` then `serve_until`.
    let sandbox = Sandbox::builder().now(ts(NOW)).build();
    let listener = sandbox.listen().await.unwrap();
    assert!(listener.local_addr().unwrap().ip().is_loopback());
}

#[tokio::test]
async fn serve_until_runs_on_a_given_listener_and_stops_on_the_signal() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let sandbox = Sandbox::builder().now(ts(NOW)).build();
    let server = tokio::spawn(sandbox.serve_until(listener, async move {
        let _ = stopped.await;
    }));
    assert_eq!(send(addr, "GET", "/", &[], "").await.status, 200);
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap();
}
