//! An offline stand-in of the Withings API (being built).
