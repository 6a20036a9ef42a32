//! The brakes on password guessing: [`LoginLimiter`] counts sign-in attempts per (account,
//! client), per account and per client in bounded memory, and [`PasswordPool`] runs the Argon2
//! checks on a few dedicated threads behind a bounded queue.
//!
//! Each Argon2 check allocates 19 MiB, so the number running at once is the memory bound: a
//! fixed pool of threads, and beyond its queue an immediate "busy" without hashing. Attempts are
//! counted *before* the hash (as provisional failures, undone on success), so a burst of
//! simultaneous guesses cannot all slip through while the first ones are still hashing.
//!
//! Whose attempts are refused: the aim is to slow down the attacker, not to lock the account.
//! A client that failed too often for one account is refused for that account; a client that
//! failed too often across accounts is refused altogether; and when an account is under attack
//! from many clients, only the clients that have failed for it are refused. A person signing in
//! from their own address with the right password is never refused for someone else's guesses.
//! (Behind a reverse proxy that only works when the proxy is in `CURBSIDE_TRUSTED_PROXIES`,
//! see `client.rs`; otherwise everyone shares the proxy's address.) A browser that has signed
//! in to an account before also carries a *known-device* cookie for it: its attempts for that
//! account are counted apart from its address, so even behind an unlisted proxy an attacker's
//! guesses from the same address do not lock that person out.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// The sign-in limits. `Default` is what production runs.
#[derive(Debug, Clone)]
pub struct LoginLimits {
    /// Failures are counted over this window, then forgotten.
    pub window: Duration,
    /// Failures of one client for one account before that client is refused for that account.
    pub per_account_client: u32,
    /// Failures for one account, from all clients, before clients that have failed for it are
    /// refused (clients that have not failed still get through).
    pub per_account: u32,
    /// Failures of one client, over all accounts, before it is refused altogether.
    pub per_client: u32,
    /// Entries each table keeps at most; the least recently used go first.
    pub capacity: usize,
    /// Attempts one client may have waiting or being checked at once: a client cannot fill the
    /// password queue by itself and keep everyone else waiting.
    pub per_client_in_flight: u32,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits {
            window: Duration::from_secs(15 * 60),
            per_account_client: 5,
            per_account: 20,
            per_client: 50,
            capacity: 50_000,
            per_client_in_flight: 2,
        }
    }
}

/// Why an attempt was refused before any hashing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    pub retry_after: Duration,
}

/// Counts sign-in failures in three bounded tables. Per node; correctness never depends on it.
pub struct LoginLimiter {
    limits: LoginLimits,
    /// Keys are hashed with a per-process random seed: small entries, and no one can aim
    /// collisions at someone else's counter.
    seed: RandomState,
    /// Signs known-device cookies. Per process: after a restart, devices are known again after
    /// their next successful sign-in.
    device_key: [u8; 32],
    tables: Mutex<Tables>,
    /// Attempts in progress per client key; entries leave when they reach zero, so this holds
    /// at most one entry per request in flight.
    in_flight: Arc<Mutex<HashMap<u64, u32>>>,
}

/// Where an attempt comes from, for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The client's address (see `client::client_addr`).
    Address(IpAddr),
    /// A browser holding this account's known-device cookie (from an earlier success).
    KnownDevice,
}

struct Tables {
    pairs: Recent,
    accounts: Recent,
    clients: Recent,
}

/// An attempt counted as a failure until it is resolved as a success or cancelled.
#[derive(Debug)]
#[must_use = "resolve the attempt with succeeded() or cancel(); dropping it leaves it counted as a failure"]
pub struct Attempt {
    pair: u64,
    account: u64,
    client: u64,
    _in_flight: Option<InFlight>,
}

/// Holds one of a client's in-flight places until the attempt ends, however it ends (also when
/// the request is dropped halfway).
#[derive(Debug)]
struct InFlight {
    map: Arc<Mutex<HashMap<u64, u32>>>,
    client: u64,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.client) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.client);
            }
        }
    }
}

impl Default for LoginLimiter {
    fn default() -> Self {
        LoginLimiter::new(LoginLimits::default())
    }
}

impl LoginLimiter {
    pub fn new(limits: LoginLimits) -> LoginLimiter {
        let half = (limits.capacity / 2).max(1);
        LoginLimiter {
            seed: RandomState::new(),
            device_key: rand::random(),
            tables: Mutex::new(Tables {
                pairs: Recent::new(half),
                accounts: Recent::new(half),
                clients: Recent::new(half),
            }),
            in_flight: Arc::default(),
            limits,
        }
    }

