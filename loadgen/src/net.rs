//! Sockets at scale: the open-file limit, spreading client sockets over loopback
//! source addresses (127.0.0.0/8 is all local on Linux; each source address has its
//! own ~28,000 ephemeral ports and its own per-IP rate-limit bucket on the server),
//! and opening a queue WebSocket with a small read buffer.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use anyhow::Context;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::WebSocketStream;

/// A queue socket.
pub type Ws = WebSocketStream<TcpStream>;

/// How long opening a socket (TCP + upgrade) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// Raises the soft open-file limit to the hard one; returns the new soft limit.
pub fn raise_fd_limit() -> u64 {
    rlimit::increase_nofile_limit(u64::MAX).unwrap_or(0)
}

/// A server, resolved once.
#[derive(Clone, Debug)]
pub struct Target {
    /// `http://host:port` (no trailing slash).
    pub base: String,
    /// `ws://host:port`.
    pub ws_base: String,
    pub addr: SocketAddr,
}

impl Target {
    pub async fn resolve(url: &str) -> anyhow::Result<Self> {
        let base = url.trim_end_matches('/').to_owned();
        let rest = base
            .strip_prefix("http://")
            .with_context(|| format!("{url}: only http:// URLs are supported"))?;
        let hostport = rest.split('/').next().unwrap_or(rest);
        anyhow::ensure!(
            rest.len() == hostport.len(),
            "{url}: give the server's base URL without a path"
        );
        let with_port = if hostport
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            hostport.to_owned()
        } else {
            format!("{hostport}:80")
        };
        let addr = tokio::net::lookup_host(&with_port)
            .await
            .with_context(|| format!("resolving {hostport}"))?
            .next()
            .with_context(|| format!("{hostport} has no address"))?;
        Ok(Self {
            ws_base: format!("ws://{hostport}"),
            base,
            addr,
        })
    }
}

/// Loopback source addresses for one worker: `count` addresses from 127.(1+w).0.1 on,
/// used round robin, or none when some target is not on loopback.
#[derive(Debug)]
pub struct Sources {
    first: u32,
    count: u32,
    next: AtomicU32,
}

impl Sources {
    pub fn new(worker: u32, count: u32, targets: &[Target]) -> Self {
        let loopback = targets
            .iter()
            .all(|t| t.addr.ip().is_loopback() && t.addr.is_ipv4());
        let first = u32::from(Ipv4Addr::new(127, 0, 0, 0)) + ((worker % 250) + 1) * 65_536 + 1;
        Self {
            first,
            count: if loopback { count.clamp(1, 65_000) } else { 0 },
            next: AtomicU32::new(0),
        }
    }

    /// The source address of the next socket, if spreading.
    pub fn next(&self) -> Option<Ipv4Addr> {
        if self.count == 0 {
            return None;
        }
        let k = self.next.fetch_add(1, Ordering::Relaxed) % self.count;
        Some(Ipv4Addr::from(self.first + k))
    }

    /// The address the worker's HTTP client binds to (the first one), if spreading.
    pub fn http(&self) -> Option<IpAddr> {
        (self.count > 0).then(|| IpAddr::V4(Ipv4Addr::from(self.first)))
    }
}

/// Why a socket did not open.
#[derive(Debug)]
pub enum ConnectError {
    /// The server refused the upgrade: HTTP status, error code, `Retry-After` seconds.
    Refused {
        status: u16,
        code: String,
        retry_after: Option<u64>,
    },
    /// TCP or protocol failure.
    Transport(String),
    Timeout,
}

/// Opens `path` (with query) on `target` as a WebSocket, from `source` if given.
pub async fn connect_ws(
    target: &Target,
    source: Option<Ipv4Addr>,
    path: &str,
) -> Result<Ws, ConnectError> {
    let attempt = async {
        let socket = match target.addr {
            SocketAddr::V4(_) => TcpSocket::new_v4(),
            SocketAddr::V6(_) => TcpSocket::new_v6(),
        }
        .map_err(|e| ConnectError::Transport(e.to_string()))?;
        if let Some(ip) = source {
            socket
                .bind(SocketAddr::new(IpAddr::V4(ip), 0))
                .map_err(|e| ConnectError::Transport(format!("bind {ip}: {e}")))?;
        }
        let stream = socket
            .connect(target.addr)
            .await
            .map_err(|e| ConnectError::Transport(e.to_string()))?;
        let _ = stream.set_nodelay(true);
        let config = WebSocketConfig::default()
            .read_buffer_size(4096)
            .write_buffer_size(0)
            .max_message_size(Some(64 << 10))
            .max_frame_size(Some(64 << 10));
        let url = format!("{}{path}", target.ws_base);
        match tokio_tungstenite::client_async_with_config(url, stream, Some(config)).await {
            Ok((ws, _)) => Ok(ws),
            Err(WsError::Http(response)) => {
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok());
                let code = response
                    .body()
                    .as_deref()
                    .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
                    .and_then(|v| v["error"]["code"].as_str().map(str::to_owned))
                    .unwrap_or_else(|| format!("http_{status}"));
                Err(ConnectError::Refused {
                    status,
                    code,
                    retry_after,
                })
            }
            Err(e) => Err(ConnectError::Transport(e.to_string())),
        }
    };
    tokio::time::timeout(CONNECT_TIMEOUT, attempt)
        .await
        .unwrap_or(Err(ConnectError::Timeout))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sources_spread_over_loopback_only() {
        let local = Target::resolve("http://127.0.0.1:8080").await.unwrap();
        let s = Sources::new(0, 3, std::slice::from_ref(&local));
        let picks: Vec<_> = (0..4).map(|_| s.next().unwrap()).collect();
        assert_eq!(picks[0], Ipv4Addr::new(127, 1, 0, 1));
        assert_eq!(picks[2], Ipv4Addr::new(127, 1, 0, 3));
        assert_eq!(picks[3], picks[0]);
        assert_eq!(
            Sources::new(1, 3, &[local]).next(),
            Some(Ipv4Addr::new(127, 2, 0, 1))
        );
        let remote = Target {
            addr: "192.0.2.1:80".parse().unwrap(),
            base: "http://192.0.2.1".into(),
            ws_base: "ws://192.0.2.1".into(),
        };
        assert_eq!(Sources::new(0, 3, &[remote]).next(), None);
        assert!(Target::resolve("https://x").await.is_err());
    }
}
