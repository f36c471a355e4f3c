//! OAuth 2 pieces that need no network: credentials, scopes, redirect-URI rules, the
//! authorization URL and its `state`, and reading the code back from what the user pastes.
//!
//! The network half (code exchange, refresh, signed calls) is on [`Client`](crate::Client).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use secrecy::SecretString;

use crate::error::RedirectUriRule;
use crate::token::secret_newtype;
use crate::{Error, ErrorKind};

secret_newtype!(
    /// The application's client secret (from the Withings developer dashboard).
    ClientSecret
);

secret_newtype!(
    /// The `state` of one authorization: a fresh random value from the OS, checked when the
    /// user comes back, so a forged redirect is refused.
    CsrfState
);

secret_newtype!(
    /// An authorization code from the redirect. It lives 30 seconds and works once.
    AuthorizationCode
);

impl CsrfState {
    /// 128 random bits from the operating system, as 32 hex digits.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] when the OS has no random source to offer.
    pub fn random() -> Result<Self, Error> {
        let mut b = [0u8; 16];
        getrandom::getrandom(&mut b)
            .map_err(|e| Error::config(format!("no OS random source for the OAuth state: {e}")))?;
        Ok(Self(SecretString::from(hex(&b))))
    }
}

/// Compares two byte strings in time that depends only on their lengths.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// `n` random bytes as hex (for temporary file names; falls back to the process id and a
/// counter if the OS RNG fails).
pub(crate) fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    if getrandom::getrandom(&mut b).is_err() {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let c = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        return format!("{:x}{c:x}", std::process::id());
    }
    hex(&b)
}

/// The application's credentials: client id, client secret and, for the authorization-code
/// flow, the registered redirect URI.
#[derive(Clone)]
pub struct AppCredentials {
    client_id: String,
    client_secret: ClientSecret,
    redirect_uri: Option<RedirectUri>,
}

impl AppCredentials {
    /// Credentials from the developer dashboard.
    #[must_use]
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<ClientSecret>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            redirect_uri: None,
        }
    }

    /// Sets the redirect URI registered for the app ("Callback URL" in the dashboard).
    #[must_use]
    pub fn with_redirect_uri(mut self, uri: RedirectUri) -> Self {
        self.redirect_uri = Some(uri);
        self
    }

    /// The client id.
    #[must_use]
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The client secret.
    #[must_use]
    pub fn client_secret(&self) -> &ClientSecret {
        &self.client_secret
    }

    /// The redirect URI, when set.
    #[must_use]
    pub fn redirect_uri(&self) -> Option<&RedirectUri> {
        self.redirect_uri.as_ref()
    }
}

impl fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}

/// An OAuth scope (reference §3.1). Withings joins scopes with commas, not spaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scope {
    /// `user.info`: user get/link/unlink (needs a Withings contract).
    UserInfo,
    /// `user.metrics`: measures (getmeas), heart.
    UserMetrics,
    /// `user.activity`: activity, intraday, workouts, sleep.
    UserActivity,
    /// `user.sleepevents`: bed in/out notifications only.
    UserSleepEvents,
}

/// Parses Withings' spelling (`user.metrics`); `users.activity`, a misspelling found in some
/// copies of the official docs (reference §3.1), is accepted as `user.activity`.
impl std::str::FromStr for Scope {
    type Err = UnknownScope;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t == "users.activity" {
            return Ok(Self::UserActivity);
        }
        Self::ALL
            .into_iter()
            .find(|scope| scope.as_str() == t)
            .ok_or_else(|| UnknownScope(t.to_owned()))
    }
}

/// A scope name that is not one of `user.info`, `user.metrics`, `user.activity`,
/// `user.sleepevents`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownScope(pub String);

