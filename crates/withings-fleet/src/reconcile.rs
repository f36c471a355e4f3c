//! The subscription reconciler: each user's `notify` subscriptions made equal to the
//! desired set, the fleet's callback URL × the configured applis.
//!
//! Withings drops a subscription after repeated failed deliveries (API notes §8), a user may
//! have been onboarded while the callback was down, and a changed callback URL (a new host,
//! a new path secret) leaves the old one subscribed. The reconciler lists what Withings
//! has (`notify list`), subscribes what is missing and revokes what is not wanted; a second
//! run finds nothing to do, so it can run as often as wanted: right after onboarding (the
//! server calls [`reconcile`], and enqueues a
//! [`Reconcile`](withings_postgres::JobKind::Reconcile) job when that fails), as a
//! `Reconcile` job (`withings worker --reconcile-all` enqueues one per active user), and with
//! every periodic catch-up sync of a user, which is how subscriptions Withings dropped while
//! the callback was unavailable come back.
//!
//! `notify list` lists the subscriptions *this application* made for the user (they are
//! per application, like the tokens), so every listed subscription that is not in the
//! desired set is this fleet's own leftover and is revoked. Missing subscriptions are made
//! first and leftovers revoked after, so a URL change never leaves a user without one.

use std::collections::BTreeSet;
use std::fmt;

use withings::CallbackUrl;
use withings::model::notify::{Appli, NotifyList, Revoke, Subscribe};

use crate::Result;

/// The comment given to the subscriptions the fleet makes (Withings shows it nowhere; it
/// tells a person reading `notify list` where a subscription came from).
pub const COMMENT: &str = "withings fleet";

/// What a reconciliation has to do (or did).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Plan {
    /// Applis to subscribe the callback URL to.
    pub subscribe: Vec<Appli>,
    /// Subscriptions to revoke: (appli, callback URL).
    pub revoke: Vec<(Appli, String)>,
    /// Subscriptions already as wanted.
    pub kept: usize,
    /// Listed subscriptions left alone because they cannot be revoked precisely (no appli
    /// in the listing: a revoke without one would take the URL's other applis too).
    pub skipped: Vec<String>,
}

impl Plan {
    /// Whether there is nothing to change.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.subscribe.is_empty() && self.revoke.is_empty()
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let codes = |a: &[Appli]| {
            a.iter()
                .map(|a| a.code().to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        write!(
            f,
            "{} kept, subscribed [{}], revoked [{}]",
            self.kept,
            codes(&self.subscribe),
            codes(&self.revoke.iter().map(|(a, _)| *a).collect::<Vec<_>>())
        )?;
        if !self.skipped.is_empty() {
            write!(f, ", {} without appli left alone", self.skipped.len())?;
        }
        Ok(())
    }
}

/// The difference between what is `listed` and the desired set (`callback` × `applis`).
/// Pure: the same inputs give the same plan; duplicates on either side count once.
#[must_use]
pub fn plan(listed: &[(Option<Appli>, String)], callback: &str, applis: &[Appli]) -> Plan {
    let wanted: BTreeSet<i64> = applis.iter().map(|a| a.code()).collect();
    let mut have: BTreeSet<i64> = BTreeSet::new();
    let mut revoke: BTreeSet<(i64, String)> = BTreeSet::new();
    let mut skipped = Vec::new();
    for (appli, url) in listed {
        match appli {
            Some(a) if url == callback && wanted.contains(&a.code()) => {
                have.insert(a.code());
            }
            Some(a) => {
                revoke.insert((a.code(), url.clone()));
            }
            None => skipped.push(url.clone()),
        }
    }
    Plan {
        subscribe: wanted
            .difference(&have)
            .map(|c| Appli::from_code(*c))
            .collect(),
        revoke: revoke
            .into_iter()
            .map(|(c, url)| (Appli::from_code(c), url))
            .collect(),
        kept: have.len(),
        skipped,
    }
}

/// Reconciles one user's subscriptions through `client` (built with the user's tokens):
/// lists them, subscribes the missing applis to `callback`, then revokes the leftovers.
/// Returns what it did.
///
/// # Errors
/// The first failed call ([`crate::Error::Withings`]); what was done before it stays done,
/// and the next run does the rest.
pub async fn reconcile(
    client: &withings::Client,
    callback: &CallbackUrl,
    applis: &[Appli],
) -> Result<Plan> {
    let listed = client.send(&NotifyList::new()).await?;
    for r in &listed.rejected {
        tracing::warn!(path = %r.path, error = %r.error, "a listed subscription could not be read; left alone");
    }
    let listed: Vec<(Option<Appli>, String)> = listed
        .iter()
        .map(|s| (s.appli, s.callback_url.clone()))
        .collect();
    let plan = plan(&listed, callback.as_str(), applis);
    for appli in &plan.subscribe {
        client
            .send(&Subscribe::new(callback.clone(), *appli).comment(COMMENT))
            .await?;
    }
    for (appli, url) in &plan.revoke {
        client
            .send(&Revoke::new(url.as_str()).appli(*appli))
            .await?;
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://fleet.example.com/notify/s3cr3t";

    fn a(code: i64) -> Appli {
        Appli::from_code(code)
    }

    #[test]
    fn an_empty_listing_subscribes_every_configured_appli() {
        let p = plan(&[], URL, &[a(1), a(44), a(16)]);
        assert_eq!(p.subscribe, vec![a(1), a(16), a(44)]);
        assert!(p.revoke.is_empty());
        assert_eq!(p.kept, 0);
    }

    #[test]
    fn the_wanted_set_listed_plans_nothing() {
        let listed = vec![(Some(a(1)), URL.to_owned()), (Some(a(44)), URL.to_owned())];
        let p = plan(&listed, URL, &[a(44), a(1)]);
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(p.kept, 2);
    }

    #[test]
    fn an_old_url_and_an_unwanted_appli_are_revoked() {
        let old = "https://old.example.com/notify/x";
        let listed = vec![
            (Some(a(1)), URL.to_owned()),
            (Some(a(4)), URL.to_owned()),
            (Some(a(1)), old.to_owned()),
            (Some(a(1)), old.to_owned()),
        ];
        let p = plan(&listed, URL, &[a(1), a(44)]);
        assert_eq!(p.subscribe, vec![a(44)]);
        assert_eq!(
            p.revoke,
            vec![(a(1), old.to_owned()), (a(4), URL.to_owned())]
        );
        assert_eq!(p.kept, 1);
        assert_eq!(p.to_string(), "1 kept, subscribed [44], revoked [1,4]");
    }

    #[test]
    fn a_listing_without_appli_is_left_alone() {
        let listed = vec![(None, URL.to_owned())];
        let p = plan(&listed, URL, &[a(1)]);
        assert_eq!(p.subscribe, vec![a(1)]);
        assert!(p.revoke.is_empty());
        assert_eq!(p.skipped, vec![URL.to_owned()]);
    }
}
