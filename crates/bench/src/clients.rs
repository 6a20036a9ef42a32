//! The load generator's clients: WebSocket and SSE subscribers that time every delivery from
//! the timestamp inside it, and a keep-alive HTTP/1.1 getter. Kept lean (4 KiB buffers, one
//! shared histogram) so ten thousand of them fit beside the server on a small machine.

use anyhow::{bail, Context};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

/// Every timestamp in a payload is nanoseconds since this instant (same process, monotonic).
/// `main` sets it first thing: set lazily by the first publish, a planned time before it came
/// out as 0 and the first publish of the first run went uncounted.
pub fn base() -> Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    *BASE.get_or_init(Instant::now)
}

pub fn now_ns() -> u64 {
    base().elapsed().as_nanos() as u64
}

pub fn ns_at(at: Instant) -> u64 {
    at.saturating_duration_since(base()).as_nanos() as u64
}

/// The marker carrying a timestamp inside a payload: `bench-` then the decimal digits written
/// as the letters `a`..`j`, so no screening rule mistakes it for a phone or record number.
const MARKER: &[u8] = b"bench-";

pub fn stamp(ns: u64) -> String {
    let digits: String = ns.to_string().bytes().map(|d| char::from(b'a' + (d - b'0'))).collect();
    format!("bench-{digits}")
}

/// Finds stamps in a byte stream that may split them across reads.
#[derive(Default)]
pub struct Scanner {
    carry: Vec<u8>,
}

impl Scanner {
    pub fn feed(&mut self, chunk: &[u8], mut found: impl FnMut(u64)) {
        let mut data = std::mem::take(&mut self.carry);
        data.extend_from_slice(chunk);
        let mut i = 0;
        while let Some(pos) = find(&data[i..], MARKER) {
            let start = i + pos;
            let digits = &data[start + MARKER.len()..];
            let len = digits.iter().take_while(|b| (b'a'..=b'j').contains(b)).count();
            if len == digits.len() {
                // The stamp may go on in the next read.
                self.carry = data[start..].to_vec();
                return;
            }
            if len > 0 {
                let ns = digits[..len].iter().fold(0u64, |n, &b| n * 10 + u64::from(b - b'a'));
                found(ns);
            }
            i = start + MARKER.len() + len;
        }
        let keep = data.len().min(MARKER.len() - 1);
        self.carry = data[data.len() - keep..].to_vec();
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// What all subscribers of one run share.
pub struct Tally {
    pub latency_us: Mutex<Histogram<u64>>,
    pub deliveries: AtomicU64,
    pub connected: AtomicUsize,
    pub failed: AtomicUsize,
    /// Size of a delivered frame (the payload nchan is given in its turn).
    pub frame_bytes: AtomicUsize,
}

impl Tally {
    pub fn new() -> anyhow::Result<Arc<Tally>> {
        Ok(Arc::new(Tally {
            latency_us: Mutex::new(Histogram::new_with_bounds(1, 120_000_000, 3)?),
            deliveries: AtomicU64::new(0),
            connected: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            frame_bytes: AtomicUsize::new(0),
        }))
    }

    fn record(&self, sent_ns: u64, last: &mut Option<u64>) {
        // A frame may carry its text twice (e.g. question and answer): count a stamp once.
        // (`None` at first: a stamp of 0 is a real time, not "nothing seen yet".)
        if *last == Some(sent_ns) {
            return;
        }
        *last = Some(sent_ns);
        let us = now_ns().saturating_sub(sent_ns) / 1000;
        if let Ok(mut h) = self.latency_us.lock() {
            let _ = h.record(us.max(1));
        }
        self.deliveries.fetch_add(1, Ordering::Relaxed);
    }

    pub fn reset_latency(&self) {
        if let Ok(mut h) = self.latency_us.lock() {
            h.reset();
        }
        self.deliveries.store(0, Ordering::Relaxed);
    }
}

/// Where a subscriber connects and what it says first.
#[derive(Clone)]
pub enum Subscribe {
    /// Curbside's `/ws`: a subscribe frame, then wait for `subscribed`.
    CurbsideWs { url: String, frame: String, bearer: Option<String> },
    /// nchan's `/sub/<channel>`: subscribed once upgraded.
    PlainWs { url: String },
    /// An EventSource request: `GET path` with `Accept: text/event-stream`.
    Sse { port: u16, path: String },
}

/// Runs one subscriber until its task is aborted or the server closes. `ramp_slot` is
/// released once the subscriber is connected (or has failed).
pub async fn subscriber(how: Subscribe, tally: Arc<Tally>, ramp_slot: Option<OwnedSemaphorePermit>) {
    let mut ramp_slot = ramp_slot;
    let result = match how {
        Subscribe::CurbsideWs { url, frame, bearer } => {
            ws_subscriber(&url, Some(frame), bearer, &tally, &mut ramp_slot).await
        }
        Subscribe::PlainWs { url } => ws_subscriber(&url, None, None, &tally, &mut ramp_slot).await,
        Subscribe::Sse { port, path } => sse_subscriber(port, &path, &tally, &mut ramp_slot).await,
    };
    if result.is_err() {
        tally.failed.fetch_add(1, Ordering::Relaxed);
    }
}

async fn ws_subscriber(
    url: &str,
    subscribe: Option<String>,
    bearer: Option<String>,
    tally: &Tally,
    ramp_slot: &mut Option<OwnedSemaphorePermit>,
) -> anyhow::Result<()> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = url.into_client_request()?;
    if let Some(token) = bearer {
        request.headers_mut().insert("authorization", format!("Bearer {token}").parse()?);
    }
    let config = WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(0);
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(request, Some(config), true).await?;
    match subscribe {
        Some(frame) => {
            ws.send(Message::text(frame)).await?;
            loop {
                match ws.next().await.context("closed before subscribing")?? {
                    Message::Text(t) if t.contains("\"subscribed\"") => break,
                    Message::Text(t) if t.contains("\"error\"") => bail!("subscribe refused: {t}"),
                    _ => {}
                }
            }
        }
        None => {}
    }
    tally.connected.fetch_add(1, Ordering::Relaxed);
    drop(ramp_slot.take());
    let mut scanner = Scanner::default();
    let mut last = None;
    while let Some(message) = ws.next().await {
        let data = match message? {
            Message::Text(t) => t,
            Message::Close(_) => break,
            _ => continue,
        };
        let mut any = false;
        scanner.feed(data.as_bytes(), |ns| {
            tally.record(ns, &mut last);
            any = true;
        });
        if any {
            tally.frame_bytes.store(data.len(), Ordering::Relaxed);
        }
    }
    Ok(())
}

async fn sse_subscriber(
    port: u16,
    path: &str,
    tally: &Tally,
    ramp_slot: &mut Option<OwnedSemaphorePermit>,
) -> anyhow::Result<()> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut buf = vec![0u8; 4096];
    let mut head = Vec::new();
    let body_start = loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            bail!("closed before the response headers");
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(end) = find(&head, b"\r\n\r\n") {
            break end + 4;
        }
    };
    if !head.starts_with(b"HTTP/1.1 200") {
        bail!("SSE answered {}", String::from_utf8_lossy(&head[..head.len().min(40)]));
    }
    tally.connected.fetch_add(1, Ordering::Relaxed);
    drop(ramp_slot.take());
    let mut scanner = Scanner::default();
    let mut last = None;
    let mut feed = |data: &[u8], scanner: &mut Scanner| {
        scanner.feed(data, |ns| tally.record(ns, &mut last));
    };
    feed(&head[body_start..], &mut scanner);
    drop(head);
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        feed(&buf[..n], &mut scanner);
    }
}

