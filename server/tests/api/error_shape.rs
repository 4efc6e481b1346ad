//! Every error the server produces, whoever produces it (our handlers, axum's
//! extractors and router, tower-http's layers, hyper), carries the contract's
//! `{"error":{"code","message"}}` as `application/json`.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{spawn_app, spawn_with, Backend, Options};

/// A response read off the wire: status, headers (names lower-cased), body.
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Status and code of a contract error, or what is wrong with the response.
    fn contract(&self) -> Result<(u16, String), String> {
        let wrong = |what: &str| {
            format!(
                "{what}: status {}, headers {:?}, body {:?}",
                self.status, self.headers, self.body
            )
        };
        if self.header("content-type") != Some("application/json") {
            return Err(wrong("not application/json"));
        }
        let body: Value =
            serde_json::from_str(&self.body).map_err(|_| wrong("body is not JSON"))?;
        if body["error"]["message"].as_str().is_none_or(str::is_empty) {
            return Err(wrong("no error.message"));
        }
        let code = body["error"]["code"]
            .as_str()
            .ok_or_else(|| wrong("no error.code"))?;
        Ok((self.status, code.to_owned()))
    }
}

/// Writes `request` on a fresh connection and reads the response until the server
/// closes it.
async fn raw(port: u16, request: &[u8]) -> Raw {
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    tcp.write_all(request).await.unwrap();
    let mut bytes = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let read = async {
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => bytes.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("the server answers and closes the connection");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Raw {
        status,
        headers,
        body: body.to_owned(),
    }
}

fn get(path: &str, extra: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{extra}\r\n")
        .into_bytes()
}

#[tokio::test]
async fn router_and_extractor_errors_are_contract_json() {
    let app = spawn_app(Backend::Embedded).await.unwrap();
    let event = app
        .create_event(
            60_000,
            serde_json::json!({"rate_per_minute": 60, "max_active": 10}),
        )
        .await;
    let body = "x".repeat(65 * 1024);
    let oversized_body = format!(
        "POST /api/v1/auth/register HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    // 128 KiB of headers: far beyond what any browser sends, below hyper's own limit
    // (about 400 KiB), past which hyper answers an empty 431 itself.
    let huge_header = format!("X-Huge: {}\r\n", "h".repeat(128 * 1024));
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "405 from the router",
            b"DELETE /api/v1/events HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                .to_vec(),
            405,
            "method_not_allowed",
        ),
        (
            "invalid UTF-8 in a path parameter",
            get("/api/v1/events/%FF", ""),
            400,
            "invalid_path",
        ),
        (
            "a plain GET on a WebSocket endpoint",
            get(&format!("/api/v1/events/{event}/seats/ws"), ""),
            400,
            "websocket_required",
        ),
        (
            "a body over the limit",
            oversized_body.into_bytes(),
            413,
            "payload_too_large",
        ),
        (
            "oversized headers",
            get("/api/v1/time", &huge_header),
            431,
            "headers_too_large",
        ),
    ];
    let mut wrong = Vec::new();
    for (what, request, status, code) in cases {
        let r = raw(app.port, &request).await;
        match r.contract() {
            Ok(got) if got == (status, code.to_owned()) => {}
            Ok(got) => wrong.push(format!("{what}: expected {status} {code}, got {got:?}")),
            Err(e) => wrong.push(format!("{what}: {e}")),
        }
        if status == 405 && !r.header("allow").is_some_and(|a| a.contains("GET")) {
            wrong.push(format!("{what}: no Allow header in {:?}", r.headers));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    app.stop().await;
}

#[tokio::test]
async fn a_request_that_times_out_gets_a_contract_408() {
    let options = Options {
        request_timeout_secs: 1,
        ..Options::default()
    };
    let app = spawn_with(Backend::Embedded, options).await.unwrap();
    // A body announced but never finished.
    let request = "POST /api/v1/auth/register HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\":";
    let r = raw(app.port, request.as_bytes()).await;
    assert_eq!(r.contract(), Ok((408, "timeout".to_owned())));
    app.stop().await;
}
