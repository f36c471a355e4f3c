//! What the one-pass decoders share (issue 15: getmeas in `measure/one_pass.rs`, sleep get in
//! `sleep/one_pass.rs`): reading a successful response's envelope around a body read by a
//! seed of their own. Each of them declines (`None`) anything out of the ordinary, and the
//! caller takes the wire path, which answers with its errors and rejections.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

/// An integer as the wire model's `lenient_i64` reads it (open enums' codes, `updatetime`).
#[derive(Deserialize)]
#[serde(transparent)]
pub(crate) struct Lenient(
    #[serde(deserialize_with = "withings_model::de::lenient_i64::deserialize")] pub(crate) i64,
);

/// An optional integer as the wire model's `opt_lenient_i64` reads it (`created`, `offset`,
/// `position`, `model_id`…).
#[derive(Deserialize)]
#[serde(transparent)]
pub(crate) struct OptLenient(
    #[serde(deserialize_with = "withings_model::de::opt_lenient_i64::deserialize")]
    pub(crate)  Option<i64>,
);

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

/// Declines: the wire path is to read this response.
pub(crate) fn decline<E: de::Error>(what: &'static str) -> E {
    E::custom(what)
}

/// The fields of a wire type that the one pass reads.
pub(crate) trait Field: Copy + Eq + 'static {
    /// Every field with its name on the wire, in the order of the wire type's declaration
    /// (a field's discriminant is its index).
    const ALL: &'static [(Self, &'static [u8])];
    /// The fields in the order Withings sends them (API notes §6): read straight through,
    /// each step a test taken the same way for every record instead of a dispatch on the
    /// field's name (the dispatch was most of what made the one pass slower than the plain
    /// parse).
    const USUAL: &'static [(Self, &'static [u8])];

    /// The field of this name, if any.
    fn of(name: &[u8]) -> Option<Self> {
        Self::ALL.iter().find(|(_, n)| *n == name).map(|(f, _)| *f)
    }
}

/// A field name, as raw bytes: serde_json checks neither UTF-8 nor control characters in
/// them, which the names this reader knows (ASCII, compared exactly) do not need; any other
/// name is checked here as the wire path's parser checks it ([`plain`]). The name of
/// `F::USUAL[NEXT]`, the field expected next, is compared first, as a constant.
pub(crate) struct RawKey<F, const NEXT: usize>(PhantomData<F>);

impl<'de, F: Field, const NEXT: usize> DeserializeSeed<'de> for RawKey<F, NEXT> {
    /// The field, `None` for a name the wire type ignores.
    type Value = Option<F>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<F>, D::Error> {
        d.deserialize_bytes(self)
    }
}

impl<F: Field, const NEXT: usize> Visitor<'_> for RawKey<F, NEXT> {
    type Value = Option<F>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }
    #[inline(always)]
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Option<F>, E> {
        if let Some(&(next, name)) = F::USUAL.get(NEXT)
            && v == name
        {
            return Ok(Some(next));
        }
        match F::of(v) {
            Some(field) => Ok(Some(field)),
            None if plain(v) => Ok(None),
            None => Err(decline("a field name that is not plain UTF-8")),
        }
    }
}

/// The fields of a record read so far.
pub(crate) trait Fields<F> {
    /// Reads `field`'s value.
    fn read<'de, A: MapAccess<'de>>(&mut self, field: F, map: &mut A) -> Result<(), A::Error>;
}

