//! Transport and OAuth 2 for the Withings Health API.
//!
//! This crate sends any request the model describes ([`withings_model::Endpoint`]) over
//! HTTPS, and does once, correctly, what Withings clients tend to get wrong:
//!
//! - **Status before body.** Withings answers errors with HTTP 200 and a `status` in the
//!   envelope (API notes §2). Every non-zero status becomes an [`Error`] whose
//!   [`ErrorKind`] follows the official families (auth, invalid params, unauthorized, not
//!   implemented, rate limited, 522 timeout, 524 bad state, other; see [`family`]), keeping
//!   the raw status and Withings' `error` text. Messages say what to do.
//! - **Rotating refresh tokens.** Every refresh returns a new refresh token, and using the new
//!   access token kills the old one. The client saves the new pair to its [`TokenStore`]
//!   *before* first use; [`FileTokenStore`] writes atomically (temp file, fsync, rename).
//!   Concurrent callers that find the token expired cause exactly one refresh; tokens are
//!   refreshed a few minutes before expiry; a 401 refreshes once and retries once.
//! - **Retries and rate limits.** Status 601 waits `wait_seconds` (bounded); 522 and
//!   transport errors back off with jitter; invalid parameters and auth errors are never
//!   retried blindly. A client-side [`RateLimiter`] (120/minute, shareable) keeps a
//!   well-behaved app from seeing 601 at all.
//! - **Secrets stay secret.** Client secret, tokens, OAuth state and code are redacted in
//!   every `Debug`, `Display`, error and log line; the bearer header is marked sensitive.
//!
//! Time is injected ([`Clock`]): token expiry and signatures read it, nothing else does.
//! Waiting runs on `tokio::time`, so tests can pause it. Each call is a `tracing` span
//! `withings.call` with `service`, `action`, `attempt`, `status` and `latency_ms`.
//!
//! Invariants: no hyper, http, rustls or serde_json type appears in the public API; plain
//! http is refused except to loopback addresses; no call uses an access token that is not
//! saved yet.
//!
//! ```no_run
//! use withings_http::{AppCredentials, Client, FileTokenStore, CallbackUrl, Scope};
//! use withings_model::measure::GetMeas;
//!
//! # #[allow(dead_code)]
//! # async fn run(get_meas: GetMeas) -> Result<(), withings_http::Error> {
//! let credentials = AppCredentials::new("my-client-id", "my-client-secret")
//!     .with_redirect_uri(CallbackUrl::parse("https://example.com/withings/callback")?);
//! let client = Client::builder()
//!     .credentials(credentials)
//!     .token_store(FileTokenStore::new("withings-token.json"))
//!     .build()?;
//!
//! // Once: send the user to Withings, then read back what they paste.
//! let pending = client.authorize(&[Scope::UserMetrics, Scope::UserActivity])?;
//! println!("Open {}", pending.url());
//! let mut pasted = String::new();
//! std::io::stdin().read_line(&mut pasted).expect("stdin");
//! client.complete_authorization(&pending, &pasted).await?;
//!
//! // From then on (and in later runs, from the token file): any endpoint.
//! let body = client.send(&get_meas).await?;
//! println!("{} measure groups", body.measuregrps.len());
//! # Ok(()) }
//! ```
#![doc(test(attr(deny(warnings))))]

mod client;
mod clock;
mod error;
mod limiter;
pub mod oauth;
mod redact;
mod retry;
mod sign;
pub mod token;
mod transport;

pub use client::{Client, ClientBuilder, RawBody, Received, Region, Wait, WaitReason};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, ErrorKind, MAX_RETRY_AFTER, StatusFamily, family};
pub use limiter::{Acquire, Limiter, RateLimiter};
pub use oauth::{AppCredentials, AuthorizationCode, ClientSecret, CsrfState, PendingAuthorization};
pub use retry::RetryPolicy;
pub use token::{
    AccessToken, FileTokenStore, MemoryTokenStore, RefreshFn, RefreshToken, Refreshed, StoreFuture,
    TokenSet, TokenStore,
};
pub use withings_model::scope::{Scope, UnknownScope};
pub use withings_model::url::{CallbackUrl, UrlRule};
pub use withings_model::{Endpoint, Form, Service};
