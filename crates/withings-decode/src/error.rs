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
    /// An IANA time zone name that the time zone database does not know. The message shows at
    /// most the first 64 and last 16 characters of the name; the field keeps all of it.
    #[error(
        "unknown time zone `{}` at `{path}`: install the system tz database or enable the `bundled-tzdb` feature",
        Excerpt(.name)
    )]
    TimeZone {
        /// JSON path of the value.
        path: String,
        /// The name received.
        name: String,
    },
    /// A `YYYY-MM-DD` field that is not a valid date. The message shows at most the first
    /// 64 and last 16 characters of the text; the field keeps all of it.
    #[error("`{}` at `{path}` is not a valid YYYY-MM-DD date", Excerpt(.text))]
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

/// Input text quoted in a message: whole when short, else its first [`Excerpt::HEAD`] and last
/// [`Excerpt::TAIL`] characters around an ellipsis, so a hostile response cannot make a message
/// as long as itself.
struct Excerpt<'a>(&'a str);

impl Excerpt<'_> {
    const HEAD: usize = 64;
    const TAIL: usize = 16;
}

impl std::fmt::Display for Excerpt<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = self.0;
        let mut ends = text.char_indices().map(|(i, _)| i);
        // The byte where the head ends, and where the tail starts, if the text is longer.
        let head_end = ends.nth(Self::HEAD);
        let tail_start = text
            .char_indices()
            .rev()
            .nth(Self::TAIL - 1)
            .map(|(i, _)| i);
        match (head_end, tail_start) {
            (Some(head), Some(tail)) if tail > head => {
                write!(f, "{}…{}", &text[..head], &text[tail..])
            }
            _ => f.write_str(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_input_in_a_message_is_cut_and_the_path_kept() {
        let name = format!("Europe/{}", "😀".repeat(100_000));
        let e = DecodeError::TimeZone {
            path: "body.measuregrps[7].timezone".into(),
            name: name.clone(),
        };
        let shown = e.to_string();
        assert!(shown.len() < 600, "{} bytes", shown.len());
        assert!(
            shown.starts_with("unknown time zone `Europe/😀😀"),
            "{shown}"
        );
        assert!(shown.contains("😀…😀"), "{shown}");
        assert!(
            shown.contains("` at `body.measuregrps[7].timezone`: install"),
            "{shown}"
        );
        assert_eq!(e.path(), "body.measuregrps[7].timezone");
        // The value itself is kept whole.
        assert!(matches!(&e, DecodeError::TimeZone { name: n, .. } if *n == name));

        let e = DecodeError::Date {
            path: "body.series[0].date".into(),
            text: "é".repeat(81),
        };
        assert_eq!(
            e.to_string(),
            format!(
                "`{}…{}` at `body.series[0].date` is not a valid YYYY-MM-DD date",
                "é".repeat(64),
                "é".repeat(16)
            )
        );
    }

    #[test]
    fn a_short_input_is_quoted_whole() {
        // 80 characters: the head and the tail together, nothing to cut.
        let text = "x".repeat(80);
        let e = DecodeError::Date {
            path: "p".into(),
            text: text.clone(),
        };
        assert_eq!(
            e.to_string(),
            format!("`{text}` at `p` is not a valid YYYY-MM-DD date")
        );
        let e = DecodeError::TimeZone {
            path: "body.timezone".into(),
            name: "Mars/Olympus_Mons".into(),
        };
        assert!(
            e.to_string()
                .starts_with("unknown time zone `Mars/Olympus_Mons` at `body.timezone`")
        );
    }
}
