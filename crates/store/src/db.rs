//! Connecting, migrating and the write path every change goes through: one transaction that
//! changes rows and appends events, then a hand-off of the committed events to the sink.

use crate::{EventSink, Result, SecretKey, StoreError};
use curbside_domain::{EventBody, PublicBody, SessionId, StoredEvent};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Executor, Transaction};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// What sqlx's `Any` driver calls a PostgreSQL connection.
const POSTGRES_BACKEND: &str = "PostgreSQL";

/// Replies per answered question when none is configured: enough for a popular merged
/// question, few enough to stay human-paced on the platform.
pub const DEFAULT_REPLY_CAP: usize = 25;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Connections for reads (and, on PostgreSQL, writes).
    pub max_connections: u32,
    /// How long to wait for a free connection before failing the request.
    pub acquire_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions { max_connections: 8, acquire_timeout: Duration::from_secs(10) }
    }
}

/// The database handle. Cheap to clone; every clone shares the pools and the event sink.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    backend: Backend,
    read: AnyPool,
    /// On SQLite a single connection: SQLite has one writer at a time anyway, and funnelling
    /// writes through one connection turns "database is locked" retries into a short queue.
    /// On PostgreSQL the same pool as `read`.
    write: AnyPool,
    sink: OnceLock<Arc<dyn EventSink>>,
    /// The database URL, on PostgreSQL only: a log listener opens its own connection with it.
    postgres_url: Option<String>,
    /// At most this many askers of one (merged) question get a platform reply.
    reply_cap: AtomicUsize,
    /// Seals platform access tokens at rest; `None` refuses to store tokens.
    secret_key: std::sync::RwLock<Option<SecretKey>>,
    /// The configured detectors every incoming comment goes through (built-in lists until
    /// configuration installs its own).
    screener: OnceLock<Arc<curbside_screening::Screener>>,
    /// Sessions' duplicate indexes kept between ingest writes (SQLite only; see
    /// [`crate::screening::IndexCache`]).
    pub(crate) duplicate_indexes: crate::screening::IndexCache,
    /// Ingest batches waiting to be written together (SQLite only; see
    /// [`Store::ingest_comments`]).
    ingest_queue: crate::comments::IngestQueue,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.inner.backend).finish_non_exhaustive()
    }
}

pub(crate) type Tx = Transaction<'static, sqlx::Any>;

/// An event about to be appended: its staff payload and, if the public may see it, that too.
pub(crate) struct NewEvent {
    pub staff: EventBody,
    pub public: Option<PublicBody>,
}

impl Store {
    pub async fn connect(url: &str) -> Result<Store> {
        Store::connect_with(url, StoreOptions::default()).await
    }

