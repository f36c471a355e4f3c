//! getmeas pages read in one pass or declined by it (and read through the wire model): a sync
//! stores the same rows, cursor and rejected records either way.
//!
//! A hand-written stand-in serves a history of getmeas pages: most of them plain (read in
//! one pass), one with a numeric `deviceid` (which only the wire model reads) and one with a
//! group to reject (which the one pass leaves to the wire model). The reference is the same
//! pages with a key the one pass does not know added to each envelope: every page is then
//! declined and read the way the engine read every page before, wire body then decode.

use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use withings::model::Paged;
use withings::model::measure::GetMeas;
use withings::{AccessToken, Client, Received};
use withings_sync::schema::MEASURES;
use withings_sync::{DataType, Report, SqliteStore, Sync, SyncOptions, Value};

use crate::support::{NOW, dump, now};

/// Groups per page.
const PAGE: usize = 25;
/// Pages of history.
const PAGES: usize = 8;
/// The page whose first group has a numeric `deviceid`.
const NUMERIC_DEVICE_PAGE: usize = 3;
/// The page whose third group has a measure without a value (rejected).
const REJECTED_PAGE: usize = 5;
/// The device id of the group with a numeric `deviceid`.
const NUMERIC_DEVICE: i64 = 99_990_001;
const USER: &str = "10203040";

/// The `grpid` of group `i` of the history (from 0, newest first).
fn grpid(i: usize) -> i64 {
    5_000_000_000 + i as i64
}

/// The rejected group's index in the history.
const REJECTED: usize = REJECTED_PAGE * PAGE + 2;
/// The index of the group with a numeric `deviceid`.
const NUMERIC: usize = NUMERIC_DEVICE_PAGE * PAGE;

/// The measures of group `i`: (type, mantissa, exponent).
fn group_measures(i: usize) -> Vec<(i64, i64, i64)> {
    let n = i as i64;
    let mut m = vec![(1, 70_000 + 7 * n, -3)];
    if i.is_multiple_of(2) {
        m.push((6, 2_000 + n, -2));
    }
    if i.is_multiple_of(3) {
        m.push((76, 5_500 + n, -2));
    }
    m
}

/// The text device id of group `i` (but [`NUMERIC`]).
fn device(i: usize) -> String {
    format!("5c0b{:036x}", i % 4)
}

