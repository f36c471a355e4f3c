//! Answers to the questions people ask of their data, computed from decoded values: the
//! latest value of each measure, weigh-ins, whose measures they are, one sleep per night,
//! BMI, and a record's device model.
//!
//! Pure like the rest of the crate: no IO, no clock (nothing here needs the current time;
//! a "last night" is asked for by its date). Each module states its rules — which group
//! wins a tie, what "the same time" means, which night a sleep belongs to — in its docs.
//!
//! | module | question |
//! |---|---|
//! | [`attribution`] | whose measures: the user's own, typed in, or maybe someone else's |
//! | [`category`] | real measures or objectives |
//! | [`latest`] | the latest value of each measure type and position |
//! | [`weigh_in`] | the groups of one weigh-in, together |
//! | [`nights`] | one sleep per local date, the main sleep over naps |
//! | [`bmi`] | BMI from a weight and the latest height |
//! | [`device_model`] | a record's model, with model 13 resolved by the device list |
//!
//! Unit conversion is in [`units`](crate::units).

pub mod attribution;
pub mod bmi;
pub mod category;
pub mod device_model;
pub mod latest;
pub mod nights;
pub mod weigh_in;

#[cfg(test)]
mod test_support;
