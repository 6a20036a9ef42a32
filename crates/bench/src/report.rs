//! `docs/benchmarks.md` from the runs: the machine and its load, the method, one table per
//! scenario with Curbside and nchan side by side (medians over rounds) and their ratios, and
//! each target checked.

use serde_json::{json, Value};
use std::fmt::Write;

pub struct Meta {
    pub machine: Value,
    pub load_at_start: [f64; 3],
    pub load_at_end: [f64; 3],
    pub seconds: f64,
    pub quick: bool,
    pub rounds: usize,
}

impl Meta {
    pub fn to_json(&self) -> Value {
        json!({ "machine": self.machine, "load_at_start": self.load_at_start, "load_at_end": self.load_at_end,
            "seconds": self.seconds, "quick": self.quick, "rounds": self.rounds,
            "commit": git(&["rev-parse", "--short", "HEAD"]), "date": date() })
    }
}

fn git(args: &[&str]) -> String {
    std::process::Command::new("git")
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn date() -> String {
    std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// A field (dotted path) of a run as a number.
fn num(run: &Value, path: &str) -> Option<f64> {
    path.split('.').try_fold(run, |v, k| v.get(k))?.as_f64().filter(|x| x.is_finite())
}

fn median(mut xs: Vec<f64>) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(|a, b| a.total_cmp(b));
    let n = xs.len();
    Some(if n % 2 == 1 { xs[n / 2] } else { (xs[n / 2 - 1] + xs[n / 2]) / 2.0 })
}

fn med(runs: &[Value], scenario: &str, server: &str, path: &str) -> Option<f64> {
    median(
        runs.iter()
            .filter(|r| r["scenario"] == scenario && r["server"] == server)
            .filter_map(|r| num(r, path))
            .collect(),
    )
}

fn fmt(x: Option<f64>, digits: usize) -> String {
    x.map(|v| format!("{v:.digits$}")).unwrap_or_else(|| "–".into())
}

fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    }
}

const FANOUT_ROWS: &[(&str, &str, usize)] = &[
    ("deliveries/s", "deliveries_per_s", 0),
    ("lost deliveries", "lost", 0),
    ("latency p50 (ms)", "latency_ms.p50", 2),
    ("latency p99 (ms)", "latency_ms.p99", 2),
    ("latency max (ms)", "latency_ms.max", 1),
    ("publisher's wait for the answer p50 (ms)", "publish_ack_ms.p50", 2),
    ("publisher's wait for the answer p99 (ms)", "publish_ack_ms.p99", 2),
    ("server CPU per delivery (µs)", "cpu_us_per_delivery", 2),
    ("server memory per connection (KiB)", "memory_kib_per_connection", 1),
    ("time to connect all (s)", "ramp_s", 2),
    ("server CPU to accept all (s)", "cpu_s_ramp", 2),
    ("server CPU per accepted connection (µs)", "cpu_us_per_accept", 0),
    ("payload delivered (bytes)", "frame_bytes", 0),
];

