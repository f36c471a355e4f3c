//! Nonces (`signature getnonce`).

use withings_model::signature::NonceBody;

use crate::{Decode, DecodeError};

/// The nonce, as sent: single use, valid 30 minutes (API notes §3.4).
impl Decode for NonceBody {
    type Output = String;

    fn decode(self) -> Result<String, DecodeError> {
        if self.nonce.is_empty() {
            return Err(DecodeError::Invalid {
                path: "body.nonce".to_owned(),
                problem: "the nonce is empty".to_owned(),
            });
        }
        Ok(self.nonce)
    }
}

#[cfg(test)]
mod tests {
    use crate::decode_reply;
    use withings_model::Reply;
    use withings_model::signature::NonceBody;

    #[test]
    fn nonce_passes_through_and_empty_is_an_error() {
        let ok = decode_reply::<NonceBody>(br#"{"status":0,"body":{"nonce":"5e2d"}}"#).unwrap();
        assert_eq!(ok, Reply::Ok("5e2d".to_owned()));
        let e = decode_reply::<NonceBody>(br#"{"status":0,"body":{"nonce":""}}"#).unwrap_err();
        assert_eq!(e.path(), "body.nonce");
    }
}
