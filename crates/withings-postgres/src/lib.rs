//! The shared state of a fleet of Withings workers, in PostgreSQL.
//!
//! One process and a token file do not survive many users on many workers: refresh tokens
//! rotate (two workers refreshing one user burn the grant), the 120 requests a minute are
//! per application (every worker must share one budget), and a notification acknowledged but
//! not durably recorded is lost for good. This crate keeps all of that in one PostgreSQL
//! database:
//! - [`Database`]: the connection pool and the migrations of both sets of tables;
//! - `PgStore`: the sync engine's [`Store`](withings_sync::Store) over the same schema
//!   as the embedded SQLite store;
//! - the fleet's state: users and their sealed tokens (refreshed under a row lock that spans
//!   the fleet), the application-wide rate limit, the durable job queue, OAuth `state`s;
//! - [`testing`]: the throwaway cluster every PostgreSQL test runs against.
#![doc(test(attr(deny(warnings))))]

mod cipher;
mod db;
mod error;
mod fleet;
pub mod fleet_schema;
mod limiter;
mod oauth_state;
mod queue;
mod store;
pub mod testing;
mod tokens;
mod users;

pub use db::Database;
pub use error::{Error, Result};

pub use cipher::Cipher;
pub use fleet::Fleet;
pub use limiter::PgLimiter;
pub use queue::{
    DEFAULT_COOLDOWN, Enqueued, Job, JobFilter, JobKind, JobQueue, JobRow, JobState, NewJob,
};
pub use store::PgStore;
pub use tokens::PgTokenStore;
pub use users::UserStatus;
