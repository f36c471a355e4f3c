//! Times and dates: unix seconds to [`Timestamp`], IANA names to [`TimeZone`], `YYYY-MM-DD` to
//! [`Date`]. Nothing here reads the clock.
//!
//! Every function takes the JSON path of the value as a closure, so that the path is only
//! formatted when something is wrong.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::DecodeError;

/// Unix seconds as a [`Timestamp`].
///
/// # Errors
/// [`DecodeError::Timestamp`] when the seconds are outside jiff's range (about ±9999 years).
pub fn timestamp(seconds: i64, path: impl FnOnce() -> String) -> Result<Timestamp, DecodeError> {
    Timestamp::from_second(seconds).map_err(|_| DecodeError::Timestamp {
        path: path(),
        seconds,
    })
}

/// Optional unix seconds as an optional [`Timestamp`].
///
/// # Errors
/// As [`timestamp`].
pub fn opt_timestamp(
    seconds: Option<i64>,
    path: impl FnOnce() -> String,
) -> Result<Option<Timestamp>, DecodeError> {
    seconds.map(|s| timestamp(s, path)).transpose()
}

/// A `YYYY-MM-DD` date.
///
/// # Errors
/// [`DecodeError::Date`] when the text is not a valid date in that form.
pub fn ymd(text: &str, path: impl FnOnce() -> String) -> Result<Date, DecodeError> {
    // The model's rule, which also decides which records of a list are rejected.
    withings_model::de::civil_date(text).ok_or_else(|| DecodeError::Date {
        path: path(),
        text: text.to_owned(),
    })
}

/// An IANA time zone by name.
///
/// # Errors
/// [`DecodeError::TimeZone`] when the database does not know the name.
pub fn time_zone(name: &str, path: impl FnOnce() -> String) -> Result<TimeZone, DecodeError> {
    TimeZone::get(name).map_err(|_| DecodeError::TimeZone {
        path: path(),
        name: name.to_owned(),
    })
}

/// Resolves time zone names once per response: activities, workouts and sleep summaries
/// carry a zone on every record, almost always the same one.
#[derive(Debug, Default)]
pub struct Zones {
    cache: HashMap<String, TimeZone>,
}

impl Zones {
    /// An empty cache.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The zone named `name`, looked up at most once.
    ///
    /// # Errors
    /// As [`time_zone`].
    pub fn get(
        &mut self,
        name: &str,
        path: impl FnOnce() -> String,
    ) -> Result<TimeZone, DecodeError> {
        if let Some(tz) = self.cache.get(name) {
            return Ok(tz.clone());
        }
        let tz = time_zone(name, path)?;
        self.cache.insert(name.to_owned(), tz.clone());
        Ok(tz)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_path() {
        let e = timestamp(i64::MAX, || "body.series[2].startdate".into()).unwrap_err();
        assert_eq!(e.path(), "body.series[2].startdate");
        let e = ymd("2024-02-30", || "body.activities[0].date".into()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`2024-02-30` at `body.activities[0].date` is not a valid YYYY-MM-DD date"
        );
        assert!(ymd("2024-6-1", String::new).is_err());
        let e = time_zone("Mars/Olympus_Mons", || "body.timezone".into()).unwrap_err();
        assert!(e.to_string().contains("Mars/Olympus_Mons"));
    }

    #[test]
    fn zones_are_resolved_and_cached() {
        let mut zones = Zones::new();
        let tz = zones.get("Europe/Paris", String::new).unwrap();
        let at = timestamp(1_700_000_000, String::new).unwrap();
        assert_eq!(
            at.to_zoned_datetime(tz).to_string(),
            "2023-11-14T23:13:20+01:00[Europe/Paris]"
        );
        assert_eq!(zones.cache.len(), 1);
        zones.get("Europe/Paris", String::new).unwrap();
        assert_eq!(zones.cache.len(), 1);
        let e = zones.get("Mars/Olympus_Mons", || "body.timezone".into());
        assert_eq!(e.unwrap_err().path(), "body.timezone");
        assert_eq!(zones.cache.len(), 1);
    }

    // Added with the mutation testing (docs/mutation-testing.md): these mutants were caught
    // only by other modules' tests; time.rs now kills them itself.

    #[test]
    fn optional_timestamps_keep_absence_and_values() {
        assert_eq!(opt_timestamp(None, String::new).unwrap(), None);
        assert_eq!(
            opt_timestamp(Some(1_700_000_000), String::new).unwrap(),
            Some(Timestamp::from_second(1_700_000_000).unwrap())
        );
        let e = opt_timestamp(Some(i64::MIN), || "body.modified".into()).unwrap_err();
        assert_eq!(e.path(), "body.modified");
    }

    #[test]
    fn valid_dates_decode() {
        assert_eq!(
            ymd("2024-02-29", String::new).unwrap(),
            jiff::civil::date(2024, 2, 29)
        );
        assert_eq!(
            ymd("0001-01-01", String::new).unwrap(),
            jiff::civil::date(1, 1, 1)
        );
        assert!(ymd("2024-02-29 ", String::new).is_err());
    }
}
