//! Curbside's platform connectors, the I/O half of the Meta integration (the pure formats are
//! in `curbside-meta`): webhook and polling ingest into the store, and the outbox back out.
//!
//! Data flows one way: platform → [`ingest`] → store → (hub, consoles) → outbox → platform.

pub mod graph;
pub mod ingest;
pub mod metrics;
pub mod outbox;
pub mod poller;

pub use graph::{GraphCallError, GraphClient, GRAPH_VERSION};
pub use ingest::{follow_live_status, ingest_notification, IngestReport};
pub use metrics::ConnectorMetrics;
pub use outbox::OutboxWorker;
pub use poller::{resolve_video_id, spawn_pollers, PollerConfig};
