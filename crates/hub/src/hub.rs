//! The hub itself: its configuration, the registry of session channels, admission of
//! connections, and the entry points for committed events and new subscriptions.

use crate::channel::{self, ChannelLease, SessionChannels};
use crate::metrics::HubMetrics;
use crate::subscription::Subscription;
use curbside_domain::{EventAudience, Offset, SessionId, StoredEvent};
use curbside_store::{EventSink, Store, StoreError};
use dashmap::DashMap;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use thiserror::Error;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Tuning knobs; `HubConfig::default()` is what production runs.
#[derive(Debug, Clone)]
pub struct HubConfig {
    /// Frames kept per channel and audience for subscribers that are briefly behind. A subscriber
    /// further behind than this is resynced from the log.
    pub broadcast_capacity: usize,
    /// Events read per query when replaying the log to a subscriber or filling a gap.
    pub replay_page: usize,
    /// How long a hole in a session's sequence may stay open before it is read from the log.
    /// Most holes are a concurrent writer that has committed but not yet published.
    pub gap_fill_after: Duration,
    /// Anonymous connections (public WebSocket and SSE), together.
    pub max_public_connections: usize,
    /// Signed-in staff WebSocket connections: a budget of their own, so that viewers filling
    /// the public one cannot lock the moderators' consoles out.
    pub max_staff_connections: usize,
    /// WebSocket Ping and SSE keep-alive comment period.
    pub ping_interval: Duration,
    /// A WebSocket that sends nothing (not even a Pong) for this long is closed with 4000.
    pub idle_timeout: Duration,
    /// A WebSocket whose socket stays unwritable this long is closed with 4008.
    pub send_timeout: Duration,
    /// Resyncs a subscriber may need per minute before it is told to reload instead.
    pub max_resyncs_per_minute: usize,
    /// Subscriptions one WebSocket may hold at once.
    pub max_subscriptions_per_connection: usize,
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            broadcast_capacity: 1024,
            replay_page: 500,
            gap_fill_after: Duration::from_millis(200),
            max_public_connections: 20_000,
            max_staff_connections: 500,
            ping_interval: Duration::from_secs(25),
            idle_timeout: Duration::from_secs(75),
            send_timeout: Duration::from_secs(10),
            max_resyncs_per_minute: 6,
            max_subscriptions_per_connection: 8,
        }
    }
}

#[derive(Debug, Error)]
pub enum HubError {
    #[error("session {0} does not exist")]
    UnknownSession(SessionId),
    #[error("the event log could not be read: {0}")]
    Store(#[from] StoreError),
}

/// The realtime hub. Cheap to clone: every clone shares the same channels.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<HubInner>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").field("channels", &self.inner.channels.len()).finish_non_exhaustive()
    }
}

pub(crate) struct HubInner {
    pub store: Store,
    pub config: HubConfig,
    pub channels: DashMap<SessionId, Arc<SessionChannels>>,
    pub metrics: HubMetrics,
    public_permits: Arc<Semaphore>,
    staff_permits: Arc<Semaphore>,
    /// For spawning gap fillers when the store calls in from outside a runtime.
    pub runtime: Option<tokio::runtime::Handle>,
    /// Slugs viewers subscribed by, with when they were read (see [`Hub::session_by_slug`]).
    slugs: DashMap<Box<str>, (SessionId, Instant)>,
}

/// How long a slug read from the store is trusted. A renamed session's old slug keeps leading
/// to it for at most this long; a new slug is found at once (it is not in the cache).
const SLUG_TTL: Duration = Duration::from_secs(5);
/// Slugs remembered at most; beyond it the cache starts afresh (it only saves queries).
const SLUG_CACHE_MAX: usize = 4096;

/// Hands the store's commits to the hub. Holds the hub weakly: the hub owns the store, and a
/// strong reference back would keep both alive forever.
struct StoreSink(Weak<HubInner>);

impl EventSink for StoreSink {
    fn committed(&self, events: &[StoredEvent]) {
        if let Some(hub) = self.0.upgrade() {
            channel::route(&hub, events);
        }
    }
}

impl Hub {
    /// Creates the hub and installs it as `store`'s event sink (the store keeps only the first).
    pub fn new(store: Store, config: HubConfig) -> Hub {
        let permits = |n: usize| Arc::new(Semaphore::new(n.min(Semaphore::MAX_PERMITS)));
        let inner = Arc::new(HubInner {
            store,
            public_permits: permits(config.max_public_connections),
            staff_permits: permits(config.max_staff_connections),
            config,
            channels: DashMap::new(),
            metrics: HubMetrics::new(),
            runtime: tokio::runtime::Handle::try_current().ok(),
            slugs: DashMap::new(),
        });
        inner.store.set_event_sink(Arc::new(StoreSink(Arc::downgrade(&inner))));
        Hub { inner }
    }

    pub fn config(&self) -> &HubConfig {
        &self.inner.config
    }

