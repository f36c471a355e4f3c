//! `/v2/oauth2`: tokens (`requesttoken`), and the signed actions `revoke` and
//! `getdemoaccess` (API notes §1, §3).
//!
//! Secrets (client secret, authorization code, tokens) are [`SecretString`]s: their `Debug`
//! prints `[REDACTED]`, they are exposed only into the request form, and the wire types
//! serialize them as `"[redacted]"` so that nothing re-emitted contains a credential.
//!
//! Signing (`nonce` + `signature`, API notes §3.4) is the transport's job; the signed
//! requests here only carry the result ([`Signed`]).

use serde::{Deserialize, Serialize};

use crate::EmptyBody;
use crate::de;
use crate::endpoint::{Endpoint, Form, Service};
use crate::scope::Scope;

pub use secrecy::{ExposeSecret, SecretString};

/// Serializers that write `"[redacted]"` in place of a secret: `secrecy` deliberately gives
/// secrets no `Serialize`, and snapshots or logs must never hold a token.
pub mod redacted {
    use secrecy::SecretString;
    use serde::Serializer;

    /// The text written in place of a secret.
    pub const REDACTED: &str = "[redacted]";

    /// Serializes a secret as `"[redacted]"`.
    ///
    /// # Errors
    /// Those of the serializer.
    pub fn serialize<S: Serializer>(_secret: &SecretString, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(REDACTED)
    }

    /// Serializes an optional secret as `"[redacted]"`, or `null` when absent.
    ///
    /// # Errors
    /// Those of the serializer.
    #[allow(clippy::ref_option)] // the signature serde's `serialize_with` requires
    pub fn option<S: Serializer>(secret: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
        match secret {
            Some(_) => s.serialize_str(REDACTED),
            None => s.serialize_none(),
        }
    }
}

/// What proves the app's identity to `requesttoken` (API notes §3.2).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Credential {
    /// `client_secret`: the usual style.
    ClientSecret(SecretString),
    /// `nonce` + `signature` instead of the secret.
    Signed(Signed),
}

/// The result of signing a request (API notes §3.4): a fresh single-use `nonce` from
/// `signature getnonce` and the hex HMAC-SHA256 `signature` over `action,client_id,nonce`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Signed {
    /// `nonce`.
    pub nonce: String,
    /// `signature` (hex).
    pub signature: String,
}

impl Signed {
    /// A nonce and the signature computed with it.
    #[must_use]
    pub fn new(nonce: impl Into<String>, signature: impl Into<String>) -> Self {
        Self {
            nonce: nonce.into(),
            signature: signature.into(),
        }
    }

    /// Adds `nonce` and `signature` to a form.
    pub fn encode(&self, form: &mut Form) {
        form.push("nonce", self.nonce.as_str())
            .push("signature", self.signature.as_str());
    }
}

/// The grant a token request exchanges.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Grant {
    /// `grant_type=authorization_code`: the `code` from the redirect (valid 30 seconds, single
    /// use; status 503 "Invalid Params: invalid code" otherwise, API notes §12.2).
    AuthorizationCode {
        /// `code`.
        code: SecretString,
        /// `redirect_uri`: the same value as in the authorize URL.
        redirect_uri: String,
    },
    /// `grant_type=refresh_token`. The answer carries a new refresh token: persist it before
    /// using the new access token (API notes §3.3).
    RefreshToken {
        /// `refresh_token`.
        refresh_token: SecretString,
    },
}

/// `action=requesttoken`: exchanges a code or a refresh token for tokens. `Debug` shows no
/// secret.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RequestToken {
    /// `client_id`.
    pub client_id: String,
    /// `client_secret`, or `nonce` + `signature`.
    pub credential: Credential,
    /// What is exchanged.
    pub grant: Grant,
}

impl RequestToken {
    /// A token request.
    #[must_use]
    pub fn new(client_id: impl Into<String>, credential: Credential, grant: Grant) -> Self {
        Self {
            client_id: client_id.into(),
            credential,
            grant,
        }
    }

