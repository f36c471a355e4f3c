//! What the sandbox remembers between requests: authorization codes, tokens and their
//! rotation, notification subscriptions, recent requests for the rate limit.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};

use crate::rng::Rng;

/// An authorization code lives 30 seconds and is single use (API notes §3.1, §12.2).
pub(crate) const CODE_LIFETIME: SignedDuration = SignedDuration::from_secs(30);
/// `expires_in` of an access token unless the builder says otherwise: 3 hours (API notes
/// §3.3).
pub(crate) const ACCESS_LIFETIME: i64 = 10_800;
/// A refresh token lives a year (API notes §3.3).
const REFRESH_LIFETIME: SignedDuration = SignedDuration::from_hours(24 * 365);
/// After a refresh, the old refresh token keeps working at most this long (API notes §3.3).
const ROTATION_GRACE: SignedDuration = SignedDuration::from_hours(8);
/// The rate-limit window for identical requests (API notes §9.4, §12.4).
pub(crate) const SAME_REQUEST_WINDOW: SignedDuration = SignedDuration::from_secs(10);

const TAG_TOKEN: u64 = 101;

#[derive(Debug)]
pub(crate) struct CodeGrant {
    pub(crate) redirect_uri: String,
    pub(crate) scope: String,
    pub(crate) issued: Timestamp,
    pub(crate) used: bool,
    /// The account (index) the user approved as.
    pub(crate) user: usize,
}

#[derive(Debug)]
struct AccessToken {
    scope: String,
    expires: Timestamp,
    /// The refresh token this one was obtained with, until this token is first used: that
    /// use ends the old refresh token's grace period.
    parent: Option<String>,
    /// The account (index) it reads.
    user: usize,
}

#[derive(Debug)]
struct RefreshToken {
    scope: String,
    expires: Timestamp,
    /// When it was first used to refresh: from then on it dies after [`ROTATION_GRACE`].
    superseded: Option<Timestamp>,
    /// A successor's access token was used.
    dead: bool,
    /// The account (index) it refreshes.
    user: usize,
}

/// A notification subscription (`notify subscribe`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Subscription {
    /// The account (index) whose token subscribed: subscriptions are per user.
    pub(crate) user: usize,
    pub(crate) appli: i64,
    pub(crate) callbackurl: String,
    pub(crate) comment: String,
}

/// The fields of a token response.
#[derive(Debug)]
pub(crate) struct Issued {
    pub(crate) access_token: String,
    pub(crate) refresh_token: String,
    pub(crate) scope: String,
    pub(crate) csrf_token: String,
    /// The account (index) the tokens are for.
    pub(crate) user: usize,
    /// Seconds the access token lives.
    pub(crate) expires_in: i64,
}

/// Why a token request is refused: the text after "Invalid Params: ".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    Code,
    RedirectUri,
    RefreshToken,
}

#[derive(Debug)]
pub(crate) struct State {
    seed: u64,
    counter: i64,
    codes: HashMap<String, CodeGrant>,
    access: HashMap<String, AccessToken>,
    refresh: HashMap<String, RefreshToken>,
    pub(crate) subscriptions: Vec<Subscription>,
    recent: HashMap<String, Timestamp>,
    /// Requests refused because the same one came less than 10 s before.
    pub(crate) same_refused: u64,
    /// The latest data calls, oldest first, at most [`CALL_LOG`].
    pub(crate) calls: std::collections::VecDeque<RecordedCall>,
    /// When the requests inside the current application-limit window arrived, oldest first.
    app_window: std::collections::VecDeque<std::time::Instant>,
    /// How many requests the application limit refused (status 601).
    pub(crate) app_refused: u64,
    /// How many requests arrived in all (refused ones included).
    pub(crate) app_requests: u64,
    /// What became of the refresh requests.
    pub(crate) refreshes: RefreshCounts,
    /// `expires_in` of the access tokens issued.
    access_lifetime: i64,
    /// Successful refreshes, by account.
    refresh_by_user: Vec<u64>,
    /// Authenticated calls, by account.
    calls_by_user: Vec<u64>,
    /// Refresh requests that presented a refresh token already rotated (used once before)
    /// or dead, whether the grace period let them through or not.
    pub(crate) dead_refreshes: u64,
    /// When the requests of the last period arrived, refused ones included, oldest first:
    /// the sliding window [`State::app_max_in_window`] is measured on.
    app_arrivals: std::collections::VecDeque<std::time::Instant>,
    /// The most requests that arrived in any window of the period so far.
    pub(crate) app_max_in_window: u64,
}

