//! Test fixtures: a real SQLite store on a temp file, a hub on it, one session, and helpers
//! that write real events through the store.
#![allow(dead_code)] // each test binary uses a different part of this module

use curbside_domain::{Offset, Platform, SessionId, SessionStatus, StoredEvent};
use curbside_hub::{Hub, HubConfig, Item, Subscription};
use curbside_store::{Actor, IncomingComment, NewSession, Store};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tempfile::TempDir;

/// How long any single wait in a test may take before it counts as a hang.
pub const PATIENCE: Duration = Duration::from_secs(10);

pub struct Fixture {
    pub hub: Hub,
    /// The store the hub listens to: its commits reach the hub.
    pub store: Store,
    /// A second handle on the same database that the hub does not hear from, like another
    /// node: its events reach the hub only when a test hands them over.
    pub side: Store,
    pub session: SessionId,
    pub url: String,
    next_comment: AtomicU64,
    _dir: TempDir,
}

impl Fixture {
    pub async fn new(config: HubConfig) -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("hub.db").display());
        let store = Store::connect(&url).await.expect("store");
        let side = Store::connect(&url).await.expect("second store handle");
        let hub = Hub::new(store.clone(), config);
        let session = store
            .create_session(
                NewSession {
                    title: "Heart health Q&A".into(),
                    slug: None,
                    disclaimer: None,
                    sources: Vec::new(),
                    specialists: Vec::new(),
                },
                &Actor::system("test"),
            )
            .await
            .expect("session")
            .id;
        Fixture { hub, store, side, session, url, next_comment: AtomicU64::new(1), _dir: dir }
    }

    /// Writes `n` comments in one transaction through `store`: `n` staff-only events.
    pub async fn comments_via(&self, store: &Store, n: usize) -> Vec<StoredEvent> {
        self.comments_with_text(store, n, "How much salt is too much?").await
    }

    pub async fn comments_with_text(&self, store: &Store, n: usize, text: &str) -> Vec<StoredEvent> {
        let batch = (0..n)
            .map(|_| {
                let id = self.next_comment.fetch_add(1, Ordering::Relaxed);
                IncomingComment {
                    session_id: self.session,
                    source_id: None,
                    platform: Platform::Facebook,
                    platform_comment_id: format!("c-{id}"),
                    author_id: Some(format!("u-{id}")),
                    author_name: Some("Ann Example".into()),
                    text: text.to_owned(),
                    parent_id: None,
                    platform_time: 0,
                    via: "test".into(),
                }
            })
            .collect();
        let outcome = store.ingest_comments(batch).await.expect("ingest");
        assert_eq!(outcome.events.len(), n, "each new comment appends one event");
        outcome.events
    }

    /// Writes `n` comments through the hub's store, one transaction each.
    pub async fn comments(&self, n: usize) -> Vec<StoredEvent> {
        let mut events = Vec::new();
        for _ in 0..n {
            events.extend(self.comments_via(&self.store, 1).await);
        }
        events
    }

    /// Flips the session between live and ended: one event that the public sees too.
    pub async fn flip_status(&self) -> StoredEvent {
        let current = self.store.session(self.session).await.expect("session").status;
        let to = if current == SessionStatus::Live { SessionStatus::Ended } else { SessionStatus::Live };
        self.store.set_session_status(self.session, to, &Actor::system("test")).await.expect("status");
        let head = self.head().await;
        let events = self
            .store
            .events_after(self.session, curbside_domain::EventAudience::Staff, Offset(head.0 - 1), 1)
            .await
            .expect("read back");
        let event = events.into_iter().next().expect("the status event");
        assert!(event.public_json.is_some(), "status changes are public");
        event
    }

    pub async fn head(&self) -> Offset {
        self.store.last_offset(self.session).await.expect("head").expect("session exists")
    }
}

/// The next item, or a panic if none comes in time.
pub async fn next(sub: &mut Subscription) -> Item {
    tokio::time::timeout(PATIENCE, sub.next()).await.expect("the subscription stalled")
}

/// A compact, comparable description of an item.
pub fn describe(item: &Item) -> String {
    match item {
        Item::Frame(f) => format!("event {}", f.offset()),
        Item::Replayed { through } => format!("replayed {through}"),
        Item::Resync { after } => format!("resync {after}"),
        Item::Reload { reason } => format!("reload {}", reason.code()),
    }
}

/// The next `n` items, described.
pub async fn take(sub: &mut Subscription, n: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(describe(&next(sub).await));
    }
    out
}

pub fn events(offsets: impl IntoIterator<Item = i64>) -> Vec<String> {
    offsets.into_iter().map(|o| format!("event {o}")).collect()
}

/// Asserts that nothing arrives within a short while.
pub async fn assert_quiet(sub: &mut Subscription) {
    if let Ok(item) = tokio::time::timeout(Duration::from_millis(100), sub.next()).await {
        panic!("expected nothing, got {}", describe(&item));
    }
}
