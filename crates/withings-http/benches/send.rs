//! One getmeas call through `Client::send` next to a bare hyper request to the same loopback
//! server, in the same run: the ratio is the cost of the generic path (form encoding, token,
//! span, timeout, envelope status check, typed body parse).
//!
//! Each server is a few lines of tokio answering every request with the same keep-alive
//! response: a getmeas body of 1 group (about 0.6 KB, an incremental sync) or 20 groups
//! (about 8 KB). `bare_hyper_and_parse` adds only the typed body parse to the bare request,
//! to show where the difference goes.
//! Run: `cargo bench -p withings-http`.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr
)]

use std::net::SocketAddr;
use std::sync::LazyLock;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use withings_http::{Client, RetryPolicy};
use withings_model::measure::{GetMeas, GetMeasBody};
use withings_model::{Endpoint, Reply, parse_reply};

const SIZES: [usize; 2] = [1, 20];

fn main() {
    for groups in SIZES {
        let f = fixture(groups);
        eprintln!(
            "{groups} group(s): server {} answering {} bytes",
            f.addr, f.body_len
        );
    }
    divan::main();
}

fn response_body(groups: usize) -> String {
    let groups: Vec<String> = (0..groups)
        .map(|i| {
            format!(
                r#"{{"grpid":{},"attrib":0,"date":{},"created":{},"modified":{},"category":1,"deviceid":"0a1b2c3d4e5f60718293a4b5c6d7e8f901234567","hash_deviceid":"0a1b2c3d4e5f60718293a4b5c6d7e8f901234567","measures":[{{"value":{},"type":1,"unit":-3,"algo":0,"fm":3}},{{"value":{},"type":6,"unit":-3}}],"modelid":5,"model":"Body Cardio","comment":null,"timezone":"Europe\/Paris"}}"#,
                1_000_000 + i,
                1_717_000_000 + i * 86_400,
                1_717_000_100 + i * 86_400,
                1_717_000_100 + i * 86_400,
                70_000 + i,
                21_000 + i
            )
        })
        .collect();
    format!(
        r#"{{"status":0,"body":{{"updatetime":1717430000,"timezone":"Europe\/Paris","measuregrps":[{}],"more":0,"offset":0}}}}"#,
        groups.join(",")
    )
}

static RT: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    // One thread for client, connection tasks and server: fewer cross-thread wake-ups, so
    // less noise; both sides of the comparison run the same way.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
});

struct Fixture {
    addr: SocketAddr,
    body: String,
    body_len: usize,
    client: Client,
    bare: HyperClient<HttpConnector, Full<Bytes>>,
    form: Bytes,
}

fn make_fixture(groups: usize) -> Fixture {
    let body = response_body(groups);
    let body_len = body.len();
    let addr = RT.block_on(serve(body.clone()));
    let client = Client::builder()
        .base_url(format!("http://{addr}"))
        .access_token("bench-access-token-0000000000000000".into())
        .no_rate_limit()
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let mut http = HttpConnector::new();
    http.set_nodelay(true);
    let bare = HyperClient::builder(TokioExecutor::new()).build(http);
    let form = Bytes::from(GetMeas::new().form().encode());
    Fixture {
        addr,
        body,
        body_len,
        client,
        bare,
        form,
    }
}

static SMALL: LazyLock<Fixture> = LazyLock::new(|| make_fixture(SIZES[0]));
static LARGE: LazyLock<Fixture> = LazyLock::new(|| make_fixture(SIZES[1]));

fn fixture(groups: usize) -> &'static Fixture {
    if groups == SIZES[0] { &SMALL } else { &LARGE }
}

/// Answers every HTTP/1.1 request on every connection with the same response, keep-alive.
async fn serve(body: String) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{}",
        body.len(),
        body
    )
    .into_bytes();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            sock.set_nodelay(true).unwrap();
            let response = response.clone();
            tokio::spawn(async move {
                let mut buf = Vec::with_capacity(8192);
                let mut chunk = [0u8; 8192];
                loop {
                    // Read one request: headers, then content-length bytes of body.
                    let (head_end, body_len) = loop {
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = String::from_utf8_lossy(&buf[..i]).to_ascii_lowercase();
                            let len = head
                                .lines()
                                .find_map(|l| l.strip_prefix("content-length:"))
                                .map_or(0, |v| v.trim().parse::<usize>().unwrap());
                            break (i + 4, len);
                        }
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    while buf.len() < head_end + body_len {
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    buf.drain(..head_end + body_len);
                    if sock.write_all(&response).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

async fn bare_request(f: &Fixture) -> Bytes {
    let req = http::Request::post(format!("http://{}/measure", f.addr))
        .header(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .header(
            http::header::AUTHORIZATION,
            "Bearer bench-access-token-0000000000000000",
        )
        .body(Full::new(f.form.clone()))
        .unwrap();
    let resp = f.bare.request(req).await.unwrap();
    resp.into_body().collect().await.unwrap().to_bytes()
}

#[divan::bench(args = SIZES, sample_count = 2000)]
fn through_send(bencher: divan::Bencher, groups: usize) {
    let f = fixture(groups);
    let req = GetMeas::new();
    bencher.bench_local(|| RT.block_on(f.client.send(&req)).unwrap());
}

#[divan::bench(args = SIZES, sample_count = 2000)]
fn bare_hyper(bencher: divan::Bencher, groups: usize) {
    let f = fixture(groups);
    bencher.bench_local(|| RT.block_on(bare_request(f)));
}

#[divan::bench(args = SIZES, sample_count = 2000)]
fn bare_hyper_and_parse(bencher: divan::Bencher, groups: usize) {
    let f = fixture(groups);
    bencher.bench_local(|| {
        let bytes = RT.block_on(bare_request(f));
        match parse_reply::<GetMeasBody>(&bytes).unwrap() {
            Reply::Ok(body) => body,
            Reply::Status(s) => panic!("{s}"),
        }
    });
}

#[divan::bench(args = SIZES, sample_count = 2000)]
fn parse_only(bencher: divan::Bencher, groups: usize) {
    let f = fixture(groups);
    bencher
        .bench_local(|| parse_reply::<GetMeasBody>(divan::black_box(f.body.as_bytes())).unwrap());
}

/// What the rate limiter adds to a call that need not wait: one booking (lock, window
/// bookkeeping) and an immediately ready future. Compare with `through_send`.
#[divan::bench(sample_count = 2000)]
fn limiter_acquire_without_waiting(bencher: divan::Bencher) {
    // 120 per nanosecond: the window is always clear, so only the bookkeeping is measured.
    let limiter = withings_http::RateLimiter::new(120, std::time::Duration::from_nanos(1));
    bencher.bench_local(|| RT.block_on(limiter.acquire()));
}

/// The runtime's own cost of `block_on` on a ready future, to subtract from the line above.
#[divan::bench(sample_count = 2000)]
fn block_on_ready(bencher: divan::Bencher) {
    bencher.bench_local(|| RT.block_on(async {}));
}
