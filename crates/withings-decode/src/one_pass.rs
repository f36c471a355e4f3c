//! What the one-pass decoders share (issue 15: getmeas in `measure/one_pass.rs`, sleep get in
//! `sleep/one_pass.rs`): reading a successful response's envelope around a body read by a
//! seed of their own. Each of them declines (`None`) anything out of the ordinary, and the
//! caller takes the wire path, which answers with its errors and rejections.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

/// The body of a successful response (`{"status":0,"body":…}`, in that order and nothing
/// else, a UTF-8 byte order mark allowed before it), read by `body`; `None` when anything
/// else is there or `body` declines.
pub(crate) fn ok_body<'de, S: DeserializeSeed<'de>>(bytes: &'de [u8], body: S) -> Option<S::Value> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut d = serde_json::Deserializer::from_slice(bytes);
    let out = d.deserialize_map(Envelope(body)).ok()?;
    d.end().ok()?;
    Some(out)
}

/// A field name, as its index in a list of names (`None`: another name).
pub(crate) struct Key(pub(crate) &'static [&'static str]);

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl Visitor<'_> for Key {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|n| *n == v))
    }
}

struct Envelope<S>(S);

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for Envelope<S> {
    type Value = S::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a response")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<S::Value, A::Error> {
        const NAMES: &[&str] = &["status", "body"];
        if map.next_key_seed(Key(NAMES))? != Some(Some(0)) || map.next_value::<i64>()? != 0 {
            return Err(de::Error::custom("not status 0 first"));
        }
        if map.next_key_seed(Key(NAMES))? != Some(Some(1)) {
            return Err(de::Error::custom("not the body second"));
        }
        let out = map.next_value_seed(self.0)?;
        if map.next_key::<IgnoredAny>()?.is_some() {
            return Err(de::Error::custom("another key"));
        }
        Ok(out)
    }
}
