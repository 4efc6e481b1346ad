use super::*;
use prom_text_format_parser::{Scrape, Type, ValueType};
use waiting_room::EventId;

#[test]
fn histogram_renders_cumulative_buckets_sum_count_and_max() {
    let m = Metrics::default();
    for ms in [0, 3, 3, 40, 900, 7000] {
        m.position_fanout.observe(Duration::from_millis(ms));
    }
    let text = m.render(&[]);
    let line = |k: &str| {
        text.lines()
            .find(|l| l.starts_with(k))
            .unwrap_or_else(|| panic!("{k} missing in {text}"))
            .rsplit(' ')
            .next()
            .unwrap()
            .to_owned()
    };
    let b = "floodgate_position_fanout_seconds_bucket";
    assert_eq!(line(&format!("{b}{{le=\"0.001\"}}")), "1");
    assert_eq!(line(&format!("{b}{{le=\"0.005\"}}")), "3");
    assert_eq!(line(&format!("{b}{{le=\"0.05\"}}")), "4");
    assert_eq!(line(&format!("{b}{{le=\"1\"}}")), "5");
    assert_eq!(line(&format!("{b}{{le=\"5\"}}")), "5");
    assert_eq!(line(&format!("{b}{{le=\"+Inf\"}}")), "6");
    assert_eq!(line("floodgate_position_fanout_seconds_count"), "6");
    assert_eq!(line("floodgate_position_fanout_seconds_sum"), "7.946");
    assert_eq!(line("floodgate_position_fanout_seconds_max "), "7");
}

/// Two apps' metrics in one process count apart (no process-global recorder).
#[test]
fn each_app_counts_on_its_own() {
    let (a, b) = (Metrics::new(), Metrics::new());
    Metrics::inc(&a.queue_joins);
    Metrics::inc(&a.queue_joins);
    Metrics::inc(&b.queue_joins);
    let joins = |m: &Metrics| {
        m.render(&[])
            .lines()
            .find_map(|l| l.strip_prefix("floodgate_queue_joins_total "))
            .map(str::to_owned)
    };
    assert_eq!(joins(&a).as_deref(), Some("2"));
    assert_eq!(joins(&b).as_deref(), Some("1"));
}

/// Label values are escaped as the text format asks (`\` `"` and line feed), and a
/// strict parser (which refuses any other escape or a raw quote) reads them.
#[test]
fn label_values_are_escaped() {
    let m = Metrics::new();
    m.http.observe(
        "/odd/\"quoted\"/back\\slash/line\nfeed",
        200,
        Duration::from_millis(2),
    );
    let text = m.render(&[]);
    let escaped = r#"/odd/\"quoted\"/back\\slash/line\nfeed"#;
    assert!(
        text.contains(&format!(
            "floodgate_http_request_seconds_count{{route=\"{escaped}\",status=\"200\"}} 1\n"
        )),
        "{text}"
    );
    let scrape = Scrape::parse(&text).unwrap_or_else(|e| panic!("{e:?} in {text}"));
    let http = scrape
        .metrics
        .iter()
        .find(|m| m.name == "floodgate_http_request_seconds")
        .expect("the route histogram");
    let count = http
        .samples
        .iter()
        .find(|s| s.value.value_type == ValueType::Count)
        .expect("its count");
    // The parser keeps values as written (escaped); it checked the escapes.
    assert_eq!(count.labels[0].key, "route");
    assert_eq!(count.labels[0].value, escaped);
}

/// The whole output parses, with every metric typed as before.
#[test]
fn the_whole_text_parses() {
    let m = Metrics::new();
    m.position_fanout.observe(Duration::from_millis(12));
    m.http
        .observe("/api/v1/events/{id}", 200, Duration::from_millis(3));
    Metrics::inc(&m.rate_limited);
    let text = m.render(&[("floodgate_queue_sockets", "Sockets open.", 4.0)]);
    let scrape = Scrape::parse(&text).unwrap_or_else(|e| panic!("{e:?} in {text}"));
    let kind = |name: &str| {
        scrape
            .metrics
            .iter()
            .find(|m| m.name == name)
            .map(|m| m.kind)
            .unwrap_or_else(|| panic!("no {name} in {text}"))
    };
    for name in [
        "floodgate_queue_joins_total",
        "floodgate_queue_messages_in_total",
        "floodgate_queue_messages_out_total",
        "floodgate_queue_writes_total",
        "floodgate_queue_bad_messages_total",
        "floodgate_rate_limited_total",
        "floodgate_http_5xx_total",
    ] {
        assert_eq!(kind(name), Type::Counter, "{name}");
    }
    assert_eq!(kind("floodgate_queue_sockets"), Type::Gauge);
    assert_eq!(kind("floodgate_position_fanout_seconds_max"), Type::Gauge);
    assert_eq!(kind("floodgate_position_fanout_seconds"), Type::Histogram);
    assert_eq!(kind("floodgate_http_request_seconds"), Type::Histogram);
}

/// Two series over a pair of figures.
const SERIES: [EventSeries<(u64, u64)>; 2] = [
    ("floodgate_event_waiting", "Waiting.", |e| e.0),
    ("floodgate_event_admitted_total", "Admitted.", |e| e.1),
];

/// Per-event series carry the event id; a scrape without an event has none of them
/// (a fresh recorder per scrape: nothing stale stays behind).
#[test]
fn event_series_are_labelled_and_leave_nothing_stale() {
    let m = Metrics::new();
    let id = EventId::new();
    let text = m.render_with_events(&[], &SERIES, &[(id, (7, 9))]);
    let scrape = Scrape::parse(&text).unwrap_or_else(|e| panic!("{e:?} in {text}"));
    for (name, _, _) in SERIES {
        let metric = scrape.metrics.iter().find(|x| x.name == name).unwrap();
        let kind = if name.ends_with("_total") {
            Type::Counter
        } else {
            Type::Gauge
        };
        assert_eq!(metric.kind, kind, "{name}");
    }
    assert!(
        text.contains(&format!("floodgate_event_waiting{{event_id=\"{id}\"}} 7\n")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "floodgate_event_admitted_total{{event_id=\"{id}\"}} 9\n"
        )),
        "{text}"
    );
    let later = m.render_with_events(&[], &SERIES, &[]);
    assert!(!later.contains("floodgate_event_"), "{later}");
}
