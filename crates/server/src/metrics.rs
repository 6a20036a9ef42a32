//! Prometheus metrics: HTTP traffic, database latency, and whatever the hub and connectors
//! register. One registry per server instance, so tests running several servers stay apart.

use axum::http::Method;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::Mutex;
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    /// One of a closed set (see [`method_label`]): anyone can send any method name, and every
    /// distinct label value would be a new series in `/metrics`.
    pub method: &'static str,
    /// The matched route pattern (`/api/questions/{id}/approve`), never the raw path.
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OpLabels {
    pub op: String,
}

pub struct Metrics {
    registry: Mutex<Registry>,
    pub http_requests: Family<HttpLabels, Counter>,
    pub http_seconds: Family<OpLabels, Histogram>,
    pub db_seconds: Family<OpLabels, Histogram>,
    /// Connections closed because the client stopped reading (see `listener.rs`).
    pub write_timeouts: Counter,
}

/// The label for a request's method: the standard ones by name, anything else `other`.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn latency_histogram() -> Histogram {
    // 0.1 ms … ~1.6 s
    Histogram::new(exponential_buckets(0.0001, 2.5, 12))
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("curbside");
        let http_requests = Family::<HttpLabels, Counter>::default();
        let http_seconds =
            Family::<OpLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> Histogram);
        let db_seconds =
            Family::<OpLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> Histogram);
        registry.register(
            "http_requests",
            "HTTP requests by method, route and status",
            http_requests.clone(),
        );
        registry.register("http_request_seconds", "HTTP request latency by route", http_seconds.clone());
        registry.register("db_seconds", "Database call latency by operation", db_seconds.clone());
        let write_timeouts = Counter::default();
        registry.register(
            "write_timeouts",
            "Connections closed because the client accepted no bytes for CURBSIDE_WRITE_TIMEOUT_MS",
            write_timeouts.clone(),
        );
        Metrics { registry: Mutex::new(registry), http_requests, http_seconds, db_seconds, write_timeouts }
    }

    /// Lets another part (the hub, connectors) register its metrics in this registry.
    pub fn register_with(&self, f: impl FnOnce(&mut Registry)) {
        if let Ok(mut r) = self.registry.lock() {
            f(&mut r);
        }
    }

    pub fn observe_db(&self, op: &'static str, took: Duration) {
        self.db_seconds.get_or_create(&OpLabels { op: op.to_owned() }).observe(took.as_secs_f64());
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Ok(r) = self.registry.lock() {
            let _ = prometheus_client::encoding::text::encode(&mut out, &r);
        }
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}
