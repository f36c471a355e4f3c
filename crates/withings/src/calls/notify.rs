//! `/notify subscribe`, `get`, `list`, `update`, `revoke`.

use withings_decode::notify::Subscription;
use withings_http::RedirectUri;
use withings_model::EmptyBody;
use withings_model::notify::{
    Appli, NotifyGet, NotifyList, Revoke, Subscribe, Update, UpdateChange,
};

use crate::{Client, Result};

/// Checks a callback URL against Withings' rules before subscribing (reference §3.1, §8):
/// `https`, a valid URL, a domain name (no IP address, no `localhost`), port 80 or 443, at
/// most 255 characters. Withings answers status 293 to a URL that breaks them — or that does
/// not answer its `HEAD` probe with 2xx, which only the server can check.
///
/// ```
/// use withings::{ErrorKind, RedirectUriRule, check_callback_url};
///
/// assert!(check_callback_url("https://example.com/withings/notify/4f1c").is_ok());
/// let e = check_callback_url("http://192.168.1.20:8123/api/webhook").unwrap_err();
/// assert_eq!(e.http_kind(), Some(ErrorKind::RedirectUri(RedirectUriRule::NotHttps)));
/// ```
///
/// # Errors
/// [`Error::Http`](crate::Error::Http) with
/// [`ErrorKind::RedirectUri`](withings_http::ErrorKind::RedirectUri) naming the first rule
/// broken.
pub fn check_callback_url(url: &str) -> Result<RedirectUri> {
    Ok(RedirectUri::parse(url)?)
}

/// Notification subscriptions. From [`Client::notify`].
#[derive(Debug, Clone, Copy)]
pub struct NotifyCalls<'a> {
    client: &'a Client,
}

impl<'a> NotifyCalls<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Self { client }
    }

    /// `subscribe`: Withings will POST a notification to `callbackurl` when the user has new
    /// data of the `appli` category. The URL is checked with [`check_callback_url`] before
    /// anything is sent.
    ///
    /// ```no_run
    /// # async fn _run(client: &withings::Client) -> withings::Result<()> {
    /// use withings::Appli;
    /// client
    ///     .notify()
    ///     .subscribe("https://example.com/withings/notify/4f1c", Appli::Weight)
    ///     .comment("weight sync")
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn subscribe(&self, callbackurl: impl Into<String>, appli: Appli) -> SubscribeRequest {
        SubscribeRequest {
            client: self.client.clone(),
            endpoint: Subscribe::new(callbackurl, appli),
            restricted: false,
        }
    }

    /// `get`: the subscription of `callbackurl` (for appli 1 unless
    /// [`appli`](NotifyGetRequest::appli) says otherwise — the API's default).
    ///
    /// ```no_run
    /// # async fn _run(client: &withings::Client) -> withings::Result<()> {
    /// use withings::Appli;
    /// let sub = client.notify().get("https://example.com/withings/notify/4f1c").appli(Appli::Sleep).send().await?;
    /// println!("expires {:?}", sub.expires);
    /// # Ok(()) }
    /// ```
    pub fn get(&self, callbackurl: impl Into<String>) -> NotifyGetRequest {
        NotifyGetRequest {
            client: self.client.clone(),
            endpoint: NotifyGet::new(callbackurl),
        }
    }

    /// `list`: the user's subscriptions (all, or one appli's).
    ///
    /// ```no_run
    /// # async fn _run(client: &withings::Client) -> withings::Result<()> {
    /// for sub in client.notify().list().send().await? {
    ///     println!("{} -> {}", sub.appli, sub.callback_url);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> NotifyListRequest {
        NotifyListRequest {
            client: self.client.clone(),
            endpoint: NotifyList::new(),
        }
    }

    /// `update`: changes one thing of the subscription of `callbackurl` for `appli`: its URL,
    /// its appli or its comment (the API takes exactly one). A new URL is checked with
    /// [`check_callback_url`] first.
    ///
    /// ```no_run
    /// # async fn _run(client: &withings::Client) -> withings::Result<()> {
    /// use withings::{Appli, UpdateChange};
    /// client
    ///     .notify()
    ///     .update(
    ///         "https://example.com/withings/notify/4f1c",
    ///         Appli::Weight,
    ///         UpdateChange::CallbackUrl("https://example.com/withings/notify/9d2e".into()),
    ///     )
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn update(
        &self,
        callbackurl: impl Into<String>,
        appli: Appli,
        change: UpdateChange,
    ) -> NotifyUpdateRequest {
        NotifyUpdateRequest {
            client: self.client.clone(),
            endpoint: Update::new(callbackurl, appli, change),
            restricted: false,
        }
    }

    /// `revoke`: removes the subscription of `callbackurl` (for one appli, or the server's
    /// default).
    ///
    /// ```no_run
    /// # async fn _run(client: &withings::Client) -> withings::Result<()> {
    /// use withings::Appli;
    /// client.notify().revoke("https://example.com/withings/notify/4f1c").appli(Appli::Weight).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn revoke(&self, callbackurl: impl Into<String>) -> NotifyRevokeRequest {
        NotifyRevokeRequest {
            client: self.client.clone(),
            endpoint: Revoke::new(callbackurl),
        }
    }
}

