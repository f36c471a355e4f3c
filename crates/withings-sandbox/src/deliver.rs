//! Notifications sent to callback URLs: the HEAD probe of `notify subscribe` and the form
//! POSTs Withings sends when data appears (API notes §8), with its retry schedule.
//!
//! Only `http://` URLs on loopback (`127.0.0.0/8`, `localhost`, `[::1]`) are contacted: the
//! sandbox never leaves the machine, and it speaks no TLS. The client is a few lines of
//! HTTP/1.1 over a tokio socket: one request per connection, `Connection: close`, and only
//! the status line of the answer is read, which is all Withings looks at.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::runtime::Handle;
use tokio::sync::watch;

/// Withings' retry schedule (API notes §8): the first attempt at once, then each retry this
/// long after the previous attempt failed ("5 cycles over about 5 hours").
pub(crate) const RETRY_DELAYS: [Duration; 5] = [
    Duration::ZERO,
    Duration::from_secs(10),
    Duration::from_secs(60),
    Duration::from_secs(3600),
    Duration::from_secs(4 * 3600),
];

/// The most bytes of an answer read while looking for its status line.
const MAX_HEAD: usize = 16 * 1024;

/// A callback URL the sandbox can reach: its socket address, `Host` header and request
/// target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    addr: SocketAddr,
    host: String,
    path: String,
}

impl Target {
    /// The target of an `http://` URL on loopback; `None` for any other URL (https, another
    /// host, a malformed one): those are never contacted.
    pub(crate) fn parse(url: &str) -> Option<Self> {
        let rest = url.strip_prefix("http://")?;
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        let path = path.split('#').next().unwrap_or("");
        let path = if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
        if authority.contains('@') {
            return None;
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (ip, after) = v6.split_once(']')?;
            (ip, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        let port: u16 = match port {
            None | Some("") => 80,
            Some(p) => p.parse().ok()?,
        };
        let ip: IpAddr = if host.eq_ignore_ascii_case("localhost") {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else if let Ok(v6) = host.parse::<Ipv6Addr>() {
            IpAddr::V6(v6)
        } else {
            IpAddr::V4(host.parse::<Ipv4Addr>().ok()?)
        };
        if !ip.to_canonical().is_loopback() {
            return None;
        }
        Some(Self {
            addr: SocketAddr::new(ip, port),
            host: authority.to_owned(),
            path,
        })
    }
}

/// Sends one request and returns the HTTP status of the answer, or why there is none.
pub(crate) async fn exchange(
    target: &Target,
    method: &str,
    form: Option<&str>,
    timeout: Duration,
) -> Result<u16, String> {
    match tokio::time::timeout(timeout, exchange_inner(target, method, form)).await {
        Ok(outcome) => outcome,
        Err(_) => Err(format!("no answer within {} ms", timeout.as_millis())),
    }
}

async fn exchange_inner(target: &Target, method: &str, form: Option<&str>) -> Result<u16, String> {
    let mut stream = TcpStream::connect(target.addr)
        .await
        .map_err(|e| format!("cannot connect to {}: {e}", target.addr))?;
    let mut request = format!(
        "{method} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: withings-sandbox\r\nConnection: close\r\n",
        target.path, target.host
    );
    if let Some(form) = form {
        request.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
            form.len()
        ));
    } else {
        request.push_str("\r\n");
    }
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("cannot send the request: {e}"))?;
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        if let Some(line_end) = head.windows(2).position(|w| w == b"\r\n") {
            return status_of(head.get(..line_end).unwrap_or_default());
        }
        if head.len() > MAX_HEAD {
            return Err("the answer has no status line".into());
        }
        let n = stream
            .read(&mut buf)
            .await
            .map_err(|e| format!("cannot read the answer: {e}"))?;
        if n == 0 {
            return Err("the connection closed before an answer".into());
        }
        head.extend_from_slice(buf.get(..n).unwrap_or_default());
    }
}

/// The status code of an HTTP/1.x status line.
fn status_of(line: &[u8]) -> Result<u16, String> {
    let line = String::from_utf8_lossy(line);
    let mut parts = line.split(' ');
    match (parts.next(), parts.next().map(str::parse::<u16>)) {
        (Some(version), Some(Ok(status))) if version.starts_with("HTTP/1.") => Ok(status),
        _ => Err(format!("not an HTTP/1.x status line: {line:?}")),
    }
}

