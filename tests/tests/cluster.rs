//! Several Curbside nodes on one PostgreSQL database: three real `curbside serve` processes
//! started at the same moment on a fresh database, viewers spread over them, writers on every
//! node, and `kill -9` of a node mid-stream (its viewers, polling sources and outbox claims move
//! to the survivors). The simulator's fake Graph API records every call, so "posted once" is
//! checked against what Meta would have received.

use curbside_simulator::{
    FakeGraph, Fault, FaultRule, FeedComment, GraphConfig, Matcher, NewComment, SimIds, WebhookBody,
    WebhookChange,
};
use curbside_tests::{
    call_at, node_command, Backend, TestDb, WsClient, ADMIN_EMAIL, ADMIN_PASSWORD, STAFF_PASSWORD,
};
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::process::Child;
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// The `curbside` command line, built with this suite.
const CURBSIDE: &str = env!("CARGO_BIN_EXE_curbside-node");
/// Short leases, so take-overs happen within a test's patience (production: 6 s and 40 s).
const POLL_LEASE_MS: &str = "1500";
const OUTBOX_LEASE_MS: &str = "4000";

/// One `curbside serve` process.
struct Node {
    name: String,
    port: u16,
    base: String,
    /// Behind a lock so a test can kill a node while other tasks talk to the cluster.
    child: std::sync::Mutex<Option<Child>>,
    log: std::path::PathBuf,
}

