//! One user's tokens, sealed, with refreshes serialized across the fleet.
//!
//! Withings rotates the refresh token at every refresh, and the old one dies once the new
//! access token is used: two workers refreshing the same user at once burn the grant, and
//! the user has to authorize again. So a refresh is one transaction holding the user's
//! token row with `SELECT … FOR UPDATE` from the re-read to the write, the refresh's HTTP
//! call included. A row lock rather than an advisory lock: it is taken by the same statement
//! that reads the tokens (no window between lock and read), it dies with the transaction
//! or the connection (a crashed worker never leaves it held), and it locks exactly this user —
//! refreshes of other users, and every other use of the tables, go on unhindered. The lock
//! is held for one HTTP round trip per expired token, a few times a day per user.
//!
//! Holding the transaction holds a pooled connection, and the refresh call waits for the
//! limiter on another one: see [`Fleet`](crate::Fleet) for the pool size this asks for.

use jiff::Timestamp;
use tokio_postgres::{Row, Transaction};
use withings::http::{self, RefreshFn, Refreshed, StoreFuture, TokenSet, TokenStore};

use crate::fleet::now_x;
use crate::{Cipher, Database, Error, Result};

/// The associated data of a sealed token: the column and the user, so a value moved to
/// another row or column does not open.
fn context(column: &str, userid: &str) -> Vec<u8> {
    format!("fleet_tokens.{column}\0{userid}").into_bytes()
}

/// Writes `tokens` as `userid`'s (sealed), inside `tx`; counts a refresh when `refreshed`.
///
/// # Errors
/// [`Error::Config`] when the fleet does not know `userid` (add the user first);
/// [`Error::Database`]; [`Error::Key`].
pub(crate) async fn write(
    tx: &Transaction<'_>,
    cipher: &Cipher,
    userid: &str,
    tokens: &TokenSet,
    refreshed: bool,
) -> Result<()> {
    if tokens.access_token().expose_secret().trim().is_empty()
        || tokens.refresh_token().expose_secret().trim().is_empty()
    {
        return Err(Error::Config("refusing to store an empty token".to_owned()));
    }
    let access = cipher.seal(
        &context("access_token", userid),
        tokens.access_token().expose_secret().as_bytes(),
    )?;
    let refresh = cipher.seal(
        &context("refresh_token", userid),
        tokens.refresh_token().expose_secret().as_bytes(),
    )?;
    let count = i64::from(refreshed);
    let written = tx
        .execute(
            concat!(
                "WITH t AS (SELECT floor(",
                now_x!(),
                ")::bigint AS now) \
                 INSERT INTO fleet_tokens (userid, access_token, refresh_token, expires_at, scope, \
                 key_id, updated_at, refresh_count) \
                 SELECT u.userid, $2, $3, $4, $5, $6, t.now, $7 FROM fleet_users u, t \
                 WHERE u.userid = $1 \
                 ON CONFLICT (userid) DO UPDATE SET access_token = EXCLUDED.access_token, \
                 refresh_token = EXCLUDED.refresh_token, expires_at = EXCLUDED.expires_at, \
                 scope = EXCLUDED.scope, key_id = EXCLUDED.key_id, updated_at = EXCLUDED.updated_at, \
                 refresh_count = fleet_tokens.refresh_count + EXCLUDED.refresh_count"
            ),
            &[
                &userid,
                &access,
                &refresh,
                &tokens.expires_at().as_second(),
                &tokens.scope(),
                &cipher.key_id(),
                &count,
            ],
        )
        .await?;
    if written == 0 {
        return Err(Error::Config(format!(
            "user {userid} is not in the fleet: add the user before storing tokens"
        )));
    }
    Ok(())
}

/// The tokens in `row` (`access_token, refresh_token, expires_at, scope, key_id`), opened.
fn read(row: &Row, cipher: &Cipher, userid: &str) -> Result<TokenSet> {
    let key_id: &str = row.try_get(4)?;
    if key_id != cipher.key_id() {
        return Err(Error::Key(format!(
            "the tokens of user {userid} were sealed with key {key_id}, but the configured key is {}: \
             configure the key they were sealed with, or have the user authorize again",
            cipher.key_id()
        )));
    }
    let open = |index: usize, column: &str| -> Result<String> {
        let sealed: &[u8] = row.try_get(index)?;
        let plain = cipher.open(&context(column, userid), sealed)?;
        String::from_utf8(plain)
            .map_err(|_| Error::Corrupt(format!("the {column} of user {userid} is not text")))
    };
    let access = open(0, "access_token")?;
    let refresh = open(1, "refresh_token")?;
    let expires_at: i64 = row.try_get(2)?;
    let expires_at = Timestamp::from_second(expires_at).map_err(|_| {
        Error::Corrupt(format!("the token expiry of user {userid} is out of range"))
    })?;
    let mut tokens = TokenSet::new(access.into(), refresh.into(), expires_at).with_userid(userid);
    if let Some(scope) = row.try_get::<_, Option<String>>(3)? {
        tokens = tokens.with_scope(scope);
    }
    Ok(tokens)
}

