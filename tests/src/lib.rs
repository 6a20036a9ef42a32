//! Helpers for Curbside's end-to-end suite: a fresh database per test (a temp SQLite file or a
//! new PostgreSQL database), the real server on port 0, and clients that speak its protocols.
//!
//! PostgreSQL tests use `CURBSIDE_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) and fail, never skip, when it does not answer.

pub mod browser;

use anyhow::{anyhow, Context};
use curbside_server::{Application, Settings};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use sqlx::Connection;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub use curbside_domain::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The Meta app secret every test server is configured with.
pub const APP_SECRET: &str = "test-app-secret";
pub const VERIFY_TOKEN: &str = "test-verify-token";
/// The `CURBSIDE_SECRET_KEY` of every test server (32 bytes of 0x2a, base64).
pub const TEST_SECRET_KEY: &str = "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";

pub const ADMIN_EMAIL: &str = "admin@curbside.test";
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";
/// Every staff account the helpers create shares this password.
pub const STAFF_PASSWORD: &str = "staff-password-for-tests";

/// A database that exists for one test. PostgreSQL databases are dropped by [`TestDb::drop_now`]
/// (called by [`TestApp::finish`]); `.ci/run` also sweeps leftovers from failed runs.
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

pub fn postgres_admin_url() -> String {
    std::env::var("CURBSIDE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

impl TestDb {
    pub async fn fresh(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temp dir");
                let url = format!("sqlite://{}", dir.path().join("curbside.db").display());
                TestDb { url, backend, _dir: Some(dir), pg: None }
            }
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let name = format!("curbside_test_{}", hex_suffix());
                let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| {
                    panic!("PostgreSQL is required for this test and does not answer at {admin}: {e}. Start it (see .ci/run) or set CURBSIDE_TEST_POSTGRES_URL.")
                });
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("CREATE DATABASE");
                let _ = conn.close().await;
                let url = match admin.rfind('/') {
                    Some(i) => format!("{}/{name}", &admin[..i]),
                    None => panic!("CURBSIDE_TEST_POSTGRES_URL must end in /dbname"),
                };
                TestDb { url, backend, _dir: None, pg: Some((admin, name)) }
            }
        }
    }

    /// The same database, for a second server ("another node"); only the original cleans up.
    pub fn shared(&self) -> TestDb {
        TestDb { url: self.url.clone(), backend: self.backend, _dir: None, pg: None }
    }

    /// Raw SQL, bypassing the application (as an operator with database access could).
    pub async fn execute(&self, sql: &str) -> Result<u64, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&self.url).await?;
        let out = sqlx::query(sql).execute(&pool).await.map(|r| r.rows_affected());
        pool.close().await;
        out
    }

    /// The rows of a raw query selecting an id and one text column (as a database dump shows them).
    pub async fn rows(&self, sql: &str) -> Vec<(i64, Option<String>)> {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&self.url).await.expect("connect");
        let rows = sqlx::query_as(sql).fetch_all(&pool).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        pool.close().await;
        rows
    }

    pub async fn drop_now(&mut self) {
        if let Some((admin, name)) = self.pg.take() {
            if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await;
            }
        }
    }
}

fn hex_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{:x}_{}_{}", nanos, std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

