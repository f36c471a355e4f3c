//! Pure functions from Withings wire types ([`withings_model`]) to domain values.
//!
//! No IO and no clock: `value × 10^unit` becomes an exact [`Decimal`]; epoch seconds become
//! jiff [`Timestamp`](jiff::Timestamp)s with local times in the record's IANA zone;
//! `YYYY-MM-DD` fields become [`civil::Date`](jiff::civil::Date)s; integer codes stay open
//! enums; absent or `null` fields are `Option`s, and "0 means no heart-rate sensor" is made
//! explicit. Every wire body implements [`Decode`]; [`decode_reply`] goes from bytes to domain
//! values in one call. A record of a list that cannot be read is left out and reported in the
//! output's `rejected` list ([`Records`], [`Rejected`]) rather than failing the response;
//! physiological values documented as integers are [`Number`]s, kept as received when a
//! fraction arrives (API notes §15).
//!
//! ```
//! use withings_decode::{decode_reply, Reply};
//! use withings_model::measure::GetMeasBody;
//!
//! let json = br#"{"status":0,"body":{"updatetime":1717430000,"timezone":"Europe\/Berlin",
//!   "measuregrps":[{"grpid":1,"attrib":0,"date":1717429800,"created":1717429900,"category":1,
//!   "deviceid":null,"measures":[{"value":70005,"type":1,"unit":-3}]}],"more":0}}"#;
//! let Reply::Ok(meas) = decode_reply::<GetMeasBody>(json).unwrap() else { panic!() };
//! let weight = &meas.groups[0].measures()[0];
//! assert_eq!(weight.value().to_string(), "70.005");
//! assert_eq!(meas.groups[0].local().to_string(), "2024-06-03T17:50:00+02:00[Europe/Berlin]");
//! ```
#![doc(test(attr(deny(warnings))))]

mod decimal;
mod error;
mod one_pass;
mod records;
pub mod time;

pub mod activity;
pub mod heart;
pub mod measure;
pub mod notify;
pub mod oauth2;
pub mod signature;
pub mod sleep;
pub mod stetho;
pub mod user;
pub mod workout;

pub mod query;
pub mod units;

pub use decimal::{Decimal, DecimalError, MAX_EXPONENT};
pub use error::DecodeError;
pub use records::Records;
pub use withings_model::{ApiStatus, Number, Rejected, Reply};

/// A wire body that decodes into domain values.
pub trait Decode {
    /// The domain value.
    type Output: serde::Serialize;
    /// Interprets the wire body. Paths in errors start at `body`.
    ///
    /// # Errors
    /// [`DecodeError`] naming the JSON path of the first value that cannot be interpreted.
    fn decode(self) -> Result<Self::Output, DecodeError>;

    /// Reads a successful response (envelope included) straight into the output, without
    /// the wire model, when this body has such a reader and the response is ordinary; `None`
    /// ("declines") otherwise — a status other than 0, a record to reject, a quirk only the
    /// wire model reads — and the wire path ([`withings_model::parse_reply`], then
    /// [`decode`](Self::decode)) is to be taken, which answers with its errors and
    /// rejections. Wherever it answers, the answer is the wire path's. The default declines
    /// everything; getmeas and sleep get read in one pass (issue 15).
    ///
    /// [`from_reply_bytes`](Self::from_reply_bytes) tries it first, and so does the
    /// façade's typed path for a request sent as one call.
    ///
    /// ```
    /// use withings_decode::Decode;
    /// use withings_model::measure::GetMeasBody;
    ///
    /// let json = br#"{"status":0,"body":{"updatetime":1717430000,"timezone":"UTC","measuregrps":
    ///   [{"grpid":1,"attrib":0,"date":1717429800,"category":1,
    ///   "measures":[{"value":70005,"type":1,"unit":-3}]}],"more":1,"offset":300}}"#;
    /// let page = GetMeasBody::decode_one_pass(json).unwrap();
    /// assert_eq!(page.output.groups[0].measures()[0].value().to_string(), "70.005");
    /// assert_eq!((page.more, page.offset), (true, Some(300)));
    /// // A group to reject: left to the wire path.
    /// assert!(GetMeasBody::decode_one_pass(br#"{"status":0,"body":{"updatetime":1,
    ///   "timezone":"UTC","measuregrps":[{"grpid":1}]}}"#).is_none());
    /// ```
    #[must_use]
    fn decode_one_pass(bytes: &[u8]) -> Option<OnePass<Self::Output>>
    where
        Self: Sized,
    {
        let _ = bytes;
        None
    }

    /// Parses a whole response and decodes its body: the work of [`decode_reply`]. The one
    /// pass ([`decode_one_pass`](Self::decode_one_pass)) when it answers; otherwise the body
    /// is parsed into the wire model ([`withings_model::parse_reply`]) and then decoded.
    ///
    /// # Errors
    /// As [`decode_reply`].
    fn from_reply_bytes(bytes: &[u8]) -> Result<Reply<Self::Output>, DecodeError>
    where
        Self: serde::de::DeserializeOwned + Sized,
    {
        if let Some(one_pass) = Self::decode_one_pass(bytes) {
            return Ok(Reply::Ok(one_pass.output));
        }
        match withings_model::parse_reply::<Self>(bytes)? {
            Reply::Ok(body) => body.decode().map(Reply::Ok),
            Reply::Status(status) => Ok(Reply::Status(status)),
        }
    }
}

/// What a one-pass reader ([`Decode::decode_one_pass`]) answers for a successful response:
/// the decoded body, and the paging fields the wire body's
/// [`PagedBody`](withings_model::PagedBody) would give (`false` and `None` for a body that is
/// not paged).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct OnePass<T> {
    /// The decoded body: what [`Decode::decode`] of the wire body gives.
    pub output: T,
    /// Whether another page follows ([`PagedBody::more`](withings_model::PagedBody::more)).
    pub more: bool,
    /// The offset of the next page, when given
    /// ([`PagedBody::offset`](withings_model::PagedBody::offset)).
    pub offset: Option<i64>,
}

impl<T> OnePass<T> {
    /// The output of a body that is not paged (`more` false, no `offset`).
    #[must_use]
    pub fn new(output: T) -> Self {
        Self::paged(output, false, None)
    }

    /// The output of a page, with its `more` and `offset`.
    #[must_use]
    pub fn paged(output: T, more: bool, offset: Option<i64>) -> Self {
        Self {
            output,
            more,
            offset,
        }
    }
}

/// Parses a whole response (envelope and body) and decodes the body.
///
/// A non-zero `status` is returned as [`Reply::Status`], not as an error: it is a valid
/// response, and the transport layer decides what it means.
///
/// A record of a list that cannot be read (a measure group, a day, a night…) does not fail
/// the response: it is left out, and the output's `rejected` list ([`Records::rejected`],
/// `Measurements::rejected`, `SleepSegments::rejected`) holds its path, error and JSON text
/// ([`withings_model::items`], API notes §15). Parsing is strict first; only a response that
/// fails is read again record by record, so a response that parses costs nothing more.
///
/// # Errors
/// [`DecodeError::Parse`] when the bytes do not match the wire model, or another
/// [`DecodeError`] when a value cannot be interpreted; both name the JSON path.
pub fn decode_reply<B>(bytes: &[u8]) -> Result<Reply<B::Output>, DecodeError>
where
    B: Decode + serde::de::DeserializeOwned,
{
    B::from_reply_bytes(bytes)
}

/// Write actions answer `{}`: nothing to interpret.
impl Decode for withings_model::EmptyBody {
    type Output = Self;
    fn decode(self) -> Result<Self, DecodeError> {
        Ok(self)
    }
}
