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
        // serde quotes an offending string in full, escaped for `Debug`, when the error is made:
        // about 5,000 instructions per character outside the BMP (core's printable-character
        // tables), paid by every parse that fails there. When the error is about a string
        // value, this parse runs on a copy with that string's bytes replaced by as many ASCII
        // letters: the same positions and structure, a cheap message. Its path is used only if
        // it failed at the same place in the same way; the message is the fast error's.
        let message = full_message(&fast);
        if let Some(copy) = blank_offending_string(bytes, &fast, &message)
            && let Err(e) = track::<T>(&copy)
            && same_failure(e.inner(), &fast, &message)
        {
            let path = e.path().to_string();
            return Self::from_parts(&fast, message, path);
        }
        match track::<T>(bytes) {
            Err(e) => {
                let path = e.path().to_string();
                let inner = e.into_inner();
                let message = full_message(&inner);
                Self::from_parts(&inner, message, path)
            }
            // Cannot happen (the same bytes failed a moment ago), but never panic on input.
            Ok(()) => Self::from_parts(&fast, message, String::new()),
        }
    }

    fn from_parts(e: &serde_json::Error, message: String, path: String) -> Self {
        let kind = match e.classify() {
            serde_json::error::Category::Eof => ParseErrorKind::Truncated,
            serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
                ParseErrorKind::Syntax
            }
            serde_json::error::Category::Data => ParseErrorKind::Data,
        };
        // `.` is serde_path_to_error's name for "the root".
        let path = if path == "." { String::new() } else { path };
        Self {
            kind,
            path,
            message: bounded(message),
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

/// Parses `T` with path tracking; only the failure matters (the value is dropped at once).
fn track<T: DeserializeOwned>(
    bytes: &[u8],
) -> Result<(), serde_path_to_error::Error<serde_json::Error>> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize::<_, T>(&mut de).map(drop)
}

/// serde_json's message without the " at line L column C" it appends (reported separately).
fn full_message(e: &serde_json::Error) -> String {
    let mut message = e.to_string();
    if let Some(i) = message.rfind(" at line ") {
        message.truncate(i);
    }
    message
}

/// The start of serde's messages about a string value, which quote the whole string.
const STRING_VALUE: [&str; 2] = ["invalid type: string \"", "invalid value: string \""];

/// A copy of `bytes` with the string value that `e` is about replaced by ASCII of the same byte
/// length, or `None` when `e` is not about a string value or the string cannot be found where
/// it says (then the caller parses the original again).
fn blank_offending_string(bytes: &[u8], e: &serde_json::Error, message: &str) -> Option<Vec<u8>> {
    if !STRING_VALUE.iter().any(|p| message.starts_with(p)) {
        return None;
    }
    // serde_json reports the position just after the string's closing quote; its column is
    // counted in bytes from the start of the line.
    let line_start = if e.line() <= 1 {
        0
    } else {
        bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(e.line() - 2)
            .map(|(i, _)| i + 1)?
    };
    let close = (line_start + e.column()).checked_sub(1)?;
    if bytes.get(close) != Some(&b'"') || close <= line_start {
        return None;
    }
    // A key (a string followed by `:`) is part of the path: never change it.
    let after = bytes[close + 1..].iter().find(|b| !b.is_ascii_whitespace());
    if after == Some(&b':') {
        return None;
    }
    // The opening quote is the nearest `"` before it not escaped by an odd run of backslashes
    // (a JSON string holds no raw newline, so it is on the same line).
    let mut open = close;
    loop {
        open = bytes[line_start..open].iter().rposition(|b| *b == b'"')? + line_start;
        let backslashes = bytes[line_start..open]
            .iter()
            .rev()
            .take_while(|b| **b == b'\\')
            .count();
        if backslashes % 2 == 0 {
            break;
        }
    }
    let mut copy = bytes.to_vec();
    copy[open + 1..close].fill(b'a');
    Some(copy)
}

/// Whether the parse of the blanked copy failed as the original did: same kind, same place,
/// and the same kind of complaint about a string.
fn same_failure(copy: &serde_json::Error, original: &serde_json::Error, message: &str) -> bool {
    if copy.classify() != original.classify()
        || (copy.line(), copy.column()) != (original.line(), original.column())
    {
        return false;
    }
    let copy_message = full_message(copy);
    STRING_VALUE
        .iter()
        .any(|p| copy_message.starts_with(p) && message.starts_with(p))
}

