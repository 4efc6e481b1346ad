//! The browser session: the session token in an `HttpOnly`, `SameSite=Lax` cookie, so
//! page scripts never hold it, and the `Origin` check that keeps other sites from
//! using it. API clients keep sending `Authorization: Bearer`; only a session that
//! came from the cookie is held to the origin rule.
//!
//! The cookie's name depends on the site's scheme ([`site_is_https`]): over HTTPS it
//! is `__Host-floodgate_session` (`Secure`, `Path=/`, no `Domain`), which browsers
//! let only this very host set, so a page on a sibling subdomain cannot toss a
//! cookie of that name at us; over plain HTTP (a laptop, a test) it is
//! `floodgate_session`, which a sibling *can* toss (the `__Host-` prefix needs
//! HTTPS). On HTTPS only the `__Host-` cookie is read. When a request carries several
//! cookies of the name (their order in `Cookie` says nothing), [`session_tokens`]
//! hands them all over and the extractor accepts the session only if exactly one of
//! them is valid: a tossed second cookie never wins, at worst the visitor looks
//! signed out.
//!
//! The rule: a request authenticated by the cookie that changes state (any method
//! but GET, HEAD and OPTIONS) or opens a WebSocket (a GET that browsers send
//! cross-site with cookies, and SameSite=Lax does not stop on same-site subdomains)
//! must carry an `Origin` equal to the server's own (scheme, then `Host`). Browsers
//! always send `Origin` on those requests, so a missing one is refused too.

use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum_extra::extract::cookie::{Cookie, SameSite};

use crate::error::ApiError;

/// The cookie's name on a plain-HTTP site.
pub const SESSION_COOKIE: &str = "floodgate_session";
/// The cookie's name on an HTTPS site.
pub const HOST_SESSION_COOKIE: &str = "__Host-floodgate_session";