/// One attempt at delivering a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryAttempt {
    /// When it started, counted from the moment the notification was created (real time:
    /// the retry schedule runs on tokio's clock, scaled by
    /// [`notify_retry_scale`](crate::SandboxBuilder::notify_retry_scale)).
    pub after: Duration,
    /// The HTTP status the callback answered; `None` when it did not answer.
    pub status: Option<u16>,
    /// Why there was no answer (connection refused, timeout…); `None` when there was one.
    pub error: Option<String>,
}

impl DeliveryAttempt {
    /// Whether Withings counts this attempt as received: an answer below 400 (API notes §8).
    #[must_use]
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| s < 400)
    }
}

/// A notification sent (or being sent) to one callback URL, with every attempt so far.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Delivery {
    /// The user it is about.
    pub userid: String,
    /// Its category (`appli`): 1 for a weigh-in, 46 for an unlink…
    pub appli: i64,
    /// Where it is POSTed.
    pub callbackurl: String,
    /// `startdate` and `enddate` (unix seconds) of the form; `None` for an unlink.
    pub window: Option<(i64, i64)>,
    /// `action` of the form (`unlink` for appli 46); `None` otherwise.
    pub action: Option<String>,
    /// The form body POSTed.
    pub form: String,
    /// Every attempt so far, oldest first.
    pub attempts: Vec<DeliveryAttempt>,
    /// Whether an attempt succeeded.
    pub delivered: bool,
    /// Whether no attempt is to come: delivered, out of retries, or the sandbox stopped.
    pub finished: bool,
}

/// A notification to send, before it has a callback URL.
#[derive(Debug, Clone)]
pub(crate) struct Notice {
    pub(crate) userid: String,
    pub(crate) appli: i64,
    pub(crate) window: Option<(i64, i64)>,
    pub(crate) action: Option<&'static str>,
}

impl Notice {
    /// The form body Withings POSTs (API notes §8).
    fn form(&self) -> String {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("userid", &self.userid);
        form.append_pair("appli", &self.appli.to_string());
        if let Some((start, end)) = self.window {
            form.append_pair("startdate", &start.to_string());
            form.append_pair("enddate", &end.to_string());
        }
        if let Some(action) = self.action {
            form.append_pair("action", action);
        }
        form.finish()
    }
}

#[derive(Debug, Default)]
struct Log {
    records: Vec<Delivery>,
    in_flight: usize,
}

/// The notifications sent so far and the runtime their tasks run on.
#[derive(Debug)]
pub(crate) struct Deliveries {
    log: Arc<Mutex<Log>>,
    runtime: OnceLock<Handle>,
    /// Set when the sandbox stops serving: the tasks still waiting give up.
    stop: watch::Sender<bool>,
}

impl Deliveries {
    pub(crate) fn new() -> Self {
        Self {
            log: Arc::default(),
            runtime: OnceLock::new(),
            stop: watch::Sender::new(false),
        }
    }

    fn log(&self) -> MutexGuard<'_, Log> {
        lock(&self.log)
    }

    /// The runtime the server runs on: delivery tasks are spawned there, so a test may make
    /// data appear from any thread.
    pub(crate) fn set_runtime(&self, handle: Handle) {
        let _ = self.runtime.set(handle);
    }

    /// Stops every delivery still waiting or under way.
    pub(crate) fn stop(&self) {
        self.stop.send_replace(true);
    }

    /// Every notification so far, in the order they were created.
    pub(crate) fn records(&self) -> Vec<Delivery> {
        self.log().records.clone()
    }

    /// How many deliveries still have attempts to come.
    pub(crate) fn in_flight(&self) -> usize {
        self.log().in_flight
    }

    /// Sends `notice` to each of `urls` (those the sandbox can reach; the others are
    /// skipped), each on its own task following the retry schedule. Returns how many
    /// deliveries started.
    pub(crate) fn send(
        &self,
        notice: &Notice,
        urls: &[String],
        scale: f64,
        timeout: Duration,
    ) -> usize {
        let form = notice.form();
        let mut started = 0;
        for url in urls {
            let Some(target) = Target::parse(url) else {
                continue;
            };
            let created = Instant::now();
            let index = {
                let mut log = self.log();
                log.records.push(Delivery {
                    userid: notice.userid.clone(),
                    appli: notice.appli,
                    callbackurl: url.clone(),
                    window: notice.window,
                    action: notice.action.map(str::to_owned),
                    form: form.clone(),
                    attempts: Vec::new(),
                    delivered: false,
                    finished: false,
                });
                log.in_flight += 1;
                log.records.len() - 1
            };
            started += 1;
            let task = deliver(
                Arc::clone(&self.log),
                index,
                target,
                form.clone(),
                created,
                scale,
                timeout,
                self.stop.subscribe(),
            );
            match self.runtime.get() {
                Some(runtime) => {
                    runtime.spawn(task);
                }
                None => finish(
                    &self.log,
                    index,
                    Some(DeliveryAttempt {
                        after: Duration::ZERO,
                        status: None,
                        error: Some("the sandbox is not serving".into()),
                    }),
                ),
            }
        }
        started
    }
}

