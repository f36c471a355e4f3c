//! OAuth 2 pieces that need no network: credentials, scopes, redirect-URI rules, the
//! authorization URL and its `state`, and reading the code back from what the user pastes.
//!
//! The network half (code exchange, refresh, signed calls) is on [`Client`](crate::Client).

use std::fmt;

use secrecy::SecretString;

use crate::token::secret_newtype;
use crate::{Error, ErrorKind};
use withings_model::scope::Scope;
use withings_model::url::CallbackUrl;

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
    redirect_uri: Option<CallbackUrl>,
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
    pub fn with_redirect_uri(mut self, uri: CallbackUrl) -> Self {
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
    pub fn redirect_uri(&self) -> Option<&CallbackUrl> {
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
    /// use withings_http::{AppCredentials, Client, ErrorKind, CallbackUrl, Scope};
    ///
    /// # fn main() -> Result<(), withings_http::Error> {
    /// let credentials = AppCredentials::new("client-id", "client-secret")
    ///     .with_redirect_uri(CallbackUrl::parse("https://example.com/cb")?);
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
    redirect_uri: &CallbackUrl,
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
    use super::*;

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
        let redirect = CallbackUrl::parse("https://example.com/cb").unwrap();
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
