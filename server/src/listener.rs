//! The HTTP listener: what every accepted connection is held to, before and beneath
//! HTTP (upgraded WebSockets included, they run over the same stream).
//!
//! - **Connections per client address** (`FLOODGATE_MAX_CONNECTIONS_PER_IP`): past the
//!   cap a new connection gets a fixed 429 `rate_limited` answer (with `Retry-After`)
//!   written straight into its fresh send buffer, and is closed, before any request is
//!   read. The count is per TCP peer: behind a proxy that peer is the proxy, so the
//!   cap is off by default when `FLOODGATE_TRUSTED_PROXY_HOPS` is set (cap clients at
//!   the proxy instead).
//! - **A write deadline** (`FLOODGATE_HTTP_WRITE_TIMEOUT_SECS`): a write that makes no
//!   progress for that long fails, and the connection with it, so a client that stops
//!   reading cannot hold a response (and the buffers behind it) open. It is never
//!   below the WebSockets' own slow-socket time plus their close grace, so a slow
//!   socket is still closed by its own logic first, with 1013.
//!
//! Cost on every connection: one map update at accept and one at close (the per-address
//! count, a `std` mutex); on every write, a branch, and a timer armed (allocated once
//! per connection, then reset) only when a write could not complete at once.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};

use crate::config::Config;
use crate::limits::{SocketGate, SocketSlot};

/// The answer written to a connection over its address's cap, before closing it.
const REFUSED: &[u8] = b"HTTP/1.1 429 Too Many Requests\r\n\
content-type: application/json\r\n\
retry-after: 5\r\n\
connection: close\r\n\
content-length: 98\r\n\r\n\
{\"error\":{\"code\":\"rate_limited\",\"message\":\"too many connections from this address; retry in 5 s\"}}";

/// How long a refused connection's client is told to wait.
pub const REFUSED_RETRY_SECS: u64 = 5;

/// Connections per address beyond the socket cap a browser may need for its pages.
const HTTP_HEADROOM: usize = 64;
/// The WebSockets' close grace and a second of slack.
const WS_CLOSE_SLACK_SECS: u64 = crate::ws::slow_socket::CLOSE_GRACE.as_secs() + 1;

/// The per-address connection cap `config` asks for (`None`: no cap); see the module
/// docs.
pub fn connection_cap(config: &Config) -> Option<usize> {
    match config.max_connections_per_ip {
        Some(0) => None,
        Some(max) => Some(max),
        None if config.trusted_proxy_hops > 0 => None,
        None => Some(config.max_sockets_per_ip.saturating_add(HTTP_HEADROOM)),
    }
}

/// The write deadline `config` asks for, raised to the WebSockets' own bound.
pub fn write_timeout(config: &Config) -> Duration {
    let floor = config.slow_socket_secs.max(1) + WS_CLOSE_SLACK_SECS;
    Duration::from_secs(config.http_write_timeout_secs.max(floor))
}

/// A TCP listener whose connections are capped per address and carry a write deadline.
pub struct GuardedListener {
    inner: TcpListener,
    per_ip: Option<SocketGate>,
    write_timeout: Duration,
    /// Counts refused connections (`floodgate_rate_limited_total`).
    refused: metrics::Counter,
}

impl GuardedListener {
    /// `max_per_ip`: connections one peer address may hold (`None`: no cap); each
    /// refused one counts in `refused`.
    pub fn new(
        inner: TcpListener,
        max_per_ip: Option<usize>,
        write_timeout: Duration,
        refused: metrics::Counter,
    ) -> Self {
        Self {
            inner,
            per_ip: max_per_ip.map(|max| SocketGate::new(usize::MAX, max)),
            write_timeout,
            refused,
        }
    }

    /// Addresses with a connection open (0 without a cap).
    pub fn addresses(&self) -> usize {
        self.per_ip.as_ref().map_or(0, SocketGate::addresses)
    }

    /// A slot for a connection from `ip`, or `Err` if its address is at the cap.
    fn admit(&self, ip: IpAddr) -> Result<Option<SocketSlot>, ()> {
        match &self.per_ip {
            None => Ok(None),
            Some(gate) => gate.acquire(ip).map(Some).map_err(|_| ()),
        }
    }
}

