//! Many Withings users on many workers: web onboarding, notification callbacks and the
//! workers that sync on notification, sharing their state in PostgreSQL.
