//! Tokens and where they are kept.
//!
//! Withings rotates refresh tokens: every refresh returns a new one, and the old one dies as
//! soon as the new access token is used (API notes §3.3). So a [`TokenStore`] must hold the
//! newest pair durably, and the client saves it before it sends the new access token.

use std::fmt;
use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::Error;

macro_rules! secret_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(SecretString);

        impl $name {
            /// Wraps a secret value.
            #[must_use]
            pub fn new(value: impl Into<String>) -> Self {
                Self(SecretString::from(value.into()))
            }

            /// The secret itself. Keep what you do with it short-lived and out of logs.
            #[must_use]
            pub fn expose_secret(&self) -> &str {
                secrecy::ExposeSecret::expose_secret(&self.0)
            }

            /// Compares with another value without leaking timing about where they differ.
            #[allow(dead_code)] // not every secret is compared
            pub(crate) fn same_as(&self, other: &str) -> bool {
                crate::oauth::constant_time_eq(self.expose_secret().as_bytes(), other.as_bytes())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self::new(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::new(value)
            }
        }

        impl From<SecretString> for $name {
            fn from(value: SecretString) -> Self {
                Self(value)
            }
        }
    };
}

pub(crate) use secret_newtype;

secret_newtype!(
    /// An OAuth access token (sent as `Authorization: Bearer`, valid 3 hours).
    AccessToken
);

secret_newtype!(
    /// An OAuth refresh token (valid a year, replaced at every refresh).
    RefreshToken
);

/// An access token, its refresh token, when the access token expires, and whose it is.
#[derive(Clone)]
pub struct TokenSet {
    access_token: AccessToken,
    refresh_token: RefreshToken,
    expires_at: Timestamp,
    userid: Option<String>,
    scope: Option<String>,
}

impl TokenSet {
    /// A token pair expiring at `expires_at`.
    #[must_use]
    pub fn new(
        access_token: AccessToken,
        refresh_token: RefreshToken,
        expires_at: Timestamp,
    ) -> Self {
        Self {
            access_token,
            refresh_token,
            expires_at,
            userid: None,
            scope: None,
        }
    }

    /// Sets the Withings user id the tokens belong to.
    #[must_use]
    pub fn with_userid(mut self, userid: impl Into<String>) -> Self {
        self.userid = Some(userid.into());
        self
    }

    /// Sets the scopes granted (comma-separated, as Withings sends them).
    #[must_use]
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// Builds the set from a token response received at `now`: expiry is `now + expires_in`,
    /// and a missing `userid` is taken from `previous` (refresh responses may omit it).
    ///
    /// # Errors
    /// [`ErrorKind::Decode`](crate::ErrorKind::Decode) when a token is empty or `expires_in`
    /// is not a positive number of seconds: such a response must never replace a good token.
    pub(crate) fn from_response(
        access_token: AccessToken,
        refresh_token: RefreshToken,
        expires_in: i64,
        userid: Option<String>,
        scope: Option<String>,
        now: Timestamp,
        previous: Option<&TokenSet>,
    ) -> Result<Self, Error> {
        if access_token.expose_secret().trim().is_empty()
            || refresh_token.expose_secret().trim().is_empty()
        {
            return Err(Error::new(crate::ErrorKind::Decode).with_message(
                "the token response holds an empty token; the stored token was kept",
            ));
        }
        let expires_at = (expires_in > 0)
            .then(|| now.checked_add(SignedDuration::from_secs(expires_in)).ok())
            .flatten()
            .ok_or_else(|| {
                Error::new(crate::ErrorKind::Decode).with_message(format!(
                    "the token response has expires_in = {expires_in}; the stored token was kept"
                ))
            })?;
        let userid = userid
            .filter(|u| !u.is_empty())
            .or_else(|| previous.and_then(|p| p.userid.clone()));
        let scope = scope.or_else(|| previous.and_then(|p| p.scope.clone()));
        Ok(Self {
            access_token,
            refresh_token,
            expires_at,
            userid,
            scope,
        })
    }

    /// The access token.
    #[must_use]
    pub fn access_token(&self) -> &AccessToken {
        &self.access_token
    }

    /// The refresh token.
    #[must_use]
    pub fn refresh_token(&self) -> &RefreshToken {
        &self.refresh_token
    }

    /// When the access token expires.
    #[must_use]
    pub fn expires_at(&self) -> Timestamp {
        self.expires_at
    }

    /// The Withings user id, when known.
    #[must_use]
    pub fn userid(&self) -> Option<&str> {
        self.userid.as_deref()
    }

