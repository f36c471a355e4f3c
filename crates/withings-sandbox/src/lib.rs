//! An offline stand-in of the Withings API on loopback.
//!
//! The sandbox serves the OAuth flow and every public data endpoint for one invented demo
//! user, in the exact wire shapes of the real API, quirks included. It is for:
//! - **demos**: `withings demo` starts one in-process and runs the whole flow against it, so a
//!   newcomer without a Withings account, or a machine without internet, sees it work;
//!   `withings sandbox` serves one in the foreground for any client to use;
//! - **tests**: integration tests of the HTTP client and the command-line tool talk to a real
//!   server with real OAuth state instead of canned mocks;
//! - **xtask**: benchmarks and data generation that need realistic traffic.
//!
//! # Credentials and URLs
//! Client id [`DEMO_CLIENT_ID`] (`sandbox-client`), client secret [`DEMO_CLIENT_SECRET`]
//! (`sandbox-secret`), user id [`DEMO_USER_ID`] (`10203040`), time zone `Europe/Paris`. All
//! invented; the builder can change the credentials. Point a client's API base URL at
//! [`RunningSandbox::base_url`] and its authorize URL at [`RunningSandbox::authorize_url`].
//! The authorize page approves at once and redirects to `redirect_uri?code=…&state=…`; it
//! answers a malformed request with a plain-text HTTP 400 naming the parameter.
//! [`RunningSandbox::approve`] plays that browser visit in-process, for demos and tests.
//!
//! # What it reproduces
//! - HTTP 200 for everything, with the outcome in the body's `status` (API notes §2), and
//!   PHP-style JSON: compact, `\/` for slashes, `\uXXXX` for non-ASCII, `[]` for an empty
//!   map.
//! - Authorization codes that live 30 s and are single use: otherwise status 503
//!   `Invalid Params: invalid code`.
//! - Access tokens that expire after `expires_in` (10800 s) of the sandbox's clock: then
//!   status 401 with Withings' exact error text. Refresh-token rotation: every refresh issues a
//!   new refresh token; the old one keeps working until an access token obtained with it is
//!   used, or for 8 hours, then status 503 `Invalid Params: invalid refresh_token`.
//! - Status 601 with `body.wait_seconds` when the same request (path, parameters and token)
//!   repeats within 10 s — token requests included ([`SandboxBuilder::rate_limit`] turns it
//!   off).
//! - Paging: `more` as `0`/`1` on getmeas and as a boolean on the v2 lists, `offset` of the
//!   next page (on the v2 lists even on the last page); page sizes are set on the builder.
//! - Status 2554 for an unknown service or action.
//! - Data quirks: a manual weigh-in with `deviceid`/`model`/`modelid` null, a measure group
//!   sent twice with the same `grpid` (attrib 0 and 8), distances and calories as floats, a
//!   day of activity from Google Fit (brand 18, `deviceid` null), heart-rate fields at 0, a
//!   workout with null data fields, sleep segments out of order with timestamp-keyed maps,
//!   an ECG with blood pressure (BPM Core) and one without, a device with battery
//!   `"unknown"`, model `""` and null session dates.
//!
//! The demo data (90 days of weigh-ins with body composition, daily activity, intraday
//! samples, nightly sleep, workouts every few days, two ECGs, four devices, goals) is
//! generated deterministically from a seed around the [`Clock`]'s time when the sandbox is
//! built: two sandboxes built with the same instant answer the same requests byte for byte.
//! Nothing reads the system clock but [`SystemClock`].
//!
//! Not reproduced: scope checks (every token may call every endpoint), HMAC signatures (any
//! `nonce`/`signature` is accepted), the legacy `access_token` form parameter (only the
//! `Authorization: Bearer` header authenticates), callback probing and notification delivery,
//! partner services.
//!
//! The server runs on tokio: [`Sandbox::start`] and [`Sandbox::serve`] must be called inside a
//! tokio runtime (with the `net` and `time` drivers enabled).
//!
//! ```no_run
//! use withings_sandbox::Sandbox;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), withings_sandbox::Error> {
//! let sandbox = Sandbox::builder().build().start().await?;
//! let authorize = format!(
//!     "{}?response_type=code&client_id={}&redirect_uri=https://example.org/cb&state=xyz&scope=user.metrics",
//!     sandbox.authorize_url(),
//!     sandbox.client_id(),
//! );
//! // … send a browser (or any HTTP client) to `authorize`, exchange the code at
//! // `{base_url}/v2/oauth2`, then call `{base_url}/measure` with the Bearer token …
//! # let _ = authorize;
//! sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```
#![doc(test(attr(deny(warnings))))]

mod api;
mod data;
mod json;
mod rng;
mod server;
mod state;

pub use api::AUTHORIZE_PATH;
pub use server::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TIME_ZONE, DEMO_USER_ID, Error, RunningSandbox,
    Sandbox, SandboxBuilder,
};
pub use state::{RecordedCall, RefreshCounts};
/// The clock the sandbox reads, shared with the client ([`withings_http`]).
pub use withings_http::{Clock, ManualClock, SystemClock};
