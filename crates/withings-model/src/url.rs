//! Callback URLs: the redirect URI of the authorization flow and the `callbackurl` of
//! notification subscriptions. Withings applies the same rules to both (API notes §3.1, §8),
//! so one checked type, [`CallbackUrl`], carries them: a request that takes a callback URL
//! cannot be built with one that breaks them.
//!
//! The `http` crate is used for its URI parser only; nothing here sends anything.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// One of Withings' rules for callback URLs, the first one a URL breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UrlRule {
    /// Not an absolute, URL-encoded `scheme://host/...` URL (or one with `user:pass@`).
    NotAUrl,
    /// The scheme is not `https`.
    NotHttps,
    /// The host is an IP address.
    IpAddress,
    /// The host is `localhost`.
    Localhost,
    /// An explicit port other than 80 or 443.
    Port,
    /// Longer than 255 characters.
    TooLong,
}

impl UrlRule {
    /// What the rule asks, as a sentence fragment: "it must start with https://".
    #[must_use]
    pub const fn explain(self) -> &'static str {
        match self {
            Self::NotAUrl => {
                "it must be a valid absolute URL (scheme://host/path, URL-encoded, no user:password@)"
            }
            Self::NotHttps => "it must start with https://",
            Self::IpAddress => "its host must be a domain name, not an IP address",
            Self::Localhost => "its host must not be localhost",
            Self::Port => "its port, if any, must be 80 or 443",
            Self::TooLong => "it must be at most 255 characters long",
        }
    }
}

impl fmt::Display for UrlRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "callback URL rejected: {}; register a conforming URL, or use \
             CallbackUrl::restricted for an app in Withings' restricted mode",
            self.explain()
        )
    }
}

impl std::error::Error for UrlRule {}

/// A URL Withings will call back: a redirect URI or a notification callback URL.
///
/// [`CallbackUrl::parse`] enforces Withings' rules (API notes §3.1): `https`, a valid
/// URL-encoded URL, no IP address, no `localhost`, port 80 or 443 only, at most 255
/// characters. Apps in Withings' "restricted mode" (at most 10 users, for development) may
/// use other URLs, and the offline sandbox listens on loopback over http:
/// [`CallbackUrl::restricted`] accepts any absolute http(s) URL.
///
/// ```
/// use withings_model::url::{CallbackUrl, UrlRule};
///
/// assert!(CallbackUrl::parse("https://example.com/withings/notify/4f1c").is_ok());
/// assert_eq!(CallbackUrl::parse("http://192.168.1.20:8123/hook"), Err(UrlRule::NotHttps));
/// assert!(CallbackUrl::restricted("http://127.0.0.1:8123/hook").is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CallbackUrl {
    url: String,
}

impl CallbackUrl {
    /// Checks `url` against Withings' rules.
    ///
    /// # Errors
    /// The first [`UrlRule`] broken, checked in this order: not a URL, not https, IP
    /// address, localhost, port, length.
    pub fn parse(url: &str) -> Result<Self, UrlRule> {
        match broken_rules(url).first() {
            Some(rule) => Err(*rule),
            None => Ok(Self {
                url: url.to_owned(),
            }),
        }
    }

    /// Accepts any absolute http or https URL, for an app that Withings keeps in restricted
    /// mode (http, localhost, IP addresses or other ports; at most 10 linked users) and for
    /// the offline sandbox.
    ///
    /// # Errors
    /// [`UrlRule::NotAUrl`] when `url` is not an absolute http(s) URL.
    pub fn restricted(url: &str) -> Result<Self, UrlRule> {
        match UrlParts::parse(url) {
            Some(p)
                if p.scheme.eq_ignore_ascii_case("https")
                    || p.scheme.eq_ignore_ascii_case("http") =>
            {
                Ok(Self {
                    url: url.to_owned(),
                })
            }
            _ => Err(UrlRule::NotAUrl),
        }
    }

    /// The URL.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.url
    }
}

impl fmt::Display for CallbackUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

