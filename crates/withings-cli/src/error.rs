//! What went wrong, as one line and an exit code.
//!
//! | code | meaning                                                    | what to do                    |
//! |------|------------------------------------------------------------|-------------------------------|
//! | 0    | success                                                    |                               |
//! | 1    | anything else (writing the output failed, a bug)           |                               |
//! | 2    | usage: an unknown flag, a bad value                        | see `withings --help`         |
//! | 3    | authorization needed: no token, token refused or expired, code expired, state mismatch | run `withings auth` again |
//! | 4    | rate limited (status 601 or HTTP 429)                      | wait the seconds it says      |
//! | 5    | configuration: missing credentials, bad redirect URL, config or token file unusable | fix what it names |
//! | 6    | the API or the network failed (invalid parameters, Withings errors, timeouts, TLS) | read the message, retry |
//!
//! Messages never contain the client secret or a token: the ones built here name only
//! flags, paths and URLs, and those from `withings-http` are redacted there.

use std::fmt;

use withings::http::ErrorKind;

/// The help text's summary of the exit codes (kept beside the table above).
pub(crate) const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  other error
  2  usage error (unknown flag, bad value)
  3  authorization needed: run `withings auth` again
  4  rate limited: wait the seconds the message says
  5  configuration: credentials, redirect URL, config or token file
  6  API or network error";

/// A process exit code (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    Other = 1,
    Usage = 2,
    Auth = 3,
    RateLimited = 4,
    Config = 5,
    Api = 6,
}

impl Exit {
    pub(crate) fn code(self) -> u8 {
        self as u8
    }
}

/// A failure: the exit code and the one line to print after `error: `.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) exit: Exit,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(exit: Exit, message: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Self::new(Exit::Config, message)
    }

    pub(crate) fn other(message: impl Into<String>) -> Self {
        Self::new(Exit::Other, message)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Self::other(format!("cannot write the output: {e}"))
    }
}

/// `(status 601: Same arguments…)` when the error came from a status.
fn status_part(e: &withings::http::Error) -> String {
    match (e.status(), e.api_error_text()) {
        (Some(s), Some(t)) => format!(" (status {s}: {t})"),
        (Some(s), None) => format!(" (status {s})"),
        _ => String::new(),
    }
}

/// `/v2/user getdevice: ` when the call is known.
fn call_part(e: &withings::http::Error) -> String {
    match (e.service(), e.action()) {
        (Some(s), Some(a)) => format!("{} {a}: ", s.path()),
        _ => String::new(),
    }
}

/// Maps an error of the HTTP layer to an exit code and a line that says what to do.
pub(crate) fn from_http(e: &withings::http::Error) -> Failure {
    let call = call_part(e);
    let status = status_part(e);
    match e.kind() {
        ErrorKind::Auth => Failure::new(
            Exit::Auth,
            format!(
                "{call}Withings refused the stored token or its refresh{status}: run `withings auth` again"
            ),
        ),
        ErrorKind::CodeExpired => Failure::new(
            Exit::Auth,
            format!(
                "the authorization code is expired or was already used{status} (codes live 30 s and work once): run `withings auth` again and paste the URL at once"
            ),
        ),
        ErrorKind::InvalidState => Failure::new(
            Exit::Auth,
            "the `state` of the pasted URL does not match this authorization (a stale or forged redirect): run `withings auth` again and paste the URL it leads to",
        ),
        ErrorKind::AccessDenied => Failure::new(
            Exit::Auth,
            "the authorization was declined in the browser: run `withings auth` again and choose \"Allow\"",
        ),
        ErrorKind::RateLimited => {
            let wait = e.retry_after().map_or(60, |d| d.as_secs().max(1));
            Failure::new(
                Exit::RateLimited,
                format!(
                    "{call}Withings rate limit reached{status}: wait {wait} s, then run the command again"
                ),
            )
        }
        ErrorKind::CallbackUrl(rule) => Failure::config(format!(
            "the redirect URL is refused: {}; fix --redirect-url / WITHINGS_REDIRECT_URL",
            rule.explain()
        )),
        ErrorKind::Config | ErrorKind::TokenStore => Failure::config(e.to_string()),
        _ => Failure::new(Exit::Api, e.to_string()),
    }
}

impl From<withings::http::Error> for Failure {
    fn from(e: withings::http::Error) -> Self {
        from_http(&e)
    }
}