    /// The scopes granted, comma-separated, when known.
    #[must_use]
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// Whether the access token has expired at `now`, or will within `margin`.
    #[must_use]
    pub fn expires_within(&self, now: Timestamp, margin: Duration) -> bool {
        let margin = SignedDuration::try_from(margin).unwrap_or(SignedDuration::MAX);
        match now.checked_add(margin) {
            Ok(t) => t >= self.expires_at,
            Err(_) => true,
        }
    }

    fn is_complete(&self) -> bool {
        !self.access_token.expose_secret().trim().is_empty()
            && !self.refresh_token.expose_secret().trim().is_empty()
    }
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &self.access_token)
            .field("refresh_token", &self.refresh_token)
            .field("expires_at", &self.expires_at)
            .field("userid", &self.userid)
            .field("scope", &self.scope)
            .finish()
    }
}

/// The future a [`TokenStore`] method returns.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// Where the newest token pair is kept between runs.
///
/// The client calls [`save`](Self::save) after every exchange and refresh, and only sends the
/// new access token once `save` returned `Ok`: if saving fails, the call fails and the old
/// refresh token (still valid for up to 8 hours, API notes §3.3) stays in the store.
/// Implementations must be atomic: after a crash, `load` returns either the old pair or the
/// new one, never a mix or an empty token.
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// The stored tokens, or `None` when nothing was stored yet.
    ///
    /// # Errors
    /// [`ErrorKind::TokenStore`](crate::ErrorKind::TokenStore) when the store cannot be read.
    fn load(&self) -> StoreFuture<'_, Option<TokenSet>>;

    /// Replaces the stored tokens with `tokens`.
    ///
    /// # Errors
    /// [`ErrorKind::TokenStore`](crate::ErrorKind::TokenStore) when the tokens could not be
    /// stored durably; the previous tokens must then still be there.
    fn save<'a>(&'a self, tokens: &'a TokenSet) -> StoreFuture<'a, ()>;

    /// Lock, re-read, refresh if still needed, write — as one operation.
    ///
    /// Takes the store's lock (across every process and machine sharing the store, for a
    /// store that can: a file lock, a database row lock), reads the stored tokens, hands them
    /// to `refresh`, saves what it returns, releases the lock, and returns the tokens now
    /// stored. `refresh` sees what another process may have stored a moment ago and keeps it
    /// ([`Refreshed::Keep`]) instead of spending a refresh token that was already rotated:
    /// two processes sharing a store never refresh with a dead token.
    ///
    /// The default takes no lock beyond the client's own single flight: right for a store
    /// used by one process (memory); a shared store must override it.
    ///
    /// # Errors
    /// [`ErrorKind::TokenStore`](crate::ErrorKind::TokenStore) when the store cannot be
    /// locked, read or written, and whatever `refresh` fails with (nothing is saved then).
    fn refresh_locked<'a>(&'a self, refresh: RefreshFn<'a>) -> StoreFuture<'a, Option<TokenSet>> {
        Box::pin(async move {
            let stored = self.load().await?;
            match refresh(stored.clone()).await? {
                Refreshed::Keep => Ok(stored),
                Refreshed::New(tokens) => {
                    self.save(&tokens).await?;
                    Ok(Some(tokens))
                }
            }
        })
    }
}

/// What a refresh under the store's lock decided ([`TokenStore::refresh_locked`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum Refreshed {
    /// Keep what is stored: it is current (another process refreshed it).
    Keep,
    /// Store these new tokens.
    New(TokenSet),
}

/// The refresh step of [`TokenStore::refresh_locked`]: given the tokens stored when the lock
/// was taken, keep them or return new ones.
pub type RefreshFn<'a> =
    Box<dyn FnOnce(Option<TokenSet>) -> StoreFuture<'a, Refreshed> + Send + 'a>;

impl<T: TokenStore + ?Sized> TokenStore for Arc<T> {
    fn load(&self) -> StoreFuture<'_, Option<TokenSet>> {
        (**self).load()
    }

    fn save<'a>(&'a self, tokens: &'a TokenSet) -> StoreFuture<'a, ()> {
        (**self).save(tokens)
    }

    fn refresh_locked<'a>(&'a self, refresh: RefreshFn<'a>) -> StoreFuture<'a, Option<TokenSet>> {
        (**self).refresh_locked(refresh)
    }
}

/// Tokens kept in memory only: for tests, and for programs that persist tokens elsewhere.
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    tokens: Mutex<Option<TokenSet>>,
}