impl axum::serve::Listener for GuardedListener {
    type Io = GuardedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (GuardedStream, SocketAddr) {
        loop {
            let (stream, addr) = axum::serve::Listener::accept(&mut self.inner).await;
            match self.admit(addr.ip()) {
                Ok(slot) => {
                    let stream = GuardedStream {
                        io: stream,
                        limit: self.write_timeout,
                        stall: None,
                        stalled: false,
                        _slot: slot,
                    };
                    return (stream, addr);
                }
                Err(()) => {
                    // A fresh connection's send buffer is empty: this never blocks.
                    let _ = stream.try_write(REFUSED);
                    self.refused.increment(1);
                    tracing::debug!(peer = %addr.ip(), "connection refused: too many from this address");
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// An accepted connection: its address's slot (freed when it closes) and the write
/// deadline.
pub struct GuardedStream {
    io: TcpStream,
    limit: Duration,
    /// The deadline of the write in progress, allocated at the first write that had to
    /// wait and reset after that.
    stall: Option<Pin<Box<Sleep>>>,
    /// Whether a write is waiting (the deadline is armed).
    stalled: bool,
    _slot: Option<SocketSlot>,
}

impl GuardedStream {
    /// `written` is the inner write's outcome: progress disarms the deadline; waiting
    /// arms it (if not yet) and fails once it passes.
    fn deadline<T>(
        &mut self,
        cx: &mut Context<'_>,
        written: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if written.is_ready() {
            self.stalled = false;
            return written;
        }
        let at = Instant::now() + self.limit;
        let stall = match &mut self.stall {
            Some(stall) if self.stalled => stall,
            Some(stall) => {
                stall.as_mut().reset(at);
                stall
            }
            None => self.stall.insert(Box::pin(tokio::time::sleep_until(at))),
        };
        self.stalled = true;
        ready!(stall.as_mut().poll(cx));
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the client took nothing for the write timeout",
        )))
    }
}

impl AsyncRead for GuardedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for GuardedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.io).poll_write(cx, buf);
        self.deadline(cx, written)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.deadline(cx, written)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn the_cap_follows_the_socket_cap_and_is_off_behind_proxies_unless_set() {
        use clap::Parser;
        let config = |args: &[&str]| Config::parse_from([&["floodgate"], args].concat());
        assert_eq!(connection_cap(&config(&[])), Some(200 + HTTP_HEADROOM));
        assert_eq!(
            connection_cap(&config(&["--max-sockets-per-ip", "10"])),
            Some(74)
        );
        assert_eq!(
            connection_cap(&config(&["--trusted-proxy-hops", "1"])),
            None
        );
        let set = [
            "--trusted-proxy-hops",
            "1",
            "--max-connections-per-ip",
            "5000",
        ];
        assert_eq!(connection_cap(&config(&set)), Some(5000));
        assert_eq!(
            connection_cap(&config(&["--max-connections-per-ip", "0"])),
            None
        );
        assert_eq!(write_timeout(&config(&[])), Duration::from_secs(20));
        let low = ["--http-write-timeout-secs", "1", "--slow-socket-secs", "5"];
        assert_eq!(write_timeout(&config(&low)), Duration::from_secs(8));
    }

    #[test]
    fn the_refusal_is_a_complete_contract_answer() {
        let text = std::str::from_utf8(REFUSED).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{head}"
        );
        assert!(head.contains(&format!("retry-after: {REFUSED_RETRY_SECS}")));
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["error"]["code"], "rate_limited");
    }

    async fn pair(max_per_ip: Option<usize>, limit: Duration) -> (GuardedListener, SocketAddr) {
        let inner = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = inner.local_addr().unwrap();
        let refused = metrics::Counter::noop();
        (
            GuardedListener::new(inner, max_per_ip, limit, refused),
            addr,
        )
    }

    #[tokio::test]
    async fn connections_over_the_cap_get_429_and_are_closed() {
        use axum::serve::Listener;
        let (mut listener, addr) = pair(Some(2), Duration::from_secs(60)).await;
        let _a = TcpStream::connect(addr).await.unwrap();
        let (first, _) = listener.accept().await;
        let _b = TcpStream::connect(addr).await.unwrap();
        let (_second, _) = listener.accept().await;
        assert_eq!(listener.addresses(), 1);
        let mut refused = TcpStream::connect(addr).await.unwrap();
        // Accepted and refused inside `accept`, which then waits for another.
        let waiting = tokio::time::timeout(Duration::from_millis(300), listener.accept()).await;
        assert!(
            waiting.is_err(),
            "a third connection from one address was let in"
        );
        let mut answer = Vec::new();
        refused.read_to_end(&mut answer).await.unwrap();
        assert_eq!(answer, REFUSED);
        drop(first);
        let _fourth = TcpStream::connect(addr).await.unwrap();
        let (_fourth, _) = listener.accept().await;
        assert_eq!(listener.addresses(), 1);
    }

    #[tokio::test]
    async fn a_write_the_client_never_takes_fails_after_the_deadline() {
        use axum::serve::Listener;
        let (mut listener, addr) = pair(None, Duration::from_millis(300)).await;
        let client = TcpStream::connect(addr).await.unwrap();
        let (mut server, _) = listener.accept().await;
        let chunk = vec![0u8; 64 * 1024];
        let failed = loop {
            match tokio::time::timeout(Duration::from_secs(10), server.write_all(&chunk)).await {
                Ok(Ok(())) => continue,
                Ok(Err(e)) => break e,
                Err(_) => panic!("a write stayed pending past its deadline"),
            }
        };
        assert_eq!(failed.kind(), io::ErrorKind::TimedOut);
        drop(client);
    }
}