/// Reads the entries of a record's map into `fields`: first those in [`Field::USUAL`]
/// order, straight through (each step inlined for its field: no dispatch), then any others
/// (an entry the wire type ignores is checked to be JSON and skipped).
#[inline(always)]
pub(crate) fn read_fields<'de, A: MapAccess<'de>, F: Field>(
    map: &mut A,
    fields: &mut impl Fields<F>,
) -> Result<(), A::Error> {
    /// When `key` is `F::USUAL[I]`, reads it and the next key (`J` is `I + 1`).
    #[inline(always)]
    fn step<'de, A: MapAccess<'de>, F: Field, const I: usize, const J: usize>(
        map: &mut A,
        key: &mut Option<Option<F>>,
        fields: &mut impl Fields<F>,
    ) -> Result<(), A::Error> {
        if let Some(&(field, _)) = F::USUAL.get(I)
            && *key == Some(Some(field))
        {
            fields.read(field, map)?;
            *key = map.next_key_seed(RawKey::<F, J>(PhantomData))?;
        }
        Ok(())
    }
    const { assert!(F::USUAL.len() <= 12) };
    let mut key = map.next_key_seed(RawKey::<F, 0>(PhantomData))?;
    step::<A, F, 0, 1>(map, &mut key, fields)?;
    step::<A, F, 1, 2>(map, &mut key, fields)?;
    step::<A, F, 2, 3>(map, &mut key, fields)?;
    step::<A, F, 3, 4>(map, &mut key, fields)?;
    step::<A, F, 4, 5>(map, &mut key, fields)?;
    step::<A, F, 5, 6>(map, &mut key, fields)?;
    step::<A, F, 6, 7>(map, &mut key, fields)?;
    step::<A, F, 7, 8>(map, &mut key, fields)?;
    step::<A, F, 8, 9>(map, &mut key, fields)?;
    step::<A, F, 9, 10>(map, &mut key, fields)?;
    step::<A, F, 10, 11>(map, &mut key, fields)?;
    step::<A, F, 11, 12>(map, &mut key, fields)?;
    while let Some(field) = key {
        match field {
            Some(field) => fields.read(field, map)?,
            None => {
                map.next_value::<IgnoredAny>()?;
            }
        }
        key = map.next_key_seed(RawKey::<F, { usize::MAX }>(PhantomData))?;
    }
    Ok(())
}

/// Marks `bit` as read in `seen`; a field read twice declines.
#[inline(always)]
pub(crate) fn first_time<E: de::Error>(seen: &mut u16, bit: u16) -> Result<(), E> {
    if *seen & bit != 0 {
        return Err(decline("a repeated field"));
    }
    *seen |= bit;
    Ok(())
}

/// Whether raw string bytes are what the wire path's parser accepts as a string without
/// escapes: UTF-8 without control characters. (An escaped control character, which it
/// accepts, makes the one pass decline too: declining is always safe.)
pub(crate) fn plain(v: &[u8]) -> bool {
    !v.iter().any(|&b| b < 0x20) && std::str::from_utf8(v).is_ok()
}

#[cfg(test)]
pub(crate) mod tests {
    use std::cell::RefCell;

    use serde::Deserialize;
    use serde::de::value::Error;

    use super::*;

    /// The field names a derived `Deserialize` passes to `deserialize_struct` (aliases
    /// included): what the type reads.
    pub(crate) fn fields_of<T: for<'de> Deserialize<'de>>() -> Vec<&'static str> {
        thread_local! {
            static FIELDS: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) };
        }
        struct Recorder;
        impl<'de> Deserializer<'de> for Recorder {
            type Error = Error;
            fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
                Err(de::Error::custom("not a struct"))
            }
            fn deserialize_struct<V: Visitor<'de>>(
                self,
                _: &'static str,
                fields: &'static [&'static str],
                _: V,
            ) -> Result<V::Value, Error> {
                FIELDS.with(|f| f.borrow_mut().extend_from_slice(fields));
                Err(de::Error::custom("recorded"))
            }
            serde::forward_to_deserialize_any! {
                bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
                byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
                identifier ignored_any
            }
        }
        FIELDS.with(|f| f.borrow_mut().clear());
        assert!(T::deserialize(Recorder).is_err());
        FIELDS.with(|f| f.borrow().clone())
    }

    #[test]
    fn field_names_that_are_not_plain_text_decline() {
        assert!(plain(b"timezone") && plain("zoné".as_bytes()));
        assert!(!plain(b"a\x01b") && !plain(b"\xff"));
    }
}