/// Every rule `url` breaks, in the order [`CallbackUrl::parse`] checks them; empty for a
/// conforming URL. A URL that does not parse breaks only [`UrlRule::NotAUrl`].
#[must_use]
pub fn broken_rules(url: &str) -> Vec<UrlRule> {
    let Some(parts) = UrlParts::parse(url) else {
        return vec![UrlRule::NotAUrl];
    };
    let mut broken = Vec::new();
    if !parts.scheme.eq_ignore_ascii_case("https") {
        broken.push(UrlRule::NotHttps);
    }
    if is_ip_host(&parts.host) {
        broken.push(UrlRule::IpAddress);
    }
    if is_localhost(&parts.host) {
        broken.push(UrlRule::Localhost);
    }
    if parts.port.is_some_and(|p| p != 80 && p != 443) {
        broken.push(UrlRule::Port);
    }
    if url.chars().count() > 255 {
        broken.push(UrlRule::TooLong);
    }
    broken
}

/// The pieces of an absolute URL that the rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlParts {
    /// The scheme as written (`https`).
    pub scheme: String,
    /// The host, lower-case, IPv6 without brackets.
    pub host: String,
    /// The explicit port, if any.
    pub port: Option<u16>,
}

impl UrlParts {
    /// Splits an absolute URL; `None` for anything else, and for a URL carrying
    /// `user:password@` (credentials in a URL end up in logs and proxies).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let uri: http::Uri = s.parse().ok()?;
        let scheme = uri.scheme_str()?.to_owned();
        let authority = uri.authority()?;
        if authority.as_str().contains('@') {
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
fn is_ip_host(host: &str) -> bool {
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

fn is_localhost(host: &str) -> bool {
    let h = host.trim_end_matches('.');
    h == "localhost" || h.ends_with(".localhost")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(url: &str) -> Option<UrlRule> {
        CallbackUrl::parse(url).err()
    }

    #[test]
    fn each_rule_has_its_own_error() {
        assert_eq!(rule("https://example.com/cb?x=1"), None);
        assert_eq!(rule("https://example.com:443/cb"), None);
        assert_eq!(rule("https://example.com:80/cb"), None);
        assert_eq!(rule("not a url"), Some(UrlRule::NotAUrl));
        assert_eq!(rule("/relative/cb"), Some(UrlRule::NotAUrl));
        assert_eq!(rule("https://exa mple.com/cb"), Some(UrlRule::NotAUrl));
        assert_eq!(
            rule("https://user:pw@example.com/cb"),
            Some(UrlRule::NotAUrl)
        );
        assert_eq!(rule("http://example.com/cb"), Some(UrlRule::NotHttps));
        assert_eq!(rule("https://192.168.1.10/cb"), Some(UrlRule::IpAddress));
        assert_eq!(rule("https://[2001:db8::1]/cb"), Some(UrlRule::IpAddress));
        assert_eq!(rule("https://2130706433/cb"), Some(UrlRule::IpAddress));
        assert_eq!(rule("https://localhost/cb"), Some(UrlRule::Localhost));
        assert_eq!(rule("https://LOCALHOST./cb"), Some(UrlRule::Localhost));
        assert_eq!(rule("https://app.localhost/cb"), Some(UrlRule::Localhost));
        assert_eq!(rule("https://example.com:8443/cb"), Some(UrlRule::Port));
        let long = format!("https://example.com/{}", "a".repeat(236));
        assert_eq!(long.len(), 256);
        assert_eq!(rule(&long), Some(UrlRule::TooLong));
        assert_eq!(rule(&long[..255]), None);
    }

    #[test]
    fn broken_rules_lists_every_rule_in_order() {
        assert_eq!(
            broken_rules("http://127.0.0.1:8123/hook"),
            vec![UrlRule::NotHttps, UrlRule::IpAddress, UrlRule::Port]
        );
        assert!(broken_rules("https://example.org/x").is_empty());
    }

    #[test]
    fn restricted_mode_accepts_local_urls_but_not_garbage() {
        assert!(CallbackUrl::restricted("http://localhost:8080/cb").is_ok());
        assert!(CallbackUrl::restricted("http://127.0.0.1:8080/cb").is_ok());
        assert!(CallbackUrl::restricted("ftp://example.com/cb").is_err());
        assert!(CallbackUrl::restricted("nope").is_err());
    }
}
