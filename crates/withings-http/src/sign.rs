//! Request signatures for nonce-signed actions (API notes §3.4).
//!
//! The signature is the hex HMAC-SHA256, keyed with the client secret, of the values of
//! `action`, `client_id` and `timestamp` (for `getnonce`) or `nonce` (for every other signed
//! action), in the order of their key names, joined with commas.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::oauth::{ClientSecret, hex};

/// `hex(HMAC-SHA256(secret, values.join(",")))`; `values` must already be in key order.
pub(crate) fn signature(secret: &ClientSecret, values: &[&str]) -> String {
    // HMAC takes keys of any length, so this cannot fail; an empty MAC would only make
    // Withings answer "signature invalid" (342).
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes()) else {
        return String::new();
    };
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            mac.update(b",");
        }
        mac.update(v.as_bytes());
    }
    hex(&mac.finalize().into_bytes())
}

/// The signature of a `getnonce` call: values of `action`, `client_id`, `timestamp`.
pub(crate) fn getnonce(secret: &ClientSecret, client_id: &str, timestamp: i64) -> String {
    signature(secret, &["getnonce", client_id, &timestamp.to_string()])
}

/// The signature of any other signed action: values of `action`, `client_id`, `nonce`.
pub(crate) fn action(secret: &ClientSecret, action: &str, client_id: &str, nonce: &str) -> String {
    signature(secret, &[action, client_id, nonce])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4231_test_case_2() {
        // Key "Jefe", data "what do ya want for nothing?" (RFC 4231 §4.3).
        let s = signature(
            &ClientSecret::new("Jefe"),
            &["what do ya want for nothing?"],
        );
        assert_eq!(
            s,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