fn lock(log: &Mutex<Log>) -> MutexGuard<'_, Log> {
    // A panicking task cannot leave the log in a state worse than a missing attempt.
    log.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Records an attempt (if any) and marks the delivery finished.
fn finish(log: &Mutex<Log>, index: usize, attempt: Option<DeliveryAttempt>) {
    let mut log = lock(log);
    if let Some(record) = log.records.get_mut(index) {
        if let Some(attempt) = attempt {
            record.delivered |= attempt.succeeded();
            record.attempts.push(attempt);
        }
        record.finished = true;
    }
    log.in_flight = log.in_flight.saturating_sub(1);
}

/// One delivery: the attempts of the retry schedule until one succeeds.
#[allow(clippy::too_many_arguments)]
async fn deliver(
    log: Arc<Mutex<Log>>,
    index: usize,
    target: Target,
    form: String,
    created: Instant,
    scale: f64,
    timeout: Duration,
    mut stop: watch::Receiver<bool>,
) {
    for (n, delay) in RETRY_DELAYS.iter().enumerate() {
        let delay = delay.mul_f64(scale);
        let attempt = async {
            tokio::time::sleep(delay).await;
            let after = created.elapsed();
            let outcome = exchange(&target, "POST", Some(&form), timeout).await;
            let (status, error) = match outcome {
                Ok(status) => (Some(status), None),
                Err(why) => (None, Some(why)),
            };
            DeliveryAttempt {
                after,
                status,
                error,
            }
        };
        let attempt = tokio::select! {
            attempt = attempt => attempt,
            _ = stop.wait_for(|stopped| *stopped) => {
                finish(&log, index, None);
                return;
            }
        };
        if attempt.succeeded() || n + 1 == RETRY_DELAYS.len() {
            finish(&log, index, Some(attempt));
            return;
        }
        let mut log = lock(&log);
        if let Some(record) = log.records.get_mut(index) {
            record.attempts.push(attempt);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_on_loopback_are_targets() {
        let t = Target::parse("http://127.0.0.1:8080/notify/s3cret?x=1#frag").unwrap();
        assert_eq!(t.addr, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(t.host, "127.0.0.1:8080");
        assert_eq!(t.path, "/notify/s3cret?x=1");
        let t = Target::parse("http://localhost").unwrap();
        assert_eq!(t.addr, "127.0.0.1:80".parse().unwrap());
        assert_eq!(t.path, "/");
        let t = Target::parse("http://[::1]:9/a").unwrap();
        assert_eq!(t.addr, "[::1]:9".parse().unwrap());
        for other in [
            "https://127.0.0.1/x",
            "http://example.org/x",
            "http://10.0.0.1/x",
            "http://127.0.0.1:notaport/x",
            "http://user@127.0.0.1/x",
            "ftp://127.0.0.1/x",
        ] {
            assert_eq!(Target::parse(other), None, "{other}");
        }
    }

    #[test]
    fn the_form_is_what_withings_posts() {
        let weigh_in = Notice {
            userid: "10203040".into(),
            appli: 1,
            window: Some((1_717_430_000, 1_717_430_060)),
            action: None,
        };
        assert_eq!(
            weigh_in.form(),
            "userid=10203040&appli=1&startdate=1717430000&enddate=1717430060"
        );
        let unlink = Notice {
            userid: "10203041".into(),
            appli: 46,
            window: None,
            action: Some("unlink"),
        };
        assert_eq!(unlink.form(), "userid=10203041&appli=46&action=unlink");
    }

    #[test]
    fn status_lines_are_read_strictly() {
        assert_eq!(status_of(b"HTTP/1.1 204 No Content"), Ok(204));
        assert_eq!(status_of(b"HTTP/1.0 500"), Ok(500));
        assert!(status_of(b"SSH-2.0-OpenSSH").is_err());
        assert!(status_of(b"HTTP/1.1 abc").is_err());
    }
}