    /// Exchanges an authorization `code`, authenticating with the client secret.
    #[must_use]
    pub fn authorization_code(
        client_id: impl Into<String>,
        client_secret: SecretString,
        code: SecretString,
        redirect_uri: impl Into<String>,
    ) -> Self {
        let grant = Grant::AuthorizationCode {
            code,
            redirect_uri: redirect_uri.into(),
        };
        Self::new(client_id, Credential::ClientSecret(client_secret), grant)
    }

    /// Exchanges a refresh token, authenticating with the client secret.
    #[must_use]
    pub fn refresh_token(
        client_id: impl Into<String>,
        client_secret: SecretString,
        refresh_token: SecretString,
    ) -> Self {
        Self::new(
            client_id,
            Credential::ClientSecret(client_secret),
            Grant::RefreshToken { refresh_token },
        )
    }
}

impl Endpoint for RequestToken {
    const SERVICE: Service = Service::OAuth2;
    const ACTION: &'static str = "requesttoken";
    // A code works once and a refresh token is rotated by its first use: a retry after the
    // server may have answered burns the grant.
    const IDEMPOTENT: bool = false;
    const SCOPES: &'static [Scope] = &[];
    type Body = TokenBody;

    fn encode(&self, form: &mut Form) {
        let grant_type = match self.grant {
            Grant::AuthorizationCode { .. } => "authorization_code",
            Grant::RefreshToken { .. } => "refresh_token",
        };
        form.push("grant_type", grant_type)
            .push("client_id", self.client_id.as_str());
        match &self.credential {
            Credential::ClientSecret(secret) => {
                form.push("client_secret", secret.expose_secret());
            }
            Credential::Signed(signed) => signed.encode(form),
        }
        match &self.grant {
            Grant::AuthorizationCode { code, redirect_uri } => {
                form.push("code", code.expose_secret())
                    .push("redirect_uri", redirect_uri.as_str());
            }
            Grant::RefreshToken { refresh_token } => {
                form.push("refresh_token", refresh_token.expose_secret());
            }
        }
    }
}

/// The body of `requesttoken` and `getdemoaccess` (API notes §3.2). Serializing it writes
/// `"[redacted]"` for every secret; `Debug` redacts them too.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TokenBody {
    /// The user id: an integer or a string depending on the response (API notes §6), kept as
    /// text. Optional: some refresh responses are reported to omit it, and `getdemoaccess`
    /// documents none.
    #[serde(default, deserialize_with = "de::opt_id::deserialize")]
    pub userid: Option<String>,
    /// The access token (valid `expires_in` seconds).
    #[serde(serialize_with = "redacted::serialize")]
    pub access_token: SecretString,
    /// The refresh token (valid a year; replaces the previous one).
    #[serde(serialize_with = "redacted::serialize")]
    pub refresh_token: SecretString,
    /// Lifetime of the access token in seconds (10800); a numeric string has been seen.
    #[serde(deserialize_with = "de::lenient_i64::deserialize")]
    pub expires_in: i64,
    /// The granted scopes, comma-separated.
    #[serde(default)]
    pub scope: Option<String>,
    /// Undocumented; present in the spec example and library fixtures.
    #[serde(default, serialize_with = "redacted::option")]
    pub csrf_token: Option<SecretString>,
    /// `Bearer`.
    #[serde(default)]
    pub token_type: Option<String>,
}

/// Compares the secrets too (not in constant time: this is for tests, not authentication).
impl PartialEq for TokenBody {
    fn eq(&self, other: &Self) -> bool {
        self.userid == other.userid
            && self.access_token.expose_secret() == other.access_token.expose_secret()
            && self.refresh_token.expose_secret() == other.refresh_token.expose_secret()
            && self.expires_in == other.expires_in
            && self.scope == other.scope
            && self.csrf_token.as_ref().map(ExposeSecret::expose_secret)
                == other.csrf_token.as_ref().map(ExposeSecret::expose_secret)
            && self.token_type == other.token_type
    }
}