    fn keys(&self, account: &str, origin: Origin) -> Attempt {
        let account = normalise(account);
        let (pair, client) = match origin {
            Origin::Address(ip) => (self.seed.hash_one((0u8, &account, ip)), self.seed.hash_one((2u8, ip))),
            Origin::KnownDevice => (self.seed.hash_one((3u8, &account)), self.seed.hash_one((4u8, &account))),
        };
        Attempt { pair, account: self.seed.hash_one((1u8, &account)), client, _in_flight: None }
    }

    /// The value of the known-device cookie for `account` (set after a successful sign-in).
    pub fn device_token(&self, account: &str) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.device_key).expect("HMAC takes any key length");
        mac.update(normalise(account).as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Whether `cookie` is this account's known-device cookie.
    pub fn is_known_device(&self, account: &str, cookie: Option<&str>) -> bool {
        cookie.is_some_and(|c| {
            bool::from(subtle::ConstantTimeEq::ct_eq(c.as_bytes(), self.device_token(account).as_bytes()))
        })
    }

    /// Admits an attempt and counts it as a failure right away, or refuses it.
    pub fn begin(&self, account: &str, origin: Origin) -> Result<Attempt, Refused> {
        let mut attempt = self.keys(account, origin);
        attempt._in_flight = Some(self.take_in_flight_place(attempt.client)?);
        let now = Instant::now();
        let window = self.limits.window;
        let mut t = self.tables.lock().unwrap_or_else(|p| p.into_inner());
        let pair = t.pairs.get(attempt.pair, now, window);
        let by_client = t.clients.get(attempt.client, now, window);
        let by_account = t.accounts.get(attempt.account, now, window);
        let refuse = |w: Window| Refused { retry_after: (w.start + window).saturating_duration_since(now) };
        if pair.count >= self.limits.per_account_client {
            return Err(refuse(pair));
        }
        if by_client.count >= self.limits.per_client {
            return Err(refuse(by_client));
        }
        if by_account.count >= self.limits.per_account && pair.count > 0 {
            return Err(refuse(by_account));
        }
        t.pairs.add(attempt.pair, now, window, 1);
        t.clients.add(attempt.client, now, window, 1);
        t.accounts.add(attempt.account, now, window, 1);
        Ok(attempt)
    }

    fn take_in_flight_place(&self, client: u64) -> Result<InFlight, Refused> {
        let mut map = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        let n = map.entry(client).or_insert(0);
        if *n >= self.limits.per_client_in_flight {
            return Err(Refused { retry_after: Duration::from_secs(1) });
        }
        *n += 1;
        Ok(InFlight { map: self.in_flight.clone(), client })
    }

    /// The password was right: this client's failures for the account are forgiven, and the
    /// provisional failure is taken back from the account's and the client's counts.
    pub fn succeeded(&self, attempt: Attempt) {
        let mut t = self.tables.lock().unwrap_or_else(|p| p.into_inner());
        t.pairs.remove(attempt.pair);
        t.undo(&attempt, false);
    }

    /// The attempt never got to a password check (the server was busy): it does not count.
    pub fn cancel(&self, attempt: Attempt) {
        let mut t = self.tables.lock().unwrap_or_else(|p| p.into_inner());
        t.undo(&attempt, true);
    }

    /// How many keys the tables hold (for tests of the memory bound).
    pub fn tracked(&self) -> usize {
        let t = self.tables.lock().unwrap_or_else(|p| p.into_inner());
        t.pairs.len() + t.accounts.len() + t.clients.len()
    }
}

fn normalise(account: &str) -> String {
    account.trim().to_lowercase()
}

impl Tables {
    fn undo(&mut self, attempt: &Attempt, pair_too: bool) {
        if pair_too {
            self.pairs.sub(attempt.pair);
        }
        self.accounts.sub(attempt.account);
        self.clients.sub(attempt.client);
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    count: u32,
}

/// A map that keeps roughly the most recently used `2 × half` keys: two generations, the older
/// dropped whole when the newer fills up, and an entry read from the older moved to the newer.
/// Memory is bounded whatever the traffic, and every operation is O(1).
struct Recent {
    half: usize,
    current: HashMap<u64, Window>,
    previous: HashMap<u64, Window>,
}

impl Recent {
    fn new(half: usize) -> Recent {
        Recent { half, current: HashMap::new(), previous: HashMap::new() }
    }

    fn len(&self) -> usize {
        self.current.len() + self.previous.len()
    }

    /// The key's count in its current window (zero if it has none or it has expired).
    fn get(&mut self, key: u64, now: Instant, window: Duration) -> Window {
        let fresh = Window { start: now, count: 0 };
        let found = if let Some(w) = self.current.get(&key) {
            Some(*w)
        } else if let Some(w) = self.previous.remove(&key) {
            self.insert(key, w);
            Some(w)
        } else {
            None
        };
        match found {
            Some(w) if now.duration_since(w.start) < window => w,
            _ => fresh,
        }
    }