/// What became of the refresh requests a sandbox answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RefreshCounts {
    /// Refreshes that issued a new pair.
    pub ok: u64,
    /// Of those, refreshes with a refresh token that had already been used once (allowed in
    /// the rotation grace, but a sign that two clients raced on one token).
    pub reused: u64,
    /// Refreshes refused: an unknown, dead or expired refresh token.
    pub refused: u64,
}

/// How many data calls the sandbox remembers for [`RecordedCall`] readers.
pub(crate) const CALL_LOG: usize = 4096;

/// One data call the sandbox answered (token and signature calls are not recorded: their
/// forms hold secrets): the service path and the form, in the order sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordedCall {
    /// The service path, e.g. `/v2/sleep`.
    pub path: String,
    /// The form parameters (query then body), `action` included.
    pub form: Vec<(String, String)>,
}

impl RecordedCall {
    /// The value of the first parameter named `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl State {
    /// Counts a request against the application-wide limit: `None` when it may be served,
    /// otherwise the seconds to wait (at least 1) before the oldest request of the window
    /// leaves it. A refused request does not count, so a storm of refusals cannot lock the
    /// application out.
    pub(crate) fn app_request(
        &mut self,
        now: std::time::Instant,
        requests: usize,
        period: std::time::Duration,
    ) -> Option<i64> {
        self.app_requests += 1;
        while self
            .app_arrivals
            .front()
            .is_some_and(|t| now.duration_since(*t) >= period)
        {
            self.app_arrivals.pop_front();
        }
        self.app_arrivals.push_back(now);
        self.app_max_in_window = self.app_max_in_window.max(self.app_arrivals.len() as u64);
        while self
            .app_window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= period)
        {
            self.app_window.pop_front();
        }
        if self.app_window.len() >= requests.max(1) {
            self.app_refused += 1;
            let oldest = self.app_window.front().copied().unwrap_or(now);
            let left = period.saturating_sub(now.duration_since(oldest));
            return Some(
                i64::try_from(left.as_secs_f64().ceil() as u64)
                    .unwrap_or(i64::MAX)
                    .max(1),
            );
        }
        self.app_window.push_back(now);
        None
    }

    /// Remembers a data call, forgetting the oldest beyond [`CALL_LOG`].
    pub(crate) fn record(&mut self, call: RecordedCall) {
        if self.calls.len() >= CALL_LOG {
            self.calls.pop_front();
        }
        self.calls.push_back(call);
    }

    /// The state of a sandbox with one account and 3-hour access tokens.
    #[cfg(test)]
    pub(crate) fn new(seed: u64) -> Self {
        Self::with_accounts(seed, 1, ACCESS_LIFETIME)
    }

    /// The state of a sandbox with `users` accounts whose access tokens live
    /// `access_lifetime` seconds.
    pub(crate) fn with_accounts(seed: u64, users: usize, access_lifetime: i64) -> Self {
        Self {
            seed,
            counter: 0,
            codes: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            subscriptions: Vec::new(),
            recent: HashMap::new(),
            same_refused: 0,
            calls: std::collections::VecDeque::new(),
            app_window: std::collections::VecDeque::new(),
            app_refused: 0,
            app_requests: 0,
            refreshes: RefreshCounts::default(),
            access_lifetime: access_lifetime.max(1),
            refresh_by_user: vec![0; users],
            calls_by_user: vec![0; users],
            dead_refreshes: 0,
            app_arrivals: std::collections::VecDeque::new(),
            app_max_in_window: 0,
        }
    }

    /// Successful refreshes of an account's tokens.
    pub(crate) fn refresh_count(&self, user: usize) -> u64 {
        self.refresh_by_user.get(user).copied().unwrap_or(0)
    }

    /// Authenticated calls made with an account's tokens.
    pub(crate) fn call_count(&self, user: usize) -> u64 {
        self.calls_by_user.get(user).copied().unwrap_or(0)
    }

    /// A fresh 40-hex value. Generated from a counter and the seed rather than the OS RNG so
    /// that two sandboxes driven the same way answer byte for byte the same; these tokens
    /// guard nothing but invented data on loopback.
    fn fresh(&mut self, len: usize) -> String {
        self.counter += 1;
        Rng::stream(self.seed, TAG_TOKEN, self.counter).hex(len)
    }

    pub(crate) fn issue_code(
        &mut self,
        now: Timestamp,
        redirect_uri: &str,
        scope: &str,
        user: usize,
    ) -> String {
        self.codes
            .retain(|_, c| now.duration_since(c.issued) < CODE_LIFETIME * 4);
        let code = self.fresh(40);
        let grant = CodeGrant {
            redirect_uri: redirect_uri.to_owned(),
            scope: scope.to_owned(),
            issued: now,
            used: false,
            user,
        };
        self.codes.insert(code.clone(), grant);
        code
    }

    /// Exchanges a code: it must exist, be unused, younger than 30 s, and come with the
    /// redirect URI it was issued for.
    pub(crate) fn redeem_code(
        &mut self,
        now: Timestamp,
        code: &str,
        redirect_uri: &str,
    ) -> Result<Issued, Refused> {
        let grant = self.codes.get_mut(code).ok_or(Refused::Code)?;
        if grant.used || now.duration_since(grant.issued) >= CODE_LIFETIME {
            return Err(Refused::Code);
        }
        if grant.redirect_uri != redirect_uri {
            return Err(Refused::RedirectUri);
        }
        grant.used = true;
        let (scope, user) = (grant.scope.clone(), grant.user);
        Ok(self.issue_tokens(now, user, scope, None))
    }

    /// Refreshes: a new access token and a new refresh token; the old refresh token keeps
    /// working until a new access token is used or 8 hours pass, as Withings does.
    pub(crate) fn refresh(&mut self, now: Timestamp, token: &str) -> Result<Issued, Refused> {
        let Some(old) = self.refresh.get_mut(token) else {
            self.refreshes.refused += 1;
            return Err(Refused::RefreshToken);
        };
        let in_grace = old
            .superseded
            .is_none_or(|at| now.duration_since(at) < ROTATION_GRACE);
        if old.dead || old.superseded.is_some() {
            self.dead_refreshes += 1;
        }
        if old.dead || now >= old.expires || !in_grace {
            self.refreshes.refused += 1;
            return Err(Refused::RefreshToken);
        }
        if old.superseded.is_some() {
            self.refreshes.reused += 1;
        }
        self.refreshes.ok += 1;
        old.superseded.get_or_insert(now);
        let (scope, user) = (old.scope.clone(), old.user);
        if let Some(count) = self.refresh_by_user.get_mut(user) {
            *count += 1;
        }
        Ok(self.issue_tokens(now, user, scope, Some(token.to_owned())))
    }

    pub(crate) fn issue_tokens(
        &mut self,
        now: Timestamp,
        user: usize,
        scope: String,
        parent: Option<String>,
    ) -> Issued {
        let access_token = self.fresh(40);
        let refresh_token = self.fresh(40);
        self.counter += 1;
        let csrf_token = Rng::stream(self.seed, TAG_TOKEN, self.counter).alnum(34);
        let expires = now
            .checked_add(SignedDuration::from_secs(self.access_lifetime))
            .unwrap_or(Timestamp::MAX);
        self.access.insert(
            access_token.clone(),
            AccessToken {
                scope: scope.clone(),
                expires,
                parent,
                user,
            },
        );
        let expires = now.checked_add(REFRESH_LIFETIME).unwrap_or(Timestamp::MAX);
        self.refresh.insert(
            refresh_token.clone(),
            RefreshToken {
                scope: scope.clone(),
                expires,
                superseded: None,
                dead: false,
                user,
            },
        );
        Issued {
            access_token,
            refresh_token,
            scope,
            csrf_token,
            user,
            expires_in: self.access_lifetime,
        }
    }

    /// Checks an access token; its first use ends the grace period of the refresh token it
    /// was obtained with. Returns the granted scope and the account the token reads.
    pub(crate) fn authenticate(&mut self, now: Timestamp, token: &str) -> Option<(String, usize)> {
        let access = self.access.get_mut(token)?;
        if now >= access.expires {
            return None;
        }
        let scope = access.scope.clone();
        let user = access.user;
        if let Some(count) = self.calls_by_user.get_mut(user) {
            *count += 1;
        }
        if let Some(old) = access
            .parent
            .take()
            .and_then(|parent| self.refresh.get_mut(&parent))
        {
            old.dead = true;
        }
        Some((scope, user))
    }

    /// `oauth2 revoke` (or the user unlinking the app): every token and pending code of the
    /// account dies and its subscriptions go (API notes §3.3, §8). Returns the subscriptions
    /// removed.
    pub(crate) fn revoke_user(&mut self, user: usize) -> Vec<Subscription> {
        self.access.retain(|_, t| t.user != user);
        self.refresh.retain(|_, t| t.user != user);
        self.codes.retain(|_, c| c.user != user);
        let (gone, kept) = std::mem::take(&mut self.subscriptions)
            .into_iter()
            .partition(|s| s.user == user);
        self.subscriptions = kept;
        gone
    }

    pub(crate) fn nonce(&mut self) -> String {
        self.fresh(40)
    }

    /// The rate limit on identical requests: `Some(wait_seconds)` when `key` was seen less
    /// than 10 s ago; otherwise remembers it and returns `None`. A refused request does not
    /// restart the window.
    pub(crate) fn same_request(&mut self, now: Timestamp, key: String) -> Option<i64> {
        self.recent
            .retain(|_, at| now.duration_since(*at) < SAME_REQUEST_WINDOW);
        if let Some(at) = self.recent.get(&key) {
            self.same_refused += 1;
            let left = SAME_REQUEST_WINDOW - now.duration_since(*at);
            return Some(left.as_secs_f64().ceil().max(1.0) as i64);
        }
        self.recent.insert(key, now);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_717_430_000 + s).unwrap()
    }

    #[test]
    fn a_code_is_single_use_and_dies_after_30_seconds() {
        let mut st = State::new(0);
        let code = st.issue_code(at(0), "https://a.example/cb", "user.metrics", 0);
        assert_eq!(
            st.redeem_code(at(1), &code, "https://b.example/cb")
                .unwrap_err(),
            Refused::RedirectUri
        );
        assert!(
            st.redeem_code(at(29), &code, "https://a.example/cb")
                .is_ok()
        );
        assert_eq!(
            st.redeem_code(at(29), &code, "https://a.example/cb")
                .unwrap_err(),
            Refused::Code
        );
        let late = st.issue_code(at(0), "https://a.example/cb", "user.metrics", 0);
        assert_eq!(
            st.redeem_code(at(30), &late, "https://a.example/cb")
                .unwrap_err(),
            Refused::Code
        );
    }

    #[test]
    fn the_old_refresh_token_dies_when_the_new_access_token_is_used() {
        let mut st = State::new(0);
        let first = st.issue_tokens(at(0), 0, "user.metrics".into(), None);
        let second = st.refresh(at(10), &first.refresh_token).unwrap();
        // Not used yet: the old refresh token still works (the client may have lost the new pair).
        let third = st.refresh(at(20), &first.refresh_token).unwrap();
        assert!(st.authenticate(at(30), &third.access_token).is_some());
        assert_eq!(
            st.refresh(at(40), &first.refresh_token).unwrap_err(),
            Refused::RefreshToken
        );
        // The other successors live on.
        assert!(st.refresh(at(50), &second.refresh_token).is_ok());
    }

    #[test]
    fn the_old_refresh_token_dies_8_hours_after_rotation() {
        let mut st = State::new(0);
        let first = st.issue_tokens(at(0), 0, "s".into(), None);
        st.refresh(at(0), &first.refresh_token).unwrap();
        assert!(st.refresh(at(8 * 3600 - 1), &first.refresh_token).is_ok());
        assert!(st.refresh(at(8 * 3600), &first.refresh_token).is_err());
    }

    #[test]
    fn access_tokens_expire_after_expires_in() {
        let mut st = State::new(0);
        let t = st.issue_tokens(at(0), 0, "s".into(), None);
        assert!(
            st.authenticate(at(ACCESS_LIFETIME - 1), &t.access_token)
                .is_some()
        );
        assert!(
            st.authenticate(at(ACCESS_LIFETIME), &t.access_token)
                .is_none()
        );
        assert!(st.authenticate(at(0), "nope").is_none());
    }

    #[test]
    fn tokens_belong_to_their_account_and_refreshes_are_counted_per_account() {
        let mut st = State::with_accounts(0, 3, 60);
        let a = st.issue_tokens(at(30), 0, "s".into(), None);
        let c = st.issue_tokens(at(0), 2, "s".into(), None);
        assert_eq!((a.expires_in, c.user), (60, 2));
        assert_eq!(
            st.authenticate(at(1), &c.access_token),
            Some(("s".into(), 2))
        );
        assert_eq!(st.authenticate(at(60), &c.access_token), None);
        let c2 = st.refresh(at(61), &c.refresh_token).unwrap();
        assert_eq!(c2.user, 2);
        assert_eq!((st.refresh_count(2), st.refresh_count(0)), (1, 0));
        assert_eq!(st.dead_refreshes, 0);
        // Rotated but still in grace: accepted, counted.
        st.refresh(at(62), &c.refresh_token).unwrap();
        assert_eq!(st.dead_refreshes, 1);
        assert_eq!(st.call_count(2), 1);
        // Revoking one account leaves the others alone.
        st.revoke_user(2);
        assert!(st.refresh(at(63), &c2.refresh_token).is_err());
        assert!(st.authenticate(at(63), &a.access_token).is_some());
    }

    #[test]
    fn the_busiest_window_counts_refused_requests_too() {
        let mut st = State::new(0);
        let t0 = std::time::Instant::now();
        let period = std::time::Duration::from_secs(1);
        let ms = std::time::Duration::from_millis;
        assert_eq!(st.app_request(t0, 2, period), None);
        assert_eq!(st.app_request(t0 + ms(100), 2, period), None);
        assert_eq!(st.app_request(t0 + ms(200), 2, period), Some(1));
        assert_eq!(st.app_max_in_window, 3);
        // A second later the window holds only the new request.
        assert_eq!(st.app_request(t0 + ms(1200), 2, period), None);
        assert_eq!(st.app_max_in_window, 3);
        assert_eq!((st.app_requests, st.app_refused), (4, 1));
    }

    #[test]
    fn identical_requests_within_10_seconds_are_refused() {
        let mut st = State::new(0);
        assert_eq!(st.same_request(at(0), "k".into()), None);
        assert_eq!(st.same_request(at(0), "k".into()), Some(10));
        assert_eq!(st.same_request(at(7), "k".into()), Some(3));
        assert_eq!(st.same_request(at(7), "other".into()), None);
        assert_eq!(st.same_request(at(10), "k".into()), None);
    }
}
