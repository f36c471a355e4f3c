//! The one error type of this crate: JSON that does not match the wire model.

use std::fmt;

use serde::de::DeserializeOwned;

/// What kind of problem a [`ParseError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// Not JSON at all: a syntax error or bytes that are not UTF-8.
    Syntax,
    /// The JSON ended early (a truncated response).
    Truncated,
    /// Valid JSON with a missing field, a wrong type or an out-of-range value.
    Data,
}

/// A response body that does not match the wire model.
///
/// It names the JSON path of the offending value (`body.measuregrps[3].measures[0].value`),
/// the line and column, and serde's description of what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    kind: ParseErrorKind,
    path: String,
    message: String,
    line: usize,
    column: usize,
}

impl ParseError {
    /// Builds the error for `T` from a fast-path failure by parsing again with path tracking.
    pub(crate) fn locate<T: DeserializeOwned>(bytes: &[u8], fast: serde_json::Error) -> Self {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        match serde_path_to_error::deserialize::<_, T>(&mut de) {
            Err(e) => {
                let path = e.path().to_string();
                Self::from_json(e.into_inner(), path)
            }
            // Cannot happen (the same bytes failed a moment ago), but never panic on input.
            Ok(_) => Self::from_json(fast, String::new()),
        }
    }

    pub(crate) fn from_json(e: serde_json::Error, path: String) -> Self {
        let kind = match e.classify() {
            serde_json::error::Category::Eof => ParseErrorKind::Truncated,
            serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
                ParseErrorKind::Syntax
            }
            serde_json::error::Category::Data => ParseErrorKind::Data,
        };
        let mut message = e.to_string();
        // serde_json appends " at line L column C"; we report position separately.
        if let Some(i) = message.rfind(" at line ") {
            message.truncate(i);
        }
        // `.` is serde_path_to_error's name for "the root".
        let path = if path == "." { String::new() } else { path };
        Self {
            kind,
            path,
            message,
            line: e.line(),
            column: e.column(),
        }
    }

    /// Prefixes the path with the name of the field this value was found in.
    #[must_use]
    pub fn within(mut self, field: &str) -> Self {
        self.path = if self.path.is_empty() {
            field.to_owned()
        } else if self.path.starts_with('[') {
            format!("{field}{}", self.path)
        } else {
            format!("{field}.{}", self.path)
        };
        self
    }

    /// What kind of problem this is.
    pub fn kind(&self) -> ParseErrorKind {
        self.kind
    }

    /// The JSON path of the offending value, e.g. `body.measuregrps[3].measures[0].value`;
    /// empty when the problem is the document itself.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// serde's description of the problem, without the position.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// 1-based line of the problem in the input.
    pub fn line(&self) -> usize {
        self.line
    }

    /// 1-based column of the problem in the input.
    pub fn column(&self) -> usize {
        self.column
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ParseErrorKind::Truncated => f.write_str("response ended early")?,
            ParseErrorKind::Syntax => f.write_str("response is not valid JSON")?,
            ParseErrorKind::Data => {
                f.write_str("response does not match the Withings wire format")?
            }
        }
        if !self.path.is_empty() {
            write!(f, " at `{}`", self.path)?;
        }
        write!(
            f,
            ": {} (line {}, column {})",
            self.message, self.line, self.column
        )
    }
}

impl std::error::Error for ParseError {}
