//! The envelope every Withings response comes in: `{"status": 0, "body": {...}, "error": "..."}`.
//!
//! Withings answers errors with HTTP 200 and a non-zero `status` (API notes §2), so the status
//! must be read before the body: decoding straight into a typed body would report an API error
//! as a decode error. [`parse_reply`] does it in one pass when `status` comes first (as Withings
//! sends it), and buffers the body only when it does not.

use std::fmt;
use std::marker::PhantomData;

use serde::Serialize;
use serde::de::{self, DeserializeOwned, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::ParseError;

/// A decoded response: the typed body when `status` is 0, the API's error otherwise.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply<B> {
    /// `status` was 0; the body parsed as `B`.
    Ok(B),
    /// `status` was not 0.
    Status(ApiStatus),
}

impl<B> Reply<B> {
    /// The body, or the API status as an error.
    ///
    /// # Errors
    /// The [`ApiStatus`] when the response carried a non-zero status.
    pub fn into_result(self) -> Result<B, ApiStatus> {
        match self {
            Self::Ok(b) => Ok(b),
            Self::Status(s) => Err(s),
        }
    }
}

/// A non-zero `status` and what came with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ApiStatus {
    /// The `status` code (API notes §9: 401 invalid token, 601 rate limited, 503 invalid params…).
    pub status: i64,
    /// Withings' free-text `error`, when present.
    pub error: Option<String>,
    /// `body.wait_seconds`, sent with status 601.
    pub wait_seconds: Option<i64>,
}

impl ApiStatus {
    /// A status with no error text and no wait hint.
    #[must_use]
    pub fn new(status: i64) -> Self {
        Self {
            status,
            error: None,
            wait_seconds: None,
        }
    }

    /// Adds Withings' `error` text.
    #[must_use]
    pub fn with_error(mut self, error: impl Into<String>) -> Self {
        self.error = Some(error.into());
        self
    }

    /// Adds the `wait_seconds` hint.
    #[must_use]
    pub fn with_wait_seconds(mut self, seconds: i64) -> Self {
        self.wait_seconds = Some(seconds);
        self
    }
}

impl fmt::Display for ApiStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Withings status {}", self.status)?;
        if let Some(e) = &self.error {
            write!(f, " ({e})")?;
        }
        Ok(())
    }
}

/// Parses a whole response: envelope first, then the body as `B` if `status` is 0.
///
/// ```
/// use withings_model::envelope::{parse_reply, Reply};
/// use withings_model::EmptyBody;
///
/// let ok = parse_reply::<EmptyBody>(br#"{"status":0,"body":{}}"#).unwrap();
/// assert!(matches!(ok, Reply::Ok(_)));
///
/// let limited = parse_reply::<EmptyBody>(
///     br#"{"status":601,"body":{"wait_seconds":57},"error":"Same arguments in less than 10 seconds"}"#,
/// ).unwrap();
/// let Reply::Status(s) = limited else { unreachable!() };
/// assert_eq!((s.status, s.wait_seconds), (601, Some(57)));
/// ```
///
/// # Errors
/// [`ParseError`] naming the JSON path (`body.measuregrps[3].measures[0].value`) when the
/// envelope, or the body of a successful response, does not match the model.
pub fn parse_reply<B: DeserializeOwned>(bytes: &[u8]) -> Result<Reply<B>, ParseError> {
    // A UTF-8 byte-order mark before the JSON has been seen in the wild (API notes §15); it
    // carries no meaning, and JSON parsers refuse it.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match crate::de::from_slice::<RawReply<B>>(bytes)? {
        RawReply::Ok(body) => Ok(Reply::Ok(body)),
        RawReply::Status(status) => Ok(Reply::Status(status)),
        // The body came before the status: parse it now, and name paths from `body`. Line and
        // column are then counted within the body's text.
        RawReply::Deferred(raw) => crate::de::from_slice::<B>(raw.get().as_bytes())
            .map(Reply::Ok)
            .map_err(|e| e.within("body")),
    }
}

/// What the one-pass visitor produces; `Deferred` holds a successful body that arrived before
/// the status, to be parsed by [`parse_reply`] with path tracking.
enum RawReply<B> {
    Ok(B),
    Status(ApiStatus),
    Deferred(Box<RawValue>),
}

enum Field {
    Status,
    Body,
    Error,
    Other,
}

