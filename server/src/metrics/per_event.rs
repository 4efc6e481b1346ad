//! Per-event series (`floodgate_event_*{event_id}`), rendered at scrape time through
//! a recorder made for that scrape alone: an event closed or gone since the last
//! scrape leaves no stale series behind. Which figures are shown is the caller's
//! (the stats snapshot's: `crate::stats::METRIC_SERIES`).

use metrics::{Key, KeyName, Label, Recorder, SharedString};
use metrics_exporter_prometheus::PrometheusBuilder;
use waiting_room::EventId;

use super::recording::METADATA;

/// A per-event series: its name, its help, and the figure of `T` it shows. A name
/// ending in `_total` is a counter, any other a gauge.
pub type EventSeries<T> = (&'static str, &'static str, fn(&T) -> u64);

/// The text of `series` for each of `events`.
pub(super) fn render<T>(series: &[EventSeries<T>], events: &[(EventId, T)]) -> String {
    let recorder = PrometheusBuilder::new().build_recorder();
    for (name, help, _) in series {
        let (name_key, help) = (KeyName::from_const_str(name), SharedString::const_str(help));
        if name.ends_with("_total") {
            recorder.describe_counter(name_key, None, help);
        } else {
            recorder.describe_gauge(name_key, None, help);
        }
    }
    for (id, event) in events {
        let labels = || vec![Label::new("event_id", id.to_string())];
        for (name, _, figure) in series {
            let key = Key::from_parts(*name, labels());
            if name.ends_with("_total") {
                recorder
                    .register_counter(&key, &METADATA)
                    .absolute(figure(event));
            } else {
                recorder
                    .register_gauge(&key, &METADATA)
                    .set(figure(event) as f64);
            }
        }
    }
    recorder.handle().render()
}