/// Sends `GET path` on one keep-alive connection until `until`, recording each response's
/// latency; returns (ok responses, errors). Responses must carry `Content-Length`.
pub async fn http_getter(
    port: u16,
    path: &str,
    until: Instant,
    histogram: Arc<Mutex<Histogram<u64>>>,
) -> anyhow::Result<(u64, u64)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    stream.set_nodelay(true)?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: identity\r\n\r\n");
    let mut buf = vec![0u8; 64 * 1024];
    let (mut ok, mut errors) = (0, 0);
    let mut local = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    while Instant::now() < until {
        let started = Instant::now();
        stream.write_all(request.as_bytes()).await?;
        let mut have = 0;
        let (header_end, length, status_ok) = loop {
            let n = stream.read(&mut buf[have..]).await?;
            if n == 0 {
                bail!("the server closed the connection");
            }
            have += n;
            if let Some(end) = find(&buf[..have], b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .context("a response without content-length")?;
                break (end + 4, length, head.starts_with("http/1.1 200"));
            }
            if have == buf.len() {
                bail!("response headers larger than the buffer");
            }
        };
        let mut remaining = (header_end + length).saturating_sub(have);
        while remaining > 0 {
            let n = stream.read(&mut buf[..remaining.min(64 * 1024)]).await?;
            if n == 0 {
                bail!("the server closed the connection mid-body");
            }
            remaining -= n;
        }
        let _ = local.record((started.elapsed().as_micros() as u64).max(1));
        if status_ok {
            ok += 1;
        } else {
            errors += 1;
        }
    }
    if let Ok(mut h) = histogram.lock() {
        let _ = h.add(&local);
    }
    Ok((ok, errors))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_split_across_reads_are_found_once() {
        let text = format!("{{\"text\":\"{} and {}\"}}", stamp(1234567), stamp(89));
        for cut in 0..text.len() {
            let mut scanner = Scanner::default();
            let mut found = Vec::new();
            scanner.feed(&text.as_bytes()[..cut], |ns| found.push(ns));
            scanner.feed(&text.as_bytes()[cut..], |ns| found.push(ns));
            assert_eq!(found, vec![1234567, 89], "cut at {cut}");
        }
    }
}
