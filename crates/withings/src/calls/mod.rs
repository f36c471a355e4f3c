//! The typed calls, one group per Withings service, reached from [`Client`](crate::Client):
//! `client.measures().getmeas()…send().await`.
//!
//! Each request is a builder around the model's request value
//! ([`withings_model`]): setters for its parameters, then
//! - `.send()`: the decoded domain value ([`withings_decode`]);
//! - `.send_wire()`: the wire body as received (model types), for those who want the raw
//!   fields; decode it later with [`Decode`](withings_decode::Decode) if needed;
//! - for paged actions, `.pages()`, `.stream()` and `.collect_all()` (see
//!   [`paging`](crate::paging)).
//!
//! Which encoding a parameter takes (unix seconds, `YYYY-MM-DD`, comma lists, `meastypes`
//! rather than `meastype`) is this crate's business: setters take jiff
//! [`Timestamp`](jiff::Timestamp)s and [`Date`](jiff::civil::Date)s and typed codes. A window
//! is either a range or a `lastupdate` cursor, never both: the setters replace each other.
//!
//! Builders are `Clone`, hold a clone of the client (one reference count), and can be sent
//! more than once.

macro_rules! request_common {
    ($ty:ident, $endpoint:ty) => {
        impl $ty {
            /// The model request this builder sends (its parameters, as data).
            #[must_use]
            pub fn endpoint(&self) -> &$endpoint {
                &self.endpoint
            }

            /// The model request, e.g. to send later with [`Client::send`](crate::Client::send)
            /// or to keep in a job queue.
            #[must_use]
            pub fn into_endpoint(self) -> $endpoint {
                self.endpoint
            }
        }
    };
}

macro_rules! single_call {
    ($ty:ident, $endpoint:ty, $output:ty) => {
        request_common!($ty, $endpoint);

        impl $ty {
            /// Sends the request and decodes the answer.
            ///
            /// # Errors
            /// [`Error::Http`](crate::Error::Http) for transport, auth and API-status
            /// failures (after retries), [`Error::Decode`](crate::Error::Decode) for a value
            /// that cannot be interpreted.
            pub async fn send(&self) -> crate::Result<$output> {
                self.client.send(&self.endpoint).await
            }

            /// Sends the request and returns the wire body, undecoded.
            ///
            /// # Errors
            /// [`Error::Http`](crate::Error::Http), as [`send`](Self::send).
            pub async fn send_wire(
                &self,
            ) -> crate::Result<<$endpoint as withings_model::Endpoint>::Body> {
                self.client.send_wire(&self.endpoint).await
            }
        }
    };
}

macro_rules! paged_call {
    ($ty:ident, $endpoint:ty, $output:ty, $item:ty) => {
        single_call!($ty, $endpoint, $output);

        impl $ty {
            /// Every page from this request's offset on, decoded, following `more`/`offset`
            /// (see [`paging`](crate::paging) for when it stops).
            #[must_use]
            pub fn pages(&self) -> crate::paging::PageStream<$output> {
                self.client.pages(self.endpoint.clone())
            }

            /// Every item from this request's offset on, yielded as the pages arrive (see
            /// [`paging`](crate::paging) for when it stops).
            #[must_use]
            pub fn stream(&self) -> crate::paging::ItemStream<$item> {
                self.client.stream(self.endpoint.clone())
            }

            /// Every page, merged into one value.
            ///
            /// # Errors
            /// The first error of [`pages`](Self::pages), including
            /// [`Error::Pagination`](crate::Error::Pagination) (use
            /// [`stream`](Self::stream) to keep the items received before it).
            pub async fn collect_all(&self) -> crate::Result<$output> {
                crate::paging::collect_all(self.client.clone(), self.endpoint.clone()).await
            }
        }
    };
}

mod activity;
mod heart;
mod measures;
mod notify;
mod oauth2;
mod sleep;
mod stetho;
mod user;

pub use activity::{
    ActivityCalls, GetActivityRequest, GetIntradayActivityRequest, GetWorkoutsRequest,
};
pub use heart::{HeartCalls, HeartGetRequest, HeartListRequest};
pub use measures::{ConfirmUserRequest, GetMeasRequest, MeasureCalls};
pub use notify::{
    NotifyCalls, NotifyGetRequest, NotifyListRequest, NotifyRevokeRequest, NotifyUpdateRequest,
    SubscribeRequest, check_callback_url,
};
pub use oauth2::{OAuth2Calls, RevokeUserRequest};
pub use sleep::{GetSleepRequest, GetSleepSummaryRequest, SleepCalls};
pub use stetho::{StethoCalls, StethoGetRequest, StethoListRequest};
pub use user::{GetDeviceRequest, GetGoalsRequest, UserCalls};
