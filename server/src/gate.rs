//! The gate for shops Floodgate does not own (docs/ARCHITECTURE.md, "Gate for other
//! shops"): the origins a visitor may be sent back to after the line, and the return
//! URL as the fan page may use it. No HTTP types: `routes/gate.rs` is the HTTP side,
//! `deploy/nginx/gate.conf` the shop's.
//!
//! The allow-list is the operator's (`FLOODGATE_GATE_ORIGINS`), as a Queue-it connector
//! names its protected sites in its own configuration: a return URL on any other
//! origin is refused, so Floodgate's line is never an open redirect, and a purchase
//! token is only ever handed to a shop the operator named.

use std::str::FromStr;

use url::Url;

/// The query parameter the fan page adds to the return URL, carrying the purchase
/// token; the shop's proxy moves it into a cookie and redirects to the URL without it.
pub const TOKEN_PARAM: &str = "floodgate_token";

/// The longest return URL taken (a browser's address bar copes with far more, but a
/// URL this long is not a shop's page).
pub const MAX_RETURN_URL_LEN: usize = 2048;

/// One origin (`scheme://host[:port]`, http or https) visitors may be returned to,
/// kept in its ASCII serialisation (`https://shop.example`, default port dropped,
/// host lower-cased and punycoded), which is how return URLs are compared to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateOrigin(String);

impl GateOrigin {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for GateOrigin {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let raw = raw.trim();
        let url = Url::parse(raw).map_err(|e| format!("{raw:?} is not an origin: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("{raw:?}: a shop's origin is http:// or https://"));
        }
        let bare = url.username().is_empty()
            && url.password().is_none()
            && url.path() == "/"
            && url.query().is_none()
            && url.fragment().is_none();
        if !bare || url.host().is_none() {
            return Err(format!(
                "{raw:?}: an origin is scheme://host[:port], with nothing after the host"
            ));
        }
        Ok(Self(url.origin().ascii_serialization()))
    }
}

/// The operator's list: comma-separated origins, blanks skipped (an empty
/// `FLOODGATE_GATE_ORIGINS` is no shop, not an error).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GateOrigins(Vec<GateOrigin>);

impl GateOrigins {
    pub fn as_slice(&self) -> &[GateOrigin] {
        &self.0
    }
}

impl FromStr for GateOrigins {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        raw.split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

/// Why a return URL is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReturnUrlError {
    #[error("return_to is longer than {MAX_RETURN_URL_LEN} characters")]
    TooLong,
    #[error("return_to must be an absolute http:// or https:// URL")]
    NotAUrl,
    #[error("return_to must not carry a user name or password")]
    Credentials,
    #[error(
        "this Floodgate does not send visitors to {0}: only to the shops its operator \
         lists in FLOODGATE_GATE_ORIGINS"
    )]
    NotAllowed(String),
}

impl ReturnUrlError {
    /// The contract's error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotAllowed(_) => "return_url_not_allowed",
            Self::TooLong | Self::NotAUrl | Self::Credentials => "invalid_return_url",
        }
    }
}

/// A return URL on an allowed origin, without any purchase token it carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnUrl {
    pub url: String,
    pub origin: String,
}

/// Checks `raw` against `allowed`: an absolute http(s) URL, no credentials, at most
/// [`MAX_RETURN_URL_LEN`] long, on one of the origins. A [`TOKEN_PARAM`] it carries
/// (a stale token from an earlier trip) is dropped; the rest of the URL is kept as the
/// parser normalised it (the shop gets its own path and query back).
pub fn check_return_url(raw: &str, allowed: &[GateOrigin]) -> Result<ReturnUrl, ReturnUrlError> {
    if raw.len() > MAX_RETURN_URL_LEN {
        return Err(ReturnUrlError::TooLong);
    }
    let mut url = Url::parse(raw).map_err(|_| ReturnUrlError::NotAUrl)?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(ReturnUrlError::NotAUrl);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ReturnUrlError::Credentials);
    }
    let origin = url.origin().ascii_serialization();
    if !allowed.iter().any(|o| o.0 == origin) {
        return Err(ReturnUrlError::NotAllowed(origin));
    }
    if url.query_pairs().any(|(k, _)| k == TOKEN_PARAM) {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k != TOKEN_PARAM)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    Ok(ReturnUrl {
        url: url.into(),
        origin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins(list: &[&str]) -> Vec<GateOrigin> {
        list.iter().map(|o| o.parse().unwrap()).collect()
    }

    #[test]
    fn origins_are_normalised_and_bare() {
        let o: GateOrigin = "HTTPS://Shop.Example:443/".parse().unwrap();
        assert_eq!(o.as_str(), "https://shop.example");
        let o: GateOrigin = "http://127.0.0.1:8081".parse().unwrap();
        assert_eq!(o.as_str(), "http://127.0.0.1:8081");
        for bad in [
            "shop.example",
            "ftp://shop.example",
            "https://shop.example/shop",
            "https://shop.example?x=1",
            "https://user@shop.example",
            "",
        ] {
            assert!(bad.parse::<GateOrigin>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_list_skips_blanks() {
        let list: GateOrigins = " https://a.example, ,http://b.example:81 ,"
            .parse()
            .unwrap();
        assert_eq!(
            list.as_slice(),
            origins(&["https://a.example", "http://b.example:81"])
        );
        assert!("".parse::<GateOrigins>().unwrap().as_slice().is_empty());
        assert!("https://a.example,shop.example"
            .parse::<GateOrigins>()
            .is_err());
    }

    #[test]
    fn only_allowed_origins_are_returned_to() {
        let allowed = origins(&["https://shop.example"]);
        let ok = check_return_url("https://shop.example/tickets?show=7#top", &allowed).unwrap();
        assert_eq!(ok.url, "https://shop.example/tickets?show=7#top");
        assert_eq!(ok.origin, "https://shop.example");
        for (bad, code) in [
            ("https://evil.example/", "return_url_not_allowed"),
            (
                "https://shop.example.evil.example/",
                "return_url_not_allowed",
            ),
            ("http://shop.example/", "return_url_not_allowed"),
            ("https://shop.example:8443/", "return_url_not_allowed"),
            ("//shop.example/", "invalid_return_url"),
            ("/tickets", "invalid_return_url"),
            ("javascript:alert(1)", "invalid_return_url"),
            ("https://me:pw@shop.example/", "invalid_return_url"),
        ] {
            assert_eq!(
                check_return_url(bad, &allowed).unwrap_err().code(),
                code,
                "{bad}"
            );
        }
        let long = format!("https://shop.example/{}", "a".repeat(MAX_RETURN_URL_LEN));
        assert_eq!(
            check_return_url(&long, &allowed),
            Err(ReturnUrlError::TooLong)
        );
        assert!(check_return_url("https://shop.example/", &[]).is_err());
    }

    #[test]
    fn a_stale_token_is_dropped() {
        let allowed = origins(&["https://shop.example"]);
        let url = |raw| check_return_url(raw, &allowed).unwrap().url;
        assert_eq!(
            url("https://shop.example/t?floodgate_token=old"),
            "https://shop.example/t"
        );
        assert_eq!(
            url("https://shop.example/t?a=1&floodgate_token=old&b=2"),
            "https://shop.example/t?a=1&b=2"
        );
    }
}