impl Node {
    /// `kill -9`: no shutdown, no goodbye to its clients, its leases left to run out.
    fn kill(&self) {
        let taken = self.child.lock().map(|mut c| c.take()).unwrap_or_default();
        if let Some(mut child) = taken {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let start = text.len().saturating_sub(3000);
        text.get(start..).unwrap_or_default().to_owned()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

struct Cluster {
    nodes: Vec<Node>,
    db: TestDb,
    http: reqwest::Client,
    graph: FakeGraph,
    ids: SimIds,
    admin: Option<String>,
    _logs: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

impl Cluster {
    /// Starts `n` nodes at the same moment on one fresh PostgreSQL database, each configured to
    /// create the first admin, against one fake Graph API; waits until every one is ready.
    async fn start(n: usize) -> Cluster {
        let ids = SimIds::default();
        let graph = FakeGraph::start(GraphConfig::new(ids.clone())).await.expect("fake graph");
        let db = TestDb::fresh(Backend::Postgres).await;
        let logs = tempfile::tempdir().expect("log dir");
        let nodes: Vec<Node> = (0..n)
            .map(|i| {
                let port = free_port();
                let name = format!("node-{i}");
                let log = logs.path().join(format!("{name}.log"));
                let out = std::fs::File::create(&log).expect("log file");
                let err = out.try_clone().expect("log file");
                let child = node_command(CURBSIDE, port, &name, &db.url, &graph)
                    .env("CURBSIDE_PUBLIC_URL", "https://qa.example.org")
                    .env("CURBSIDE_POLL_INTERVAL_MS", "200")
                    .env("CURBSIDE_POLL_LEASE_MS", POLL_LEASE_MS)
                    .env("CURBSIDE_OUTBOX_LEASE_MS", OUTBOX_LEASE_MS)
                    .env("CURBSIDE_SIGNIN_WORKERS", "1")
                    .env("CURBSIDE_LOG", "info")
                    .stdout(out)
                    .stderr(err)
                    .spawn()
                    .expect("start curbside serve");
                Node {
                    name,
                    port,
                    base: format!("http://127.0.0.1:{port}"),
                    child: std::sync::Mutex::new(Some(child)),
                    log,
                }
            })
            .collect();
        let http =
            reqwest::Client::builder().timeout(Duration::from_secs(20)).no_proxy().build().expect("client");
        for node in &nodes {
            wait_ready(&http, node).await;
        }
        Cluster { nodes, db, http, graph, ids, admin: None, _logs: logs }
    }

    async fn call(
        &self,
        node: usize,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        call_at(&self.http, &self.nodes[node].base, method, path, token, body).await
    }

    async fn login(&self, node: usize, email: &str, password: &str) -> String {
        let (status, body) = self
            .call(node, "POST", "/api/login", None, Some(json!({"email": email, "password": password})))
            .await;
        assert_eq!(status, 200, "sign in as {email} on node {node}: {body}");
        body["token"].as_str().expect("a token").to_owned()
    }

    /// The admin's sign-in (made on node 0; every node accepts it).
    async fn admin(&mut self) -> String {
        if self.admin.is_none() {
            self.admin = Some(self.login(0, ADMIN_EMAIL, ADMIN_PASSWORD).await);
        }
        self.admin.clone().unwrap_or_default()
    }

    /// A session on the simulator's broadcast, created through node 0; returns (id, slug).
    async fn session(&mut self) -> (i64, String) {
        let admin = self.admin().await;
        let ids = self.ids.clone();
        let (status, body) = self
            .call(0, "POST", "/api/sessions", Some(&admin), Some(json!({
                "title": "Heart health live",
                "sources": [
                    {"platform": "facebook", "page_id": ids.page_id, "live_video_id": ids.live_video_id, "video_id": ids.video_id, "access_token": ids.page_token},
                    {"platform": "instagram", "ig_user_id": ids.ig_user_id, "media_id": ids.ig_media_id, "access_token": ids.ig_token}
                ]
            })))
            .await;
        assert_eq!(status, 201, "{body}");
        (body["id"].as_i64().expect("id"), body["slug"].as_str().expect("slug").to_owned())
    }

    /// A specialist assigned to `session`, signed in on `node`.
    async fn specialist(&mut self, session: i64, node: usize) -> String {
        let admin = self.admin().await;
        let email = format!("specialist-{session}@curbside.test");
        let (status, user) = self
            .call(
                0,
                "POST",
                "/api/users",
                Some(&admin),
                Some(json!({
                    "email": email, "name": "Dr Test", "role": "specialist",
                    "credentials": "MD, Cardiology", "password": STAFF_PASSWORD
                })),
            )
            .await;
        assert_eq!(status, 201, "{user}");
        let (status, body) = self
            .call(
                1,
                "POST",
                &format!("/api/sessions/{session}/specialists"),
                Some(&admin),
                Some(json!({"user_id": user["id"]})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        self.login(node, &email, STAFF_PASSWORD).await
    }

    async fn ws(&self, node: usize, token: &str) -> WsClient {
        let mut req =
            format!("ws://127.0.0.1:{}/ws", self.nodes[node].port).into_client_request().expect("ws request");
        req.headers_mut().insert("authorization", format!("Bearer {token}").parse().expect("header"));
        let (stream, _) = tokio_tungstenite::connect_async(req).await.expect("ws connect");
        WsClient { stream }
    }

    /// The public SSE stream of `slug` on `node`, from after `last_event_id`.
    async fn sse(&self, node: usize, slug: &str, last_event_id: i64) -> Sse {
        let resp = self
            .http
            .get(format!("{}/s/{slug}/events", self.nodes[node].base))
            .header("last-event-id", last_event_id.to_string())
            .timeout(Duration::from_secs(120))
            .send()
            .await
            .expect("sse");
        assert_eq!(resp.status(), 200);
        Sse { stream: Box::pin(resp.bytes_stream()), buf: String::new() }
    }

    /// The session's log head and its public head, read from the database.
    async fn heads(&self, session: i64) -> (i64, i64) {
        let rows = self
            .db
            .rows(&format!(
                "SELECT last_offset, (SELECT CAST(MAX(event_offset) AS TEXT) FROM events \
                 WHERE session_id = {session} AND public_json IS NOT NULL) FROM sessions WHERE id = {session}"
            ))
            .await;
        let (head, public) = rows.first().cloned().expect("the session");
        (head, public.and_then(|p| p.parse().ok()).unwrap_or(0))
    }

    async fn wait_ingested(&self, session: i64, what: &str, count: i64) {
        for _ in 0..200 {
            let rows = self
                .db
                .rows(&format!("SELECT COUNT(*), NULL FROM questions WHERE session_id = {session}"))
                .await;
            if rows.first().map(|r| r.0) == Some(count) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("timed out waiting for {what}");
    }

    fn node_named(&self, name: &str) -> &Node {
        self.nodes.iter().find(|n| n.name == name).unwrap_or_else(|| panic!("no node {name}"))
    }

    async fn finish(mut self) {
        for node in &self.nodes {
            node.kill();
        }
        self.db.drop_now().await;
        self.graph.stop().await;
    }
}

async fn wait_ready(http: &reqwest::Client, node: &Node) {
    for _ in 0..600 {
        if let Ok(resp) = http.get(format!("{}/readyz", node.base)).send().await {
            if resp.status() == 200 {
                return;
            }
        }
        let exited =
            node.child.lock().ok().and_then(|mut c| c.as_mut().and_then(|c| c.try_wait().ok().flatten()));
        if let Some(status) = exited {
            panic!("{} exited with {status} while starting:\n{}", node.name, node.log_tail());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{} never became ready:\n{}", node.name, node.log_tail());
}

/// A public SSE stream, read message by message.
struct Sse {
    stream: std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buf: String,
}

impl Sse {
    /// The next message with an id, or `None` once the stream has ended (its node died).
    async fn next(&mut self) -> Option<(i64, Value)> {
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let id = block.lines().find_map(|l| l.strip_prefix("id: ")).and_then(|v| v.parse().ok());
                let data = block
                    .lines()
                    .find_map(|l| l.strip_prefix("data: "))
                    .and_then(|v| serde_json::from_str(v).ok());
                if let (Some(id), Some(data)) = (id, data) {
                    return Some((id, data));
                }
            }
            match tokio::time::timeout(Duration::from_secs(20), self.stream.next()).await {
                Ok(Some(Ok(chunk))) => self.buf.push_str(&String::from_utf8_lossy(&chunk)),
                Ok(_) => return None,
                Err(_) => panic!("no SSE message within 20 s"),
            }
        }
    }
}

async fn subscribe(ws: &mut WsClient, session: i64, since: i64) {
    ws.send(json!({"type": "subscribe", "session_id": session, "audience": "staff", "since": since})).await;
    ws.expect("subscribed").await;
}

/// Staff events up to and including `head`, as (offset, payload).
async fn ws_until(ws: &mut WsClient, head: i64, seen: &mut Vec<(i64, Value)>) {
    while seen.last().map_or(0, |e| e.0) < head {
        let v = ws.expect("event").await;
        seen.push((v["offset"].as_i64().expect("offset"), v["event"].clone()));
    }
}

/// Staff events until the socket dies (its node was killed).
async fn ws_until_closed(ws: &mut WsClient, seen: &mut Vec<(i64, Value)>) {
    while let Ok(v) = ws.next_json().await {
        if v["type"] == "event" {
            seen.push((v["offset"].as_i64().expect("offset"), v["event"].clone()));
        }
    }
}

async fn sse_until(sse: &mut Sse, head: i64, seen: &mut Vec<(i64, Value)>) {
    while seen.last().map_or(0, |e| e.0) < head {
        let message = sse.next().await.expect("the stream stays open");
        seen.push(message);
    }
}

fn offsets(events: &[(i64, Value)]) -> Vec<i64> {
    events.iter().map(|e| e.0).collect()
}

fn feed_webhook(ids: &SimIds, comment: &str, author: &str, text: &str) -> Vec<u8> {
    let change = WebhookChange::Feed(FeedComment::add(
        ids.post_id(),
        format!("{}_{comment}", ids.video_id),
        author,
        format!("Viewer {author}"),
        text,
        1_764_000_000,
    ));
    WebhookBody::page().with_entry(ids.page_id.clone(), 1_764_000_001, vec![change]).to_bytes()
}

async fn post_webhook(cluster: &Cluster, node: usize, body: &[u8]) {
    let signature = curbside_meta::sign_body(&cluster.graph.app_secret(), body);
    let resp = cluster
        .http
        .post(format!("{}/webhooks/meta", cluster.nodes[node].base))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", signature)
        .body(body.to_vec())
        .send()
        .await
        .expect("webhook");
    assert_eq!(resp.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_share_one_log_and_viewers_of_a_killed_node_resume_elsewhere_missing_nothing() {
    let mut cluster = Cluster::start(3).await;

    // Started together on an empty database: one schema, one first admin, every node ready.
    let users = cluster.db.rows("SELECT COUNT(*), NULL FROM users").await;
    assert_eq!(users[0].0, 1, "exactly one first admin");
    let created = cluster.db.rows("SELECT COUNT(*), NULL FROM audit_log WHERE action = 'user.create'").await;
    assert_eq!(created[0].0, 1, "and one audit entry for it");

    let (sid, slug) = cluster.session().await;
    let admin = cluster.admin().await;
    let specialist = cluster.specialist(sid, 2).await;

    // Staff viewers and public viewers on every node, from the start of the log.
    let mut staff = Vec::new();
    let mut public = Vec::new();
    for node in 0..3 {
        let mut ws = cluster.ws(node, &admin).await;
        subscribe(&mut ws, sid, 0).await;
        staff.push((ws, Vec::new()));
        public.push((cluster.sse(node, &slug, 0).await, Vec::new()));
    }

    // Writers on every node at once: webhooks to nodes 0 and 1 (one of them delivered to both,
    // as Meta retries to whichever node the balancer picks) and a connector-style writer.
    let ids = cluster.ids.clone();
    let writer = curbside_store::Store::connect(&cluster.db.url).await.expect("a fourth writer");
    let redelivered = feed_webhook(&ids, "9000", "700", "Is coffee bad for the heart?");
    tokio::join!(
        post_webhook(&cluster, 0, &redelivered),
        post_webhook(&cluster, 1, &redelivered),
        async {
            for i in 0..6 {
                post_webhook(
                    &cluster,
                    i % 2,
                    &feed_webhook(&ids, &format!("91{i:02}"), "701", &format!("Question {i} about statins?")),
                )
                .await;
            }
        },
        async { curbside_tests::ingest(&writer, sid, "direct", 6).await },
    );
    cluster.wait_ingested(sid, "13 questions: the redelivered webhook stored once", 13).await;
    let (status, qs) =
        cluster.call(2, "GET", &format!("/api/sessions/{sid}/questions"), Some(&admin), None).await;
    assert_eq!(status, 200);
    let questions: Vec<i64> = qs["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .map(|q| q["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(questions.len(), 13, "{qs}");

    // Answers from two nodes at once: public events for the SSE viewers.
    let (first, rest) = questions.split_at(3);
    let answer = |node: usize, q: i64| {
        let (admin, specialist) = (admin.clone(), specialist.clone());
        let cluster = &cluster;
        async move {
            let (s, b) =
                cluster.call(node, "POST", &format!("/api/questions/{q}/approve"), Some(&admin), None).await;
            assert_eq!(s, 200, "{b}");
            let (s, b) = cluster
                .call(
                    node,
                    "POST",
                    &format!("/api/questions/{q}/answer"),
                    Some(&specialist),
                    Some(json!({"text": format!("Answer {q}.")})),
                )
                .await;
            assert_eq!(s, 200, "{b}");
        }
    };
    tokio::join!(answer(0, first[0]), answer(1, first[1]), answer(2, first[2]));

    // Every viewer on every node has the same events in the same order, gap-free from 1.
    let (head, public_head) = cluster.heads(sid).await;
    for (ws, seen) in &mut staff {
        ws_until(ws, head, seen).await;
    }
    for (sse, seen) in &mut public {
        sse_until(sse, public_head, seen).await;
    }
    assert_eq!(offsets(&staff[0].1), (1..=head).collect::<Vec<_>>(), "offsets are gap-free");
    for node in 1..3 {
        assert_eq!(staff[node].1, staff[0].1, "node {node}'s staff viewer saw the same log");
        assert_eq!(public[node].1, public[0].1, "node {node}'s public viewer saw the same log");
    }

    // Mid-stream: answers keep coming through nodes 0 and 1 while node 2 is killed.
    let streaming = async {
        for (i, q) in rest.iter().enumerate() {
            answer(i % 2, *q).await;
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
    };
    let killing = async {
        let (ws, seen) = &mut staff[2];
        let before = seen.len();
        while seen.len() < before + 4 {
            let v = ws.expect("event").await;
            seen.push((v["offset"].as_i64().expect("offset"), v["event"].clone()));
        }
        cluster.nodes[2].kill();
    };
    tokio::join!(streaming, killing);
    let (ws, seen) = &mut staff[2];
    ws_until_closed(ws, seen).await;
    let (sse, seen_public) = &mut public[2];
    while let Some(m) = sse.next().await {
        seen_public.push(m);
    }

    // The killed node's viewers reconnect elsewhere with the last offset they saw.
    let last_staff = staff[2].1.last().map_or(0, |e| e.0);
    let mut ws = cluster.ws(0, &admin).await;
    subscribe(&mut ws, sid, last_staff).await;
    let last_public = public[2].1.last().map_or(0, |e| e.0);
    let mut sse = cluster.sse(1, &slug, last_public).await;
    let (head, public_head) = cluster.heads(sid).await;
    ws_until(&mut ws, head, &mut staff[2].1).await;
    sse_until(&mut sse, public_head, &mut public[2].1).await;
    for node in 0..2 {
        let (ws, seen) = &mut staff[node];
        ws_until(ws, head, seen).await;
        let (sse, seen) = &mut public[node];
        sse_until(sse, public_head, seen).await;
    }
    assert_eq!(offsets(&staff[0].1), (1..=head).collect::<Vec<_>>());
    assert_eq!(staff[2].1, staff[0].1, "the resumed staff viewer missed nothing and saw nothing twice");
    assert_eq!(staff[1].1, staff[0].1);
    assert_eq!(public[2].1, public[0].1, "the resumed public viewer missed nothing and saw nothing twice");
    assert_eq!(public[1].1, public[0].1);

    // The survivors' log listeners lose their connections while another node writes: each
    // reconnects, re-reads what it follows, and says so in /metrics.
    let cut = cluster
        .db
        .execute(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{}'",
            curbside_store::LISTENER_APPLICATION_NAME
        ))
        .await;
    assert!(cut.is_ok(), "{cut:?}");
    curbside_tests::ingest(&writer, sid, "while-cut", 3).await;
    let (head, _) = cluster.heads(sid).await;
    for node in 0..2 {
        let (ws, seen) = &mut staff[node];
        ws_until(ws, head, seen).await;
        assert_eq!(offsets(seen), (1..=head).collect::<Vec<_>>(), "node {node} missed nothing");
        let metrics = wait_for("the reconnect in /metrics", 20, || async {
            let text = cluster
                .http
                .get(format!("{}/metrics", cluster.nodes[node].base))
                .send()
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            let reconnects =
                text.lines().find_map(|l| l.strip_prefix("curbside_hub_log_listener_reconnects_total "))?;
            (reconnects.trim() != "0").then_some(text)
        })
        .await;
        assert!(metrics.contains("curbside_hub_log_listener_up 1"), "listening again");
    }
    cluster.finish().await;
}

/// Waits until `check` returns something, asking every 100 ms for up to `seconds`.
async fn wait_for<T, F: std::future::Future<Output = Option<T>>>(
    what: &str,
    seconds: u64,
    mut check: impl FnMut() -> F,
) -> T {
    for _ in 0..seconds * 10 {
        if let Some(v) = check().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out after {seconds} s waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn polling_and_an_interrupted_reply_move_off_a_killed_node_and_nothing_is_lost_or_doubled() {
    let mut cluster = Cluster::start(3).await;
    let (sid, _) = cluster.session().await;
    let admin = cluster.admin().await;
    let specialist = cluster.specialist(sid, 0).await;
    let ids = cluster.ids.clone();
    let comment = |id: &str, author: &str, text: &str| {
        NewComment::new(ids.live_video_id.clone(), author, format!("Viewer {author}"), text)
            .with_id(format!("{}_{id}", ids.video_id))
    };
    // A thread: a top-level comment, more than a page of replies nobody polls (webhook-only
    // here), and then a question asked as a reply in that thread. Facebook puts the Page's reply
    // to it under the top-level comment, among everything else.
    let top = cluster.graph.add_comment(comment("5000", "800", "Is walking enough exercise?")).expect("top");
    for i in 0..120 {
        cluster
            .graph
            .add_comment(comment(&format!("51{i:02}"), "801", "+1").reply_to(top.clone()).webhook_only())
            .expect("noise");
    }
    let asked = cluster
        .graph
        .add_comment(
            comment("5200", "802", "How many steps a day lower blood pressure?").reply_to(top.clone()),
        )
        .expect("asked");

    let (status, body) = cluster
        .call(0, "PATCH", &format!("/api/sessions/{sid}"), Some(&admin), Some(json!({"status": "live"})))
        .await;
    assert_eq!(status, 200, "{body}");
    cluster.wait_ingested(sid, "both polled comments", 2).await;

    // Exactly one node polls each source; kill the one polling Facebook.
    let holder = |platform: &'static str| {
        let db = &cluster.db;
        async move {
            let rows = db
                .rows(&format!(
                    "SELECT COUNT(*), MAX(poll_owner) FROM sources WHERE platform = '{platform}' \
                     AND session_id = {sid} AND poll_lease_until > {}",
                    curbside_store::now_millis()
                ))
                .await;
            rows.first().and_then(|r| r.1.clone())
        }
    };
    let polling = wait_for("a polling lease on the Facebook source", 10, || holder("facebook")).await;
    cluster.node_named(&polling).kill();
    let before = cluster.graph.requests().len();
    // New comments while nobody polls Facebook: another node takes over within the lease.
    for i in 0..5 {
        cluster
            .graph
            .add_comment(comment(&format!("53{i:02}"), "803", &format!("After the failover {i}?")))
            .expect("add");
    }
    let next = wait_for("another node polling Facebook", 10, || async {
        holder("facebook").await.filter(|h| *h != polling)
    })
    .await;
    assert_ne!(next, polling);
    cluster.wait_ingested(sid, "the 5 comments made during the failover, each once", 7).await;
    assert!(cluster.graph.requests().len() > before, "the survivor polls the Graph API");

    // The reply to the threaded question: Meta posts it and then the sending node dies before
    // hearing back.
    let alive = cluster.nodes.iter().position(|n| n.name != polling).expect("a live node");
    let (status, qs) =
        cluster.call(alive, "GET", &format!("/api/sessions/{sid}/questions"), Some(&admin), None).await;
    assert_eq!(status, 200);
    let question = qs["questions"]
        .as_array()
        .and_then(|qs| qs.iter().find(|q| q["sources"][0]["comment_id"] == json!(asked)))
        .map(|q| q["id"].as_i64().expect("id"))
        .expect("the threaded question");
    cluster.graph.inject(FaultRule::new(
        Matcher::method_path(axum::http::Method::POST, format!("{asked}/comments")),
        Fault::AcceptThenHold(Duration::from_secs(30)),
    ));
    let (s, b) =
        cluster.call(alive, "POST", &format!("/api/questions/{question}/approve"), Some(&admin), None).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = cluster
        .call(
            alive,
            "POST",
            &format!("/api/questions/{question}/answer"),
            Some(&specialist),
            Some(json!({"text": "About 7,000 steps a day helps."})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    wait_for("the reply to reach the platform", 20, || async {
        (!cluster.graph.fb_replies().is_empty()).then_some(())
    })
    .await;
    let sender = cluster
        .db
        .rows(&format!("SELECT id, lease_owner FROM outbox WHERE session_id = {sid} AND status = 'sending'"))
        .await
        .first()
        .and_then(|r| r.1.clone())
        .expect("the claim's holder");
    cluster.node_named(&sender).kill();

    // Its lease runs out; a survivor looks the reply up (paging the thread) and records it once.
    let survivor =
        cluster.nodes.iter().position(|n| n.name != polling && n.name != sender).expect("a survivor");
    let items = wait_for("the interrupted reply recorded as sent", 30, || async {
        let (_, body) =
            cluster.call(survivor, "GET", &format!("/api/sessions/{sid}/outbox"), Some(&admin), None).await;
        let items = body["items"].as_array().cloned().unwrap_or_default();
        items.iter().all(|i| i["status"] == "sent").then_some(items)
    })
    .await;
    assert_eq!(items.len(), 1, "{items:?}");
    let replies = cluster.graph.fb_replies();
    assert_eq!(replies.len(), 1, "posted exactly once: {replies:?}");
    assert_eq!(items[0]["result_id"], json!(replies[0].reply_id));
    let lookups: Vec<_> = cluster
        .graph
        .requests()
        .into_iter()
        .filter(|r| r.method == axum::http::Method::GET && r.path.ends_with(&format!("{top}/comments")))
        .collect();
    assert!(lookups.iter().any(|r| r.params.contains_key("after")), "the look-up paged through the thread");
    cluster.finish().await;
}