pub fn markdown(meta: &Meta, runs: &[Value]) -> String {
    let mut s = String::new();
    let m = &meta.machine;
    let _ = writeln!(s, "# Benchmarks\n");
    let _ = writeln!(
        s,
        "Written by `scripts/bench` (`curbside-bench all`) on {} at commit `{}`{}. Do not edit by hand: \
         re-run the command. The raw runs, one object per run, are in [benchmarks.json](benchmarks.json).\n",
        date(),
        git(&["rev-parse", "--short", "HEAD"]),
        if meta.quick { " with `--quick` (small runs: a smoke test, not a measurement)" } else { "" }
    );
    let _ = writeln!(s, "## Machine and load\n");
    let _ = writeln!(
        s,
        "- {} × {}, {} GiB, Linux {}.\n- Load average (1, 5, 15 min) at the start {:?}, at the end {:?}; each run's \
         own load is in its row of the JSON. The harness, the server and nchan share the same cores, so absolute \
         numbers move with the load; the ratios from the same run are what to compare.\n- {} round(s), servers \
         alternating which goes first; tables show medians over the rounds. Whole run: {:.0} s.\n",
        m["cores"], m["cpu"], m["memory_gib"], m["kernel"].as_str().unwrap_or(""),
        meta.load_at_start, meta.load_at_end, meta.rounds, meta.seconds
    );
    s.push_str(METHOD);

    let titles = [
        ("fanout_ws", "Fan-out over WebSocket: 1,000 subscribers, 20 answers/s"),
        ("fanout_sse", "Fan-out over SSE: 1,000 subscribers, 20 answers/s"),
        ("idle_ws", "Idle viewers over WebSocket: 10,000 connections, then 1 answer/s"),
        ("idle_sse", "Idle viewers over SSE: 10,000 connections, then 1 answer/s"),
    ];
    for (scenario, title) in titles {
        if !runs.iter().any(|r| r["scenario"] == scenario) {
            continue;
        }
        let subs = runs
            .iter()
            .find(|r| r["scenario"] == scenario)
            .and_then(|r| r["subscribers"].as_u64())
            .unwrap_or(0);
        let _ = writeln!(s, "## {title}\n");
        if subs != 1000 && subs != 10_000 {
            let _ = writeln!(s, "({subs} subscribers in this run.)\n");
        }
        let _ = writeln!(s, "| | Curbside | nginx + nchan | Curbside ÷ nchan |\n|---|---|---|---|");
        for (label, path, digits) in FANOUT_ROWS {
            let c = med(runs, scenario, "curbside", path);
            let n = med(runs, scenario, "nchan", path);
            let _ = writeln!(
                s,
                "| {label} | {} | {} | {} |",
                fmt(c, *digits),
                fmt(n, *digits),
                fmt(ratio(c, n), 2)
            );
        }
        s.push('\n');
    }

    let ingest: Vec<&Value> = runs.iter().filter(|r| r["scenario"] == "ingest").collect();
    if !ingest.is_empty() {
        let _ = writeln!(s, "## Ingest: signed webhook bodies into SQLite (`synchronous = FULL`)\n");
        let _ = writeln!(
            s,
            "| senders | comments per body | comments | comments/s | ack p50 (ms) | ack p90 (ms) | ack p99 (ms) | ack max (ms) | server CPU per comment (µs) |\n|---|---|---|---|---|---|---|---|---|"
        );
        for r in &ingest {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                r["senders"],
                r["comments_per_body"],
                r["comments"],
                fmt(num(r, "comments_per_s"), 0),
                fmt(num(r, "ack_ms.p50"), 1),
                fmt(num(r, "ack_ms.p90"), 1),
                fmt(num(r, "ack_ms.p99"), 1),
                fmt(num(r, "ack_ms.max"), 1),
                fmt(num(r, "cpu_us_per_comment"), 1)
            );
        }
        s.push('\n');
    }
    if let Some(r) = runs.iter().find(|r| r["scenario"] == "comment_to_moderator") {
        let _ = writeln!(
            s,
            "Comment → moderator WebSocket at 1,000 comments/s (ten 100-comment bodies a second on a fixed \
             schedule, one staff socket): {} of {} questions seen; latency p50 {} ms, p99 {} ms, max {} ms; \
             webhook ack p50 {} ms, p99 {} ms.\n",
            r["questions_seen"],
            r["comments"],
            fmt(num(r, "latency_ms.p50"), 1),
            fmt(num(r, "latency_ms.p99"), 1),
            fmt(num(r, "latency_ms.max"), 1),
            fmt(num(r, "ack_ms.p50"), 1),
            fmt(num(r, "ack_ms.p99"), 1)
        );
    }
    if let Some(r) = runs.iter().find(|r| r["scenario"] == "transcript") {
        let _ = writeln!(
            s,
            "## Transcript page\n\n`GET /s/{{slug}}` of a session with 200 answers ({} bytes), 64 keep-alive \
             connections for {:.0} s: **{} requests/s**, p50 {} ms, p99 {} ms, {} errors, {} µs of server CPU per request.\n",
            r["page_bytes"], num(r, "seconds").unwrap_or(0.0), fmt(num(r, "requests_per_s"), 0),
            fmt(num(r, "latency_ms.p50"), 2), fmt(num(r, "latency_ms.p99"), 2), r["errors"],
            fmt(num(r, "cpu_us_per_request"), 0)
        );
    }
    s.push_str(&targets(runs));
    s
}