/// The real server, on 127.0.0.1 and a free port, over its own fresh database.
pub struct TestApp {
    pub port: u16,
    pub base: String,
    pub http: reqwest::Client,
    pub db: TestDb,
    /// The Meta app secret this server verifies webhooks with.
    pub app_secret: String,
    /// The server's own store: writes through it reach the server's hub like a connector's.
    server_store: curbside_store::Store,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    admin_token: Option<String>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        TestApp::spawn_on(TestDb::fresh(backend).await).await
    }

    /// Starts a server on an existing database (e.g. to restart over the same data).
    pub async fn spawn_on(db: TestDb) -> TestApp {
        TestApp::spawn_with(db, |_| {}).await
    }

    /// Starts a server with settings adjusted by `configure` (e.g. pointed at a fake Graph API).
    pub async fn spawn_with(db: TestDb, configure: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = Settings::defaults();
        settings.bind = "127.0.0.1:0".into();
        settings.database_url = db.url.clone();
        settings.admin_email = Some(ADMIN_EMAIL.into());
        settings.admin_password = Some(ADMIN_PASSWORD.into());
        settings.meta_app_secret = Some(APP_SECRET.into());
        settings.meta_verify_token = Some(VERIFY_TOKEN.into());
        // Nothing in a test may reach Meta: a fake Graph API is configured where it is needed.
        settings.graph_url = "http://127.0.0.1:9".into();
        // Every test server seals platform tokens with this key (no key file in the working directory).
        settings.secret_key = Some(TEST_SECRET_KEY.into());
        configure(&mut settings);
        let app_secret = settings.meta_app_secret.clone().unwrap_or_default();
        let config = settings.check().expect("valid test configuration");
        let app = Application::build(config).await.expect("the server builds");
        let port = app.port();
        let server_store = app.state().store.clone();
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(app.run(async move {
            let _ = rx.await;
        }));
        let http =
            reqwest::Client::builder().timeout(Duration::from_secs(20)).no_proxy().build().expect("client");
        TestApp {
            port,
            base: format!("http://127.0.0.1:{port}"),
            http,
            db,
            app_secret,
            server_store,
            stop: Some(tx),
            task: Some(task),
            admin_token: None,
        }
    }

    /// Stops the server gracefully and hands back its database, for a restart.
    pub async fn stop(mut self) -> TestDb {
        self.shutdown().await;
        std::mem::replace(
            &mut self.db,
            TestDb { url: String::new(), backend: Backend::Sqlite, _dir: None, pg: None },
        )
    }

    async fn shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            match tokio::time::timeout(Duration::from_secs(15), task).await {
                Ok(Ok(Ok(()))) => {}
                other => panic!("the server did not shut down cleanly: {other:?}"),
            }
        }
    }

    /// Stops the server and drops its database.
    pub async fn finish(mut self) {
        self.shutdown().await;
        self.db.drop_now().await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let resp = self
            .http
            .post(self.url("/api/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("login");
        assert_eq!(resp.status(), 200, "login as {email}");
        let body: Value = resp.json().await.expect("login JSON");
        body["token"].as_str().expect("a token").to_owned()
    }

    pub async fn admin(&mut self) -> String {
        if self.admin_token.is_none() {
            self.admin_token = Some(self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await);
        }
        self.admin_token.clone().unwrap_or_default()
    }

    /// Creates a staff account with `role` and signs it in.
    pub async fn staff(&mut self, role: Role) -> String {
        let admin = self.admin().await;
        let email = format!("{}-{}@curbside.test", role.as_str(), hex_suffix());
        let (status, body) = self
            .call(
                "POST",
                "/api/users",
                Some(&admin),
                Some(json!({
                    "email": email, "name": format!("Test {}", role.as_str()), "role": role.as_str(),
                    "credentials": "MD, Cardiology", "password": STAFF_PASSWORD
                })),
            )
            .await;
        assert_eq!(status, 201, "create {role} account: {body}");
        self.login(&email, STAFF_PASSWORD).await
    }

    /// Creates a specialist, assigns them to `session` (specialists answer only in sessions they
    /// are assigned to) and signs them in.
    pub async fn assigned_specialist(&mut self, session: i64) -> String {
        let token = self.staff(Role::Specialist).await;
        let admin = self.admin().await;
        let (_, me) = self.call("GET", "/api/me", Some(&token), None).await;
        let (status, body) = self
            .call(
                "POST",
                &format!("/api/sessions/{session}/specialists"),
                Some(&admin),
                Some(json!({"user_id": me["id"]})),
            )
            .await;
        assert_eq!(status, 200, "assign the specialist: {body}");
        token
    }

    /// The session a question belongs to.
    pub async fn session_of(&mut self, question: i64) -> i64 {
        let admin = self.admin().await;
        let (status, q) = self.call("GET", &format!("/api/questions/{question}"), Some(&admin), None).await;
        assert_eq!(status, 200, "{q}");
        q["session_id"].as_i64().expect("session_id")
    }

    /// One JSON request; returns the status and the body (JSON, or a string for non-JSON).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        call_at(&self.http, &self.base, method, path, token, body).await
    }

    /// Starts a server whose Meta settings point at the simulator's fake Graph API, polling fast.
    pub async fn spawn_against(db: TestDb, graph: &curbside_simulator::FakeGraph) -> TestApp {
        let (secret, url) = (String::from_utf8_lossy(&graph.app_secret()).into_owned(), graph.url());
        TestApp::spawn_with(db, move |s| {
            s.meta_app_secret = Some(secret);
            s.graph_url = url;
            s.poll_interval_ms = "200".into();
        })
        .await
    }

    /// Creates a session listening to the simulator's Facebook live video and Instagram live
    /// media (the Facebook video id left for Curbside to look up); returns its id.
    pub async fn create_simulated_session(&mut self, ids: &curbside_simulator::SimIds) -> i64 {
        let admin = self.admin().await;
        let (status, body) = self
            .call("POST", "/api/sessions", Some(&admin), Some(json!({
                "title": "Heart health live",
                "sources": [
                    {"platform": "facebook", "page_id": ids.page_id, "live_video_id": ids.live_video_id, "access_token": ids.page_token},
                    {"platform": "instagram", "ig_user_id": ids.ig_user_id, "media_id": ids.ig_media_id, "access_token": ids.ig_token}
                ]
            })))
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_i64().expect("session id")
    }

    /// Creates a session with one Facebook and one Instagram source; returns its JSON.
    pub async fn create_session(&mut self, title: &str) -> Value {
        let admin = self.admin().await;
        let (status, body) = self
            .call("POST", "/api/sessions", Some(&admin), Some(json!({
                "title": title,
                "sources": [
                    {"platform": "facebook", "page_id": "1000000000001", "live_video_id": "3000000000003", "video_id": "2000000000002", "access_token": "EAAB-test-page-token"},
                    {"platform": "instagram", "ig_user_id": "17841400000000001", "media_id": "17900000000000002", "access_token": "IGAA-test-token"}
                ]
            })))
            .await;
        assert_eq!(status, 201, "create session: {body}");
        body
    }

    /// The server's own store (as its connectors use it).
    pub async fn store(&self) -> curbside_store::Store {
        self.server_store.clone()
    }

    /// Posts a webhook body as Meta does: signed with the app secret over the exact bytes.
    pub async fn webhook(&self, body: &[u8]) -> (u16, String) {
        let signature = curbside_meta::sign_body(self.app_secret.as_bytes(), body);
        self.webhook_with(body, Some(&signature)).await
    }

    pub async fn webhook_with(&self, body: &[u8], signature: Option<&str>) -> (u16, String) {
        let mut req = self
            .http
            .post(self.url("/webhooks/meta"))
            .header("content-type", "application/json")
            .body(body.to_vec());
        if let Some(sig) = signature {
            req = req.header("x-hub-signature-256", sig);
        }
        let resp = req.send().await.expect("webhook request");
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap_or_default())
    }

    /// Every question of a session, as the staff API lists them.
    pub async fn questions(&mut self, session: i64) -> Vec<Value> {
        let admin = self.admin().await;
        let (status, body) =
            self.call("GET", &format!("/api/sessions/{session}/questions"), Some(&admin), None).await;
        assert_eq!(status, 200, "{body}");
        body["questions"].as_array().cloned().unwrap_or_default()
    }

    pub async fn ws(&self, token: Option<&str>) -> WsClient {
        let mut req = format!("ws://127.0.0.1:{}/ws", self.port).into_client_request().expect("ws request");
        if let Some(t) = token {
            req.headers_mut().insert("authorization", format!("Bearer {t}").parse().expect("header"));
        }
        let (stream, _) = tokio_tungstenite::connect_async(req).await.expect("ws connect");
        WsClient { stream }
    }
}

