//! The scenarios. Each run starts its own server process on a fresh database, is bounded in
//! count and time, and returns one JSON object (printed as one line by `main`).

use crate::clients::{self, ns_at, stamp, Subscribe, Tally};
use crate::peers::{next_comment, webhook_body, Curbside, LiveSession, Nchan};
use crate::procfs;
use anyhow::{bail, Context};
use hdrhistogram::Histogram;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Ws,
    Sse,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Server {
    Curbside,
    Nchan,
}

/// A fan-out run: ramp to `subscribers` on one public channel, then `publishes` messages at
/// `rate` per second on a fixed (open-loop) schedule.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FanoutSpec {
    pub scenario: &'static str,
    pub transport: Transport,
    pub subscribers: usize,
    pub rate: f64,
    pub publishes: usize,
}

/// Connections opened at once during a ramp (a browser crowd, not a SYN flood).
const RAMP_CONCURRENCY: usize = 200;
const RAMP_LIMIT: Duration = Duration::from_secs(90);
/// How long deliveries may trail the last publish before the run stops counting.
const DRAIN_LIMIT: Duration = Duration::from_secs(5);

/// An answer of realistic length carrying its scheduled send time.
fn answer_text(ns: u64) -> String {
    format!(
        "Most adults should aim for at least 150 minutes of moderate activity a week, such as brisk \
         walking, spread over most days; start slowly after a heart event ({}). Follow your cardiac rehab plan.",
        stamp(ns)
    )
}

/// nchan's message: the same size as the frame Curbside delivered, with the stamp inside.
fn nchan_payload(ns: u64, size: usize) -> String {
    let mut text = format!("{{\"type\":\"event\",\"text\":\"{} ", stamp(ns));
    while text.len() + 2 < size {
        text.push('x');
    }
    text.push_str("\"}");
    text
}

