//! The hub's Prometheus metrics: connections, channels, fan-out, replay and slow consumers.
//! Hot-path counters are resolved once at start, so counting a delivery is one atomic add.

use curbside_domain::EventAudience;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// The two ways a client follows a channel.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
pub enum ConnectionKind {
    WebSocket,
    Sse,
}

impl ConnectionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionKind::WebSocket => "ws",
            ConnectionKind::Sse => "sse",
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AudienceLabel {
    audience: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: &'static str,
}

fn gauge_for(family: &Family<KindLabel, Gauge>, kind: ConnectionKind) -> Gauge {
    // A named local: the family's read guard must be gone before `family` can be moved.
    let gauge = family.get_or_create(&KindLabel { kind: kind.as_str() }).clone();
    gauge
}

/// A counter per audience, resolved up front.
#[derive(Debug, Clone, Default)]
pub(crate) struct PerAudience {
    pub staff: Counter,
    pub public: Counter,
}

impl PerAudience {
    fn from_family(family: &Family<AudienceLabel, Counter>) -> PerAudience {
        let staff = family.get_or_create(&AudienceLabel { audience: "staff" }).clone();
        let public = family.get_or_create(&AudienceLabel { audience: "public" }).clone();
        PerAudience { staff, public }
    }

    pub fn get(&self, audience: EventAudience) -> &Counter {
        match audience {
            EventAudience::Staff => &self.staff,
            EventAudience::Public => &self.public,
        }
    }
}

/// Everything the hub counts. Cheap to clone (every metric is an `Arc` inside).
#[derive(Debug, Clone)]
pub struct HubMetrics {
    connections: Family<KindLabel, Gauge>,
    pub(crate) ws_connections: Gauge,
    pub(crate) sse_connections: Gauge,
    pub(crate) refused_connections: Counter,
    pub(crate) channels: Gauge,
    pub(crate) subscriptions: Gauge,
    published: Family<AudienceLabel, Counter>,
    pub(crate) published_by: PerAudience,
    delivered: Family<AudienceLabel, Counter>,
    pub(crate) delivered_by: PerAudience,
    replayed: Family<AudienceLabel, Counter>,
    pub(crate) replayed_by: PerAudience,
    pub(crate) gap_filled: Counter,
    pub(crate) resyncs: Counter,
    reloads: Family<ReasonLabel, Counter>,
    pub(crate) slow_disconnects: Counter,
    pub(crate) log_notifications: Counter,
    pub(crate) log_listener_reconnects: Counter,
    pub(crate) log_listener_up: Gauge,
}

impl Default for HubMetrics {
    fn default() -> Self {
        HubMetrics::new()
    }
}

impl HubMetrics {
    pub fn new() -> HubMetrics {
        let connections = Family::<KindLabel, Gauge>::default();
        let ws_connections = gauge_for(&connections, ConnectionKind::WebSocket);
        let sse_connections = gauge_for(&connections, ConnectionKind::Sse);
        let published = Family::default();
        let delivered = Family::default();
        let replayed = Family::default();
        HubMetrics {
            connections,
            ws_connections,
            sse_connections,
            refused_connections: Counter::default(),
            channels: Gauge::default(),
            subscriptions: Gauge::default(),
            published_by: PerAudience::from_family(&published),
            published,
            delivered_by: PerAudience::from_family(&delivered),
            delivered,
            replayed_by: PerAudience::from_family(&replayed),
            replayed,
            gap_filled: Counter::default(),
            resyncs: Counter::default(),
            reloads: Family::default(),
            slow_disconnects: Counter::default(),
            log_notifications: Counter::default(),
            log_listener_reconnects: Counter::default(),
            log_listener_up: Gauge::default(),
        }
    }

