//! Measures what docs/measurements.md reports for several nodes: the extra delivery latency of an
//! event to a viewer on another node (LISTEN/NOTIFY, then a read of the log) over a viewer on
//! the node that wrote it, and how long a dead node's polling takes to move.
//!
//! `cargo run --release -p curbside-tests --bin measure-cluster -- <curbside binary> [events]`
//! with PostgreSQL at `CURBSIDE_TEST_POSTGRES_URL` (default postgres://postgres@127.0.0.1/postgres).
//! Starts three `curbside serve` processes on a fresh database and a fake Graph API in-process.

use curbside_simulator::{FakeGraph, FeedComment, GraphConfig, SimIds, WebhookBody, WebhookChange};
use curbside_tests::{call_at, node_command, Backend, TestDb, ADMIN_EMAIL, ADMIN_PASSWORD};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

struct Nodes(Vec<(Child, u16, String)>);

impl Drop for Nodes {
    fn drop(&mut self) {
        for (child, _, _) in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or(f64::NAN)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let binary = args
        .get(1)
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("usage: measure-cluster <curbside binary> [events]"))?;
    let events: usize = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(300);
    let ids = SimIds::default();
    let graph = FakeGraph::start(GraphConfig::new(ids.clone())).await?;
    let mut db = TestDb::fresh(Backend::Postgres).await;
    let secret = String::from_utf8_lossy(&graph.app_secret()).into_owned();
    let mut nodes = Nodes(Vec::new());
    for i in 0..3 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = node_command(&binary, port, &format!("node-{i}"), &db.url, &graph)
            .env("CURBSIDE_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()?;
        nodes.0.push((child, port, format!("node-{i}")));
    }
    let http = reqwest::Client::builder().no_proxy().build()?;
    for (_, port, _) in &nodes.0 {
        let base = format!("http://127.0.0.1:{port}");
        while !matches!(http.get(format!("{base}/readyz")).send().await, Ok(r) if r.status() == 200) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let base = |i: usize| format!("http://127.0.0.1:{}", nodes.0[i].1);
    let (_, login) = call_at(
        &http,
        &base(0),
        "POST",
        "/api/login",
        None,
        Some(json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})),
    )
    .await;
    let admin = login["token"].as_str().unwrap_or_default().to_owned();
    let (_, session) = call_at(&http, &base(0), "POST", "/api/sessions", Some(&admin), Some(json!({
        "title": "Cluster latency",
        "sources": [{"platform": "facebook", "page_id": ids.page_id, "live_video_id": ids.live_video_id, "video_id": ids.video_id, "access_token": ids.page_token}]
    }))).await;
    let sid = session["id"].as_i64().unwrap_or_default();

    // One staff viewer per node; each records when every offset arrives.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(usize, i64, Instant)>();
    for i in 0..3 {
        let mut req = format!("ws://127.0.0.1:{}/ws", nodes.0[i].1).into_client_request()?;
        req.headers_mut().insert("authorization", format!("Bearer {admin}").parse()?);
        let (mut ws, _) = tokio_tungstenite::connect_async(req).await?;
        ws.send(Message::text(
            json!({"type": "subscribe", "session_id": sid, "audience": "staff"}).to_string(),
        ))
        .await?;
        let tx = tx.clone();
        tokio::spawn(async move {
            while let Some(Ok(Message::Text(t))) = ws.next().await {
                let v: Value = serde_json::from_str(t.as_str()).unwrap_or_default();
                if v["type"] == "event" {
                    let _ = tx.send((i, v["offset"].as_i64().unwrap_or_default(), Instant::now()));
                }
            }
        });
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Webhooks to node 0, one comment each, paced; every one appends one event.
    let mut arrivals: std::collections::HashMap<i64, [Option<Instant>; 3]> = Default::default();
    for n in 0..events {
        let change = WebhookChange::Feed(FeedComment::add(
            ids.post_id(),
            format!("{}_{}", ids.video_id, 70_000 + n),
            "900",
            "Viewer",
            format!("Latency question {n}?"),
            1_764_000_000,
        ));
        let body =
            WebhookBody::page().with_entry(ids.page_id.clone(), 1_764_000_001, vec![change]).to_bytes();
        let signature = curbside_meta::sign_body(secret.as_bytes(), &body);
        http.post(format!("{}/webhooks/meta", base(0)))
            .header("content-type", "application/json")
            .header("x-hub-signature-256", signature)
            .body(body)
            .send()
            .await?;
        tokio::time::sleep(Duration::from_millis(20)).await;
        while let Ok((node, offset, at)) = rx.try_recv() {
            arrivals.entry(offset).or_default()[node] = Some(at);
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    while let Ok((node, offset, at)) = rx.try_recv() {
        arrivals.entry(offset).or_default()[node] = Some(at);
    }
    // Extra latency of each event on a remote node over its arrival on the writing node.
    let mut extra: Vec<f64> = arrivals
        .values()
        .filter_map(|a| {
            let local = a[0]?;
            Some(
                [a[1]?, a[2]?]
                    .iter()
                    .map(|r| r.saturating_duration_since(local).as_secs_f64() * 1000.0)
                    .collect::<Vec<_>>(),
            )
        })
        .flatten()
        .collect();
    extra.sort_by(f64::total_cmp);
    println!(
        "cross-node extra delivery latency over {} remote deliveries: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        extra.len(),
        percentile(&extra, 0.5),
        percentile(&extra, 0.9),
        percentile(&extra, 0.99),
        extra.last().copied().unwrap_or(f64::NAN)
    );

    // Polling failover: go live, find the node polling, kill -9 it, time until another holds it.
    call_at(
        &http,
        &base(0),
        "PATCH",
        &format!("/api/sessions/{sid}"),
        Some(&admin),
        Some(json!({"status": "live"})),
    )
    .await;
    let holder = || async {
        let rows = db
            .rows(&format!("SELECT COUNT(*), MAX(poll_owner) FROM sources WHERE session_id = {sid} AND poll_lease_until > {}", curbside_store::now_millis()))
            .await;
        rows.first().and_then(|r| r.1.clone())
    };
    let first = loop {
        if let Some(h) = holder().await {
            break h;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    if let Some((child, _, _)) = nodes.0.iter_mut().find(|n| n.2 == first) {
        child.kill()?;
    }
    let killed = Instant::now();
    loop {
        if holder().await.is_some_and(|h| h != first) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!(
        "polling moved off a killed node after {:.2} s (CURBSIDE_POLL_LEASE_MS default 6000)",
        killed.elapsed().as_secs_f64()
    );
    drop(nodes);
    db.drop_now().await;
    graph.stop().await;
    Ok(())
}