    fn add(&mut self, key: u64, now: Instant, window: Duration, n: u32) {
        let mut w = self.get(key, now, window);
        if w.count == 0 {
            w.start = now;
        }
        w.count = w.count.saturating_add(n);
        self.insert(key, w);
    }

    fn sub(&mut self, key: u64) {
        if let Some(w) = self.current.get_mut(&key) {
            w.count = w.count.saturating_sub(1);
        }
    }

    fn remove(&mut self, key: u64) {
        self.current.remove(&key);
        self.previous.remove(&key);
    }

    fn insert(&mut self, key: u64, w: Window) {
        if self.current.len() >= self.half && !self.current.contains_key(&key) {
            self.previous = std::mem::take(&mut self.current);
        }
        self.current.insert(key, w);
    }
}

/// Every worker and queue place is taken: answer "busy" at once instead of queueing more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolBusy;

type Job = Box<dyn FnOnce() + Send>;

/// Which queue a password check waits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// Everyone: `workers` threads behind the shared queue.
    Shared,
    /// Browsers with a known-device cookie for the account: one reserved thread and a small
    /// queue of their own, so a flood from many addresses cannot keep them waiting.
    KnownDevice,
}

/// Waiting places in the known-device lane.
const KNOWN_DEVICE_QUEUE: usize = 4;

/// A fixed set of threads for Argon2 checks, fed through bounded queues. Dedicated threads
/// (rather than tokio's blocking pool, which grows to hundreds) also keep the allocator's
/// per-thread arenas, each of which may keep a freed 19 MiB block, down to `workers + 1`.
#[derive(Clone)]
pub struct PasswordPool {
    jobs: mpsc::SyncSender<Job>,
    known_device_jobs: mpsc::SyncSender<Job>,
    workers: usize,
    queue: usize,
}

impl std::fmt::Debug for PasswordPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordPool").field("workers", &self.workers).field("queue", &self.queue).finish()
    }
}

/// Starts `threads` threads that run the jobs arriving on a new channel of `queue` places.
fn spawn_workers(name: &str, threads: usize, queue: usize) -> std::io::Result<mpsc::SyncSender<Job>> {
    let (jobs, rx) = mpsc::sync_channel::<Job>(queue);
    let rx = Arc::new(Mutex::new(rx));
    for i in 0..threads {
        let rx = rx.clone();
        std::thread::Builder::new().name(format!("{name}-{i}")).spawn(move || loop {
            // The lock is held only while waiting for the next job, not while running it.
            let job = match rx.lock() {
                Ok(rx) => rx.recv(),
                Err(_) => return,
            };
            match job {
                Ok(job) => job(),
                Err(_) => return,
            }
        })?;
    }
    Ok(jobs)
}

