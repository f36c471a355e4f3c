//! [`Records`]: the decoded records of a list endpoint, with the ones that were rejected.

use std::ops::{Deref, DerefMut};

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
use withings_model::Rejected;

/// The records of a list endpoint (days of activity, workouts, nights, intraday samples,
/// recordings, devices, subscriptions), and the records of the response that could not be
/// read (API notes §15): one bad record does not lose the others.
///
/// It reads as the `Vec` of the records decoded (`days.len()`, `days[0]`, `for d in days`),
/// in the order the endpoint documents (the response's, or by time where it says so);
/// [`rejected`](Self::rejected) holds the others, each with its path, error and JSON text.
///
/// Serialized as the array of records when nothing was rejected (the shape of a plain list);
/// otherwise as `{"records": [...], "rejected": [...]}`.
///
/// ```
/// use withings_decode::{decode_reply, Reply};
/// use withings_model::user::GetDeviceBody;
///
/// let json = br#"{"status":0,"body":{"devices":[
///   {"type":"Scale","battery":"high","model":"Body+","model_id":5,"timezone":"Europe\/Paris"},
///   {"type":"Scale","model":"Body+"}]}}"#;
/// let Reply::Ok(devices) = decode_reply::<GetDeviceBody>(json).unwrap() else { panic!() };
/// assert_eq!(devices.len(), 1);
/// assert_eq!(devices.rejected[0].path, "body.devices[1]");
/// assert_eq!(devices.rejected[0].error, "missing field `battery`");
/// assert_eq!(devices.rejected[0].raw(), r#"{"type":"Scale","model":"Body+"}"#);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Records<T> {
    /// The records decoded.
    pub records: Vec<T>,
    /// The records that could not be read, in the order received.
    pub rejected: Vec<Rejected>,
}

impl<T> Records<T> {
    /// Records and rejected entries.
    #[must_use]
    pub fn new(records: Vec<T>, rejected: Vec<Rejected>) -> Self {
        Self { records, rejected }
    }

    /// The records decoded, dropping the rejected entries.
    #[must_use]
    pub fn into_vec(self) -> Vec<T> {
        self.records
    }
}

impl<T> Default for Records<T> {
    fn default() -> Self {
        Self::new(Vec::new(), Vec::new())
    }
}

impl<T> Deref for Records<T> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.records
    }
}

impl<T> DerefMut for Records<T> {
    fn deref_mut(&mut self) -> &mut Vec<T> {
        &mut self.records
    }
}

/// Records with nothing rejected.
impl<T> From<Vec<T>> for Records<T> {
    fn from(records: Vec<T>) -> Self {
        Self::new(records, Vec::new())
    }
}

impl<T> FromIterator<T> for Records<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Self::from(iter.into_iter().collect::<Vec<_>>())
    }
}

impl<T> IntoIterator for Records<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.records.into_iter()
    }
}

impl<'a, T> IntoIterator for &'a Records<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.records.iter()
    }
}

impl<'a, T> IntoIterator for &'a mut Records<T> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.records.iter_mut()
    }
}

impl<T: Serialize> Serialize for Records<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.rejected.is_empty() {
            return self.records.serialize(s);
        }
        let mut st = s.serialize_struct("Records", 2)?;
        st.serialize_field("records", &self.records)?;
        st.serialize_field("rejected", &self.rejected)?;
        st.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialized_as_a_list_unless_something_was_rejected() {
        let mut r = Records::from(vec![1, 2]);
        assert_eq!(serde_json::to_string(&r).unwrap(), "[1,2]");
        let body: withings_model::items::Items<withings_model::user::Device> =
            serde_json::from_str("[]").unwrap();
        assert!(body.rejected().is_empty());
        let Ok(withings_model::Reply::Ok(b)) =
            withings_model::parse_reply::<withings_model::user::GetDeviceBody>(
                br#"{"status":0,"body":{"devices":[{"type":1}]}}"#,
            )
        else {
            panic!()
        };
        r.rejected = b.devices.rejected().to_vec();
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"records":[1,2],"rejected":[{"path":"body.devices[0]","error":"at `type`: invalid type: integer `1`, expected a string","raw":"{\"type\":1}"}]}"#
        );
        r.push(3);
        assert_eq!(r.len(), 3);
        let doubled: Vec<i32> = (&mut r).into_iter().map(|v| *v * 2).collect();
        assert_eq!(doubled, [2, 4, 6]);
        assert_eq!(r.clone().into_vec(), [1, 2, 3]);
        assert_eq!(r.into_iter().sum::<i32>(), 6);
        assert_eq!(Records::<u8>::default(), [].into_iter().collect());
    }
}