    /// Opens (creating an SQLite file if missing) and migrates the database at `url`.
    pub async fn connect_with(url: &str, options: StoreOptions) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(redact_url(url)));
        };
        let store = match backend {
            Backend::Sqlite => {
                let url = sqlite_url(url);
                let connect = AnyConnectOptions::from_str(&url)?;
                let pool = |max: u32| {
                    AnyPoolOptions::new()
                        .max_connections(max)
                        .acquire_timeout(options.acquire_timeout)
                        .after_connect(|conn, _| Box::pin(async move { sqlite_pragmas(conn).await }))
                };
                // Create the file and switch it to WAL before the read pool opens it.
                let write = pool(1).connect_with(connect.clone()).await?;
                write.execute("PRAGMA journal_mode = WAL").await?;
                let read = pool(options.max_connections.max(2)).connect_with(connect).await?;
                Store::from_parts(backend, read, write, None)
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(options.max_connections.max(2))
                    .acquire_timeout(options.acquire_timeout)
                    .connect(url)
                    .await?;
                Store::from_parts(backend, pool.clone(), pool, Some(url.to_owned()))
            }
        };
        store.migrate().await?;
        Ok(store)
    }

    fn from_parts(backend: Backend, read: AnyPool, write: AnyPool, postgres_url: Option<String>) -> Store {
        Store {
            inner: Arc::new(Inner {
                backend,
                read,
                write,
                sink: OnceLock::new(),
                postgres_url,
                reply_cap: AtomicUsize::new(DEFAULT_REPLY_CAP),
                secret_key: std::sync::RwLock::new(None),
                screener: OnceLock::new(),
                duplicate_indexes: crate::screening::IndexCache::default(),
                ingest_queue: crate::comments::IngestQueue::default(),
            }),
        }
    }

    async fn migrate(&self) -> Result<()> {
        let migrator = match self.inner.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.inner.write).await?;
        Ok(())
    }

    /// Answers when the database does and every migration this build knows is applied.
    pub async fn ready(&self) -> Result<()> {
        let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
            .fetch_one(&self.inner.read)
            .await?;
        let known = match self.inner.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.iter().count(),
            Backend::Postgres => POSTGRES_MIGRATIONS.iter().count(),
        };
        if applied < known as i64 {
            return Err(StoreError::Corrupt(format!("{applied} of {known} migrations applied")));
        }
        Ok(())
    }

    /// Installs the receiver of committed events (the hub). Only the first call takes effect.
    pub fn set_event_sink(&self, sink: Arc<dyn EventSink>) {
        let _ = self.inner.sink.set(sink);
    }

    /// Sets how many askers of one question get a platform reply (`CURBSIDE_REPLY_CAP`).
    pub fn set_reply_cap(&self, cap: usize) {
        self.inner.reply_cap.store(cap, Ordering::Relaxed);
    }

    /// Installs the configured screener (an organisation's myth list, blocked words). Only the
    /// first call takes effect; until then the built-in lists are used.
    pub fn set_screener(&self, screener: curbside_screening::Screener) {
        let _ = self.inner.screener.set(Arc::new(screener));
    }

    /// Drops every cached duplicate index (after a purge or an erasure: the raw wording they
    /// were built from is gone).
    pub(crate) fn forget_duplicate_indexes(&self) {
        self.inner.duplicate_indexes.clear();
    }

    pub(crate) fn duplicate_indexes(&self) -> Option<&crate::screening::IndexCache> {
        // On SQLite every write goes through this process's one write connection, so every
        // change reaches `commit`; PostgreSQL may have other nodes writing.
        (self.inner.backend == Backend::Sqlite).then_some(&self.inner.duplicate_indexes)
    }

    pub(crate) fn ingest_queue(&self) -> Option<&crate::comments::IngestQueue> {
        // PostgreSQL takes concurrent writers (and other nodes write too): no queue there.
        (self.inner.backend == Backend::Sqlite).then_some(&self.inner.ingest_queue)
    }

    pub(crate) fn screener(&self) -> Arc<curbside_screening::Screener> {
        self.inner.screener.get_or_init(|| Arc::new(curbside_screening::Screener::default())).clone()
    }

    pub(crate) fn reply_cap(&self) -> usize {
        self.inner.reply_cap.load(Ordering::Relaxed)
    }

    /// Sets the key that seals platform tokens (`CURBSIDE_SECRET_KEY` or the key file).
    pub fn set_secret_key(&self, key: Option<SecretKey>) {
        if let Ok(mut k) = self.inner.secret_key.write() {
            *k = key;
        }
    }

    pub(crate) fn secret_key(&self) -> Option<SecretKey> {
        self.inner.secret_key.read().ok().and_then(|k| k.clone())
    }

    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    pub(crate) fn postgres_url(&self) -> Option<&str> {
        self.inner.postgres_url.as_deref()
    }

    pub(crate) fn read_pool(&self) -> &AnyPool {
        &self.inner.read
    }

    pub(crate) fn write_pool(&self) -> &AnyPool {
        &self.inner.write
    }

    pub(crate) async fn begin_write(&self) -> Result<Tx> {
        Ok(self.inner.write.begin().await?)
    }

    /// Commits `tx` and hands the events it appended to the sink.
    pub(crate) async fn commit(&self, tx: Tx, events: Vec<StoredEvent>) -> Result<Vec<StoredEvent>> {
        // Any change but ingest's own may have closed a question a duplicate index holds.
        let mut sessions: Vec<SessionId> = events.iter().map(|e| e.session_id).collect();
        sessions.dedup();
        for session in sessions {
            self.inner.duplicate_indexes.invalidate(session);
        }
        self.commit_ingest(tx, events).await
    }

    /// [`Store::commit`] for ingest, which keeps its sessions' duplicate indexes up to date
    /// itself.
    pub(crate) async fn commit_ingest(&self, tx: Tx, events: Vec<StoredEvent>) -> Result<Vec<StoredEvent>> {
        tx.commit().await?;
        if !events.is_empty() {
            if let Some(sink) = self.inner.sink.get() {
                sink.committed(&events);
            }
        }
        Ok(events)
    }

    /// Closes every connection; for shutdown, after the last write.
    pub async fn close(&self) {
        self.inner.read.close().await;
        self.inner.write.close().await;
    }
}

/// Events written by one `INSERT` (5 parameters each: well inside SQLite's and PostgreSQL's
/// limits on parameters per statement).
const EVENTS_PER_INSERT: usize = 200;