/// `action=revoke` (signed): invalidates the user's tokens and removes their notification
/// subscriptions (API notes §3.3). Answers an empty body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Revoke {
    /// `client_id`.
    pub client_id: String,
    /// `nonce` + `signature`.
    pub signed: Signed,
    /// `userid` of the user to disconnect.
    pub userid: String,
}

impl Revoke {
    /// Revokes `userid`'s tokens.
    #[must_use]
    pub fn new(client_id: impl Into<String>, signed: Signed, userid: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            signed,
            userid: userid.into(),
        }
    }
}

impl Endpoint for Revoke {
    const SERVICE: Service = Service::OAuth2;
    const ACTION: &'static str = "revoke";
    // Signed with a single-use nonce.
    const IDEMPOTENT: bool = false;
    const SCOPES: &'static [Scope] = &[];
    type Body = EmptyBody;

    fn encode(&self, form: &mut Form) {
        form.push("client_id", self.client_id.as_str());
        self.signed.encode(form);
        form.push("userid", self.userid.as_str());
    }
}

/// `action=getdemoaccess` (signed): tokens for Withings' demo account (API notes §1).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GetDemoAccess {
    /// `client_id`.
    pub client_id: String,
    /// `nonce` + `signature`.
    pub signed: Signed,
    /// `scope_oauth2`: scopes such as `user.metrics`, sent comma-separated.
    pub scopes: Vec<String>,
}

impl GetDemoAccess {
    /// Demo tokens with these scopes.
    #[must_use]
    pub fn new(
        client_id: impl Into<String>,
        signed: Signed,
        scopes: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            client_id: client_id.into(),
            signed,
            scopes: scopes.into_iter().map(Into::into).collect(),
        }
    }
}

impl Endpoint for GetDemoAccess {
    const SERVICE: Service = Service::OAuth2;
    const ACTION: &'static str = "getdemoaccess";
    // Signed with a single-use nonce.
    const IDEMPOTENT: bool = false;
    const SCOPES: &'static [Scope] = &[];
    type Body = TokenBody;

