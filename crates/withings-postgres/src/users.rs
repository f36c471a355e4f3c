//! The fleet's users: who is linked, and in what state.
//!
//! A user row is the gate for everything else: a notification for a user who is not
//! `active` writes nothing, and a user's tokens hang off the row (deleted with it).

use std::fmt;
use std::str::FromStr;

use withings::http::TokenSet;

use withings_sync::schema::TableDef;

use crate::fleet::now_x;
use crate::{Error, Fleet, Result};

/// Where a user stands with the fleet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UserStatus {
    /// Linked: notifications are queued and synced.
    Active,
    /// Withings refused the refresh token: the user must authorize again (`/connect`).
    Reauthorize,
    /// The user unlinked the application (or was removed): nothing is fetched.
    Unlinked,
}

impl UserStatus {
    /// The text stored in `fleet_users.status`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Reauthorize => "reauthorize",
            Self::Unlinked => "unlinked",
        }
    }
}

impl fmt::Display for UserStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for UserStatus {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "active" => Ok(Self::Active),
            "reauthorize" => Ok(Self::Reauthorize),
            "unlinked" => Ok(Self::Unlinked),
            other => Err(Error::Corrupt(format!("unknown user status {other:?}"))),
        }
    }
}

/// The sync schema's bookkeeping tables, beside its data tables
/// ([`TableDef::all`](withings_sync::schema::TableDef::all)): all keyed by `user_id`.
const SYNC_BOOKKEEPING: [&str; 4] = ["cursors", "pending", "rejected", "full_seen"];

impl Fleet {
    /// Adds the user the `tokens` belong to (their `userid`), active, with these tokens; a
    /// user already known is revived (a re-authorization after `reauthorize` or `unlinked`)
    /// and their tokens replaced. One transaction: never a user without tokens.
    ///
    /// # Errors
    /// [`Error::Config`] when the tokens carry no user id; [`Error::Database`];
    /// [`Error::Key`] when the OS gives no random nonce.
    pub async fn add_user(&self, tokens: &TokenSet) -> Result<()> {
        let userid = tokens
            .userid()
            .filter(|u| !u.trim().is_empty())
            .ok_or_else(|| {
                Error::Config("the tokens carry no Withings user id; cannot add the user".into())
            })?;
        let mut client = self.db.client().await?;
        let tx = client.transaction().await?;
        tx.execute(
            concat!(
                "WITH t AS (SELECT floor(",
                now_x!(),
                ")::bigint AS now) \
                 INSERT INTO fleet_users (userid, status, created_at, updated_at, status_reason) \
                 SELECT $1, 'active', t.now, t.now, 'authorized' FROM t \
                 ON CONFLICT (userid) DO UPDATE SET status = 'active', \
                 updated_at = EXCLUDED.updated_at, status_reason = 'authorized again'"
            ),
            &[&userid],
        )
        .await?;
        crate::tokens::write(&tx, &self.cipher, userid, tokens, false).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The status of `userid`, `None` for a user the fleet does not know.
    ///
    /// # Errors
    /// [`Error::Database`]; [`Error::Corrupt`] for a status this build does not know.
    pub async fn user_status(&self, userid: &str) -> Result<Option<UserStatus>> {
        let client = self.db.client().await?;
        let row = client
            .query_opt(
                "SELECT status FROM fleet_users WHERE userid = $1",
                &[&userid],
            )
            .await?;
        match row {
            Some(row) => Ok(Some(row.try_get::<_, &str>(0)?.parse()?)),
            None => Ok(None),
        }
    }

    /// Sets the status of `userid`, with a reason shown to operators. An unknown user is
    /// left unknown (no row is made).
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn set_user_status(
        &self,
        userid: &str,
        status: UserStatus,
        reason: &str,
    ) -> Result<()> {
        let client = self.db.client().await?;
        client
            .execute(
                concat!(
                    "UPDATE fleet_users SET status = $2, status_reason = $3, updated_at = floor(",
                    now_x!(),
                    ")::bigint WHERE userid = $1"
                ),
                &[&userid, &status.as_str(), &reason],
            )
            .await?;
        Ok(())
    }

    /// Every active user, sorted.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn active_users(&self) -> Result<Vec<String>> {
        let client = self.db.client().await?;
        let rows = client
            .query(
                "SELECT userid FROM fleet_users WHERE status = 'active' ORDER BY userid",
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| r.try_get(0).map_err(Error::from))
            .collect()
    }

    /// Deletes what the fleet holds of `userid`'s data: every row of the sync tables (the
    /// data tables, cursors, pending, rejected, full-seen keys) and the tokens, in one
    /// transaction. The user row stays (with its status), so a later notification is still
    /// recognised and dropped. Returns the number of rows deleted.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn delete_user_data(&self, userid: &str) -> Result<u64> {
        let mut tables: Vec<&str> = TableDef::all().map(|t| t.name).collect();
        tables.extend(SYNC_BOOKKEEPING);
        tables.sort_unstable();
        tables.dedup();
        let mut client = self.db.client().await?;
        let tx = client.transaction().await?;
        let mut deleted = 0;
        for table in tables {
            // The names come from the compiled-in schema, never from input.
            deleted += tx
                .execute(
                    &format!("DELETE FROM \"{table}\" WHERE user_id = $1"),
                    &[&userid],
                )
                .await?;
        }
        deleted += tx
            .execute("DELETE FROM fleet_tokens WHERE userid = $1", &[&userid])
            .await?;
        tx.commit().await?;
        Ok(deleted)
    }

    /// How many times `userid`'s tokens were refreshed through the fleet (0 for an unknown
    /// user).
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn refresh_count(&self, userid: &str) -> Result<u64> {
        let client = self.db.client().await?;
        let row = client
            .query_opt(
                "SELECT refresh_count FROM fleet_tokens WHERE userid = $1",
                &[&userid],
            )
            .await?;
        let count: i64 = row.map_or(Ok(0), |r| r.try_get(0))?;
        Ok(u64::try_from(count).unwrap_or_default())
    }
}