/// Group `i` as Withings sends it.
fn group_json(i: usize) -> String {
    let date = NOW - 3_600 - i as i64 * 6 * 3_600;
    let measures: Vec<String> = group_measures(i)
        .iter()
        .enumerate()
        .map(|(k, (kind, value, unit))| {
            let value = if i == REJECTED && k == 0 {
                "null".to_owned()
            } else {
                value.to_string()
            };
            format!(r#"{{"value":{value},"type":{kind},"unit":{unit},"algo":3,"fm":3}}"#)
        })
        .collect();
    let deviceid = if i == NUMERIC {
        NUMERIC_DEVICE.to_string()
    } else {
        format!("\"{}\"", device(i))
    };
    format!(
        r#"{{"grpid":{},"attrib":0,"date":{date},"created":{},"modified":{},"category":1,"deviceid":{deviceid},"hash_deviceid":"{}","measures":[{}],"modelid":10,"model":"Body Scan","comment":null}}"#,
        grpid(i),
        date + 60,
        date + 120,
        device(i),
        measures.join(","),
    )
}

/// Page `p` as Withings sends it; with `extra`, a top-level key more, which the one pass
/// declines and the wire model ignores.
fn page_json(p: usize, extra: bool) -> String {
    let groups: Vec<String> = (p * PAGE..(p + 1) * PAGE).map(group_json).collect();
    let (more, offset) = if p + 1 < PAGES {
        (1, (p + 1) * PAGE)
    } else {
        (0, 0)
    };
    let tail = if extra { r#","extra":0"# } else { "" };
    format!(
        r#"{{"status":0,"body":{{"updatetime":{NOW},"timezone":"Europe\/Paris","measuregrps":[{}],"more":{more},"offset":{offset}}}{tail}}}"#,
        groups.join(",")
    )
}

/// A getmeas stand-in on a local port: answers each request (one per connection) with the
/// page its `offset` asks for (the first page without one), a 503 for an offset no page
/// gave. Returns its base URL.
async fn serve(pages: Vec<String>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let pages = Arc::new(pages);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let pages = Arc::clone(&pages);
            tokio::spawn(async move {
                let form = read_form(&socket).await;
                assert!(form.contains("action=getmeas"), "{form}");
                let offset = form
                    .split('&')
                    .find_map(|kv| kv.strip_prefix("offset="))
                    .map_or(0, |o| o.parse::<usize>().unwrap());
                // Only the offsets the pages give: any other is refused (503: invalid
                // params), which fails the sync.
                let refused = r#"{"status":503,"error":"Invalid params"}"#.to_owned();
                let body = match pages.get(offset / PAGE) {
                    Some(page) if offset.is_multiple_of(PAGE) => page,
                    _ => &refused,
                };
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                write_all(&socket, response.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}")
}

/// The form of one HTTP/1.1 request (headers, then `content-length` bytes).
async fn read_form(socket: &TcpStream) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            if buf.len() >= end + 4 + length {
                return String::from_utf8(buf[end + 4..end + 4 + length].to_vec()).unwrap();
            }
        }
        socket.readable().await.unwrap();
        match socket.try_read(&mut chunk) {
            Ok(0) => panic!("the client closed the connection mid-request"),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("{e}"),
        }
    }
}

async fn write_all(socket: &TcpStream, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        socket.writable().await.unwrap();
        match socket.try_write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("{e}"),
        }
    }
}

fn client(base_url: &str) -> Client {
    Client::builder()
        .base_url(base_url)
        .access_token(AccessToken::new("test-access-token"))
        .no_rate_limit()
        .build()
        .unwrap()
}

/// Which pages of the stand-in at `base_url` the façade reads in one pass.
async fn read_in_one_pass(base_url: &str) -> Vec<bool> {
    let client = client(base_url);
    let mut one_pass = Vec::new();
    for p in 0..PAGES {
        let mut request = GetMeas::new();
        if p > 0 {
            request.set_offset((p * PAGE) as i64);
        }
        match client.send_received(&request).await.unwrap() {
            Received::OnePass(read) => {
                assert_eq!(read.output.groups.len(), PAGE, "page {p}");
                assert!(read.output.rejected.is_empty(), "page {p}");
                one_pass.push(true);
            }
            Received::Wire(_) => one_pass.push(false),
        }
    }
    one_pass
}