/// Longest message kept whole. serde quotes an offending value in full, so a hostile response
/// could make a message as long as itself; a longer one keeps its start (what was wrong and
/// the beginning of the value) and its end (what was expected) around the count of bytes cut.
const MESSAGE_LIMIT: usize = 320;
const MESSAGE_HEAD: usize = 160;
const MESSAGE_TAIL: usize = 120;

fn bounded(message: String) -> String {
    if message.len() <= MESSAGE_LIMIT {
        return message;
    }
    let mut head = MESSAGE_HEAD;
    while !message.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = message.len() - MESSAGE_TAIL;
    while !message.is_char_boundary(tail) {
        tail += 1;
    }
    format!(
        "{}… [{} bytes cut] …{}",
        &message[..head],
        tail - head,
        &message[tail..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde::de::{self, Deserializer, Unexpected};

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Doc {
        name: String,
        items: Vec<i64>,
    }

    #[test]
    fn an_error_about_a_huge_string_is_short_and_names_the_path() {
        let huge = "😀".repeat(100_000);
        let json = format!(r#"{{"name":"n","items":[1,"{huge}"]}}"#);
        let e = crate::de::from_slice::<Doc>(json.as_bytes()).unwrap_err();
        assert_eq!(e.path(), "items[1]");
        assert_eq!(e.kind(), ParseErrorKind::Data);
        let message = e.message();
        assert!(
            message.len() <= MESSAGE_LIMIT + 40,
            "{} bytes",
            message.len()
        );
        assert!(
            message.starts_with("invalid type: string \"😀😀😀"),
            "{message}"
        );
        assert!(message.ends_with("😀\", expected i64"), "{message}");
        assert!(message.contains("… [399"), "{message}");
        // Just after the closing quote.
        assert_eq!((e.line(), e.column()), (1, json.len() - 2));
        let shown = e.to_string();
        assert!(
            shown.contains(" at `items[1]`: invalid type: string"),
            "{shown}"
        );
        assert!(shown.len() < 500, "{} bytes", shown.len());
    }

    #[test]
    fn the_message_quotes_the_string_as_sent_on_any_line() {
        // Escaped quotes and backslashes in the string, which is on the third line.
        let huge = "😀".repeat(1_000);
        let json = format!("{{\n\"name\": \"n\", \"items\": [\n 1, \"a\\\"b\\\\{huge}\\\\\" ]\n}}");
        let e = crate::de::from_slice::<Doc>(json.as_bytes()).unwrap_err();
        assert_eq!(e.path(), "items[1]");
        assert_eq!(e.line(), 3);
        assert!(
            e.message().starts_with(r#"invalid type: string "a\"b\\😀"#),
            "{}",
            e.message()
        );
        assert!(
            e.message().ends_with(r#"😀\\", expected i64"#),
            "{}",
            e.message()
        );
    }

    fn only_a<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        let s = String::deserialize(d)?;
        if s.bytes().all(|b| b == b'a') {
            Ok(s)
        } else {
            Err(de::Error::invalid_value(
                Unexpected::Str(&s),
                &"only the letter a",
            ))
        }
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Picky {
        #[serde(deserialize_with = "only_a")]
        word: String,
        #[serde(deserialize_with = "only_a")]
        other: String,
    }

    #[test]
    fn a_string_whose_blanked_copy_parses_is_located_in_the_original() {
        // Blanked, `word` would pass and the parse would fail later, at `other`, in the same way.
        let e = crate::de::from_slice::<Picky>(br#"{"word":"bbbb","other":"cccc"}"#).unwrap_err();
        assert_eq!(e.path(), "word");
        assert_eq!(
            e.message(),
            r#"invalid value: string "bbbb", expected only the letter a"#
        );
        assert_eq!((e.line(), e.column()), (1, 14));
    }

    #[test]
    fn long_messages_keep_their_start_and_end() {
        let short = "x".repeat(MESSAGE_LIMIT);
        assert_eq!(bounded(short.clone()), short);
        // Multi-byte characters across both cut points.
        let long = format!("start {} end", "é".repeat(1_000));
        let cut = bounded(long.clone());
        assert!(
            cut.starts_with("start éé") && cut.ends_with("éé end"),
            "{cut}"
        );
        let kept = cut.len() - "… [ bytes cut] …".len() - 4;
        assert!((MESSAGE_HEAD + MESSAGE_TAIL - 2..=MESSAGE_HEAD + MESSAGE_TAIL).contains(&kept));
        assert!(
            cut.contains(&format!("[{} bytes cut]", long.len() - kept)),
            "{cut}"
        );
    }
}
