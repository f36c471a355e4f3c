//! `/v2/oauth2`: authorization, tokens, revocation (the work is done by
//! [`withings_http`]).

use withings_http::{AuthorizationCode, PendingAuthorization, Scope, TokenSet};

use crate::{Client, Result};

/// Authorization and tokens. From [`Client::oauth2`].
///
/// ```no_run
/// # async fn _run(client: &withings::Client) -> withings::Result<()> {
/// use withings::Scope;
///
/// let pending = client.oauth2().authorize(&[Scope::UserMetrics, Scope::UserActivity])?;
/// println!("Open {}", pending.url());
/// let mut pasted = String::new();
/// std::io::stdin().read_line(&mut pasted).ok();
/// let tokens = client.oauth2().complete_authorization(&pending, &pasted).await?;
/// println!("authorized user {:?}", tokens.userid());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct OAuth2Calls<'a> {
    client: &'a Client,
}

impl<'a> OAuth2Calls<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Self { client }
    }

    /// Starts an authorization: the URL to send the user to (with a fresh `state`).
    ///
    /// # Errors
    /// `ErrorKind::Config` without credentials, redirect URI or scopes.
    pub fn authorize(&self, scopes: &[Scope]) -> Result<PendingAuthorization> {
        self.client.authorize(scopes)
    }

    /// As [`authorize`](Self::authorize), logging in as Withings' demo user.
    ///
    /// # Errors
    /// As [`authorize`](Self::authorize).
    pub fn authorize_demo(&self, scopes: &[Scope]) -> Result<PendingAuthorization> {
        Ok(self.client.http().authorize_demo(scopes)?)
    }

    /// Completes an authorization from what the user pasted (the redirected URL, whose
    /// `state` must match, or the bare code), and saves the tokens.
    ///
    /// # Errors
    /// `InvalidState`, `AccessDenied`, `CodeExpired` (codes live 30 s), `TokenStore`...
    pub async fn complete_authorization(
        &self,
        pending: &PendingAuthorization,
        pasted: &str,
    ) -> Result<TokenSet> {
        self.client.complete_authorization(pending, pasted).await
    }

    /// Exchanges an authorization code (`requesttoken`) and saves the tokens.
    ///
    /// # Errors
    /// As [`complete_authorization`](Self::complete_authorization).
    pub async fn exchange_code(&self, code: &AuthorizationCode) -> Result<TokenSet> {
        self.client.exchange_code(code).await
    }

    /// Refreshes the tokens now (`requesttoken`, grant `refresh_token`) and saves them.
    ///
    /// # Errors
    /// `Auth` when the refresh token is refused or absent; `TokenStore`.
    pub async fn refresh(&self) -> Result<TokenSet> {
        self.client.refresh().await
    }

    /// The current tokens, `None` when there are none.
    ///
    /// # Errors
    /// `TokenStore` when the store cannot be read.
    pub async fn tokens(&self) -> Result<Option<TokenSet>> {
        self.client.tokens().await
    }

    /// Tokens for Withings' demo account (`getdemoaccess`, signed), saved like an
    /// authorization's.
    ///
    /// # Errors
    /// `Config` without credentials; the API's errors.
    pub async fn demo_access(&self, scopes: &[Scope]) -> Result<TokenSet> {
        Ok(self.client.http().demo_access(scopes).await?)
    }

    /// `revoke` (signed with a fresh nonce): ends the user's authorization of this
    /// application and removes their notification subscriptions.
    ///
    /// ```no_run
    /// # async fn _run(client: &withings::Client) -> withings::Result<()> {
    /// client.oauth2().revoke("10203040").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn revoke(&self, userid: impl Into<String>) -> RevokeUserRequest {
        RevokeUserRequest {
            client: self.client.clone(),
            userid: userid.into(),
        }
    }
}

/// `oauth2 revoke`, from [`OAuth2Calls::revoke`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct RevokeUserRequest {
    client: Client,
    userid: String,
}

impl RevokeUserRequest {
    /// Gets a nonce, signs, and revokes.
    ///
    /// # Errors
    /// `Config` without credentials; the API's errors (status 342: bad signature).
    pub async fn send(&self) -> Result<()> {
        Ok(self.client.http().revoke(&self.userid).await?)
    }
}
