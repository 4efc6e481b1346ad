//! The SSRF guard: deliveries go only to http(s) URLs an admin registered, never to
//! loopback, link-local, private, unique-local, unspecified, broadcast or multicast
//! addresses (unless the operator allows private ones with
//! `FLOODGATE_WEBHOOK_ALLOW_PRIVATE=1`). Checked at registration (the host's
//! addresses as resolved then) and again at every delivery, on the addresses the
//! connection will use: the HTTP client resolves names through [`GuardedResolver`],
//! which drops forbidden addresses, and IP literals are checked before sending.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;

/// Why a URL is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UrlRefused {
    #[error("the URL is not a valid absolute URL")]
    Invalid,
    #[error("only http and https URLs are allowed")]
    Scheme,
    #[error("the URL may not carry a user name or password")]
    Credentials,
    #[error("the URL's host {0} is a loopback, link-local, private or otherwise internal address")]
    Forbidden(String),
}

/// Parses and checks a URL's form and, when its host is an IP literal, the address.
pub fn parse_url(raw: &str, allow_private: bool) -> Result<Url, UrlRefused> {
    let url = Url::parse(raw.trim()).map_err(|_| UrlRefused::Invalid)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlRefused::Scheme);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlRefused::Credentials);
    }
    match url.host() {
        None => return Err(UrlRefused::Invalid),
        Some(url::Host::Ipv4(ip)) => check_ip(IpAddr::V4(ip), allow_private)?,
        Some(url::Host::Ipv6(ip)) => check_ip(IpAddr::V6(ip), allow_private)?,
        Some(url::Host::Domain(_)) => {}
    }
    Ok(url)
}

/// How long registration waits for a webhook host's addresses.
pub const LOOKUP_LIMIT: std::time::Duration = std::time::Duration::from_secs(2);

/// [`parse_url`], then the host's addresses as resolved now: any forbidden one refuses
/// it. A name that does not resolve yet, or not within [`LOOKUP_LIMIT`] (a resolver
/// that cannot reach the internet hangs), is accepted: the delivery checks again.
pub async fn check_url(raw: &str, allow_private: bool) -> Result<Url, UrlRefused> {
    let url = parse_url(raw, allow_private)?;
    if let (Some(url::Host::Domain(host)), false) = (url.host(), allow_private) {
        let port = url.port_or_known_default().unwrap_or(443);
        let lookup = tokio::time::timeout(LOOKUP_LIMIT, tokio::net::lookup_host((host, port)));
        if let Ok(Ok(addrs)) = lookup.await {
            for a in addrs {
                check_ip(a.ip(), false)?;
            }
        }
    }
    Ok(url)
}

/// Refuses an internal address (unless private ones are allowed).
pub fn check_ip(ip: IpAddr, allow_private: bool) -> Result<(), UrlRefused> {
    if allow_private || is_public(ip) {
        Ok(())
    } else {
        Err(UrlRefused::Forbidden(ip.to_string()))
    }
}

/// Whether `ip` is an address on the public internet as far as the guard is concerned.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        // 0.0.0.0/8 ("this network") and 100.64.0.0/10 (carrier-grade NAT).
        || a == 0
        || (a == 100 && (b & 0xc0) == 64))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // fc00::/7 unique local, fe80::/10 link-local, fec0::/10 site-local (deprecated).
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first & 0xffc0) == 0xfec0)
}

/// The delivery client's resolver: the system's, with forbidden addresses dropped; a
/// name left with none fails the delivery.
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(resolve_guarded(
            name.as_str().to_owned(),
            self.allow_private,
        ))
    }
}

type ResolveError = Box<dyn std::error::Error + Send + Sync>;

async fn resolve_guarded(host: String, allow_private: bool) -> Result<Addrs, ResolveError> {
    let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
    let kept: Vec<SocketAddr> = found
        .iter()
        .copied()
        .filter(|a| allow_private || is_public(a.ip()))
        .collect();
    if kept.is_empty() {
        let shown = found.first().map_or(host, |a| a.ip().to_string());
        return Err(Box::new(UrlRefused::Forbidden(shown)));
    }
    Ok(Box::new(kept.into_iter()))
}

/// The delivery client: the guarded resolver, no redirects, no proxy, a timeout.
pub fn client(
    allow_private: bool,
    timeout: std::time::Duration,
) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(GuardedResolver { allow_private }))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("Floodgate-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_refused() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "100.64.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "fc00::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            let ip: IpAddr = bad.parse().unwrap();
            assert!(!is_public(ip), "{bad} must be refused");
            assert!(check_ip(ip, true).is_ok(), "{bad} allowed with the flag");
        }
        for good in ["93.184.216.34", "1.1.1.1", "2606:4700::1111", "100.128.0.1"] {
            assert!(is_public(good.parse().unwrap()), "{good} is public");
        }
    }

    #[test]
    fn urls_are_checked_for_form_and_literal_hosts() {
        assert!(parse_url("https://hooks.example.com/in", false).is_ok());
        assert_eq!(
            parse_url("ftp://example.com/", false),
            Err(UrlRefused::Scheme)
        );
        assert_eq!(parse_url("not a url", false), Err(UrlRefused::Invalid));
        assert_eq!(
            parse_url("http://u:p@example.com/", false),
            Err(UrlRefused::Credentials)
        );
        assert!(matches!(
            parse_url("http://127.0.0.1:9/", false),
            Err(UrlRefused::Forbidden(_))
        ));
        assert!(matches!(
            parse_url("http://[::1]/", false),
            Err(UrlRefused::Forbidden(_))
        ));
        assert!(parse_url("http://127.0.0.1:9/", true).is_ok());
    }
}