/// Appends `events` to `session`'s log inside `tx`, taking the next offsets from
/// `sessions.last_offset`. The row update also serialises concurrent writers to one session on
/// PostgreSQL, so offsets are gap-free and commit in order.
pub(crate) async fn append_events(
    tx: &mut AnyConnection,
    session: SessionId,
    at: i64,
    events: Vec<NewEvent>,
) -> Result<Vec<StoredEvent>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let count = events.len() as i64;
    let last: i64 = sqlx::query_scalar(
        "UPDATE sessions SET last_offset = last_offset + $1 WHERE id = $2 RETURNING last_offset",
    )
    .bind(count)
    .bind(session.0)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound("session"))?;
    if is_postgres(tx) {
        // Delivered to every listening node at commit, in commit order (the row lock above
        // orders one session's writers); other nodes read the events themselves from the log.
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(crate::notify::LOG_CHANNEL)
            .bind(crate::notify::payload(session, curbside_domain::Offset(last)))
            .execute(&mut *tx)
            .await?;
    }
    let mut stored = Vec::with_capacity(events.len());
    for (i, ev) in events.into_iter().enumerate() {
        let offset = last - count + 1 + i as i64;
        let staff_json = serde_json::to_string(&ev.staff)?;
        let public_json = ev.public.as_ref().map(serde_json::to_string).transpose()?;
        stored.push(StoredEvent {
            session_id: session,
            offset: curbside_domain::Offset(offset),
            at,
            staff_json,
            public_json,
        });
    }
    // Many rows per statement: a 1,000-comment webhook appends 1,000 events, and each
    // statement is a round trip to the database.
    for chunk in stored.chunks(EVENTS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO events (session_id, event_offset, at, staff_json, public_json) VALUES {}",
            Params::of(tx).rows(chunk.len(), 5)
        );
        let mut query = sqlx::query(&sql);
        for ev in chunk {
            query =
                query.bind(session.0).bind(ev.offset.0).bind(at).bind(&ev.staff_json).bind(&ev.public_json);
        }
        query.execute(&mut *tx).await?;
    }
    Ok(stored)
}

async fn sqlite_pragmas(conn: &mut AnyConnection) -> std::result::Result<(), sqlx::Error> {
    // FULL: a comment acknowledged to Meta survives a power cut, not only a process crash.
    conn.execute("PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;").await?;
    Ok(())
}

/// Adds `mode=rwc` (create the file if missing) unless the URL already chooses a mode.
fn sqlite_url(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// Whether `conn` is a PostgreSQL connection (the SQL is the same on both backends but for the
/// few places that ask).
pub(crate) fn is_postgres(conn: &AnyConnection) -> bool {
    conn.backend_name() == POSTGRES_BACKEND
}

/// How a statement's parameters are written. PostgreSQL numbers them (`$1, $2`); on SQLite
/// they are plain `?`, bound in order. sqlx finds the argument of a numbered parameter by asking
/// SQLite for the parameter's name, which scans every name, so a many-row statement written
/// with numbered parameters costs time quadratic in its size (a third of ingest's CPU was
/// spent there).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Params {
    numbered: bool,
}

impl Params {
    pub(crate) fn of(conn: &AnyConnection) -> Params {
        Params { numbered: is_postgres(conn) }
    }

    /// The `i`-th parameter (from 1). On SQLite they are bound in the order they are written,
    /// so a statement writes every parameter through these, in order.
    pub(crate) fn nth(self, i: usize) -> String {
        if self.numbered {
            format!("${i}")
        } else {
            "?".to_owned()
        }
    }

    /// `count` parameters from the `first`-th on, comma-separated: an `IN (…)` list.
    pub(crate) fn list(self, first: usize, count: usize) -> String {
        (first..first + count).map(|i| self.nth(i)).collect::<Vec<_>>().join(", ")
    }

    /// `rows` parenthesised groups of `columns` parameters each, from the first on
    /// (`($1, $2), ($3, $4)`): the `VALUES` list of a many-row `INSERT`.
    pub(crate) fn rows(self, rows: usize, columns: usize) -> String {
        (0..rows).map(|r| format!("({})", self.list(r * columns + 1, columns))).collect::<Vec<_>>().join(", ")
    }
}

/// The URL without its password, for error messages.
pub(crate) fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => url.chars().take(40).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_create_the_file_unless_told_otherwise() {
        assert_eq!(sqlite_url("sqlite://curbside.db"), "sqlite://curbside.db?mode=rwc");
        assert_eq!(sqlite_url("sqlite://x.db?cache=shared"), "sqlite://x.db?cache=shared&mode=rwc");
        assert_eq!(sqlite_url("sqlite://x.db?mode=ro"), "sqlite://x.db?mode=ro");
    }

    #[test]
    fn passwords_never_reach_error_messages() {
        let r = redact_url("postgres://app:s3cret@db.internal/curbside");
        assert!(!r.contains("s3cret"), "{r}");
    }
}