impl<'de> de::Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Field, E> {
                Ok(match v {
                    "status" => Field::Status,
                    "body" => Field::Body,
                    "error" => Field::Error,
                    _ => Field::Other,
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

struct Status(i64);

impl<'de> de::Deserialize<'de> for Status {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::de::lenient_i64::deserialize(d).map(Status)
    }
}

/// The `error` text: a string, or `null`; anything else is kept as its JSON text, as sent.
struct ErrorText(Option<String>);

impl<'de> de::Deserialize<'de> for ErrorText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Raw text, not a `Value`: an `error` of deeply nested containers would otherwise be
        // built as a tree of maps only to be printed again (about 1 µs per byte, found by
        // `cargo xtask fuzz`).
        let raw: Option<Box<RawValue>> = Option::deserialize(d)?;
        Ok(ErrorText(raw.map(|raw| {
            serde_json::from_str::<String>(raw.get()).unwrap_or_else(|_| raw.get().to_owned())
        })))
    }
}

/// The body of an error response: only `wait_seconds` is read, anything else is ignored,
/// because an error body is a hint and must never hide the status itself.
#[derive(Default)]
struct ErrorBody {
    wait_seconds: Option<i64>,
}

impl<'de> de::Deserialize<'de> for ErrorBody {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ErrorBody;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ErrorBody, A::Error> {
                let mut out = ErrorBody::default();
                while let Some(key) = map.next_key::<String>()? {
                    if key == "wait_seconds" {
                        // A container is skipped unread rather than built as a `Value`.
                        let raw: Box<RawValue> = map.next_value()?;
                        let v = match raw.get().as_bytes().first() {
                            Some(b'{' | b'[') => serde_json::Value::Null,
                            _ => serde_json::from_str(raw.get()).unwrap_or_default(),
                        };
                        out.wait_seconds = match v {
                            serde_json::Value::Number(n) => n.as_i64().or_else(|| {
                                // A float such as 57.0; anything else is ignored.
                                #[allow(clippy::cast_possible_truncation)]
                                n.as_f64()
                                    .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
                                    .map(|f| f as i64)
                            }),
                            serde_json::Value::String(s) => s.trim().parse().ok(),
                            _ => None,
                        };
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(out)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<ErrorBody, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(ErrorBody::default())
            }
            fn visit_unit<E: de::Error>(self) -> Result<ErrorBody, E> {
                Ok(ErrorBody::default())
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<ErrorBody, E> {
                Ok(ErrorBody::default())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<ErrorBody, E> {
                Ok(ErrorBody::default())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<ErrorBody, E> {
                Ok(ErrorBody::default())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<ErrorBody, E> {
                Ok(ErrorBody::default())
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<ErrorBody, E> {
                Ok(ErrorBody::default())
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de, B: DeserializeOwned> de::Deserialize<'de> for RawReply<B> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<B>(PhantomData<B>);
        impl<'de, B: DeserializeOwned> Visitor<'de> for V<B> {
            type Value = RawReply<B>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Withings envelope {status, body, error}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawReply<B>, A::Error> {
                let mut status: Option<i64> = None;
                let mut body: Option<B> = None;
                let mut error_body: Option<ErrorBody> = None;
                let mut pending: Option<Box<RawValue>> = None;
                let mut error: Option<String> = None;
                while let Some(field) = map.next_key::<Field>()? {
                    match field {
                        Field::Status => {
                            if status.is_some() {
                                return Err(de::Error::duplicate_field("status"));
                            }
                            status = Some(map.next_value::<Status>()?.0);
                        }
                        Field::Body => {
                            if body.is_some() || error_body.is_some() || pending.is_some() {
                                return Err(de::Error::duplicate_field("body"));
                            }
                            match status {
                                Some(0) => body = Some(map.next_value()?),
                                Some(_) => error_body = Some(map.next_value()?),
                                // The body came before the status: keep its text for later.
                                None => pending = Some(map.next_value()?),
                            }
                        }
                        Field::Error => error = map.next_value::<ErrorText>()?.0,
                        Field::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                let status = status.ok_or_else(|| de::Error::missing_field("status"))?;
                if status == 0 {
                    if let Some(body) = body {
                        return Ok(RawReply::Ok(body));
                    }
                    if let Some(raw) = pending {
                        return Ok(RawReply::Deferred(raw));
                    }
                    // `{"status":0}` alone: write actions answer so (API notes §15). It is an
                    // empty body where the body type allows one (`EmptyBody`, bodies of only
                    // optional fields); elsewhere the body is missing.
                    return serde_json::from_str::<B>("{}")
                        .map(RawReply::Ok)
                        .map_err(|_| de::Error::missing_field("body"));
                }
                let hints = match (error_body, pending) {
                    (Some(b), _) => b,
                    (None, Some(raw)) => serde_json::from_str(raw.get()).unwrap_or_default(),
                    (None, None) => ErrorBody::default(),
                };
                Ok(RawReply::Status(ApiStatus {
                    status,
                    error,
                    wait_seconds: hints.wait_seconds,
                }))
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

/// The body of write actions (`notify subscribe`, `update`, `revoke`): `{}`, or `[]` as PHP
/// sometimes encodes an empty object. Any fields present are ignored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EmptyBody {}

impl<'de> de::Deserialize<'de> for EmptyBody {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = EmptyBody;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object or an empty array")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EmptyBody, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(EmptyBody {})
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<EmptyBody, A::Error> {
                match seq.next_element::<IgnoredAny>()? {
                    None => Ok(EmptyBody {}),
                    Some(_) => Err(de::Error::invalid_value(de::Unexpected::Seq, &self)),
                }
            }
            fn visit_unit<E: de::Error>(self) -> Result<EmptyBody, E> {
                Ok(EmptyBody {})
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Body {
        #[allow(dead_code)]
        items: Vec<i64>,
    }

    #[test]
    fn status_is_read_before_the_body() {
        let r =
            parse_reply::<Body>(br#"{"status":401,"body":{},"error":"invalid_token"}"#).unwrap();
        assert_eq!(
            r,
            Reply::Status(ApiStatus::new(401).with_error("invalid_token"))
        );
    }

    #[test]
    fn a_body_before_the_status_is_parsed_with_its_path() {
        assert!(matches!(
            parse_reply::<Body>(br#"{"body":{"items":[1]},"status":0}"#),
            Ok(Reply::Ok(_))
        ));
        let e = parse_reply::<Body>(br#"{"body":{"items":[1,"x"]},"status":0}"#).unwrap_err();
        assert_eq!(e.path(), "body.items[1]");
        let r = parse_reply::<Body>(
            br#"{"body":{"wait_seconds":"12"},"error":"slow down","status":601}"#,
        )
        .unwrap();
        assert_eq!(
            r,
            Reply::Status(
                ApiStatus::new(601)
                    .with_error("slow down")
                    .with_wait_seconds(12)
            )
        );
    }

    #[test]
    fn errors_in_the_body_name_the_path() {
        let e = parse_reply::<Body>(br#"{"status":0,"body":{"items":[1,2,{}]}}"#).unwrap_err();
        assert_eq!(e.path(), "body.items[2]");
        let e = parse_reply::<Body>(br#"{"status":0}"#).unwrap_err();
        assert!(e.message().contains("missing field `body`"), "{e}");
        let e = parse_reply::<Body>(br#"{"body":{}}"#).unwrap_err();
        assert!(e.message().contains("missing field `status`"), "{e}");
        let e = parse_reply::<Body>(br#"{"status":"zero","body":{}}"#).unwrap_err();
        assert_eq!(e.path(), "status");
    }

    #[test]
    fn an_error_text_that_is_not_a_string_is_kept_as_sent() {
        let r = parse_reply::<Body>(
            br#"{"status":503,"error":{"b": [1, 2.50]},"body":{"wait_seconds":{"x":[]}}}"#,
        )
        .unwrap();
        assert_eq!(
            r,
            Reply::Status(ApiStatus::new(503).with_error(r#"{"b": [1, 2.50]}"#))
        );
        let r = parse_reply::<Body>(br#"{"status":503,"error":"a \"quoted\" word"}"#).unwrap();
        assert_eq!(
            r,
            Reply::Status(ApiStatus::new(503).with_error(r#"a "quoted" word"#))
        );
        // Deeply nested and cut short: refused at `error`, not somewhere inside it.
        let nested = format!(r#"{{"status":503,"error":{}"#, "[{\"a\":".repeat(100));
        let e = parse_reply::<Body>(nested.as_bytes()).unwrap_err();
        assert_eq!(
            (e.kind(), e.path()),
            (crate::ParseErrorKind::Truncated, "error")
        );
        // A later error is still located past it.
        let e = parse_reply::<Body>(br#"{"error":{"a":[1]},"status":"zero"}"#).unwrap_err();
        assert_eq!(e.path(), "status");
    }

    #[test]
    fn an_error_body_of_any_shape_keeps_the_status() {
        for body in ["[]", "null", "\"text\"", "3", "{\"wait_seconds\":[1]}"] {
            let json = format!(r#"{{"status":522,"body":{body}}}"#);
            let r = parse_reply::<Body>(json.as_bytes()).unwrap();
            assert_eq!(r, Reply::Status(ApiStatus::new(522)), "{body}");
        }
    }
}
single_body!(EmptyBody);