fn check(url: &str, restricted: bool) -> Result<()> {
    if restricted {
        RedirectUri::restricted(url)?;
    } else {
        check_callback_url(url)?;
    }
    Ok(())
}

/// `notify subscribe`, from [`NotifyCalls::subscribe`]. Answers nothing ([`EmptyBody`]).
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct SubscribeRequest {
    client: Client,
    endpoint: Subscribe,
    restricted: bool,
}

impl SubscribeRequest {
    /// A comment kept with the subscription.
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.endpoint = self.endpoint.comment(comment);
        self
    }

    /// Accepts any absolute http(s) callback URL (localhost, IP addresses, other ports), for
    /// an application Withings keeps in restricted (development) mode.
    pub fn restricted_mode(mut self) -> Self {
        self.restricted = true;
        self
    }

    /// Checks the callback URL, then subscribes.
    ///
    /// # Errors
    /// [`Error::Http`](crate::Error::Http) with `ErrorKind::RedirectUri` when the URL breaks
    /// a rule (nothing is sent); otherwise those of [`Client::send`] (status 293: Withings
    /// could not reach the URL with a `HEAD` request).
    pub async fn send(&self) -> Result<EmptyBody> {
        check(&self.endpoint.callbackurl, self.restricted)?;
        self.client.send(&self.endpoint).await
    }
}

request_common!(SubscribeRequest, Subscribe);

/// `notify get`, from [`NotifyCalls::get`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct NotifyGetRequest {
    client: Client,
    endpoint: NotifyGet,
}

impl NotifyGetRequest {
    /// For this appli (default: 1, weight).
    pub fn appli(mut self, appli: Appli) -> Self {
        self.endpoint = self.endpoint.appli(appli);
        self
    }
}

single_call!(NotifyGetRequest, NotifyGet, Subscription);

/// `notify list`, from [`NotifyCalls::list`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct NotifyListRequest {
    client: Client,
    endpoint: NotifyList,
}

impl NotifyListRequest {
    /// Only this appli's subscriptions.
    pub fn appli(mut self, appli: Appli) -> Self {
        self.endpoint = self.endpoint.appli(appli);
        self
    }
}

single_call!(NotifyListRequest, NotifyList, Vec<Subscription>);

/// `notify update`, from [`NotifyCalls::update`]. Answers nothing ([`EmptyBody`]).
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct NotifyUpdateRequest {
    client: Client,
    endpoint: Update,
    restricted: bool,
}

impl NotifyUpdateRequest {
    /// Accepts any absolute http(s) new callback URL (restricted-mode applications).
    pub fn restricted_mode(mut self) -> Self {
        self.restricted = true;
        self
    }

    /// Checks a new callback URL, then updates.
    ///
    /// # Errors
    /// As [`SubscribeRequest::send`].
    pub async fn send(&self) -> Result<EmptyBody> {
        if let UpdateChange::CallbackUrl(url) = &self.endpoint.change {
            check(url, self.restricted)?;
        }
        self.client.send(&self.endpoint).await
    }
}

request_common!(NotifyUpdateRequest, Update);

/// `notify revoke`, from [`NotifyCalls::revoke`]. Answers nothing ([`EmptyBody`]).
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct NotifyRevokeRequest {
    client: Client,
    endpoint: Revoke,
}

impl NotifyRevokeRequest {
    /// Only this appli's subscription.
    pub fn appli(mut self, appli: Appli) -> Self {
        self.endpoint = self.endpoint.appli(appli);
        self
    }
}

single_call!(NotifyRevokeRequest, Revoke, EmptyBody);