    /// Adds every hub metric to `registry` under the `hub_` prefix (`curbside_hub_…` in the
    /// server's registry, whose own prefix is `curbside`).
    pub fn register(&self, registry: &mut Registry) {
        let r = registry.sub_registry_with_prefix("hub");
        r.register("connections", "Open realtime connections by kind (ws, sse)", self.connections.clone());
        r.register(
            "refused_connections",
            "Connections refused because their budget (public or staff) was full",
            self.refused_connections.clone(),
        );
        r.register("channels", "Sessions with at least one subscriber on this node", self.channels.clone());
        r.register(
            "subscriptions",
            "Open subscriptions (one per session and audience per client)",
            self.subscriptions.clone(),
        );
        r.register("events_published", "Events fanned out to a channel, by audience", self.published.clone());
        r.register(
            "events_delivered",
            "Event frames handed to subscribers, by audience",
            self.delivered.clone(),
        );
        r.register(
            "events_replayed",
            "Events read from the log to replay to a subscriber, by audience",
            self.replayed.clone(),
        );
        r.register(
            "events_gap_filled",
            "Events read from the log to fill a hole in a channel's sequence",
            self.gap_filled.clone(),
        );
        r.register(
            "resyncs",
            "Subscribers that fell behind the live buffer and were resynced from the log",
            self.resyncs.clone(),
        );
        r.register("reloads", "Subscribers told to reload their state, by reason", self.reloads.clone());
        r.register(
            "slow_disconnects",
            "WebSocket clients disconnected for not reading (close 4008)",
            self.slow_disconnects.clone(),
        );
        r.register(
            "log_notifications",
            "Log notifications (session, head) received from PostgreSQL, this node's commits included",
            self.log_notifications.clone(),
        );
        r.register(
            "log_listener_reconnects",
            "Times the PostgreSQL log listener lost its connection and reconnected (each followed session is then re-read)",
            self.log_listener_reconnects.clone(),
        );
        r.register(
            "log_listener_up",
            "1 while the PostgreSQL log listener is connected (always 0 on SQLite)",
            self.log_listener_up.clone(),
        );
    }

    pub(crate) fn reload(&self, reason: &'static str) {
        self.reloads.get_or_create(&ReasonLabel { reason }).inc();
    }

    /// Counts an open connection until the returned guard is dropped.
    pub(crate) fn open_connection(&self, kind: ConnectionKind) -> ConnectionGauge {
        let gauge = match kind {
            ConnectionKind::WebSocket => self.ws_connections.clone(),
            ConnectionKind::Sse => self.sse_connections.clone(),
        };
        gauge.inc();
        ConnectionGauge(gauge)
    }

    /// The current number of open connections of `kind`.
    pub fn open_connections(&self, kind: ConnectionKind) -> i64 {
        match kind {
            ConnectionKind::WebSocket => self.ws_connections.get(),
            ConnectionKind::Sse => self.sse_connections.get(),
        }
    }

    /// Subscribers resynced from the log since start.
    pub fn resync_count(&self) -> u64 {
        self.resyncs.get()
    }

    /// Times the log listener reconnected since start.
    pub fn log_listener_reconnect_count(&self) -> u64 {
        self.log_listener_reconnects.get()
    }

    /// Sessions with at least one subscriber right now.
    pub fn channel_count(&self) -> i64 {
        self.channels.get()
    }
}

/// Decrements its connection gauge when dropped, however the connection ends.
#[derive(Debug)]
pub(crate) struct ConnectionGauge(Gauge);

impl Drop for ConnectionGauge {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_are_exposed_with_their_labels() {
        let metrics = HubMetrics::new();
        let mut registry = Registry::with_prefix("curbside");
        metrics.register(&mut registry);
        let guard = metrics.open_connection(ConnectionKind::Sse);
        metrics.delivered_by.get(EventAudience::Public).inc();
        metrics.reload("too_slow");
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).expect("encode");
        assert!(text.contains("curbside_hub_connections{kind=\"sse\"} 1"), "{text}");
        assert!(text.contains("curbside_hub_events_delivered_total{audience=\"public\"} 1"), "{text}");
        assert!(text.contains("curbside_hub_reloads_total{reason=\"too_slow\"} 1"), "{text}");
        drop(guard);
        assert_eq!(metrics.open_connections(ConnectionKind::Sse), 0);
    }
}
