//! The browser session: the session token in an `HttpOnly`, `SameSite=Lax` cookie, so
//! page scripts never hold it, and the `Origin` check that keeps other sites from
//! using it. API clients keep sending `Authorization: Bearer`; only a session that
//! came from the cookie is held to the origin rule.
//!
//! The rule: a request authenticated by the cookie that changes state (any method
//! but GET, HEAD and OPTIONS) or opens a WebSocket (a GET that browsers send
//! cross-site with cookies, and SameSite=Lax does not stop on same-site subdomains)
//! must carry an `Origin` equal to the server's own (`Host`). Browsers always send
//! `Origin` on those requests, so a missing one is refused too.

use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use crate::error::ApiError;

/// The cookie's name.
pub const SESSION_COOKIE: &str = "floodgate_session";

/// The session token from the request's cookie, if any.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    CookieJar::from_headers(headers)
        .get(SESSION_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())
}

/// `Set-Cookie` that stores `token` for `max_age_secs`.
pub fn set_session(token: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let cookie = Cookie::build((SESSION_COOKIE, token.to_owned()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/")
        .max_age(time::Duration::seconds(max_age_secs));
    header_value(&cookie.build())
}

/// `Set-Cookie` that removes the session.
pub fn clear_session(secure: bool) -> HeaderValue {
    let cookie = Cookie::build((SESSION_COOKIE, ""))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/")
        .max_age(time::Duration::ZERO);
    header_value(&cookie.build())
}

fn header_value(cookie: &Cookie<'_>) -> HeaderValue {
    // A token is base64url and dots; nothing in it needs quoting.
    HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Whether the browser reached us over HTTPS: its `Origin` says so, or (behind
/// trusted proxies) `X-Forwarded-Proto` does.
pub fn over_https(parts: &Parts, trusted_proxy_hops: usize) -> bool {
    let origin_https = parts
        .headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|o| o.starts_with("https://"));
    let forwarded_https = trusted_proxy_hops > 0
        && parts
            .headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.split(',').next_back().map(str::trim) == Some("https"));
    origin_https || forwarded_https
}

/// Whether the request must pass the origin check when the cookie authenticates it.
pub fn needs_origin_check(parts: &Parts) -> bool {
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    let upgrade = parts
        .headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    !safe || upgrade
}

/// Refuses a request whose `Origin` is missing or is not this server. With
/// `required = false` a missing `Origin` passes (sign-in forms posted by non-browser
/// clients), a foreign one never does.
pub fn check_origin(parts: &Parts, required: bool) -> Result<(), ApiError> {
    let refused = |message: &str| ApiError::Refused {
        code: "bad_origin",
        message: message.to_owned(),
    };
    let Some(origin) = parts.headers.get(header::ORIGIN) else {
        return if required {
            Err(refused(
                "this request needs an Origin header from a browser on this site",
            ))
        } else {
            Ok(())
        };
    };
    let origin = origin.to_str().unwrap_or("");
    let authority = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .unwrap_or("");
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()))
        .unwrap_or("");
    if authority.is_empty() || !authority.eq_ignore_ascii_case(host) {
        return Err(refused("requests from other sites are refused"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(method: Method, headers: &[(&str, &str)]) -> Parts {
        let mut req = Request::builder().method(method).uri("/api/v1/x");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.body(()).unwrap().into_parts().0
    }

    #[test]
    fn origin_must_be_this_host() {
        let host = ("host", "tickets.example:8080");
        let same = parts(
            Method::POST,
            &[host, ("origin", "https://tickets.example:8080")],
        );
        assert!(check_origin(&same, true).is_ok());
        let same_http = parts(
            Method::POST,
            &[host, ("origin", "http://TICKETS.example:8080")],
        );
        assert!(check_origin(&same_http, true).is_ok());
        for bad in [
            "https://evil.example",
            "https://tickets.example",
            "https://tickets.example:8080.evil",
            "null",
            "",
        ] {
            let p = parts(Method::POST, &[host, ("origin", bad)]);
            let e = check_origin(&p, false).unwrap_err();
            assert_eq!(e.code(), "bad_origin", "{bad}");
        }
        let missing = parts(Method::POST, &[host]);
        assert!(check_origin(&missing, true).is_err());
        assert!(check_origin(&missing, false).is_ok());
    }

    #[test]
    fn state_changes_and_sockets_are_checked_reads_are_not() {
        assert!(needs_origin_check(&parts(Method::POST, &[])));
        assert!(needs_origin_check(&parts(Method::DELETE, &[])));
        assert!(needs_origin_check(&parts(Method::PATCH, &[])));
        assert!(needs_origin_check(&parts(
            Method::GET,
            &[("upgrade", "WebSocket")]
        )));
        assert!(!needs_origin_check(&parts(Method::GET, &[])));
        assert!(!needs_origin_check(&parts(Method::HEAD, &[])));
    }

    #[test]
    fn the_cookie_is_http_only_lax_and_secure_when_asked() {
        let v = set_session("abc.def", 60, false);
        let s = v.to_str().unwrap();
        assert!(s.starts_with("floodgate_session=abc.def"), "{s}");
        assert!(s.contains("HttpOnly") && s.contains("SameSite=Lax") && s.contains("Path=/"));
        assert!(!s.contains("Secure"));
        assert!(set_session("t", 60, true)
            .to_str()
            .unwrap()
            .contains("Secure"));
        assert!(clear_session(false).to_str().unwrap().contains("Max-Age=0"));
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; floodgate_session=tok; b=2"),
        );
        assert_eq!(session_token(&h).as_deref(), Some("tok"));
    }

    #[test]
    fn https_is_told_by_origin_or_a_trusted_proxy() {
        let p = parts(Method::POST, &[("origin", "https://x")]);
        assert!(over_https(&p, 0));
        let p = parts(Method::POST, &[("x-forwarded-proto", "https")]);
        assert!(!over_https(&p, 0));
        assert!(over_https(&p, 1));
    }
}
