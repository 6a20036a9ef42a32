//! Connector metrics: webhook bodies by outcome, comments by platform path, Graph calls by
//! outcome, outbox deliveries, and each source's reported usage.

use crate::ingest::IngestReport;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ViaLabels {
    pub via: String,
    pub result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceLabels {
    pub source: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceStateLabels {
    pub source: String,
    pub state: String,
}

#[derive(Clone, Default)]
pub struct ConnectorMetrics {
    /// Webhook bodies: `accepted`, `bad_signature`, `malformed`, `too_large`, `store_failed`.
    pub webhook_bodies: Family<OutcomeLabels, Counter>,
    /// Comments by path (`webhook`, `poll`) and result (`stored`, `duplicate`, `self_authored`, `unmatched`).
    pub comments: Family<ViaLabels, Counter>,
    /// Graph calls by outcome (`ok` or the error class).
    pub graph_calls: Family<OutcomeLabels, Counter>,
    /// Outbox attempts by outcome (`sent`, `retry`, `failed`, `expired`).
    pub outbox: Family<OutcomeLabels, Counter>,
    /// The highest usage percentage Meta reported for each source's token.
    pub source_usage: Family<SourceLabels, Gauge<f64, AtomicU64>>,
    /// 1 for each source's current state (`healthy`, `degraded`, `needs_reauth`, …), 0 for the others.
    pub source_state: Family<SourceStateLabels, Gauge>,
}

impl ConnectorMetrics {
    pub fn register(&self, r: &mut Registry) {
        r.register("webhook_bodies", "Webhook bodies received, by outcome", self.webhook_bodies.clone());
        r.register("comments", "Platform comments seen, by path and result", self.comments.clone());
        r.register("graph_calls", "Graph API calls, by outcome", self.graph_calls.clone());
        r.register("outbox_attempts", "Outbox delivery attempts, by outcome", self.outbox.clone());
        r.register(
            "source_usage_percent",
            "Platform-reported usage of each source's budget",
            self.source_usage.clone(),
        );
    }

    pub fn webhook(&self, outcome: &str) {
        self.webhook_bodies.get_or_create(&OutcomeLabels { outcome: outcome.to_owned() }).inc();
    }

    pub fn graph(&self, outcome: &str) {
        self.graph_calls.get_or_create(&OutcomeLabels { outcome: outcome.to_owned() }).inc();
    }

    pub fn outbox(&self, outcome: &str) {
        self.outbox.get_or_create(&OutcomeLabels { outcome: outcome.to_owned() }).inc();
    }

    pub fn source_state(&self, source: &str, state: curbside_domain::SourceState) {
        use curbside_domain::SourceState as S;
        for s in [S::Idle, S::Healthy, S::Degraded, S::NeedsReauth, S::PermissionDenied, S::Stopped] {
            let labels = SourceStateLabels { source: source.to_owned(), state: s.as_str().to_owned() };
            self.source_state.get_or_create(&labels).set(i64::from(s == state));
        }
    }

    pub fn record_ingest(&self, via: &str, r: &IngestReport) {
        for (result, n) in [
            ("stored", r.stored),
            ("duplicate", r.duplicates),
            ("self_authored", r.self_authored),
            ("unmatched", r.unmatched),
        ] {
            if n > 0 {
                self.comments
                    .get_or_create(&ViaLabels { via: via.to_owned(), result: result.to_owned() })
                    .inc_by(n as u64);
            }
        }
    }
}
