//! Sealing tokens at rest: AES-256-GCM (ring) with a key from the configuration.
//!
//! Both tokens of a user are sealed, not only the refresh token. The refresh token is the
//! obvious one: it is valid for a year and mints new access tokens. But an access token read
//! from a database dump or a replica is three hours of full access to someone's health data,
//! and the tables are copied far more often than the key is (backups, replicas, a
//! `pg_dump` on a laptop): a leaked table without the key must give nothing.
//!
//! A sealed value is `nonce ‖ ciphertext ‖ tag`, the nonce random (96 bits from the OS; a
//! key seals far fewer than the 2³² values random nonces are safe for). The associated data
//! names the user and the column, so a sealed value copied to another user's row, or from
//! the refresh column to the access column, does not open: swapping ciphertexts cannot make
//! the fleet use one user's grant for another user.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

use crate::{Error, Result};

/// The length of a key: 32 bytes (AES-256).
pub(crate) const KEY_LEN: usize = 32;

/// The key that seals tokens at rest (AES-256-GCM). Cheap to clone; its `Debug` shows only
/// the key id, never the key.
#[derive(Clone)]
pub struct Cipher {
    key: std::sync::Arc<LessSafeKey>,
    id: String,
    rng: SystemRandom,
}

impl fmt::Debug for Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cipher")
            .field("key_id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Cipher {
    /// A cipher with the 32-byte `bytes` as key.
    ///
    /// # Errors
    /// [`Error::Key`] when `bytes` is not 32 bytes long.
    pub fn from_key(bytes: &[u8]) -> Result<Self> {
        if bytes.len() != KEY_LEN {
            return Err(Error::Key(format!(
                "the key must be {KEY_LEN} bytes, this one has {}",
                bytes.len()
            )));
        }
        let unbound = UnboundKey::new(&AES_256_GCM, bytes)
            .map_err(|_| Error::Key("ring refused the AES-256 key".to_owned()))?;
        Ok(Self {
            key: std::sync::Arc::new(LessSafeKey::new(unbound)),
            id: key_id(bytes),
            rng: SystemRandom::new(),
        })
    }

    /// A cipher with the key in its configuration form: base64 (standard or URL-safe, with
    /// or without padding) of 32 bytes, surrounding whitespace ignored.
    ///
    /// # Errors
    /// [`Error::Key`] when `text` is not base64 or does not decode to 32 bytes. The message
    /// never quotes the text.
    pub fn from_base64(text: &str) -> Result<Self> {
        let text = text.trim();
        if text.is_empty() {
            return Err(Error::Key(
                "no key configured: generate one with `withings serve --gen-key`".to_owned(),
            ));
        }
        let bytes = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(text).ok())
            .ok_or_else(|| {
                Error::Key(format!(
                    "the key is not base64 ({} characters); generate one with `withings serve --gen-key`",
                    text.len()
                ))
            })?;
        Self::from_key(&bytes)
    }

    /// A new random key in its configuration form (standard base64 of 32 bytes from the
    /// OS's random source).
    ///
    /// # Errors
    /// [`Error::Key`] when the OS gives no random bytes.
    pub fn generate_base64() -> Result<String> {
        let mut key = [0u8; KEY_LEN];
        SystemRandom::new()
            .fill(&mut key)
            .map_err(|_| Error::Key("the OS random source failed".to_owned()))?;
        Ok(STANDARD.encode(key))
    }

    /// A short public fingerprint of the key (16 hex digits of a SHA-256), stored beside
    /// each sealed token: a token sealed under another key is then reported as such instead
    /// of as a corrupt value. It reveals nothing usable about the key.
    #[must_use]
    pub fn key_id(&self) -> &str {
        &self.id
    }

    /// Seals `plaintext`, binding it to `context` (associated data: authenticated, not
    /// stored). Returns `nonce ‖ ciphertext ‖ tag`.
    ///
    /// # Errors
    /// [`Error::Key`] when the OS gives no random nonce.
    pub fn seal(&self, context: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce)
            .map_err(|_| Error::Key("the OS random source failed".to_owned()))?;
        let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len() + AES_256_GCM.tag_len());
        out.extend_from_slice(&nonce);
        let mut body = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context),
                &mut body,
            )
            .map_err(|_| Error::Key("sealing failed".to_owned()))?;
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Opens what [`seal`](Self::seal) returned for the same `context`.
    ///
    /// # Errors
    /// [`Error::Corrupt`] when `sealed` is too short, was sealed under another key or
    /// another context, or was altered.
    pub fn open(&self, context: &[u8], sealed: &[u8]) -> Result<Vec<u8>> {
        let tag_len = AES_256_GCM.tag_len();
        if sealed.len() < NONCE_LEN + tag_len {
            return Err(Error::Corrupt(format!(
                "a sealed value of {} bytes is shorter than nonce and tag",
                sealed.len()
            )));
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce)
            .map_err(|_| Error::Corrupt("a sealed value has a malformed nonce".to_owned()))?;
        let mut body = body.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(context), &mut body)
            .map_err(|_| {
                Error::Corrupt(
                    "a sealed value does not open with this key for this row (another key, \
                     another user's row, or altered)"
                        .to_owned(),
                )
            })?;
        Ok(plain.to_vec())
    }
}

/// The first 8 bytes of SHA-256("withings-fleet key id" ‖ key), in hex.
fn key_id(key: &[u8]) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(b"withings-fleet key id\0");
    ctx.update(key);
    ctx.finish()
        .as_ref()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}