const SELECT: &str = "SELECT access_token, refresh_token, expires_at, scope, key_id \
                      FROM fleet_tokens WHERE userid = $1";

/// The tokens of one user in `fleet_tokens`, sealed with the fleet's [`Cipher`].
///
/// [`refresh_locked`](TokenStore::refresh_locked) runs in one transaction: `SELECT … FOR
/// UPDATE` on the user's row, re-read, refresh (the HTTP call, under the lock), `UPDATE`,
/// `COMMIT`. The row lock spans the fleet: of many workers finding the token expired at
/// once, exactly one refreshes; the others wait on the row and then find the new pair.
/// `load` of an unknown user is `Ok(None)`; `save` for a user the fleet does not know fails
/// (users come in through [`Fleet::add_user`](crate::Fleet::add_user)).
#[derive(Clone, Debug)]
pub struct PgTokenStore {
    db: Database,
    cipher: Cipher,
    userid: String,
}

impl PgTokenStore {
    pub(crate) fn new(db: Database, cipher: Cipher, userid: &str) -> Self {
        Self {
            db,
            cipher,
            userid: userid.to_owned(),
        }
    }

    /// The user whose tokens these are.
    #[must_use]
    pub fn userid(&self) -> &str {
        &self.userid
    }

    /// This crate's error as the token-store error the client expects (no secret in either).
    fn failed(&self, what: &str, e: Error) -> http::Error {
        http::Error::token_store_with_source(
            format!("{what} the tokens of user {} in PostgreSQL", self.userid),
            e,
        )
    }

    async fn load_inner(&self) -> Result<Option<TokenSet>> {
        let client = self.db.client().await?;
        let row = client.query_opt(SELECT, &[&self.userid]).await?;
        row.map(|r| read(&r, &self.cipher, &self.userid))
            .transpose()
    }

    async fn save_inner(&self, tokens: &TokenSet) -> Result<()> {
        let mut client = self.db.client().await?;
        let tx = client.transaction().await?;
        write(&tx, &self.cipher, &self.userid, tokens, false).await?;
        tx.commit().await?;
        Ok(())
    }
}

impl TokenStore for PgTokenStore {
    fn load(&self) -> StoreFuture<'_, Option<TokenSet>> {
        Box::pin(async move {
            self.load_inner()
                .await
                .map_err(|e| self.failed("cannot read", e))
        })
    }

    fn save<'a>(&'a self, tokens: &'a TokenSet) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            self.save_inner(tokens)
                .await
                .map_err(|e| self.failed("cannot save", e))
        })
    }

    fn refresh_locked<'a>(&'a self, refresh: RefreshFn<'a>) -> StoreFuture<'a, Option<TokenSet>> {
        Box::pin(async move {
            let lock = |e: Error| self.failed("cannot lock", e);
            let mut client = self.db.client().await.map_err(lock)?;
            let tx = client.transaction().await.map_err(|e| lock(e.into()))?;
            let row = tx
                .query_opt(&format!("{SELECT} FOR UPDATE"), &[&self.userid])
                .await
                .map_err(|e| lock(e.into()))?;
            let stored = row
                .map(|r| read(&r, &self.cipher, &self.userid))
                .transpose()
                .map_err(|e| self.failed("cannot read", e))?;
            // On an error from `refresh` the transaction is dropped: rolled back, lock freed,
            // nothing saved.
            match refresh(stored.clone()).await? {
                Refreshed::Keep => {
                    tx.commit()
                        .await
                        .map_err(|e| self.failed("cannot unlock", e.into()))?;
                    Ok(stored)
                }
                Refreshed::New(tokens) => {
                    let saved = async {
                        write(&tx, &self.cipher, &self.userid, &tokens, true).await?;
                        tx.commit().await?;
                        Ok::<_, Error>(())
                    };
                    saved.await.map_err(|e| self.failed("cannot save", e))?;
                    Ok(Some(tokens))
                }
                // `Refreshed` may grow; anything else keeps what is stored.
                _ => {
                    tx.commit()
                        .await
                        .map_err(|e| self.failed("cannot unlock", e.into()))?;
                    Ok(stored)
                }
            }
        })
    }
}
