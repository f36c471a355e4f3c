//! The authorize page, `/v2/oauth2` (requesttoken, revoke, getdemoaccess) and
//! `/v2/signature getnonce` (API notes §3).

use jiff::Timestamp;
use withings_model::Service;
use withings_model::oauth2::{GetDemoAccess, RequestToken, Revoke};
use withings_model::signature::GetNonce;

use super::{ApiError, Inner, Outgoing, Params};
use crate::json::{J, Obj};
use crate::state::{Issued, Refused};

/// The demo user's id: invented, sent as a string like the support article shows (§3.2).
pub(crate) const USER_ID: &str = "10203040";
/// [`USER_ID`] as a number: the other accounts of a sandbox have the ids that follow it.
pub(crate) const USER_NUMBER: i64 = 10_203_040;

/// The scopes the authorize page knows (API notes §3.1).
const SCOPES: &[&str] = &[
    "user.info",
    "user.metrics",
    "user.activity",
    "user.sleepevents",
];

fn bad_request(param: &str, why: &str) -> Outgoing {
    Outgoing::Text(
        400,
        format!("Invalid request: parameter `{param}` {why}.\n"),
    )
}

/// The sandbox-only parameter of the authorize page that names the account approving
/// (default: the first, the demo user).
pub(crate) const SANDBOX_USER: &str = "sandbox_user";

/// `GET /oauth2_user/authorize2`: the user approves at once; the browser is sent back to
/// `redirect_uri?code=…&state=…`.
pub(crate) fn authorize(inner: &Inner, now: Timestamp, query: &str) -> Outgoing {
    let p = Params::parse(query, b"");
    let Some(response_type) = p.get("response_type") else {
        return bad_request("response_type", "is missing");
    };
    if response_type != "code" {
        return bad_request("response_type", "must be `code`");
    }
    let Some(client_id) = p.get("client_id") else {
        return bad_request("client_id", "is missing");
    };
    if client_id != inner.config.client_id {
        return bad_request("client_id", "names no known application");
    }
    let Some(redirect_uri) = p.get("redirect_uri") else {
        return bad_request("redirect_uri", "is missing");
    };
    let has_host = ["https://", "http://"]
        .iter()
        .find_map(|scheme| redirect_uri.strip_prefix(scheme))
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'));
    if !has_host {
        return bad_request("redirect_uri", "must be an absolute http(s) URL");
    }
    let Some(state) = p.get("state") else {
        return bad_request("state", "is missing");
    };
    let Some(scope) = p.get("scope") else {
        return bad_request("scope", "is missing");
    };
    // Withings separates scopes with commas; OAuth libraries default to spaces (§12.16).
    if let Some(unknown) = scope.split(',').find(|s| !SCOPES.contains(s)) {
        return bad_request(
            "scope",
            &format!(
                "holds `{unknown}`, which is not a scope (scopes are comma-separated, from {})",
                SCOPES.join(",")
            ),
        );
    }
    if p.get("mode").is_some_and(|m| m != "demo") {
        return bad_request("mode", "can only be `demo`");
    }
    let user = match p.get(SANDBOX_USER) {
        None => 0,
        Some(id) => match inner.user_index(id) {
            Some(user) => user,
            None => return bad_request(SANDBOX_USER, "names no account of this sandbox"),
        },
    };
    let code = inner.state().issue_code(now, redirect_uri, scope, user);
    let (base, fragment) = redirect_uri
        .split_once('#')
        .map_or((redirect_uri, None), |(b, f)| (b, Some(f)));
    let sep = if base.contains('?') { '&' } else { '?' };
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("code", &code)
        .append_pair("state", state)
        .finish();
    let mut location = format!("{base}{sep}{query}");
    if let Some(f) = fragment {
        location.push('#');
        location.push_str(f);
    }
    Outgoing::Redirect(location)
}

fn check_client(inner: &Inner, p: &Params) -> Result<(), ApiError> {
    if p.required("client_id")? != inner.config.client_id {
        return Err(ApiError::invalid("invalid client_id"));
    }
    Ok(())
}

/// Signed actions carry a nonce and a signature; the sandbox accepts any.
fn check_signed(p: &Params) -> Result<(), ApiError> {
    p.required("nonce")?;
    p.required("signature")?;
    Ok(())
}

fn token_body(inner: &Inner, t: Issued) -> J {
    Obj::new()
        .put("userid", inner.user_id(t.user))
        .put("access_token", t.access_token)
        .put("refresh_token", t.refresh_token)
        .put("expires_in", t.expires_in)
        .put("scope", t.scope)
        .put("csrf_token", t.csrf_token)
        .put("token_type", "Bearer")
        .into()
}

fn refused(r: Refused) -> ApiError {
    ApiError::invalid(match r {
        Refused::Code => "invalid code",
        Refused::RedirectUri => "invalid redirect_uri",
        Refused::RefreshToken => "invalid refresh_token",
    })
}

/// `POST /v2/oauth2`.
pub(crate) fn oauth2(inner: &Inner, now: Timestamp, p: &Params) -> Result<J, ApiError> {
    route! { Service::OAuth2, p.get("action").unwrap_or("");
        RequestToken => {
            let grant = p.required("grant_type")?;
            if grant != "authorization_code" && grant != "refresh_token" {
                return Err(ApiError::invalid("invalid grant_type"));
            }
            check_client(inner, p)?;
            match p.get("client_secret") {
                Some(secret) if secret == inner.config.client_secret => {}
                Some(_) => return Err(ApiError::invalid("invalid client_secret")),
                None => check_signed(p)?,
            }
            let issued = if grant == "authorization_code" {
                let code = p.required("code")?;
                let redirect_uri = p.required("redirect_uri")?;
                inner.state().redeem_code(now, code, redirect_uri)
            } else {
                let token = p.required("refresh_token")?;
                inner.state().refresh(now, token)
            };
            issued.map(|t| token_body(inner, t)).map_err(refused)
        },
        Revoke => {
            check_client(inner, p)?;
            check_signed(p)?;
            let user = inner
                .user_index(p.required("userid")?)
                .ok_or_else(|| ApiError::invalid("invalid userid"))?;
            inner.state().revoke_user(user);
            Ok(Obj::new().into())
        },
        GetDemoAccess => {
            check_client(inner, p)?;
            check_signed(p)?;
            let scope = p
                .get("scope_oauth2")
                .unwrap_or("user.info,user.metrics,user.activity")
                .to_owned();
            let issued = inner.state().issue_tokens(now, 0, scope, None);
            Ok(token_body(inner, issued))
        },
        ; else => Err(ApiError::not_implemented()),
    }
}

/// `POST /v2/signature`.
pub(crate) fn signature(inner: &Inner, p: &Params) -> Result<J, ApiError> {
    route! { Service::Signature, p.get("action").unwrap_or("");
        GetNonce => {
            check_client(inner, p)?;
            p.required_int("timestamp")?;
            p.required("signature")?;
            Ok(Obj::new().put("nonce", inner.state().nonce()).into())
        },
        ; else => Err(ApiError::not_implemented()),
    }
}
