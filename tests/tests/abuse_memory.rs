//! The memory bound under a sign-in flood, alone in its own test binary so that nothing else
//! runs in the process whose resident memory it reads.

use curbside_tests::{Backend, TestApp, TestDb};
use futures_util::stream::{self, StreamExt};
use serde_json::json;

/// Failed sign-ins with distinct emails, each from its own client behind a trusted proxy, so
/// that no limit refuses them: only the password pool and the bounded counters stand between
/// the flood and the process's memory. (Full size, 20,000 on the release build: see
/// docs/measurements.md.)
const ATTEMPTS: usize = 5_000;
const AT_ONCE: usize = 32;
const WORKERS: usize = 2;

fn resident_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    kib / 1024.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_after_a_flood_of_failed_sign_ins_stays_within_a_fixed_budget() {
    let app = TestApp::spawn_with(TestDb::fresh(Backend::Sqlite).await, |s| {
        s.trusted_proxies = "127.0.0.1".into();
        s.signin_workers = Some(WORKERS.to_string());
    })
    .await;
    let start = resident_mib();
    let statuses: Vec<u16> = stream::iter(0..ATTEMPTS)
        .map(|i| {
            let req = app
                .http
                .post(app.url("/api/login"))
                .header("x-forwarded-for", format!("10.{}.{}.{}", i >> 16 & 255, i >> 8 & 255, i & 255))
                .json(&json!({"email": format!("nobody{i}@curbside.test"), "password": "wrong-password"}));
            async move { req.send().await.expect("sign-in").status().as_u16() }
        })
        .buffer_unordered(AT_ONCE)
        .collect()
        .await;
    let grown = resident_mib() - start;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "only 401 and 429, never 5xx");
    assert!(checked >= WORKERS, "some passwords were checked ({checked})");
    // Each worker keeps one Argon2 buffer (19 MiB); the counters are bounded; the rest is the
    // connections, database caches and allocator slack (measured: about 24 MiB). Before the
    // pool, every attempt in flight held its own 19 MiB and the allocator kept them.
    let budget = WORKERS as f64 * 20.0 + 40.0;
    assert!(
        grown <= budget,
        "grew by {grown:.0} MiB (budget {budget:.0} MiB) after {ATTEMPTS} failed sign-ins"
    );
    app.finish().await;
}