    pub fn metrics(&self) -> &HubMetrics {
        &self.inner.metrics
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Takes committed events, in any order, from any number of writers or nodes. The store
    /// calls this after every commit; a cross-node feed (PostgreSQL NOTIFY) may call it too.
    /// Never blocks: holes are filled from the store by a background task.
    pub fn committed(&self, events: &[StoredEvent]) {
        channel::route(&self.inner, events);
    }

    /// Notes that `session`'s log has reached `head` without carrying the events (a notification
    /// too small to hold them); whatever this node has not delivered is read from the store at
    /// once (the head is committed, so there is no point waiting for a local writer).
    pub fn log_advanced(&self, session: SessionId, head: Offset) {
        channel::observe_head(&self.inner, session, head);
    }

    /// Sessions with a channel open on this node (what a reconnected log listener re-reads).
    pub fn followed_sessions(&self) -> Vec<SessionId> {
        self.inner.channels.iter().map(|c| *c.key()).collect()
    }

    /// The session a public slug names. A crowd joining a live session all name the same slug:
    /// one store query serves them all for [`SLUG_TTL`], instead of one each.
    pub async fn session_by_slug(&self, slug: &str) -> Result<Option<SessionId>, StoreError> {
        if let Some(hit) = self.inner.slugs.get(slug) {
            let (id, read_at) = *hit;
            if read_at.elapsed() < SLUG_TTL {
                return Ok(Some(id));
            }
        }
        let found = self.inner.store.session_id_by_slug(slug).await?;
        match found {
            Some(id) => {
                if self.inner.slugs.len() >= SLUG_CACHE_MAX {
                    self.inner.slugs.clear();
                }
                self.inner.slugs.insert(slug.into(), (id, Instant::now()));
            }
            None => {
                self.inner.slugs.remove(slug);
            }
        }
        Ok(found)
    }

    /// Follows `session` for `audience`: first every event after `since` from the log, then live
    /// events, with no gap and no duplicate. `since` is an offset the client has seen (0 for the
    /// whole log).
    pub async fn subscribe(
        &self,
        session: SessionId,
        audience: EventAudience,
        since: Offset,
    ) -> Result<Subscription, HubError> {
        self.open(session, audience, Some(since)).await
    }

    /// Follows `session` for `audience` from now on: only events committed after this call.
    pub async fn subscribe_from_head(
        &self,
        session: SessionId,
        audience: EventAudience,
    ) -> Result<Subscription, HubError> {
        self.open(session, audience, None).await
    }

    async fn open(
        &self,
        session: SessionId,
        audience: EventAudience,
        since: Option<Offset>,
    ) -> Result<Subscription, HubError> {
        let lease = ChannelLease::join(&self.inner, session);
        // Receive before reading the log: whatever is published from here on is either in the
        // replay or in this receiver (or both; duplicates are skipped by offset).
        let rx = lease.channel.sender(audience).subscribe();
        let (start_head, read_it) = lease.start().await?;
        // On a running channel the head is what its sequencer has delivered: read after the
        // receiver was subscribed, so every later event reaches it, and no query per viewer (a
        // crowd joining a live session was one log read each). A `since` past it (a client that
        // read a newer offset from the API than the hub has delivered yet) asks the log.
        let head = match lease.channel.delivered_through() {
            _ if read_it => start_head,
            Some(delivered) if since.is_none_or(|s| s <= delivered) => delivered,
            _ => self.inner.store.last_offset(session).await?.ok_or(HubError::UnknownSession(session))?,
        };
        Ok(Subscription::new(lease, audience, rx, since.unwrap_or(head), head))
    }

    /// A place for one more connection in `budget`, held for the connection's life; `None` at
    /// the limit.
    pub fn admit(&self, budget: Budget) -> Option<ConnectionPermit> {
        let permits = match budget {
            Budget::Public => &self.inner.public_permits,
            Budget::Staff => &self.inner.staff_permits,
        };
        match permits.clone().try_acquire_owned() {
            Ok(permit) => Some(ConnectionPermit { _permit: permit }),
            Err(_) => {
                self.inner.metrics.refused_connections.inc();
                None
            }
        }
    }

    /// Sessions with at least one subscriber on this node.
    pub fn open_channels(&self) -> usize {
        self.inner.channels.len()
    }
}

/// Lets anything that produces committed events (a cross-node listener, a test) stand where the
/// store would.
impl EventSink for Hub {
    fn committed(&self, events: &[StoredEvent]) {
        Hub::committed(self, events);
    }
}

/// Which connection budget a client draws from: anonymous viewers and signed-in staff each
/// have their own (`max_public_connections`, `max_staff_connections`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    Public,
    Staff,
}

/// One of the hub's connection places; released when dropped.
#[derive(Debug)]
pub struct ConnectionPermit {
    _permit: OwnedSemaphorePermit,
}
