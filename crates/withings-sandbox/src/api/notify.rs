//! `/notify`: an in-memory subscription list per user (API notes §5.12, §8). A callback URL
//! the sandbox can reach (`http://` on loopback) receives the notifications
//! (`crate::deliver`), and is probed with HEAD before the subscription is recorded when the
//! builder asks for it; any other URL is recorded as it is and never contacted, so the
//! sandbox stays on loopback.

use withings_model::Service;
use withings_model::notify::{NotifyGet, NotifyList, Revoke, Subscribe, Update};

use super::{Answer, ApiError, Inner, Outgoing, Params, Probe, ok_envelope};
use crate::json::{J, Obj};
use crate::state::Subscription;

/// `expires` as listed by Withings: effectively never (API notes §5.12).
const NEVER: i64 = 2_147_483_647;

/// The notification categories a user token may subscribe to (53 needs a signed request).
const APPLIS: &[i64] = &[1, 2, 4, 16, 44, 46, 50, 51, 52, 54, 55, 58];

fn read_appli(p: &Params, key: &str) -> Result<Option<i64>, ApiError> {
    match p.int(key)? {
        Some(a) if !APPLIS.contains(&a) => Err(ApiError::invalid(format_args!("invalid {key}"))),
        a => Ok(a),
    }
}

fn callback(p: &Params, key: &str) -> Result<String, ApiError> {
    let url = p.required(key)?;
    if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() > 255 {
        // Withings answers 293 for a callback URL it cannot use (API notes §9.2).
        return Err(ApiError::new(
            293,
            "Invalid Params: callbackurl must be an http(s) URL of at most 255 characters",
        ));
    }
    Ok(url.to_owned())
}

/// Answers a subscription once its callback URL's HEAD probe is over: recorded on a 2xx,
/// otherwise status 293 (API notes §8, §9.2).
pub(crate) async fn finish_probe(inner: &Inner, probe: Probe) -> Outgoing {
    let outcome =
        crate::deliver::exchange(&probe.target, "HEAD", None, inner.config.notify_timeout).await;
    Outgoing::Json(match outcome {
        Ok(status) if (200..300).contains(&status) => {
            inner.state().subscriptions.push(probe.subscription);
            ok_envelope(Obj::new().into())
        }
        Ok(status) => ApiError::new(
            293,
            format!("Invalid Params: the callback URL answered the HEAD probe with HTTP {status}"),
        )
        .envelope(),
        Err(why) => ApiError::new(
            293,
            format!("Invalid Params: the callback URL did not answer the HEAD probe: {why}"),
        )
        .envelope(),
    })
}

/// The empty body of a successful change.
fn done() -> Result<Answer, ApiError> {
    Ok(Answer::Body(Obj::new().into()))
}

pub(super) fn handle(
    inner: &Inner,
    user: usize,
    service: Service,
    action: &str,
    p: &Params,
) -> Result<Answer, ApiError> {
    route! { service, action;
        Subscribe => {
            let callbackurl = callback(p, "callbackurl")?;
            let appli =
                read_appli(p, "appli")?.ok_or_else(|| ApiError::invalid("missing appli"))?;
            let comment = p.get("comment").unwrap_or("").to_owned();
            let subscription = Subscription {
                user,
                appli,
                callbackurl,
                comment,
            };
            let target = crate::deliver::Target::parse(&subscription.callbackurl)
                .filter(|_| inner.config.probe_callbacks);
            match target {
                Some(target) => Ok(Answer::Probe(Probe { subscription, target })),
                None => {
                    inner.state().subscriptions.push(subscription);
                    done()
                }
            }
        },
        NotifyList => {
            let filter = read_appli(p, "appli")?;
            let profiles: Vec<J> = inner
                .state()
                .subscriptions
                .iter()
                .filter(|s| s.user == user && filter.is_none_or(|a| a == s.appli))
                .map(|s| {
                    Obj::new()
                        .put("appli", s.appli)
                        .put("callbackurl", s.callbackurl.as_str())
                        .put("expires", NEVER)
                        .put("comment", s.comment.as_str())
                        .into()
                })
                .collect();
            Ok(Answer::Body(Obj::new().put("profiles", profiles).into()))
        },
        NotifyGet => {
            let url = p.required("callbackurl")?;
            // `appli` defaults to 1 when omitted (API notes §4.1).
            let appli = read_appli(p, "appli")?.unwrap_or(1);
            let state = inner.state();
            let s = state
                .subscriptions
                .iter()
                .rev()
                .find(|s| s.user == user && s.callbackurl == url && s.appli == appli)
                .ok_or_else(|| {
                    ApiError::new(343, "No notification matching the criteria was found")
                })?;
            Ok(Answer::Body(
                Obj::new()
                    .put("appli", s.appli)
                    .put("callbackurl", s.callbackurl.as_str())
                    .put("comment", s.comment.as_str())
                    .into(),
            ))
        },
        Update => {
            let url = p.required("callbackurl")?;
            let appli =
                read_appli(p, "appli")?.ok_or_else(|| ApiError::invalid("missing appli"))?;
            let new_url = p
                .get("new_callbackurl")
                .map(|_| callback(p, "new_callbackurl"))
                .transpose()?;
            let new_appli = read_appli(p, "new_appli")?;
            let comment = p.get("comment").map(str::to_owned);
            let changes = usize::from(new_url.is_some())
                + usize::from(new_appli.is_some())
                + usize::from(comment.is_some());
            if changes != 1 {
                return Err(ApiError::invalid(
                    "give exactly one of new_callbackurl, new_appli, comment",
                ));
            }
            let mut state = inner.state();
            // Only one subscription changes even when several match (API notes §8).
            let s = state
                .subscriptions
                .iter_mut()
                .find(|s| s.user == user && s.callbackurl == url && s.appli == appli)
                .ok_or_else(|| ApiError::new(286, "No such subscription was found"))?;
            if let Some(u) = new_url {
                s.callbackurl = u;
            }
            if let Some(a) = new_appli {
                s.appli = a;
            }
            if let Some(c) = comment {
                s.comment = c;
            }
            done()
        },
        Revoke => {
            let url = p.required("callbackurl")?;
            let appli = read_appli(p, "appli")?;
            let mut state = inner.state();
            let before = state.subscriptions.len();
            state
                .subscriptions
                .retain(|s| {
                    !(s.user == user && s.callbackurl == url && appli.is_none_or(|a| a == s.appli))
                });
            if state.subscriptions.len() == before {
                return Err(ApiError::new(294, "No such subscription could be deleted"));
            }
            done()
        },
        ; else => Err(ApiError::not_implemented()),
    }
}
