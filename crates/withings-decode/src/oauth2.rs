//! Tokens (`oauth2 requesttoken`, `getdemoaccess`).
//!
//! No clock is read here: the expiry is relative (`expires_in`), and [`Token::expires_at`]
//! takes the instant the caller received the answer.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use withings_model::oauth2::{ExposeSecret, SecretString, TokenBody, redacted};

use crate::{Decode, DecodeError};

/// An access token and the refresh token that renews it.
///
/// `Debug` and `Serialize` never show the secrets (`[REDACTED]` / `"[redacted]"`); use
/// [`ExposeSecret::expose_secret`] on the fields to send or store them.
///
/// ```
/// use withings_decode::{decode_reply, Reply};
/// use withings_model::oauth2::{ExposeSecret, TokenBody};
///
/// let json = br#"{"status":0,"body":{"userid":10203040,"access_token":"a1","refresh_token":"r1","expires_in":"10800","scope":"user.info,user.metrics","token_type":"Bearer"}}"#;
/// let Reply::Ok(token) = decode_reply::<TokenBody>(json).unwrap() else { panic!() };
/// assert_eq!(token.access_token.expose_secret(), "a1");
/// assert_eq!(token.scopes, ["user.info", "user.metrics"]);
/// assert!(!serde_json::to_string(&token).unwrap().contains("a1"));
/// let issued = jiff::Timestamp::from_second(1_717_430_000).unwrap();
/// assert_eq!(token.expires_at(issued).as_second(), 1_717_440_800);
/// ```
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Token {
    /// The user the tokens belong to; absent from some refresh responses (API notes §3.2):
    /// keep the one you stored.
    pub user_id: Option<String>,
    /// The access token (a Bearer token).
    #[serde(serialize_with = "redacted::serialize")]
    pub access_token: SecretString,
    /// The refresh token. It replaces the previous one: persist it before using the new
    /// access token (API notes §3.3).
    #[serde(serialize_with = "redacted::serialize")]
    pub refresh_token: SecretString,
    /// How long the access token lives from the moment it was issued (3 hours in practice).
    pub expires_in: SignedDuration,
    /// The scopes granted (the API's comma-separated list, split).
    pub scopes: Vec<String>,
    /// The token type, `Bearer`.
    pub token_type: Option<String>,
}

impl Token {
    /// When the access token expires, given when the answer was received (taken by the
    /// caller, from its clock). Saturates at the largest representable instant.
    #[must_use]
    pub fn expires_at(&self, issued_at: Timestamp) -> Timestamp {
        issued_at
            .saturating_add(self.expires_in)
            .unwrap_or(Timestamp::MAX)
    }
}

/// Compares the secrets too (not in constant time: this is for tests, not authentication).
impl PartialEq for Token {
    fn eq(&self, other: &Self) -> bool {
        self.user_id == other.user_id
            && self.access_token.expose_secret() == other.access_token.expose_secret()
            && self.refresh_token.expose_secret() == other.refresh_token.expose_secret()
            && self.expires_in == other.expires_in
            && self.scopes == other.scopes
            && self.token_type == other.token_type
    }
}

impl Decode for TokenBody {
    type Output = Token;

    fn decode(self) -> Result<Token, DecodeError> {
        if self.expires_in < 0 {
            return Err(DecodeError::Invalid {
                path: "body.expires_in".to_owned(),
                problem: format!("a lifetime of {} seconds is negative", self.expires_in),
            });
        }
        // Withings joins scopes with commas (API notes §12.16); tolerate spaces around them.
        let scopes = self
            .scope
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        Ok(Token {
            user_id: self.userid,
            access_token: self.access_token,
            refresh_token: self.refresh_token,
            expires_in: SignedDuration::from_secs(self.expires_in),
            scopes,
            token_type: self.token_type,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode_reply;
    use withings_model::Reply;

    fn token(json: &[u8]) -> Result<Token, DecodeError> {
        match decode_reply::<TokenBody>(json)? {
            Reply::Ok(t) => Ok(t),
            Reply::Status(s) => panic!("{s}"),
        }
    }

    #[test]
    fn secrets_are_redacted_in_debug_and_serialize() {
        let t = token(br#"{"status":0,"body":{"userid":"7","access_token":"acce55","refresh_token":"ref7e5","expires_in":10800,"scope":"user.metrics, user.activity,","token_type":"Bearer"}}"#).unwrap();
        let json = serde_json::to_string(&t).unwrap();
        let debug = format!("{t:?}");
        for shown in [&json, &debug] {
            assert!(
                !shown.contains("acce55") && !shown.contains("ref7e5"),
                "{shown}"
            );
        }
        assert!(json.contains(r#""access_token":"[redacted]""#), "{json}");
        assert_eq!(
            (
                t.access_token.expose_secret(),
                t.refresh_token.expose_secret()
            ),
            ("acce55", "ref7e5")
        );
        assert_eq!(t.scopes, ["user.metrics", "user.activity"]);
        assert_eq!(t.expires_in, SignedDuration::from_hours(3));
    }

    #[test]
    fn expiry_is_relative_to_the_callers_instant() {
        let t = token(
            br#"{"status":0,"body":{"access_token":"a","refresh_token":"r","expires_in":10800}}"#,
        )
        .unwrap();
        assert_eq!((t.user_id.as_deref(), t.scopes.len()), (None, 0));
        let at = Timestamp::from_second(1_717_430_000).unwrap();
        assert_eq!(t.expires_at(at).as_second(), 1_717_440_800);
        assert_eq!(t.expires_at(Timestamp::MAX), Timestamp::MAX);
    }

    #[test]
    fn negative_lifetime_is_an_error() {
        let e = token(
            br#"{"status":0,"body":{"access_token":"a","refresh_token":"r","expires_in":-1}}"#,
        )
        .unwrap_err();
        assert_eq!(e.path(), "body.expires_in");
    }
}