impl std::fmt::Display for UnknownScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` is not a Withings scope (user.info, user.metrics, user.activity, user.sleepevents)",
            self.0
        )
    }
}

impl std::error::Error for UnknownScope {}

impl Scope {
    /// The scope as Withings spells it.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::UserInfo => "user.info",
            Self::UserMetrics => "user.metrics",
            Self::UserActivity => "user.activity",
            Self::UserSleepEvents => "user.sleepevents",
        }
    }

    /// Every scope.
    pub const ALL: [Self; 4] = [
        Self::UserInfo,
        Self::UserMetrics,
        Self::UserActivity,
        Self::UserSleepEvents,
    ];

    pub(crate) fn join(scopes: &[Scope]) -> String {
        scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A redirect URI that Withings will accept.
///
/// [`RedirectUri::parse`] enforces Withings' callback-URL rules (reference §3.1): `https`, a
/// valid URL-encoded URL, no IP address, no `localhost`, port 80 or 443 only, at most 255
/// characters. Apps in Withings' "restricted mode" (at most 10 users, for development) may use
/// other URLs: [`RedirectUri::restricted`] accepts any absolute http(s) URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RedirectUri {
    uri: String,
}

impl RedirectUri {
    /// Checks `uri` against Withings' rules.
    ///
    /// ```
    /// use withings_http::{ErrorKind, RedirectUri, RedirectUriRule};
    /// assert!(RedirectUri::parse("https://example.com/withings/callback").is_ok());
    /// let e = RedirectUri::parse("https://localhost/cb").unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::RedirectUri(RedirectUriRule::Localhost));
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::RedirectUri`] naming the first rule broken, checked in this order: not a
    /// URL, not https, IP address, localhost, port, length.
    pub fn parse(uri: &str) -> Result<Self, Error> {
        let parts = UriParts::parse(uri)
            .ok_or_else(|| Error::new(ErrorKind::RedirectUri(RedirectUriRule::NotAUrl)))?;
        let rule = |r| Error::new(ErrorKind::RedirectUri(r));
        if !parts.scheme.eq_ignore_ascii_case("https") {
            return Err(rule(RedirectUriRule::NotHttps));
        }
        if is_ip_host(&parts.host) {
            return Err(rule(RedirectUriRule::IpAddress));
        }
        if is_localhost(&parts.host) {
            return Err(rule(RedirectUriRule::Localhost));
        }
        if parts.port.is_some_and(|p| p != 80 && p != 443) {
            return Err(rule(RedirectUriRule::Port));
        }
        if uri.chars().count() > 255 {
            return Err(rule(RedirectUriRule::TooLong));
        }
        Ok(Self {
            uri: uri.to_owned(),
        })
    }

    /// Accepts any absolute http or https URL, for an app that Withings keeps in restricted
    /// mode (http, localhost, IP addresses or other ports; at most 10 linked users).
    ///
    /// # Errors
    /// [`ErrorKind::RedirectUri`] with [`RedirectUriRule::NotAUrl`] when `uri` is not an
    /// absolute http(s) URL.
    pub fn restricted(uri: &str) -> Result<Self, Error> {
        match UriParts::parse(uri) {
            Some(p)
                if p.scheme.eq_ignore_ascii_case("https")
                    || p.scheme.eq_ignore_ascii_case("http") =>
            {
                Ok(Self {
                    uri: uri.to_owned(),
                })
            }
            _ => Err(Error::new(ErrorKind::RedirectUri(RedirectUriRule::NotAUrl))),
        }
    }

    /// The URI.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.uri
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.uri)
    }
}

/// The pieces of an absolute URL that the rules look at.
pub(crate) struct UriParts {
    pub(crate) scheme: String,
    /// Lower-case, IPv6 without brackets.
    pub(crate) host: String,
    pub(crate) port: Option<u16>,
}

impl UriParts {
    pub(crate) fn parse(s: &str) -> Option<Self> {
        let uri: http::Uri = s.parse().ok()?;
        let scheme = uri.scheme_str()?.to_owned();
        let authority = uri.authority()?;
        if authority.as_str().contains('@') {
            // Credentials in a URL end up in logs and proxies.
            return None;
        }
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        if host.is_empty() {
            return None;
        }
        Some(Self {
            scheme,
            host,
            port: authority.port_u16(),
        })
    }
}

/// IPv4 (including the short and numeric forms resolvers accept, e.g. `2130706433`) or IPv6.
pub(crate) fn is_ip_host(host: &str) -> bool {
    host.parse::<Ipv4Addr>().is_ok()
        || host.parse::<Ipv6Addr>().is_ok()
        || (!host.is_empty()
            && host.split('.').all(|label| {
                !label.is_empty()
                    && (label.bytes().all(|b| b.is_ascii_digit())
                        || (label.len() > 2
                            && label[..2].eq_ignore_ascii_case("0x")
                            && label[2..].bytes().all(|b| b.is_ascii_hexdigit())))
            }))
}

pub(crate) fn is_localhost(host: &str) -> bool {
    let h = host.trim_end_matches('.');
    h == "localhost" || h.ends_with(".localhost")
}

/// An authorization in progress: the URL to open, and the `state` to check on return.
pub struct PendingAuthorization {
    url: String,
    state: CsrfState,
}

impl PendingAuthorization {
    pub(crate) fn new(url: String, state: CsrfState) -> Self {
        Self { url, state }
    }

    /// The URL to open in the user's browser.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The `state` sent with it.
    #[must_use]
    pub fn state(&self) -> &CsrfState {
        &self.state
    }

    /// Reads the authorization code from what the user pasted: the whole URL they were
    /// redirected to (its `state` must match), its query string, or the bare code.
    ///
    /// ```
    /// use withings_http::{AppCredentials, Client, ErrorKind, RedirectUri, Scope};
    ///
    /// # fn main() -> Result<(), withings_http::Error> {
    /// let credentials = AppCredentials::new("client-id", "client-secret")
    ///     .with_redirect_uri(RedirectUri::parse("https://example.com/cb")?);
    /// let client = Client::builder().credentials(credentials).build()?;
    /// let pending = client.authorize(&[Scope::UserMetrics])?;
    ///
    /// let state = pending.state().expose_secret();
    /// let pasted = format!("https://example.com/cb?code=c0ffee&state={state}");
    /// assert_eq!(pending.code_from(&pasted)?.expose_secret(), "c0ffee");
    /// assert_eq!(pending.code_from("c0ffee")?.expose_secret(), "c0ffee");
    /// let forged = pending.code_from("https://example.com/cb?code=c0ffee&state=other");
    /// assert_eq!(forged.unwrap_err().kind(), ErrorKind::InvalidState);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// - [`ErrorKind::InvalidState`] when a URL has no `state` or another one;
    /// - [`ErrorKind::AccessDenied`] when the URL carries `error=...` (consent declined);
    /// - [`ErrorKind::Config`] when a URL has no `code`, or the text is empty.
    pub fn code_from(&self, pasted: &str) -> Result<AuthorizationCode, Error> {
        let pasted = pasted.trim();
        if pasted.is_empty() {
            return Err(Error::config(
                "nothing was pasted; paste the URL the browser was redirected to",
            ));
        }
        let looks_like_url = pasted.contains("://") || pasted.contains('?') || pasted.contains('=');
        if !looks_like_url {
            if pasted.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(Error::config(
                    "the pasted code contains spaces; paste the whole redirected URL",
                ));
            }
            // A bare code carries no state to check: the user copied it from their own browser.
            return Ok(AuthorizationCode::new(pasted));
        }
        let query = pasted.split_once('?').map_or(pasted, |(_, q)| q);
        let query = query.split_once('#').map_or(query, |(q, _)| q);
        let mut code = None;
        let mut state = None;
        let mut error = None;
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            match &*k {
                "code" => code = Some(v.into_owned()),
                "state" => state = Some(v.into_owned()),
                "error" => error = Some(v.into_owned()),
                _ => {}
            }
        }
        if let Some(err) = error {
            let err: String = err
                .chars()
                .filter(|c| c.is_ascii_graphic())
                .take(80)
                .collect();
            return Err(Error::new(ErrorKind::AccessDenied)
                .with_message(format!("the authorization was not granted (error={err})")));
        }
        let Some(state) = state else {
            return Err(
                Error::new(ErrorKind::InvalidState).with_message("the pasted URL has no `state`")
            );
        };
        if !self.state.same_as(&state) {
            return Err(Error::new(ErrorKind::InvalidState)
                .with_message("the `state` of the pasted URL does not match this authorization"));
        }
        match code.filter(|c| !c.is_empty()) {
            Some(c) => Ok(AuthorizationCode::new(c)),
            None => Err(Error::config(
                "the pasted URL has no `code`; paste the whole URL the browser was redirected to",
            )),
        }
    }
}