/// The session cookie's name on a site served over HTTPS or not.
pub fn cookie_name(https: bool) -> &'static str {
    if https {
        HOST_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// Every distinct, non-empty value of the session cookie this site reads (see the
/// module's notes), in every `Cookie` header of the request.
pub fn session_tokens(headers: &HeaderMap, https: bool) -> Vec<String> {
    let name = cookie_name(https);
    let mut tokens: Vec<String> = Vec::new();
    for value in headers.get_all(header::COOKIE) {
        let Ok(value) = value.to_str() else { continue };
        for pair in value.split(';') {
            let Some((k, v)) = pair.trim().split_once('=') else {
                continue;
            };
            let v = v.trim().trim_matches('"');
            if k.trim() == name && !v.is_empty() && !tokens.iter().any(|t| t == v) {
                tokens.push(v.to_owned());
            }
        }
    }
    tokens
}

/// `Set-Cookie` that stores `token` for `max_age_secs` on a site served over HTTPS
/// (`__Host-`, `Secure`) or not.
pub fn set_session(token: &str, max_age_secs: i64, https: bool) -> HeaderValue {
    let cookie = Cookie::build((cookie_name(https), token.to_owned()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(https)
        .path("/")
        .max_age(time::Duration::seconds(max_age_secs));
    header_value(&cookie.build())
}

/// `Set-Cookie` that removes the session.
pub fn clear_session(https: bool) -> HeaderValue {
    let cookie = Cookie::build((cookie_name(https), ""))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(https)
        .path("/")
        .max_age(time::Duration::ZERO);
    header_value(&cookie.build())
}

fn header_value(cookie: &Cookie<'_>) -> HeaderValue {
    // A token is base64url and dots; nothing in it needs quoting.
    HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Whether the site is served over HTTPS: the operator says so
/// (`FLOODGATE_SECURE_COOKIES`), or a trusted proxy's `X-Forwarded-Proto` does.
/// (Not the browser's `Origin`: that is the client's word, and what the origin rule
/// checks against this.)
pub fn site_is_https(parts: &Parts, secure_cookies: bool, trusted_proxy_hops: usize) -> bool {
    secure_cookies
        || (trusted_proxy_hops > 0
            && parts
                .headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|p| {
                    p.split(',')
                        .next_back()
                        .map(str::trim)
                        .is_some_and(|p| p.eq_ignore_ascii_case("https"))
                }))
}

/// Whether the request must pass the origin check when the cookie authenticates it.
pub fn needs_origin_check(parts: &Parts) -> bool {
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    !safe || is_websocket_upgrade(parts)
}

/// Whether the request is a WebSocket handshake (a GET with `Upgrade: websocket`).
pub fn is_websocket_upgrade(parts: &Parts) -> bool {
    parts.method == Method::GET
        && parts
            .headers
            .get(header::UPGRADE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// Refuses a request whose `Origin` is missing or is not this server: the site's
/// scheme (`https` when [`site_is_https`]) and the request's `Host`. With
/// `required = false` a missing `Origin` passes (sign-in forms posted by non-browser
/// clients), a foreign one never does.
pub fn check_origin(parts: &Parts, https: bool, required: bool) -> Result<(), ApiError> {
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
    let scheme = if https { "https://" } else { "http://" };
    let authority = origin
        .get(..scheme.len())
        .filter(|s| s.eq_ignore_ascii_case(scheme))
        .map(|_| &origin[scheme.len()..])
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
    fn origin_must_be_this_scheme_and_host() {
        let host = ("host", "tickets.example:8080");
        let same = parts(
            Method::POST,
            &[host, ("origin", "http://TICKETS.example:8080")],
        );
        assert!(check_origin(&same, false, true).is_ok());
        let same_https = parts(
            Method::POST,
            &[host, ("origin", "https://tickets.example:8080")],
        );
        assert!(check_origin(&same_https, true, true).is_ok());
        // The scheme counts: an https page is not this http site, and back.
        assert_eq!(
            check_origin(&same_https, false, true).unwrap_err().code(),
            "bad_origin"
        );
        assert_eq!(
            check_origin(&same, true, true).unwrap_err().code(),
            "bad_origin"
        );
        for bad in [
            "https://evil.example",
            "http://evil.example",
            "http://tickets.example",
            "http://tickets.example:8080.evil",
            "ws://tickets.example:8080",
            "http:/tickets.example:8080",
            "null",
            "",
        ] {
            let p = parts(Method::POST, &[host, ("origin", bad)]);
            let e = check_origin(&p, false, false).unwrap_err();
            assert_eq!(e.code(), "bad_origin", "{bad}");
        }
        let missing = parts(Method::POST, &[host]);
        assert!(check_origin(&missing, false, true).is_err());
        assert!(check_origin(&missing, false, false).is_ok());
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
        assert!(!is_websocket_upgrade(&parts(
            Method::POST,
            &[("upgrade", "websocket")]
        )));
    }

    #[test]
    fn the_cookie_is_http_only_lax_and_host_prefixed_over_https() {
        let v = set_session("abc.def", 60, false);
        let s = v.to_str().unwrap();
        assert!(s.starts_with("floodgate_session=abc.def"), "{s}");
        assert!(s.contains("HttpOnly") && s.contains("SameSite=Lax") && s.contains("Path=/"));
        assert!(!s.contains("Secure"));
        let s = set_session("t", 60, true).to_str().unwrap().to_owned();
        assert!(s.starts_with("__Host-floodgate_session=t;"), "{s}");
        assert!(s.contains("Secure") && s.contains("Path=/") && !s.contains("Domain"));
        assert!(clear_session(false).to_str().unwrap().contains("Max-Age=0"));
        let s = clear_session(true).to_str().unwrap().to_owned();
        assert!(s.starts_with("__Host-floodgate_session=;") && s.contains("Secure"));
    }

    #[test]
    fn every_session_cookie_of_the_sites_name_is_handed_over() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static(
                "floodgate_session=tossed; a=1; __Host-floodgate_session=mine; \
                 floodgate_session=plain; floodgate_session=",
            ),
        );
        h.append(
            header::COOKIE,
            HeaderValue::from_static("floodgate_session=tossed; __HOST-floodgate_session=x"),
        );
        // Over HTTPS only the host-only cookie counts; a tossed plain one is ignored.
        assert_eq!(session_tokens(&h, true), vec!["mine".to_owned()]);
        // Over HTTP every plain one is a candidate, each once, none empty.
        assert_eq!(
            session_tokens(&h, false),
            vec!["tossed".to_owned(), "plain".to_owned()]
        );
        assert!(session_tokens(&HeaderMap::new(), false).is_empty());
    }

    #[test]
    fn https_is_told_by_the_operator_or_a_trusted_proxy_never_the_origin() {
        let p = parts(Method::POST, &[("origin", "https://x")]);
        assert!(!site_is_https(&p, false, 0));
        assert!(site_is_https(&p, true, 0));
        let p = parts(Method::POST, &[("x-forwarded-proto", "https")]);
        assert!(!site_is_https(&p, false, 0));
        assert!(site_is_https(&p, false, 1));
        let p = parts(Method::POST, &[("x-forwarded-proto", "https, http")]);
        assert!(!site_is_https(&p, false, 1));
    }
}
