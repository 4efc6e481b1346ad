//! One app's Prometheus recorder: registration of its series and the folding of
//! histogram samples (shared by [`super`] and its backends' timings).

use std::sync::atomic::{AtomicU64, Ordering};

use metrics::{Counter, Gauge, Key, KeyName, Metadata, Recorder, SharedString};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

pub(super) static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()));

/// Histogram samples wait in the recorder until a scrape folds them into buckets; past
/// this many since the last fold, the observer folds them itself, so a server nobody
/// scrapes does not keep every sample.
const FOLD_EVERY: u64 = 1 << 16;

/// This app's recorder, the handle that renders it, and the count of samples not yet
/// folded into buckets.
pub(super) struct Recording {
    pub(super) recorder: PrometheusRecorder,
    pub(super) handle: PrometheusHandle,
    unfolded: AtomicU64,
}

impl Recording {
    pub(super) fn new(builder: PrometheusBuilder) -> Self {
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        Self {
            recorder,
            handle,
            unfolded: AtomicU64::new(0),
        }
    }

    pub(super) fn counter(&self, name: &'static str, help: &'static str) -> Counter {
        self.recorder.describe_counter(
            KeyName::from_const_str(name),
            None,
            SharedString::const_str(help),
        );
        self.recorder
            .register_counter(&Key::from_static_name(name), &METADATA)
    }

    pub(super) fn gauge(&self, name: &str, help: &str) -> Gauge {
        self.recorder.describe_gauge(
            KeyName::from(name.to_owned()),
            None,
            SharedString::from(help.to_owned()),
        );
        self.recorder
            .register_gauge(&Key::from_name(name.to_owned()), &METADATA)
    }

    pub(super) fn histogram(&self, key: &Key) -> metrics::Histogram {
        self.recorder.register_histogram(key, &METADATA)
    }

    pub(super) fn sampled(&self) {
        if self.unfolded.fetch_add(1, Ordering::Relaxed) % FOLD_EVERY == FOLD_EVERY - 1 {
            self.handle.run_upkeep();
        }
    }
}
