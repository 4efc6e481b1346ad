//! Logging: `tracing` events as text lines (the default) or JSON lines
//! (`FLOODGATE_LOG_FORMAT=json`), filtered by `RUST_LOG` (default `info`).
//!
//! In JSON each line is one object: `timestamp`, `level`, `target`, the event's
//! `fields` (its `message` among them), the innermost `span` and the list of `spans`
//! it sits in, outermost first, each with its fields: a request's span (see
//! `crate::app`) carries `method`, `path` and `request_id`, so every line logged while
//! answering a request can be matched with the client's `x-request-id`.

use tracing::Subscriber;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::config::LogFormat;

/// Installs the process's subscriber, writing to stdout.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    subscriber(format, filter, ansi, std::io::stdout).init();
}

/// The subscriber [`init`] installs, writing to `writer` (tests pass a buffer); text
/// is coloured with `ansi` (on a terminal, not into a file or a pipe).
pub fn subscriber<W>(
    format: LogFormat,
    filter: EnvFilter,
    ansi: bool,
    writer: W,
) -> impl Subscriber + Send + Sync + for<'a> tracing_subscriber::registry::LookupSpan<'a>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let layer: Box<dyn Layer<Registry> + Send + Sync> = match format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_ansi(ansi)
            .with_writer(writer)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .with_writer(writer)
            .boxed(),
    };
    tracing_subscriber::registry().with(layer).with(filter)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A writer into a shared buffer.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged(format: LogFormat) -> String {
        let buffer = Buffer::default();
        let sink = buffer.clone();
        let subscriber = subscriber(format, EnvFilter::new("info"), false, move || sink.clone());
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!(
                "request",
                method = "GET",
                path = "/api/v1/time",
                request_id = "req-42"
            );
            let _entered = span.enter();
            tracing::warn!(event_id = "e1", "hold failed");
            tracing::debug!("filtered out");
        });
        let bytes = buffer.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    /// JSON lines parse one by one and carry the request's span fields.
    #[test]
    fn json_lines_carry_the_request_span() {
        let text = logged(LogFormat::Json);
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect();
        assert_eq!(lines.len(), 1, "{text}");
        let line = &lines[0];
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["fields"]["message"], "hold failed");
        assert_eq!(line["fields"]["event_id"], "e1");
        assert_eq!(line["span"]["name"], "request");
        assert_eq!(line["span"]["request_id"], "req-42");
        assert_eq!(line["spans"][0]["path"], "/api/v1/time");
    }

    #[test]
    fn text_is_the_default_and_not_json() {
        assert_eq!(LogFormat::default(), LogFormat::Text);
        let text = logged(LogFormat::Text);
        assert!(text.contains("hold failed"), "{text}");
        assert!(text.contains("request_id=\"req-42\""), "{text}");
        assert!(serde_json::from_str::<serde_json::Value>(text.trim()).is_err());
    }
}
