//! The one error type of this crate.

use std::path::PathBuf;

use crate::schema::DataType;

/// What went wrong in a sync or in the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A call to Withings failed (after the façade's retries), while syncing `data_type`.
    #[error("syncing {data_type}: {source}")]
    Api {
        /// The data type being synced.
        data_type: DataType,
        /// The façade's error.
        #[source]
        source: withings::Error,
    },
    /// The database refused an operation.
    #[error("database: {0}")]
    Database(#[from] rusqlite::Error),
    /// A store other than SQLite (PostgreSQL) failed: its own error, as its crate reports it.
    #[error("{backend}: {source}")]
    Backend {
        /// Which store (`"PostgreSQL"`).
        backend: &'static str,
        /// Its error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// The database file could not be created or opened.
    #[error("cannot open the database {path}: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The database was written by a newer version of this program.
    #[error(
        "the database is at schema version {found}, newer than this program's {supported}: upgrade withings"
    )]
    NewerSchema {
        /// The version found.
        found: u32,
        /// The newest version this build knows.
        supported: u32,
    },
    /// A value read from the database does not fit the schema (a file edited by hand).
    #[error("database: {0}")]
    Corrupt(String),
    /// No default database location: neither `XDG_DATA_HOME` nor `HOME` is set.
    #[error("no database location: set XDG_DATA_HOME or HOME, or give a path")]
    NoDataDir,
    /// The blocking database task could not run to its end.
    #[error("the database task stopped: {0}")]
    Task(String),
    /// A user id is needed and the token holds none.
    #[error("the token names no user id: authorize again")]
    NoUser,
}

/// This crate's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The façade's error, for a failed call.
    #[must_use]
    pub fn api(&self) -> Option<&withings::Error> {
        match self {
            Self::Api { source, .. } => Some(source),
            _ => None,
        }
    }
}
