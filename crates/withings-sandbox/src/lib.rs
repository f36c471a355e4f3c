//! An offline stand-in of the Withings API on loopback.
//!
//! The sandbox serves the OAuth flow and every public data endpoint for one invented demo
//! user (or many, for a fleet's load test: see [Many users](#many-users)), in the exact wire
//! shapes of the real API, quirks included. It is for:
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
//! - The application-wide limit (API notes §9.4): more than 120 requests a minute, all
//!   tokens together, get status 601 with `wait_seconds` ([`SandboxBuilder::app_limit`]
//!   compresses the period for tests, [`SandboxBuilder::no_app_limit`] turns it off).
//! - Windows as Withings reads them: `startdate`/`enddate` (unix seconds) or `lastupdate`
//!   ("created or modified since", API notes §4.1) on getmeas, `startdateymd`/`enddateymd`
//!   or `lastupdate` on getactivity, getworkouts and getsummary, no window at all on getmeas
//!   for the whole history, at most 24 h on `sleep get` and intraday.
//!
//! # A living account
//! The demo user has **five years** of history ([`SandboxBuilder::history_days`]) ending at
//! the *start*: the clock's time when the sandbox is built. Every value is generated
//! deterministically from a seed, the kind of record and the calendar day, so two sandboxes
//! built with the same seed and start answer the same requests byte for byte, and still do
//! after the same clock moves. Nothing reads the system clock but [`SystemClock`]. Days are
//! generated the first time a request needs them, so the history costs no startup time
//! (building a sandbox takes microseconds) and memory grows only with the days asked for
//! (about 3 KB a day once a client has read them all).
//!
//! What it holds, day by day: a Body+ weigh-in most mornings (body composition), blood
//! pressure every week, a Body Scan 2 weigh-in on Sunday evenings since 24 days before the
//! start (four groups at one `date`: weight and composition; heart rate, pulse-wave
//! velocity and vascular age; nerve health score and skin conductance; the segmental masses,
//! one measure per body position), daily activity from the watch, intraday samples every
//! 10 minutes, a night every night (sleep monitor), a workout every third day, ECGs, five
//! devices and goals. Older days (and the days after the start) also have afternoon naps
//! recorded by the watch (about one day in 20), weigh-ins the scale could not attribute
//! (attrib 1, about one day in 33), ECGs (about monthly) and phone-only days.
//!
//! The 90 days before the start hold fixed *odd* records, at the same distance from the
//! start whatever it is: the quirks above; a weight objective (category 2, 60 days before);
//! a manual weigh-in edited an hour later (40 days); an afternoon nap beside the night
//! (16 days); an evening weigh-in where the user picked their profile on the scale (attrib
//! 3, 9 days); the two ECGs (3 and 17 days; the BPM Core's, 3 days before, comes with a
//! stethoscope recording, `stetho list|get`); and two ambiguous weigh-ins (attrib 1) the
//! user deals with after the start. The height was typed in on the first day of the history.
//! The 120 days before the start have none of the periodic extras above and no late edit,
//! so windows reaching back to early March (for a start in June) show exactly these.
//!
//! As the clock moves (see [`RunningSandbox::advance`]), the account lives:
//! - **new records** appear when they happen: each morning's weigh-in, the night when the
//!   monitor uploads it (about half an hour after waking), the workout, Sunday's Body Scan
//!   groups; today's activity grows through the day (its `modified` trails "now" by a few
//!   minutes) and settles after midnight;
//! - **old records change**: their `modified` moves, so `lastupdate` returns them again.
//!   In the first day after the start, always: the ambiguous weigh-in of 12 days before is
//!   confirmed (attrib 1 → 7, start + 2 h), the activity of 30 days before is re-synced
//!   (+ 6 h), the night of 20 days before re-analysed (+ 8 h), the phone's walk of 25 days
//!   before edited (+ 10 h). Later, at random but deterministic times, other days'
//!   activities, nights and workouts, and further ambiguous weigh-ins;
//! - **records disappear**: the guest's weigh-in of 11 days before is deleted 12 hours after
//!   the start, later guests' a few days after they weighed. Like Withings, `lastupdate`
//!   says nothing of deletions: only a re-read of the window shows them.
//!
//! [`RunningSandbox::inventory`], [`RunningSandbox::updated_since`] and
//! [`RunningSandbox::deleted_since`] say what a complete sync should have stored, what an
//! incremental one should fetch, and what a full re-read should remove.
//!
//! # Time in tests
//! Two clocks matter. The sandbox's [`Clock`] is "now" for the data, the tokens and the
//! identical-request rule: build with [`SandboxBuilder::now`] (or a shared [`ManualClock`])
//! and move it with [`RunningSandbox::advance`]. Access tokens live 3 hours of that clock:
//! after an advance, a client refreshes (its refresh token lives a year).
//!
//! The application limit runs on the real monotonic clock instead, so a test cannot wish it
//! away; it compresses it. A sandbox built with `.app_limit(120, Duration::from_secs(1))`
//! allows 120 requests a second; give the client's limiter the same budget with a small
//! margin for the loopback's jitter — with the façade,
//! `withings::RateLimiter::new(120, Duration::from_millis(1050))` passed to
//! `ClientBuilder::rate_limiter` — and a sync of the whole five-year history (a few
//! thousand calls with the default page sizes) runs in seconds, with the limiter exercised
//! and no 601. `wait_seconds` is whole seconds (at least 1), as Withings sends it, so a
//! compressed 601 makes a client wait about a second.
//!
//! ```
//! use std::time::Duration;
//! use withings_sandbox::Sandbox;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), withings_sandbox::Error> {
//! let start = jiff::Timestamp::from_second(1_717_430_000).unwrap();
//! let sandbox = Sandbox::builder()
//!     .now(start)
//!     // 120 requests a second: the real limit, sixty times faster.
//!     .app_limit(120, Duration::from_secs(1))
//!     .build()
//!     .start()
//!     .await?;
//! // … a client with `RateLimiter::new(120, Duration::from_millis(1050))` and
//! // `sandbox.manual_clock()` as its clock syncs everything …
//! let everything = sandbox.inventory();
//! sandbox.advance(Duration::from_secs(24 * 3600))?;
//! // … it syncs again from its cursor and should fetch exactly this:
//! let fresh = sandbox.updated_since(start);
//! assert!(fresh.measure_groups < everything.measure_groups);
//! sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Many users
//! [`SandboxBuilder::users`] gives the sandbox several accounts, for a fleet that onboards
//! and syncs many people. The first is the demo user, byte for byte as above whatever the
//! count; the others have the next user ids (`10203041`, `10203042`…;
//! [`RunningSandbox::user_ids`]), their own data (the same kind of living account, from a
//! seed of their own, record ids shifted by a billion per account so none is shared) and
//! their own tokens: an access token reads its own account only. The authorize page approves
//! as the account the sandbox-only parameter `sandbox_user=<userid>` names (default the
//! first; [`RunningSandbox::approve_as`] in-process), and [`RunningSandbox::issue_tokens`]
//! mints a pair without any flow. Days are generated when first read, as for one user: keep
//! [`SandboxBuilder::history_days`] to a few weeks and 200 accounts that each sync their
//! history take a few tens of megabytes. Everything a load test checks is counted:
//! refreshes per user ([`RunningSandbox::refresh_count`]) and refreshes with a rotated or
//! dead refresh token ([`RunningSandbox::dead_refreshes`], zero when workers share tokens
//! correctly), the application limit's 601s and its busiest window
//! ([`RunningSandbox::app_limit_stats`], all users together, measured on arrival times),
//! and the measure groups an account holds ([`RunningSandbox::ground_truth`]).
//! [`SandboxBuilder::access_token_lifetime`] makes tokens expire within a run.
//!
//! # Notifications
//! `notify subscribe|list|get|update|revoke` keep each user's subscriptions. A callback URL
//! the sandbox can reach, `http://` on loopback (allowed here as in Withings' restricted
//! mode), is probed with HEAD first when [`SandboxBuilder::probe_callbacks`] is on (off by
//! default, so existing clients' tests may subscribe URLs nothing listens on): anything but
//! a 2xx within [`notify_timeout`](SandboxBuilder::notify_timeout) refuses the subscription
//! with status 293. Such URLs receive what Withings sends: form POSTs
//! (`userid=…&appli=…&startdate=…&enddate=…`, `action=unlink` for appli 46) when data
//! appears, one per distinct URL subscribed for that user and appli. An answer of 400 or
//! more, a timeout or a refused connection is retried on Withings' schedule (again 10 s,
//! 1 min, 1 h and 4 h after each failure; [`SandboxBuilder::notify_retry_scale`] compresses
//! it), five attempts at most; [`RunningSandbox::deliveries`] lists every attempt. Data
//! appears on request, deterministically: [`RunningSandbox::add_weigh_in`] (a measure group
//! and an appli-1 notification), [`RunningSandbox::notify`] (a notification alone, any
//! appli), [`RunningSandbox::unlink`] (tokens revoked, appli 46). The living account's own
//! new records, as the clock moves, notify nobody. Other callback URLs (https, another host)
//! are kept unprobed and never contacted: the sandbox stays on loopback.
//!
//! ```
//! use std::time::Duration;
//! use withings_sandbox::Sandbox;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), withings_sandbox::Error> {
//! let sandbox = Sandbox::builder()
//!     .users(200)
//!     .history_days(21)
//!     .access_token_lifetime(Duration::from_secs(30))
//!     .app_limit(120, Duration::from_secs(1))
//!     .notify_retry_scale(0.001)
//!     .probe_callbacks(true)
//!     .build()
//!     .start()
//!     .await?;
//! let users = sandbox.user_ids();
//! let pair = sandbox.issue_tokens(&users[199])?;
//! assert_eq!((pair.userid.as_str(), pair.expires_in), ("10203239", 30));
//! // … the fleet stores the pair and subscribes `http://127.0.0.1:<port>/notify/<secret>` …
//! let grpid = sandbox.add_weigh_in(&users[199], sandbox.now())?;
//! // … the fleet's workers fetch on the notification and store the group; then:
//! sandbox.deliveries_settled(Duration::from_secs(10)).await;
//! let truth = sandbox.ground_truth(&users[199], sandbox.now(), sandbox.now())?;
//! assert_eq!(truth[0].grpid, grpid);
//! let limit = sandbox.app_limit_stats();
//! assert!(limit.refused == 0 && limit.max_in_window <= 120);
//! assert_eq!(sandbox.dead_refreshes(), 0);
//! sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! Not reproduced: scope checks (every token may call every endpoint), HMAC signatures (any
//! `nonce`/`signature` is accepted), the legacy `access_token` form parameter (only the
//! `Authorization: Bearer` header authenticates), notifications for the living account's own
//! changes, the probe of `update`'s new callback URL, subscriptions dropped after failed
//! deliveries, partner services.
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
mod deliver;
mod inventory;
mod json;
mod rng;
mod server;
mod state;

pub use api::AUTHORIZE_PATH;
pub use deliver::{Delivery, DeliveryAttempt};
pub use inventory::{AppLimitStats, GroupTruth, Inventory, IssuedTokens};
pub use server::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TIME_ZONE, DEMO_USER_ID, Error, RunningSandbox,
    Sandbox, SandboxBuilder,
};
pub use state::{RecordedCall, RefreshCounts};
/// The clock the sandbox reads, shared with the client ([`withings_http`]).
pub use withings_http::{Clock, ManualClock, SystemClock};
