//! The one error type of this crate.

use withings_model::ParseError;

/// A wire value that cannot become a domain value. Every variant names the JSON path of the
/// offending value (as [`DecodeError::path`]), e.g. `body.measuregrps[3].date`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The bytes did not parse into the wire model (see [`ParseError`]).
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// Unix seconds outside the range of dates this library represents.
    #[error("timestamp {seconds} at `{path}` is out of range")]
    Timestamp {
        /// JSON path of the value.
        path: String,
        /// The seconds received.
        seconds: i64,
    },
    /// An IANA time zone name that the time zone database does not know.
    #[error(
        "unknown time zone `{name}` at `{path}`: install the system tz database or enable the `bundled-tzdb` feature"
    )]
    TimeZone {
        /// JSON path of the value.
        path: String,
        /// The name received.
        name: String,
    },
    /// A `YYYY-MM-DD` field that is not a valid date.
    #[error("`{text}` at `{path}` is not a valid YYYY-MM-DD date")]
    Date {
        /// JSON path of the value.
        path: String,
        /// The text received.
        text: String,
    },
    /// A power-of-ten `unit` outside the supported range.
    #[error("unit {unit} at `{path}` is outside -64..=64")]
    Unit {
        /// JSON path of the value.
        path: String,
        /// The unit received.
        unit: i64,
    },
    /// Any other value that cannot be interpreted.
    #[error("invalid value at `{path}`: {problem}")]
    Invalid {
        /// JSON path of the value.
        path: String,
        /// What is wrong with it.
        problem: String,
    },
}

impl DecodeError {
    /// The JSON path of the offending value (empty when the document itself is at fault).
    #[must_use]
    pub fn path(&self) -> &str {
        match self {
            Self::Parse(e) => e.path(),
            Self::Timestamp { path, .. }
            | Self::TimeZone { path, .. }
            | Self::Date { path, .. }
            | Self::Unit { path, .. }
            | Self::Invalid { path, .. } => path,
        }
    }
}
