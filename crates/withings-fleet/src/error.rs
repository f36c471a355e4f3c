//! The one error type of this crate, shared by the server, the worker and the reconciler.

/// What went wrong in a fleet process.
///
/// `Display` describes this layer; the cause, when there is one, is the
/// [`source`](std::error::Error::source). No variant ever holds a secret: messages about a
/// secret setting name the setting, never its value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setting is missing or unusable (the message names it and where it came from).
    #[error("configuration: {0}")]
    Config(String),
    /// A file (the configuration) or a socket (the listener) could not be used.
    #[error("{what}: {source}")]
    Io {
        /// What was being done, e.g. "cannot read /etc/withings/fleet.toml".
        what: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The shared state in PostgreSQL failed.
    #[error("shared state")]
    Postgres(#[from] withings_postgres::Error),
    /// A call to Withings (or the building of a client) failed.
    #[error("Withings API")]
    Withings(#[from] withings::Error),
    /// The sync engine failed.
    #[error("sync")]
    Sync(#[from] withings_sync::Error),
    /// The HTTP server failed (other than a single connection, which is only logged).
    #[error("HTTP server: {0}")]
    Server(String),
}

impl Error {
    /// An [`Error::Config`] with this message.
    pub(crate) fn config(message: impl Into<String>) -> Self {
        Self::Config(message.into())
    }

    /// Whether the cause is the database being unreachable (or refusing connections), as
    /// opposed to a statement it refused: the server answers 503 and a worker waits.
    #[must_use]
    pub fn is_database_unavailable(&self) -> bool {
        matches!(self, Self::Postgres(withings_postgres::Error::Connect(_)))
    }
}

/// A transport-level failure (building a client, OAuth) is a failure of the Withings API
/// layer, as the façade reports it.
impl From<withings::http::Error> for Error {
    fn from(e: withings::http::Error) -> Self {
        Self::Withings(e.into())
    }
}

/// This crate's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error and its causes on one line, `: `-joined, each text once (some layers repeat
/// their source's words): for logs, a job's `last_error` and the command line.
#[must_use]
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !text.ends_with(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = s.source();
    }
    text
}