impl MemoryTokenStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding `tokens`.
    #[must_use]
    pub fn with_tokens(tokens: TokenSet) -> Self {
        Self {
            tokens: Mutex::new(Some(tokens)),
        }
    }

    /// What the store holds now.
    #[must_use]
    pub fn get(&self) -> Option<TokenSet> {
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl TokenStore for MemoryTokenStore {
    fn load(&self) -> StoreFuture<'_, Option<TokenSet>> {
        let t = self.get();
        Box::pin(async move { Ok(t) })
    }

    fn save<'a>(&'a self, tokens: &'a TokenSet) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            if !tokens.is_complete() {
                return Err(Error::token_store("refusing to store an empty token"));
            }
            *self
                .tokens
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(tokens.clone());
            Ok(())
        })
    }
}

/// Tokens in a JSON file, replaced atomically.
///
/// [`refresh_locked`](TokenStore::refresh_locked) holds an exclusive OS file lock on
/// `<path>.lock` (created 0600 beside the token file, never removed) from the re-read to the
/// save: processes sharing the file (the CLI from cron and a daemon, two clients) refresh
/// one at a time, and each sees the pair the previous one saved. The lock is advisory: only
/// this crate's stores take it.
///
/// `save` writes a temporary file in the same directory (mode 0600 on Unix), fsyncs it,
/// renames it over the token file and fsyncs the directory. A crash or a failure at any point
/// leaves the previous file as it was; an empty or incomplete token is never written. Keep the
/// file out of version control: it holds the refresh token in clear.
#[derive(Debug, Clone)]
pub struct FileTokenStore {
    path: PathBuf,
}

/// The file format. Versioned so a later format can still read this one.
#[derive(Serialize, Deserialize)]
struct StoredTokens {
    version: u32,
    access_token: String,
    refresh_token: String,
    /// Unix seconds.
    expires_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    userid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
}

impl FileTokenStore {
    /// A store at `path` (the file need not exist yet; its directory must).
    #[must_use]
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The token file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn load_blocking(path: &Path) -> Result<Option<TokenSet>, Error> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Error::token_store_with_source(
                    format!("cannot read {}", path.display()),
                    e,
                ));
            }
        };
        // serde's message could quote a token, so only the position is reported.
        let stored: StoredTokens = serde_json::from_slice(&bytes).map_err(|e| {
            Error::token_store(format!(
                "{} is not a token file written by this crate (line {}, column {}); \
                 delete it and run the authorization again",
                path.display(),
                e.line(),
                e.column()
            ))
        })?;
        let expires_at = Timestamp::from_second(stored.expires_at).map_err(|_| {
            Error::token_store(format!("{} holds an invalid expiry", path.display()))
        })?;
        let mut t = TokenSet::new(
            stored.access_token.into(),
            stored.refresh_token.into(),
            expires_at,
        );
        t.userid = stored.userid;
        t.scope = stored.scope;
        if !t.is_complete() {
            return Err(Error::token_store(format!(
                "{} holds an empty token",
                path.display()
            )));
        }
        Ok(Some(t))
    }

    fn save_blocking(path: &Path, tokens: &TokenSet) -> Result<(), Error> {
        if !tokens.is_complete() {
            return Err(Error::token_store("refusing to store an empty token"));
        }
        let stored = StoredTokens {
            version: 1,
            access_token: tokens.access_token.expose_secret().to_owned(),
            refresh_token: tokens.refresh_token.expose_secret().to_owned(),
            expires_at: tokens.expires_at.as_second(),
            userid: tokens.userid.clone(),
            scope: tokens.scope.clone(),
        };
        let json = serde_json::to_vec_pretty(&stored)
            .map_err(|e| Error::token_store_with_source("cannot serialize the tokens", e))?;
        drop(stored);
        let file_name = path
            .file_name()
            .ok_or_else(|| Error::token_store(format!("{} is not a file path", path.display())))?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(file_name);
        tmp_name.push(format!(".{}.tmp", crate::oauth::random_hex(8)));
        let tmp = dir.join(tmp_name);
        let fail = |what: &str, e: std::io::Error| {
            Error::token_store_with_source(
                format!(
                    "cannot save the tokens to {} ({what}); the previous file is unchanged",
                    path.display()
                ),
                e,
            )
        };
        let mut file = open_private(&tmp).map_err(|e| fail("create a temporary file", e))?;
        let written = file.write_all(&json).and_then(|()| file.sync_all());
        drop(file);
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(fail("write the temporary file", e));
        }
        if let Err(e) = std::fs::rename(&tmp, path) {
            let _ = std::fs::remove_file(&tmp);
            return Err(fail("rename the temporary file", e));
        }
        // Make the rename itself durable. Not possible on every platform; the data is synced.
        #[cfg(unix)]
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