/// What a measures-only sync from the stand-in serving `pages` stored: the report, the
/// measures, the rejected records and the cursors.
async fn sync(pages: Vec<String>) -> (Report, Vec<Vec<Value>>, Vec<Vec<Value>>, Vec<Vec<Value>>) {
    let base_url = serve(pages).await;
    let store = SqliteStore::open_in_memory().unwrap();
    let options = SyncOptions::new(now()).only([DataType::Measures]);
    let report = Sync::new(client(&base_url), store.clone(), USER, options)
        .run(|_| {})
        .await
        .unwrap();
    let rejected = withings_sync::query(
        &store,
        "SELECT user_id, data_type, raw, context, path, error, tries FROM rejected ORDER BY raw",
    )
    .unwrap();
    let cursors = withings_sync::query(
        &store,
        "SELECT user_id, data_type, lastupdate, page_offset, next_lastupdate FROM cursors ORDER BY data_type",
    )
    .unwrap();
    (report, dump(&store, &MEASURES), rejected, cursors)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_getmeas_history_is_stored_the_same_whether_pages_are_read_in_one_pass_or_not() {
    let mixed: Vec<String> = (0..PAGES).map(|p| page_json(p, false)).collect();
    let declined: Vec<String> = (0..PAGES).map(|p| page_json(p, true)).collect();

    // The premise: the one pass reads every plain page, and declines the page with a
    // numeric deviceid, the page with a group to reject, and every page of the reference.
    let want: Vec<bool> = (0..PAGES)
        .map(|p| p != NUMERIC_DEVICE_PAGE && p != REJECTED_PAGE)
        .collect();
    assert_eq!(read_in_one_pass(&serve(mixed.clone()).await).await, want);
    assert_eq!(
        read_in_one_pass(&serve(declined.clone()).await).await,
        vec![false; PAGES]
    );

    let (report, measures, rejected, cursors) = sync(mixed).await;
    let (wire_report, wire_measures, wire_rejected, wire_cursors) = sync(declined).await;

    // What the wire path stored, the mixed sync stored, row for row.
    assert_eq!(measures, wire_measures);
    assert_eq!(rejected, wire_rejected);
    assert_eq!(cursors, wire_cursors);
    assert_eq!(report, wire_report);

    // And it is the history served: every measure of every group but the rejected one.
    // Columns: user_id, grpid, type, position, value, mantissa, exponent, unit, category,
    // attrib, taken_at, local_time, time_zone, created, modified, device_id…
    let stored: Vec<(i64, i64, i64, i64, String)> = measures
        .iter()
        .map(|r| {
            (
                r[1].as_int().unwrap(),
                r[2].as_int().unwrap(),
                r[5].as_int().unwrap(),
                r[6].as_int().unwrap(),
                r[15].as_text().unwrap().to_owned(),
            )
        })
        .collect();
    let mut served: Vec<(i64, i64, i64, i64, String)> = (0..PAGES * PAGE)
        .filter(|&i| i != REJECTED)
        .flat_map(|i| {
            let device = if i == NUMERIC {
                NUMERIC_DEVICE.to_string()
            } else {
                device(i)
            };
            group_measures(i)
                .into_iter()
                .map(move |(kind, mantissa, exponent)| {
                    (grpid(i), kind, mantissa, exponent, device.clone())
                })
        })
        .collect();
    served.sort();
    assert_eq!(stored, served);
    // The weight of the first group, as text and unit.
    let first = measures
        .iter()
        .find(|r| r[1] == Value::Int(grpid(0)) && r[2] == Value::Int(1))
        .unwrap();
    assert_eq!(
        (&first[4], &first[7], &first[12]),
        (
            &Value::Text("70".into()),
            &Value::Text("kg".into()),
            &Value::Text("Europe/Paris".into())
        )
    );

    // The rejected group, kept with its JSON as sent, its place in its page and the
    // context it needs to be decoded again.
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    let r = &rejected[0];
    assert_eq!(r[0], Value::Text(USER.into()));
    assert_eq!(r[1], Value::Text("measures".into()));
    assert_eq!(r[2], Value::Text(group_json(REJECTED)));
    let context: serde_json::Value = serde_json::from_str(r[3].as_text().unwrap()).unwrap();
    assert_eq!(
        context,
        serde_json::json!({"updatetime": NOW, "timezone": "Europe/Paris"})
    );
    assert_eq!(
        r[4],
        Value::Text(format!(
            "body.measuregrps[{}]",
            REJECTED - REJECTED_PAGE * PAGE
        ))
    );
    assert_eq!(r[6], Value::Int(1));

    // Every page asked once, written once; the cursor is the server's time minus the hour
    // of overlap, the pass complete.
    let total = report.total();
    assert_eq!((total.calls, total.pages), (PAGES as u64, PAGES as u64));
    assert_eq!(total.records, (PAGES * PAGE - 1) as u64);
    assert_eq!(
        cursors,
        vec![vec![
            Value::Text(USER.into()),
            Value::Text("measures".into()),
            Value::Int(NOW - 3_600),
            Value::Null,
            Value::Null,
        ]]
    );
}