fn targets(runs: &[Value]) -> String {
    let mut rows = Vec::new();
    let mut check = |what: String, value: Option<f64>, limit: f64, at_most: bool, unit: &str| {
        let met = value.map(|v| if at_most { v <= limit } else { v >= limit });
        let verdict = match met {
            Some(true) => "met",
            Some(false) => "**not met**",
            None => "not measured",
        };
        let cmp = if at_most { "≤" } else { "≥" };
        rows.push(format!("| {what} | {cmp} {limit}{unit} | {}{unit} | {verdict} |", fmt(value, 2)));
    };
    for (scenario, name) in [("fanout_ws", "WebSocket"), ("fanout_sse", "SSE")] {
        let r = |path| ratio(med(runs, scenario, "curbside", path), med(runs, scenario, "nchan", path));
        check(format!("{name} fan-out p99 ÷ nchan's"), r("latency_ms.p99"), 1.5, true, "×");
        check(
            format!("{name} fan-out CPU per delivery ÷ nchan's"),
            r("cpu_us_per_delivery"),
            1.25,
            true,
            "×",
        );
        check(
            format!("{name} fan-out deliveries/s"),
            med(runs, scenario, "curbside", "deliveries_per_s"),
            19_000.0,
            false,
            "",
        );
    }
    check(
        "memory per idle WebSocket".into(),
        med(runs, "idle_ws", "curbside", "memory_kib_per_connection"),
        8.0,
        true,
        " KiB",
    );
    check(
        "memory per idle SSE stream".into(),
        med(runs, "idle_sse", "curbside", "memory_kib_per_connection"),
        16.0,
        true,
        " KiB",
    );
    for (scenario, name) in [("idle_ws", "WebSocket"), ("idle_sse", "SSE")] {
        let r =
            ratio(med(runs, scenario, "curbside", "cpu_s_ramp"), med(runs, scenario, "nchan", "cpu_s_ramp"));
        check(format!("CPU to accept 10,000 {name} viewers ÷ nchan's"), r, 2.0, true, "×");
    }
    let best_ingest = runs
        .iter()
        .filter(|r| r["scenario"] == "ingest" && r["comments_per_body"] == 1000)
        .filter_map(|r| num(r, "comments_per_s"))
        .reduce(f64::max);
    check("ingest, comments/s (best of 1 and 4 senders)".into(), best_ingest, 10_000.0, false, "");
    let eight = runs
        .iter()
        .find(|r| r["scenario"] == "ingest" && r["senders"] == 8)
        .and_then(|r| num(r, "ack_ms.p99"));
    check("ack p99, 100-comment bodies from 8 senders".into(), eight, 100.0, true, " ms");
    let moderator =
        runs.iter().find(|r| r["scenario"] == "comment_to_moderator").and_then(|r| num(r, "latency_ms.p99"));
    check("comment → moderator p99 at 1,000 comments/s".into(), moderator, 50.0, true, " ms");
    let transcript =
        runs.iter().find(|r| r["scenario"] == "transcript").and_then(|r| num(r, "requests_per_s"));
    check("transcript requests/s".into(), transcript, 5_000.0, false, "");
    format!(
        "## Targets (issue 9)\n\n| target | limit | measured | |\n|---|---|---|---|\n{}\n\n\
         Why a target is not met, what the profile shows and what was optimised: \
         [measurements](measurements.md#benchmarks-what-the-profiles-show).\n",
        rows.join("\n")
    )
}

const METHOD: &str = "## Method\n\n\
- One command: `scripts/bench` (installs Debian's `nginx-light` and `libnginx-mod-nchan` if missing, \
builds the release binaries, runs `curbside-bench all`). Single scenarios: `target/release/curbside-bench \
fanout|connections|ingest|transcript [--rounds N] [--quick]`; each prints one JSON line per run.\n\
- Every run starts its own server process on a free loopback port: `target/release/curbside serve` on a \
fresh SQLite file with the fake Graph API (the simulator) in the harness process, so every answer's \
outbox reply is really sent; or nginx + nchan from `crates/bench/peer/nchan.conf.template` (two workers).\n\
- Fan-out: subscribers connect 200 at a time: Curbside's `/ws` with `{\"type\":\"subscribe\",\"slug\",\
\"audience\":\"public\",\"since\":<last offset>}` (counted once `subscribed` arrives) or `/s/{slug}/events?since=…`; \
nchan's `/sub/bench` (WebSocket or EventSource). Then answers are published on a fixed schedule (open loop: \
a late publish counts as latency): for Curbside each is `POST /api/questions/{id}/answer` on a different \
approved question (persisted with its events, audit and outbox rows), for nchan `POST /pub/bench` with a \
payload of the size Curbside delivered. Latency is one-way, from the planned send time written inside the \
answer to its arrival at each subscriber, in an HdrHistogram. Deliveries are counted until all arrive or 5 s \
after the last publish.\n\
- Server cost from `/proc`: CPU = utime + stime of the server's processes (nginx: master and workers) over \
the publishing window ÷ deliveries, and over the ramp; memory = growth of the proportional set size \
(`Pss` in `smaps_rollup`, so nchan's shared memory is not counted twice) from before the ramp to a second \
after it, ÷ connections.\n\
- Ingest: signed `feed` webhook bodies of new comments posted back to back (closed loop per sender); \
the acknowledgement is the HTTP 200, sent only once the body is durably stored.\n\
- The CPU counters are from the shared machine; instruction counters (`perf stat -e instructions`) are not \
available in this container, so compare before/after with the ratios to nchan from the same run.\n\n";
