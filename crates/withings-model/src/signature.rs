//! `/v2/signature`: `getnonce`, the nonce that signed actions need (API notes §3.4).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::endpoint::{Endpoint, Form, Service};
use crate::scope::Scope;

/// `action=getnonce`: a single-use nonce, valid 30 minutes.
///
/// `signature` is the hex HMAC-SHA256, keyed with the client secret, of
/// `getnonce,<client_id>,<timestamp>`; computing it is the transport's job.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GetNonce {
    /// `client_id`.
    pub client_id: String,
    /// `timestamp`: now, sent as unix seconds.
    pub timestamp: Timestamp,
    /// `signature` (hex).
    pub signature: String,
}

impl GetNonce {
    /// A nonce request signed at `timestamp`.
    #[must_use]
    pub fn new(
        client_id: impl Into<String>,
        timestamp: Timestamp,
        signature: impl Into<String>,
    ) -> Self {
        Self {
            client_id: client_id.into(),
            timestamp,
            signature: signature.into(),
        }
    }
}

impl Endpoint for GetNonce {
    const SERVICE: Service = Service::Signature;
    const ACTION: &'static str = "getnonce";
    // Each call hands out a fresh nonce; asking twice only wastes one.
    const IDEMPOTENT: bool = true;
    const SCOPES: &'static [Scope] = &[];
    type Body = NonceBody;

    fn encode(&self, form: &mut Form) {
        form.push("client_id", self.client_id.as_str())
            .unix("timestamp", self.timestamp)
            .push("signature", self.signature.as_str());
    }
}

/// The body of `getnonce`: `{nonce}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NonceBody {
    /// The nonce (hex).
    pub nonce: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{Reply, parse_reply};

    #[test]
    fn getnonce_encodes_the_timestamp_as_unix_seconds() {
        let req = GetNonce::new(
            "my-client",
            Timestamp::from_second(1_717_430_000).unwrap(),
            "ab12",
        );
        assert_eq!(
            req.form().encode(),
            "action=getnonce&client_id=my-client&timestamp=1717430000&signature=ab12"
        );
        assert_eq!(GetNonce::fixture_dir(), "v2-signature-getnonce");
    }

    #[test]
    fn nonce_parses() {
        let Reply::Ok(body) =
            parse_reply::<NonceBody>(br#"{"status":0,"body":{"nonce":"5e2d"}}"#).unwrap()
        else {
            panic!()
        };
        assert_eq!(body.nonce, "5e2d");
        assert_eq!(
            parse_reply::<NonceBody>(br#"{"status":0,"body":{"nonce":5}}"#)
                .unwrap_err()
                .path(),
            "body.nonce"
        );
    }
}

single_body!(NonceBody);