pub async fn fanout(
    spec: &FanoutSpec,
    server: Server,
    binary: &Path,
    payload_size: usize,
) -> anyhow::Result<Value> {
    let load_before = procfs::load_average();
    let tally = Tally::new()?;
    let (pid, subscribe, publisher, _keep): (u32, Subscribe, Publisher, Box<dyn std::any::Any + Send>) =
        match server {
            Server::Curbside => {
                let cs = Curbside::start(binary).await?;
                let session = cs.create_live_session("Heart health Q&A").await?;
                let questions = cs.approved_questions(&session, spec.publishes).await?;
                let since = cs.last_offset(&session).await?;
                let subscribe = match spec.transport {
                    Transport::Ws => Subscribe::CurbsideWs {
                        url: format!("ws://127.0.0.1:{}/ws", cs.port),
                        frame: json!({ "type": "subscribe", "slug": session.slug, "audience": "public", "since": since })
                            .to_string(),
                        bearer: None,
                    },
                    Transport::Sse => {
                        Subscribe::Sse { port: cs.port, path: format!("/s/{}/events?since={since}", session.slug) }
                    }
                };
                let publisher = Publisher::Curbside {
                    client: cs.client().clone(),
                    base: cs.url(""),
                    token: cs.token().to_owned(),
                    questions,
                };
                (cs.pid(), subscribe, publisher, Box::new(cs))
            }
            Server::Nchan => {
                let nc = Nchan::start().await?;
                let subscribe = match spec.transport {
                    Transport::Ws => {
                        Subscribe::PlainWs { url: format!("ws://127.0.0.1:{}/sub/bench", nc.port) }
                    }
                    Transport::Sse => Subscribe::Sse { port: nc.port, path: "/sub/bench".into() },
                };
                let publisher = Publisher::Nchan {
                    client: reqwest::Client::new(),
                    url: nc.url("/pub/bench"),
                    size: payload_size,
                };
                (nc.pid(), subscribe, publisher, Box::new(nc))
            }
        };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pids = procfs::process_tree(pid);
    let pss_before = procfs::pss_kib(&pids);

    // Ramp.
    let cpu_ramp_start = procfs::cpu_seconds(&pids);
    let ramp_start = Instant::now();
    let mut subscribers = JoinSet::new();
    let gate = Arc::new(tokio::sync::Semaphore::new(RAMP_CONCURRENCY));
    for _ in 0..spec.subscribers {
        let permit = gate.clone().acquire_owned().await?;
        let (how, tally) = (subscribe.clone(), tally.clone());
        subscribers.spawn(clients::subscriber(how, tally, Some(permit)));
    }
    while tally.connected.load(Ordering::Relaxed) + tally.failed.load(Ordering::Relaxed) < spec.subscribers {
        if ramp_start.elapsed() > RAMP_LIMIT {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ramp_s = ramp_start.elapsed().as_secs_f64();
    let cpu_ramp = procfs::cpu_seconds(&pids) - cpu_ramp_start;
    let connected = tally.connected.load(Ordering::Relaxed);
    let failed = tally.failed.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let pids = procfs::process_tree(pid);
    let pss_after = procfs::pss_kib(&pids);
    tally.reset_latency();

    // Publish on a fixed schedule; a late request still counts from its planned time.
    let cpu_pub_start = procfs::cpu_seconds(&pids);
    let publisher = Arc::new(publisher);
    let start = tokio::time::Instant::now() + Duration::from_millis(100);
    let mut publishes = JoinSet::new();
    for i in 0..spec.publishes {
        let at = start + Duration::from_secs_f64(i as f64 / spec.rate);
        tokio::time::sleep_until(at).await;
        let p = publisher.clone();
        let ns = ns_at(at.into_std());
        publishes.spawn(async move {
            p.publish(i, ns).await?;
            // The publisher's own wait, from the planned send time to the server's answer: for
            // Curbside the durable write, which every delivery's latency includes.
            Ok::<_, anyhow::Error>(at.elapsed())
        });
    }
    let mut publish_errors = 0;
    let mut first_error = None;
    let mut acks = Histogram::<u64>::new_with_bounds(1, 120_000_000, 3)?;
    while let Some(done) = publishes.join_next().await {
        match done.map_err(anyhow::Error::from).and_then(|r| r) {
            Ok(waited) => {
                let _ = acks.record((waited.as_micros() as u64).max(1));
            }
            Err(e) => {
                publish_errors += 1;
                first_error.get_or_insert_with(|| format!("{e:#}"));
            }
        }
    }
    let expected = (connected * spec.publishes) as u64;
    let last_publish = tokio::time::Instant::now();
    while tally.deliveries.load(Ordering::Relaxed) < expected && last_publish.elapsed() < DRAIN_LIMIT {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let window = start.elapsed().as_secs_f64();
    let cpu_pub = procfs::cpu_seconds(&pids) - cpu_pub_start;
    let deliveries = tally.deliveries.load(Ordering::Relaxed);
    let frame_bytes = tally.frame_bytes.load(Ordering::Relaxed);
    subscribers.abort_all();
    while subscribers.join_next().await.is_some() {}
    let peak_kib = procfs::peak_rss_kib(&pids);
    let h = tally.latency_us.lock().map_err(|_| anyhow::anyhow!("histogram lock"))?.clone();
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    Ok(json!({
        "scenario": spec.scenario, "server": server, "transport": spec.transport,
        "subscribers": spec.subscribers, "connected": connected, "failed_connections": failed,
        "rate_per_s": spec.rate, "publishes": spec.publishes, "publish_errors": publish_errors,
        "first_publish_error": first_error,
        "deliveries": deliveries, "expected_deliveries": expected, "lost": expected.saturating_sub(deliveries),
        "deliveries_per_s": deliveries as f64 / window,
        "latency_ms": { "p50": ms(0.5), "p99": ms(0.99), "max": h.max() as f64 / 1000.0 },
        "publish_ack_ms": {
            "p50": acks.value_at_quantile(0.5) as f64 / 1000.0,
            "p99": acks.value_at_quantile(0.99) as f64 / 1000.0,
            "max": acks.max() as f64 / 1000.0,
        },
        "cpu_s_publish": cpu_pub,
        "cpu_us_per_delivery": if deliveries > 0 { cpu_pub * 1e6 / deliveries as f64 } else { f64::NAN },
        "ramp_s": ramp_s, "cpu_s_ramp": cpu_ramp,
        "cpu_us_per_accept": if connected > 0 { cpu_ramp * 1e6 / connected as f64 } else { f64::NAN },
        "memory_kib_per_connection": if connected > 0 { pss_after.saturating_sub(pss_before) as f64 / connected as f64 } else { f64::NAN },
        "server_pss_kib_idle": pss_before, "server_pss_kib_connected": pss_after, "server_peak_rss_kib": peak_kib,
        "frame_bytes": frame_bytes,
        "load_average": load_before, "load_average_after": procfs::load_average(),
    }))
}

enum Publisher {
    Curbside { client: reqwest::Client, base: String, token: String, questions: Vec<i64> },
    Nchan { client: reqwest::Client, url: String, size: usize },
}

impl Publisher {
    async fn publish(&self, i: usize, ns: u64) -> anyhow::Result<()> {
        let resp = match self {
            Publisher::Curbside { client, base, token, questions } => {
                let id = questions.get(i).context("more publishes than questions")?;
                client
                    .post(format!("{base}/api/questions/{id}/answer"))
                    .bearer_auth(token)
                    .json(&json!({ "text": answer_text(ns) }))
                    .send()
                    .await?
            }
            Publisher::Nchan { client, url, size } => {
                client.post(url).body(nchan_payload(ns, *size)).send().await?
            }
        };
        let status = resp.status();
        let body = resp.text().await.unwrap_or_default();
        if !status.is_success() {
            bail!("publish answered {status}: {}", body.chars().take(200).collect::<String>());
        }
        Ok(())
    }
}

/// Webhook ingest on SQLite: throughput of 1000-comment bodies from one and from four
/// senders, acknowledgement times of 100-comment bodies from eight, and comment → moderator
/// WebSocket latency at a fixed comment rate.
pub async fn ingest(binary: &Path, quick: bool) -> anyhow::Result<Vec<Value>> {
    let mut out = Vec::new();
    let scale = if quick { 4 } else { 1 };
    for (senders, per_body, bodies_each) in
        [(1usize, 1000usize, 12 / scale), (4, 1000, 4 / scale.min(4)), (8, 100, 30 / scale)]
    {
        let load = procfs::load_average();
        let cs = Arc::new(Curbside::start(binary).await?);
        cs.create_live_session("Ingest").await?;
        let pids = procfs::process_tree(cs.pid());
        let cpu0 = procfs::cpu_seconds(&pids);
        let acks = Arc::new(Mutex::new(Histogram::<u64>::new_with_bounds(1, 120_000_000, 3)?));
        let started = Instant::now();
        let mut tasks = JoinSet::new();
        for _ in 0..senders {
            let (cs, acks) = (cs.clone(), acks.clone());
            tasks.spawn(async move {
                for _ in 0..bodies_each {
                    let comments: Vec<_> = (0..per_body)
                        .map(|_| next_comment("Is it safe to exercise after a stent?"))
                        .collect();
                    let body = webhook_body(&cs.ids, comments.iter().map(|(k, m)| (k.as_str(), m.as_str())));
                    let t = Instant::now();
                    let status = cs.post_webhook(body).await?;
                    if status != 200 {
                        bail!("webhook answered {status}");
                    }
                    if let Ok(mut h) = acks.lock() {
                        let _ = h.record((t.elapsed().as_micros() as u64).max(1));
                    }
                }
                Ok(())
            });
        }
        while let Some(r) = tasks.join_next().await {
            r??;
        }
        let secs = started.elapsed().as_secs_f64();
        let cpu = procfs::cpu_seconds(&pids) - cpu0;
        let comments = senders * per_body * bodies_each;
        let h = acks.lock().map_err(|_| anyhow::anyhow!("histogram lock"))?.clone();
        let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        out.push(json!({
            "scenario": "ingest", "server": Server::Curbside, "senders": senders, "comments_per_body": per_body,
            "bodies": senders * bodies_each, "comments": comments, "seconds": secs,
            "comments_per_s": comments as f64 / secs,
            "ack_ms": { "p50": ms(0.5), "p90": ms(0.9), "p99": ms(0.99), "max": h.max() as f64 / 1000.0 },
            "cpu_us_per_comment": cpu * 1e6 / comments as f64,
            "load_average": load,
        }));
    }
    out.push(comment_to_moderator(binary, if quick { 2.0 } else { 5.0 }).await?);
    Ok(out)
}

/// 1,000 comments/s (ten signed bodies of 100 a second, on a fixed schedule) while a moderator
/// follows the staff stream: latency from the planned send of a body to each new question.
async fn comment_to_moderator(binary: &Path, seconds: f64) -> anyhow::Result<Value> {
    let load = procfs::load_average();
    let cs = Arc::new(Curbside::start(binary).await?);
    let session = cs.create_live_session("Moderated").await?;
    let tally = Tally::new()?;
    let since = cs.last_offset(&session).await?;
    let how = Subscribe::CurbsideWs {
        url: format!("ws://127.0.0.1:{}/ws", cs.port),
        frame: json!({ "type": "subscribe", "session_id": session.id, "audience": "staff", "since": since })
            .to_string(),
        bearer: Some(cs.token().to_owned()),
    };
    let moderator = tokio::spawn(clients::subscriber(how, tally.clone(), None));
    while tally.connected.load(Ordering::Relaxed) == 0 {
        if tally.failed.load(Ordering::Relaxed) > 0 || moderator.is_finished() {
            bail!("the moderator socket could not subscribe");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let bodies = (seconds * 10.0) as usize;
    let start = tokio::time::Instant::now() + Duration::from_millis(100);
    let mut sends = JoinSet::new();
    let acks = Arc::new(Mutex::new(Histogram::<u64>::new_with_bounds(1, 120_000_000, 3)?));
    for b in 0..bodies {
        let at = start + Duration::from_millis(100 * b as u64);
        tokio::time::sleep_until(at).await;
        // Each comment's stamp is the body's planned send time plus its index in nanoseconds:
        // distinct, so every question is counted.
        let planned = ns_at(at.into_std());
        let comments: Vec<_> = (0..100)
            .map(|k| next_comment(&format!("Is it safe to exercise after a stent? {}", stamp(planned + k))))
            .collect();
        let body = webhook_body(&cs.ids, comments.iter().map(|(k, m)| (k.as_str(), m.as_str())));
        let (cs, acks) = (cs.clone(), acks.clone());
        sends.spawn(async move {
            let status = cs.post_webhook(body).await?;
            if let Ok(mut h) = acks.lock() {
                let _ = h.record((at.elapsed().as_micros() as u64).max(1));
            }
            anyhow::ensure!(status == 200, "webhook answered {status}");
            Ok::<_, anyhow::Error>(())
        });
    }
    while let Some(r) = sends.join_next().await {
        r??;
    }
    let drain = Instant::now();
    while tally.deliveries.load(Ordering::Relaxed) < (bodies * 100) as u64 && drain.elapsed() < DRAIN_LIMIT {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    moderator.abort();
    let h = tally.latency_us.lock().map_err(|_| anyhow::anyhow!("histogram lock"))?.clone();
    let a = acks.lock().map_err(|_| anyhow::anyhow!("histogram lock"))?.clone();
    let ms = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    Ok(json!({
        "scenario": "comment_to_moderator", "server": Server::Curbside, "comments_per_s": 1000,
        "bodies": bodies, "comments": bodies * 100, "questions_seen": tally.deliveries.load(Ordering::Relaxed),
        "latency_ms": { "p50": ms(&h, 0.5), "p99": ms(&h, 0.99), "max": h.max() as f64 / 1000.0 },
        "ack_ms": { "p50": ms(&a, 0.5), "p99": ms(&a, 0.99), "max": a.max() as f64 / 1000.0 },
        "load_average": load,
    }))
}

/// HTTP load on the transcript page of a session with 200 answers: 64 keep-alive connections.
pub async fn transcript(binary: &Path, seconds: f64) -> anyhow::Result<Value> {
    let load = procfs::load_average();
    let cs = Curbside::start(binary).await?;
    let session: LiveSession = cs.create_live_session("Heart health Q&A").await?;
    let questions = cs.approved_questions(&session, 200).await?;
    for (i, id) in questions.iter().enumerate() {
        cs.api(
            reqwest::Method::POST,
            &format!("/api/questions/{id}/answer"),
            Some(json!({ "text": answer_text(i as u64) })),
        )
        .await?;
    }
    let path = format!("/s/{}", session.slug);
    let page = cs.client().get(cs.url(&path)).send().await?.error_for_status()?.bytes().await?;
    let pids = procfs::process_tree(cs.pid());
    let cpu0 = procfs::cpu_seconds(&pids);
    let histogram = Arc::new(Mutex::new(Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?));
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for _ in 0..64 {
        let (p, h) = (path.clone(), histogram.clone());
        let port = cs.port;
        tasks.spawn(async move { clients::http_getter(port, &p, until, h).await });
    }
    let (mut ok, mut errors) = (0, 0);
    while let Some(r) = tasks.join_next().await {
        match r? {
            Ok((o, e)) => {
                ok += o;
                errors += e;
            }
            Err(_) => errors += 1,
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let cpu = procfs::cpu_seconds(&pids) - cpu0;
    let h = histogram.lock().map_err(|_| anyhow::anyhow!("histogram lock"))?.clone();
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    Ok(json!({
        "scenario": "transcript", "server": Server::Curbside, "answers": 200, "page_bytes": page.len(),
        "connections": 64, "seconds": secs, "requests": ok, "errors": errors,
        "requests_per_s": ok as f64 / secs, "latency_ms": { "p50": ms(0.5), "p99": ms(0.99), "max": h.max() as f64 / 1000.0 },
        "cpu_us_per_request": if ok > 0 { cpu * 1e6 / ok as f64 } else { f64::NAN },
        "load_average": load,
    }))
}
