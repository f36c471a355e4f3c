//! The one error type of this crate.

/// What went wrong with the PostgreSQL state.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database URL (or another setting) is not usable.
    #[error("PostgreSQL configuration: {0}")]
    Config(String),
    /// No connection could be had from the pool (the server is down or refuses us).
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(String),
    /// PostgreSQL refused a statement.
    #[error("PostgreSQL: {message}")]
    Database {
        /// PostgreSQL's message, its severity and SQLSTATE code when it sent one.
        message: String,
        /// The driver's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// The database was migrated by a newer version of this program.
    #[error(
        "the database's {track} schema is at version {found}, newer than this program's {supported}: upgrade withings"
    )]
    NewerSchema {
        /// Which set of tables (`sync` or `fleet`).
        track: &'static str,
        /// The version found.
        found: i32,
        /// The newest version this build knows.
        supported: i32,
    },
    /// A stored value does not have the shape this program writes (edited by hand, or a
    /// key that does not open it).
    #[error("PostgreSQL holds an unexpected value: {0}")]
    Corrupt(String),
    /// The key that seals tokens at rest is missing or malformed.
    #[error("token key: {0}")]
    Key(String),
    /// The throwaway test cluster could not be started ([`crate::testing`]).
    #[error("test cluster: {0}")]
    Cluster(String),
}

/// This crate's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<tokio_postgres::Error> for Error {
    fn from(source: tokio_postgres::Error) -> Self {
        // The driver's Display is only "db error"; the server's words are in `as_db_error`.
        let message = match source.as_db_error() {
            Some(db) => format!(
                "{}: {} (SQLSTATE {})",
                db.severity(),
                db.message(),
                db.code().code()
            ),
            None => source.to_string(),
        };
        // "error connecting to server", "connection closed": the server, not the statement.
        if source.is_closed() || (source.as_db_error().is_none() && message.contains("connect")) {
            return Self::Connect(message);
        }
        Self::Database { message, source }
    }
}

impl From<deadpool_postgres::PoolError> for Error {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(source) => source.into(),
            other => Self::Connect(other.to_string()),
        }
    }
}

/// The sync engine's store reports a PostgreSQL failure as its `Backend` error.
impl From<Error> for withings_sync::Error {
    fn from(e: Error) -> Self {
        withings_sync::Error::Backend {
            backend: "PostgreSQL",
            source: Box::new(e),
        }
    }
}