impl fmt::Debug for PendingAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingAuthorization")
            .field(
                "url",
                &crate::redact::text(&self.url, &[self.state.expose_secret()], 2048),
            )
            .field("state", &self.state)
            .finish()
    }
}

/// `https://account.withings.com/oauth2_user/authorize2?response_type=code&client_id=…&
/// scope=user.metrics,user.activity&redirect_uri=…&state=…[&mode=demo]`.
pub(crate) fn authorize_url(
    account_base: &str,
    credentials: &AppCredentials,
    redirect_uri: &RedirectUri,
    scopes: &[Scope],
    demo: bool,
    state: &CsrfState,
) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("response_type", "code")
        .append_pair("client_id", &credentials.client_id)
        .append_pair("scope", &Scope::join(scopes))
        .append_pair("redirect_uri", redirect_uri.as_str())
        .append_pair("state", state.expose_secret());
    if demo {
        q.append_pair("mode", "demo");
    }
    format!(
        "{}/oauth2_user/authorize2?{}",
        account_base.trim_end_matches('/'),
        q.finish()
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn scopes_parse_from_their_spelling() {
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>(), Ok(scope));
        }
        assert_eq!("users.activity".parse::<Scope>(), Ok(Scope::UserActivity));
        assert!(
            "user.everything"
                .parse::<Scope>()
                .unwrap_err()
                .to_string()
                .contains("user.everything")
        );
    }

    use super::*;

    fn rule(uri: &str) -> Option<RedirectUriRule> {
        match RedirectUri::parse(uri) {
            Ok(_) => None,
            Err(e) => match e.kind() {
                ErrorKind::RedirectUri(r) => Some(r),
                k => panic!("unexpected kind {k:?}"),
            },
        }
    }

    #[test]
    fn redirect_uri_rules_each_have_their_own_error() {
        assert_eq!(rule("https://example.com/cb?x=1"), None);
        assert_eq!(rule("https://example.com:443/cb"), None);
        assert_eq!(rule("https://example.com:80/cb"), None);
        assert_eq!(rule("not a url"), Some(RedirectUriRule::NotAUrl));
        assert_eq!(rule("/relative/cb"), Some(RedirectUriRule::NotAUrl));
        assert_eq!(
            rule("https://exa mple.com/cb"),
            Some(RedirectUriRule::NotAUrl)
        );
        assert_eq!(
            rule("https://user:pw@example.com/cb"),
            Some(RedirectUriRule::NotAUrl)
        );
        assert_eq!(
            rule("http://example.com/cb"),
            Some(RedirectUriRule::NotHttps)
        );
        assert_eq!(
            rule("https://192.168.1.10/cb"),
            Some(RedirectUriRule::IpAddress)
        );
        assert_eq!(
            rule("https://[2001:db8::1]/cb"),
            Some(RedirectUriRule::IpAddress)
        );
        assert_eq!(
            rule("https://2130706433/cb"),
            Some(RedirectUriRule::IpAddress)
        );
        assert_eq!(
            rule("https://localhost/cb"),
            Some(RedirectUriRule::Localhost)
        );
        assert_eq!(
            rule("https://LOCALHOST./cb"),
            Some(RedirectUriRule::Localhost)
        );
        assert_eq!(
            rule("https://app.localhost/cb"),
            Some(RedirectUriRule::Localhost)
        );
        assert_eq!(
            rule("https://example.com:8443/cb"),
            Some(RedirectUriRule::Port)
        );
        let long = format!("https://example.com/{}", "a".repeat(236));
        assert_eq!(long.len(), 256);
        assert_eq!(rule(&long), Some(RedirectUriRule::TooLong));
        assert_eq!(rule(&long[..255]), None);
    }

    #[test]
    fn restricted_mode_accepts_local_urls_but_not_garbage() {
        assert!(RedirectUri::restricted("http://localhost:8080/cb").is_ok());
        assert!(RedirectUri::restricted("http://127.0.0.1:8080/cb").is_ok());
        assert!(RedirectUri::restricted("ftp://example.com/cb").is_err());
        assert!(RedirectUri::restricted("nope").is_err());
    }

    #[test]
    fn state_is_random_hex() {
        let a = CsrfState::random().unwrap();
        let b = CsrfState::random().unwrap();
        assert_eq!(a.expose_secret().len(), 32);
        assert!(a.expose_secret().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.expose_secret(), b.expose_secret());
    }

    #[test]
    fn authorize_url_is_https_with_comma_scopes_and_state() {
        let creds = AppCredentials::new("cid", "secret");
        let redirect = RedirectUri::parse("https://example.com/cb").unwrap();
        let state = CsrfState::new("st4te");
        let url = authorize_url(
            "https://account.withings.com",
            &creds,
            &redirect,
            &[Scope::UserMetrics, Scope::UserActivity],
            true,
            &state,
        );
        assert_eq!(
            url,
            "https://account.withings.com/oauth2_user/authorize2?response_type=code&client_id=cid&\
             scope=user.metrics%2Cuser.activity&redirect_uri=https%3A%2F%2Fexample.com%2Fcb&state=st4te&mode=demo"
        );
    }

    #[test]
    fn code_from_accepts_url_query_or_bare_code_and_checks_state() {
        let p = PendingAuthorization::new(String::new(), CsrfState::new("abc123"));
        let c = p
            .code_from(" https://example.com/cb?code=XYZ&state=abc123#frag \n")
            .unwrap();
        assert_eq!(c.expose_secret(), "XYZ");
        assert_eq!(
            p.code_from("state=abc123&code=Q").unwrap().expose_secret(),
            "Q"
        );
        assert_eq!(
            p.code_from("bare-code_1").unwrap().expose_secret(),
            "bare-code_1"
        );
        let e = p
            .code_from("https://example.com/cb?code=XYZ&state=abc124")
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidState);
        let e = p.code_from("https://example.com/cb?code=XYZ").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidState);
        let e = p
            .code_from("https://example.com/cb?error=access_denied&state=abc123")
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AccessDenied);
        assert_eq!(
            p.code_from("https://example.com/cb?state=abc123")
                .unwrap_err()
                .kind(),
            ErrorKind::Config
        );
        assert_eq!(p.code_from("  ").unwrap_err().kind(), ErrorKind::Config);
    }
}