impl PasswordPool {
    /// The default size: one worker per core, at most 4 (76 MiB of Argon2 memory at once).
    pub fn default_workers() -> usize {
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 4)
    }

    /// Starts `workers` threads with room for `queue` waiting checks, and the known-device
    /// lane's one thread. The threads end when the last clone of the pool is dropped.
    pub fn start(workers: usize, queue: usize) -> std::io::Result<PasswordPool> {
        let workers = workers.max(1);
        let jobs = spawn_workers("curbside-password", workers, queue)?;
        let known_device_jobs = spawn_workers("curbside-password-known", 1, KNOWN_DEVICE_QUEUE)?;
        Ok(PasswordPool { jobs, known_device_jobs, workers, queue })
    }

    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Queues `check` in `lane`, or refuses at once when that lane's queue is full. The
    /// returned future resolves with its result.
    pub fn submit<T: Send + 'static>(
        &self,
        lane: Lane,
        check: impl FnOnce() -> T + Send + 'static,
    ) -> Result<impl std::future::Future<Output = Result<T, PoolBusy>>, PoolBusy> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(check());
        });
        let queue = match lane {
            Lane::Shared => &self.jobs,
            Lane::KnownDevice => &self.known_device_jobs,
        };
        queue.try_send(job).map_err(|_| PoolBusy)?;
        // A worker that panicked dropped the sender: treat as busy rather than as a crash.
        Ok(async move { rx.await.map_err(|_| PoolBusy) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn at(s: &str) -> Origin {
        Origin::Address(ip(s))
    }

    #[test]
    fn a_client_is_refused_for_an_account_after_its_own_failures_only() {
        let l = LoginLimiter::default();
        for _ in 0..5 {
            let _ = l.begin("admin@x.org", at("6.6.6.6")).expect("admitted");
        }
        assert!(l.begin("Admin@X.org ", at("6.6.6.6")).is_err(), "the guesser is slowed down");
        let admin = l.begin("admin@x.org", at("198.51.100.7")).expect("another client is not");
        l.succeeded(admin);
    }

    #[test]
    fn a_known_device_is_counted_apart_from_its_address() {
        let l = LoginLimiter::default();
        for _ in 0..50 {
            let _ = l.begin("admin@x.org", at("10.0.0.1"));
        }
        assert!(l.begin("admin@x.org", at("10.0.0.1")).is_err());
        let token = l.device_token("Admin@x.org");
        assert!(l.is_known_device("admin@x.org", Some(&token)));
        assert!(!l.is_known_device("other@x.org", Some(&token)), "a cookie is for one account");
        assert!(!l.is_known_device("admin@x.org", Some("forged")));
        let a = l.begin("admin@x.org", Origin::KnownDevice).expect("the known device gets through");
        l.succeeded(a);
    }

    #[test]
    fn attempts_count_before_they_finish() {
        let l = LoginLimiter::new(LoginLimits { per_client_in_flight: 10, ..LoginLimits::default() });
        // Five attempts in flight at once, none resolved yet: the sixth is refused.
        let held: Vec<_> = (0..5).map(|_| l.begin("a@x.org", at("6.6.6.6")).expect("admitted")).collect();
        assert!(l.begin("a@x.org", at("6.6.6.6")).is_err());
        drop(held);
    }

    #[test]
    fn one_client_has_at_most_two_attempts_in_flight() {
        let l = LoginLimiter::default();
        let first = l.begin("a@x.org", at("6.6.6.6")).expect("admitted");
        let second = l.begin("b@x.org", at("6.6.6.6")).expect("admitted");
        assert!(l.begin("c@x.org", at("6.6.6.6")).is_err(), "a third at once is refused");
        let other = l.begin("c@x.org", at("198.51.100.7")).expect("another client is not");
        drop(first);
        let third = l.begin("c@x.org", at("6.6.6.6")).expect("a place is free again");
        drop((second, third, other));
        assert!(l.in_flight.lock().expect("lock").is_empty(), "no entry outlives its attempts");
    }

    #[test]
    fn an_account_under_attack_refuses_only_clients_that_failed_for_it() {
        let l = LoginLimiter::default();
        for i in 0..20 {
            let _ = l.begin("admin@x.org", at(&format!("6.6.6.{i}"))).expect("admitted");
        }
        assert!(l.begin("admin@x.org", at("6.6.6.3")).is_err(), "a client that failed is refused");
        let admin = l.begin("admin@x.org", at("198.51.100.7")).expect("a clean client is not");
        l.succeeded(admin);
    }

    #[test]
    fn a_client_failing_across_many_accounts_is_refused() {
        let l = LoginLimiter::default();
        for i in 0..50 {
            let _ = l.begin(&format!("u{i}@x.org"), at("6.6.6.6")).expect("admitted");
        }
        assert!(l.begin("new@x.org", at("6.6.6.6")).is_err());
    }

    #[test]
    fn successes_and_cancelled_attempts_do_not_count() {
        let l = LoginLimiter::default();
        for _ in 0..10 {
            let a = l.begin("a@x.org", at("198.51.100.7")).expect("admitted");
            l.succeeded(a);
            let b = l.begin("a@x.org", at("198.51.100.7")).expect("admitted");
            l.cancel(b);
        }
    }

    #[test]
    fn memory_stays_bounded_under_distinct_accounts_and_clients() {
        let l = LoginLimiter::new(LoginLimits { capacity: 1000, ..LoginLimits::default() });
        for i in 0..20_000u32 {
            let client = IpAddr::from(i.to_be_bytes());
            let _ = l.begin(&format!("user{i}@x.org"), Origin::Address(client)).expect("admitted");
        }
        assert!(l.tracked() <= 3 * 1000, "{} keys", l.tracked());
    }

    #[tokio::test]
    async fn the_pool_refuses_at_once_when_its_queue_is_full() {
        let pool = PasswordPool::start(1, 1).expect("pool");
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let (started_tx, started_rx) = oneshot::channel();
        let running = pool
            .submit(Lane::Shared, move || {
                let _ = started_tx.send(());
                let _ = release_rx.recv();
            })
            .expect("a worker is free");
        started_rx.await.expect("the worker started");
        let queued = pool.submit(Lane::Shared, || 1).expect("the queue has a place");
        assert!(pool.submit(Lane::Shared, || 2).is_err(), "worker and queue are full: busy at once");
        let known = pool.submit(Lane::KnownDevice, || 3).expect("the known-device lane is apart");
        assert_eq!(known.await, Ok(3), "and runs while the shared workers are all busy");
        release_tx.send(()).expect("release");
        assert!(running.await.is_ok());
        assert_eq!(queued.await, Ok(1));
    }
}
