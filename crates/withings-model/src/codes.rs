//! Every open code enum of the API in one place (each is defined beside the service that
//! introduces it). See [`crate::code`](self) for how they behave.