fn join_error(e: tokio::task::JoinError) -> Error {
    Error::token_store_with_source("the token file task failed", e)
}

impl FileTokenStore {
    /// The lock file beside the token file: the token file itself is replaced by a rename on
    /// every save, so a lock on it would not be held by the file that follows.
    fn lock_path(&self) -> PathBuf {
        let mut name = self
            .path
            .file_name()
            .map(std::ffi::OsString::from)
            .unwrap_or_default();
        name.push(".lock");
        self.path.with_file_name(name)
    }

    /// Waits for the exclusive lock (blocking, on a blocking thread); released when the
    /// returned file is dropped.
    async fn lock(&self) -> Result<std::fs::File, Error> {
        let path = self.lock_path();
        tokio::task::spawn_blocking(move || {
            let mut o = std::fs::OpenOptions::new();
            o.read(true).write(true).create(true).truncate(false);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                o.mode(0o600);
            }
            let file = o.open(&path).map_err(|e| {
                Error::token_store_with_source(format!("cannot open {}", path.display()), e)
            })?;
            file.lock().map_err(|e| {
                Error::token_store_with_source(format!("cannot lock {}", path.display()), e)
            })?;
            Ok(file)
        })
        .await
        .map_err(join_error)?
    }
}

impl TokenStore for FileTokenStore {
    fn refresh_locked<'a>(&'a self, refresh: RefreshFn<'a>) -> StoreFuture<'a, Option<TokenSet>> {
        Box::pin(async move {
            let lock = self.lock().await?;
            let stored = self.load().await?;
            let result = match refresh(stored.clone()).await? {
                Refreshed::Keep => stored,
                Refreshed::New(tokens) => {
                    self.save(&tokens).await?;
                    Some(tokens)
                }
            };
            drop(lock);
            Ok(result)
        })
    }

    fn load(&self) -> StoreFuture<'_, Option<TokenSet>> {
        let path = self.path.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || Self::load_blocking(&path))
                .await
                .map_err(join_error)?
        })
    }

    fn save<'a>(&'a self, tokens: &'a TokenSet) -> StoreFuture<'a, ()> {
        let path = self.path.clone();
        let tokens = tokens.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || Self::save_blocking(&path, &tokens))
                .await
                .map_err(join_error)?
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_second(secs).unwrap()
    }

    #[test]
    fn expiry_comes_from_expires_in_and_the_clock() {
        let set = TokenSet::from_response(
            "a".into(),
            "r".into(),
            10_800,
            Some("42".into()),
            None,
            t(1_000),
            None,
        )
        .unwrap();
        assert_eq!(set.expires_at(), t(11_800));
        assert!(!set.expires_within(t(11_400), Duration::from_secs(300)));
        assert!(set.expires_within(t(11_500), Duration::from_secs(300)));
        assert!(set.expires_within(t(11_800), Duration::ZERO));
    }

    #[test]
    fn userid_is_kept_when_a_refresh_omits_it() {
        let old = TokenSet::new("a".into(), "r".into(), t(0)).with_userid("10203040");
        let new = TokenSet::from_response("b".into(), "s".into(), 10, None, None, t(5), Some(&old))
            .unwrap();
        assert_eq!(new.userid(), Some("10203040"));
        let other = TokenSet::from_response(
            "b".into(),
            "s".into(),
            10,
            Some("7".into()),
            None,
            t(5),
            Some(&old),
        )
        .unwrap();
        assert_eq!(other.userid(), Some("7"));
    }

    #[test]
    fn empty_tokens_and_bad_expiry_are_refused() {
        assert!(
            TokenSet::from_response("".into(), "r".into(), 10, None, None, t(0), None).is_err()
        );
        assert!(
            TokenSet::from_response("a".into(), " ".into(), 10, None, None, t(0), None).is_err()
        );
        assert!(
            TokenSet::from_response("a".into(), "r".into(), 0, None, None, t(0), None).is_err()
        );
    }

    #[test]
    fn debug_is_redacted() {
        let set = TokenSet::new("ACCESS-1".into(), "REFRESH-1".into(), t(0)).with_userid("1");
        let d = format!("{set:?}");
        assert!(!d.contains("ACCESS-1") && !d.contains("REFRESH-1"), "{d}");
        assert!(d.contains("AccessToken([redacted])"), "{d}");
    }
}