    fn encode(&self, form: &mut Form) {
        form.push("client_id", self.client_id.as_str());
        self.signed.encode(form);
        form.list("scope_oauth2", &self.scopes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{Reply, parse_reply};

    const SECRET: &str = "0ddba11c0ffee0ddba11c0ffee0ddba11c0ffee0";

    fn token(json: &[u8]) -> TokenBody {
        let Reply::Ok(body) = parse_reply::<TokenBody>(json).unwrap() else {
            panic!()
        };
        body
    }

    #[test]
    fn code_exchange_encodes_secrets_only_into_the_form() {
        let req = RequestToken::authorization_code(
            "my-client",
            SecretString::from(SECRET),
            SecretString::from("c0de"),
            "https://example.org/cb",
        );
        assert_eq!(
            req.form().encode(),
            format!(
                "action=requesttoken&grant_type=authorization_code&client_id=my-client&client_secret={SECRET}\
                 &code=c0de&redirect_uri=https%3A%2F%2Fexample.org%2Fcb"
            )
        );
        let debug = format!("{req:?}");
        assert!(
            !debug.contains(SECRET) && !debug.contains("c0de"),
            "{debug}"
        );
    }

    #[test]
    fn token_request_forms_never_show_their_secrets_in_debug() {
        let code = RequestToken::authorization_code(
            "my-client",
            SecretString::from(SECRET),
            SecretString::from("c0de"),
            "https://example.org/cb",
        );
        let debug = format!("{:?}", code.form());
        assert!(
            !debug.contains(SECRET) && !debug.contains("c0de"),
            "{debug}"
        );
        assert!(
            debug.contains(r#"("client_id", "my-client")"#)
                && debug.contains(r#"("client_secret", "[redacted]")"#)
                && debug.contains(r#"("code", "[redacted]")"#)
                && debug.contains("https://example.org/cb"),
            "{debug}"
        );
        let refresh = RequestToken::refresh_token(
            "id",
            SecretString::from(SECRET),
            SecretString::from("r3fr3sh"),
        );
        let debug = format!("{:?}", refresh.form());
        assert!(
            !debug.contains(SECRET) && !debug.contains("r3fr3sh"),
            "{debug}"
        );
        let signed = Revoke::new("id", Signed::new("n0nce", "5161"), "10203040").form();
        let debug = format!("{signed:?}");
        assert!(
            !debug.contains("n0nce") && !debug.contains("5161") && debug.contains("10203040"),
            "{debug}"
        );
    }

    #[test]
    fn refresh_and_signed_variants_encode() {
        let req = RequestToken::refresh_token(
            "id",
            SecretString::from(SECRET),
            SecretString::from("r3fr3sh"),
        );
        let keys: Vec<_> = req.form().pairs().map(|(k, _)| k.to_owned()).collect();
        assert_eq!(
            keys,
            [
                "action",
                "grant_type",
                "client_id",
                "client_secret",
                "refresh_token"
            ]
        );
        assert!(!format!("{req:?}").contains("r3fr3sh"));
        let signed = Signed::new("n0nce", "5161");
        let req = RequestToken::new(
            "id",
            Credential::Signed(signed.clone()),
            Grant::RefreshToken {
                refresh_token: SecretString::from("r"),
            },
        );
        let form = req.form();
        assert_eq!(
            (
                form.get("nonce"),
                form.get("signature"),
                form.get("client_secret")
            ),
            (Some("n0nce"), Some("5161"), None)
        );
        let revoke = Revoke::new("id", signed.clone(), "10203040").form();
        assert_eq!(
            revoke.encode(),
            "action=revoke&client_id=id&nonce=n0nce&signature=5161&userid=10203040"
        );
        let demo = GetDemoAccess::new("id", signed, ["user.metrics", "user.activity"]).form();
        assert_eq!(demo.get("scope_oauth2"), Some("user.metrics,user.activity"));
        assert_eq!(GetDemoAccess::fixture_dir(), "v2-oauth2-getdemoaccess");
    }

    #[test]
    fn userid_is_a_string_an_integer_or_absent() {
        let a = token(br#"{"status":0,"body":{"userid":"10203040","access_token":"a","refresh_token":"r","expires_in":10800}}"#);
        let b = token(br#"{"status":0,"body":{"userid":10203040,"access_token":"a","refresh_token":"r","expires_in":"10800"}}"#);
        assert_eq!(a, b);
        assert_eq!(a.userid.as_deref(), Some("10203040"));
        let c = token(
            br#"{"status":0,"body":{"access_token":"a","refresh_token":"r","expires_in":10800}}"#,
        );
        assert_eq!(c.userid, None);
        assert_ne!(a, c);
    }

    #[test]
    fn token_body_never_shows_its_secrets() {
        let t = token(
            br#"{"status":0,"body":{"userid":1,"access_token":"acce55","refresh_token":"ref7e5","expires_in":10800,"csrf_token":"c5rf"}}"#,
        );
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(
            json,
            r#"{"userid":"1","access_token":"[redacted]","refresh_token":"[redacted]","expires_in":10800,"scope":null,"csrf_token":"[redacted]","token_type":null}"#
        );
        let debug = format!("{t:?}");
        assert!(
            !debug.contains("acce55") && !debug.contains("ref7e5") && !debug.contains("c5rf"),
            "{debug}"
        );
    }

    #[test]
    fn missing_access_token_names_it() {
        let e = parse_reply::<TokenBody>(
            br#"{"status":0,"body":{"refresh_token":"r","expires_in":1}}"#,
        )
        .unwrap_err();
        assert_eq!(e.path(), "body");
        assert!(e.message().contains("access_token"), "{e}");
    }
}

single_body!(TokenBody);