/// `curbside serve` as one node of a cluster: listening on `port`, named `node`, on the database
/// at `database_url`, creating the first admin, with the test key and the fake Graph API's
/// secret. `binary` is the `curbside` command line (the suite builds it as `curbside-node`).
pub fn node_command(
    binary: &str,
    port: u16,
    node: &str,
    database_url: &str,
    graph: &curbside_simulator::FakeGraph,
) -> std::process::Command {
    let mut command = std::process::Command::new(binary);
    command
        .arg("serve")
        .env("CURBSIDE_BIND", format!("127.0.0.1:{port}"))
        .env("CURBSIDE_DATABASE_URL", database_url)
        .env("CURBSIDE_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("CURBSIDE_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("CURBSIDE_SECRET_KEY", TEST_SECRET_KEY)
        .env("CURBSIDE_META_APP_SECRET", String::from_utf8_lossy(&graph.app_secret()).into_owned())
        .env("CURBSIDE_META_VERIFY_TOKEN", VERIFY_TOKEN)
        .env("CURBSIDE_GRAPH_URL", graph.url())
        .env("CURBSIDE_NODE_ID", node)
        .stdin(std::process::Stdio::null());
    command
}

/// One JSON request to the server at `base`; returns the status and the body (JSON, or a string
/// for non-JSON).
pub async fn call_at(
    http: &reqwest::Client,
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = http.request(method, format!("{base}{path}"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

/// Posts a Facebook comment on the simulator's live video (Curbside polls it); returns its id.
pub fn fb_viewer_comment(
    graph: &curbside_simulator::FakeGraph,
    ids: &curbside_simulator::SimIds,
    n: u32,
    text: &str,
) -> String {
    let mut c = curbside_simulator::NewComment::new(
        ids.live_video_id.clone(),
        n.to_string(),
        format!("Viewer {n}"),
        text,
    );
    c.id = Some(format!("{}_{n}", ids.video_id));
    graph.add_comment(c).expect("add comment")
}

/// Waits (up to 15 s) for the Page's reply under `comment_id` on the simulator; returns its message.
pub async fn fb_reply_to(graph: &curbside_simulator::FakeGraph, comment_id: &str) -> String {
    for _ in 0..150 {
        if let Some(r) = graph.fb_replies().into_iter().find(|r| r.comment_id == comment_id) {
            return r.message;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no Facebook reply under {comment_id}");
}

/// Ingests `n` comments into a session through the store (as a connector would); returns their ids.
pub async fn ingest(store: &curbside_store::Store, session: i64, prefix: &str, n: usize) -> Vec<String> {
    let batch: Vec<_> = (0..n)
        .map(|i| curbside_store::IncomingComment {
            session_id: curbside_domain::SessionId(session),
            source_id: None,
            platform: curbside_domain::Platform::Facebook,
            platform_comment_id: format!("{prefix}_{i}"),
            author_id: Some(format!("user-{i}")),
            author_name: Some(format!("Viewer {i}")),
            text: format!("Question {prefix} number {i}?"),
            parent_id: None,
            platform_time: 1_700_000_000_000 + i as i64,
            via: "test".into(),
        })
        .collect();
    let ids = batch.iter().map(|c| c.platform_comment_id.clone()).collect();
    store.ingest_comments(batch).await.expect("ingest");
    ids
}

pub struct WsClient {
    pub stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl WsClient {
    pub async fn send(&mut self, v: Value) {
        self.stream.send(Message::text(v.to_string())).await.expect("ws send");
    }

    /// The next JSON text frame (pings and pongs skipped), within 10 s.
    pub async fn next_json(&mut self) -> anyhow::Result<Value> {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(10), self.stream.next())
                .await
                .context("no frame within 10 s")?
                .ok_or_else(|| anyhow!("socket closed"))??;
            match msg {
                Message::Text(t) => return Ok(serde_json::from_str(t.as_str())?),
                Message::Close(c) => return Err(anyhow!("closed: {c:?}")),
                _ => continue,
            }
        }
    }

    /// Reads frames until one has `type` == `kind`, returning it; fails on an `error` frame.
    pub async fn expect(&mut self, kind: &str) -> Value {
        loop {
            let v = self.next_json().await.unwrap_or_else(|e| panic!("waiting for {kind}: {e}"));
            if v["type"] == kind {
                return v;
            }
            if v["type"] == "error" {
                panic!("waiting for {kind}, got error frame {v}");
            }
        }
    }

    /// Collects the next `n` event frames' offsets and payloads.
    pub async fn events(&mut self, n: usize) -> Vec<(i64, Value)> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let v = self.expect("event").await;
            out.push((v["offset"].as_i64().expect("offset"), v["event"].clone()));
        }
        out
    }

    /// Asserts that no event frame arrives within `wait`.
    pub async fn assert_quiet(&mut self, wait: Duration) {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Err(_) => return,
                Ok(Some(Ok(Message::Text(t)))) => {
                    let v: Value = serde_json::from_str(t.as_str()).unwrap_or_default();
                    assert_ne!(v["type"], "event", "unexpected event {v}");
                }
                Ok(Some(Ok(_))) => {}
                Ok(other) => panic!("socket ended: {other:?}"),
            }
        }
    }
}

/// Defines each listed `async fn name(backend: Backend)` as a test on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Postgres).await
                }
            )*
        }
    };
}
