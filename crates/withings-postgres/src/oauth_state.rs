//! OAuth `state` values: made by `/connect`, spent once by `/oauth/callback`.
//!
//! Kept in the database, not in the server's memory, so the callback may land on another
//! server process than the one that sent the user to Withings.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::{SecureRandom, SystemRandom};

use crate::fleet::{now_x, seconds};
use crate::{Error, Fleet, Result};

/// Random bytes in a state: 192 bits (32 base64url characters), above the 128 asked for.
const STATE_BYTES: usize = 24;

impl Fleet {
    /// A fresh `state` (192 random bits from the OS, base64url), valid for at least `ttl`
    /// (and less than a second more: deadlines are rounded up to whole seconds). Expired
    /// states are swept in the same statement.
    ///
    /// # Errors
    /// [`Error::Key`] when the OS gives no random bytes; [`Error::Database`].
    pub async fn create_state(&self, ttl: Duration) -> Result<String> {
        let mut bytes = [0u8; STATE_BYTES];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| Error::Key("the OS random source failed".to_owned()))?;
        let state = URL_SAFE_NO_PAD.encode(bytes);
        let client = self.db.client().await?;
        client
            .execute(
                concat!(
                    "WITH t AS (SELECT ",
                    now_x!(),
                    " AS x), \
                     sweep AS (DELETE FROM fleet_oauth_states USING t WHERE expires_at <= t.x) \
                     INSERT INTO fleet_oauth_states (state, created_at, expires_at) \
                     SELECT $1, floor(t.x)::bigint, ceil(t.x + $2::float8)::bigint FROM t"
                ),
                &[&state, &seconds(ttl)],
            )
            .await?;
        Ok(state)
    }

    /// Spends `state`: `true` exactly once for a state made by
    /// [`create_state`](Self::create_state) and not expired; `false` for an unknown, spent
    /// or expired one (an expired one is deleted too).
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn take_state(&self, state: &str) -> Result<bool> {
        let client = self.db.client().await?;
        let row = client
            .query_opt(
                concat!(
                    "DELETE FROM fleet_oauth_states WHERE state = $1 RETURNING expires_at > ",
                    now_x!()
                ),
                &[&state],
            )
            .await?;
        Ok(match row {
            Some(r) => r.try_get(0)?,
            None => false,
        })
    }
}
