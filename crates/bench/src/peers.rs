//! The servers under test, each a separate process on a free loopback port so `/proc` shows
//! its own cost: the release `curbside` binary on a fresh SQLite file (with the fake Graph API
//! in this process, so the outbox really sends replies), and nginx + nchan from its template.

use anyhow::{bail, Context};
use curbside_simulator::{FakeGraph, GraphConfig, SimIds};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const ADMIN_EMAIL: &str = "bench@curbside.test";
const ADMIN_PASSWORD: &str = "bench-password-0123";

/// A port the kernel just had free on loopback.
pub fn free_port() -> anyhow::Result<u16> {
    let socket = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(socket.local_addr()?.port())
}

/// A running `curbside serve` signed in as its admin, with the fake Graph API beside it.
pub struct Curbside {
    child: Child,
    pub port: u16,
    http: reqwest::Client,
    token: String,
    pub ids: SimIds,
    _graph: FakeGraph,
    _dir: tempfile::TempDir,
}

/// A live session ready to be followed.
#[derive(Debug, Clone)]
pub struct LiveSession {
    pub id: i64,
    pub slug: String,
}

impl Curbside {
    pub async fn start(binary: &Path) -> anyhow::Result<Curbside> {
        let ids = SimIds::default();
        let graph = FakeGraph::start(GraphConfig::new(ids.clone())).await.context("fake Graph API")?;
        let dir = tempfile::tempdir()?;
        let port = free_port()?;
        let child = Command::new(binary)
            .arg("serve")
            .env("CURBSIDE_BIND", format!("127.0.0.1:{port}"))
            .env("CURBSIDE_DATABASE_URL", format!("sqlite://{}", dir.path().join("bench.db").display()))
            .env("CURBSIDE_META_APP_SECRET", &ids.app_secret)
            .env("CURBSIDE_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("CURBSIDE_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("CURBSIDE_GRAPH_URL", graph.url())
            .env("CURBSIDE_PUBLIC_URL", "https://qa.example-hospital.org")
            .env("CURBSIDE_MAX_PUBLIC_CONNECTIONS", "30000")
            .env("CURBSIDE_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let http = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
        let mut server = Curbside { child, port, http, token: String::new(), ids, _graph: graph, _dir: dir };
        server.wait_ready().await?;
        let login: Value = server
            .http
            .post(server.url("/api/login"))
            .json(&json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        server.token = login["token"].as_str().context("login answered no token")?.to_owned();
        Ok(server)
    }

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        for _ in 0..200 {
            if let Some(status) = self.child.try_wait()? {
                bail!("curbside exited at start: {status}");
            }
            if let Ok(r) = self.http.get(self.url("/readyz")).send().await {
                if r.status().is_success() {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("curbside did not become ready in 10 s")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.http
    }

    /// A staff API call; anything but 2xx is an error carrying the body.
    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut req = self.http.request(method.clone(), self.url(path)).bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let text = resp.text().await?;
        if !status.is_success() {
            bail!("{method} {path}: {status}: {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn create_live_session(&self, title: &str) -> anyhow::Result<LiveSession> {
        let source = json!({ "platform": "facebook", "page_id": self.ids.page_id,
            "live_video_id": self.ids.live_video_id, "video_id": self.ids.video_id,
            "access_token": self.ids.page_token });
        let s = self
            .api(reqwest::Method::POST, "/api/sessions", Some(json!({ "title": title, "sources": [source] })))
            .await?;
        let id = s["id"].as_i64().context("session id")?;
        let slug = s["slug"].as_str().context("session slug")?.to_owned();
        self.api(reqwest::Method::PATCH, &format!("/api/sessions/{id}"), Some(json!({ "status": "live" })))
            .await?;
        Ok(LiveSession { id, slug })
    }

    pub async fn last_offset(&self, session: &LiveSession) -> anyhow::Result<i64> {
        let s = self.api(reqwest::Method::GET, &format!("/api/sessions/{}", session.id), None).await?;
        s["last_offset"].as_i64().context("session last_offset")
    }

    /// Posts signed webhook bodies of new comments (1000 at most each) and approves every
    /// question they make: each returned id can be answered once.
    pub async fn approved_questions(&self, session: &LiveSession, count: usize) -> anyhow::Result<Vec<i64>> {
        let mut done = 0;
        while done < count {
            let n = (count - done).min(1000);
            let comments = (0..n).map(|_| next_comment("How much exercise is enough after a heart attack?"));
            let body = webhook_body(
                &self.ids,
                comments.collect::<Vec<_>>().iter().map(|(id, m)| (id.as_str(), m.as_str())),
            );
            let status = self.post_webhook(body).await?;
            if status != 200 {
                bail!("webhook answered {status}");
            }
            done += n;
        }
        let list = self
            .api(reqwest::Method::GET, &format!("/api/sessions/{}/questions?state=new", session.id), None)
            .await?;
        let ids: Vec<i64> = list["questions"]
            .as_array()
            .context("questions")?
            .iter()
            .filter_map(|q| q["id"].as_i64())
            .collect();
        if ids.len() < count {
            bail!("only {} of {count} comments became new questions", ids.len());
        }
        for (i, &id) in ids.iter().enumerate() {
            let wording = format!("How much exercise is enough after a heart attack (question {i})?");
            self.api(
                reqwest::Method::POST,
                &format!("/api/questions/{id}/approve"),
                Some(json!({ "public_text": wording })),
            )
            .await?;
        }
        Ok(ids)
    }

    /// Posts one webhook body signed with the app secret; returns the HTTP status.
    pub async fn post_webhook(&self, body: Vec<u8>) -> anyhow::Result<u16> {
        let signature = sign(&self.ids.app_secret, &body);
        let resp = self
            .http
            .post(self.url("/webhooks/meta"))
            .header("content-type", "application/json")
            .header("x-hub-signature-256", signature)
            .body(body)
            .send()
            .await?;
        let status = resp.status().as_u16();
        let _ = resp.bytes().await;
        Ok(status)
    }
}

impl Drop for Curbside {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `sha256=<hex>` of the body keyed with the app secret, as Meta signs.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        unreachable!("HMAC takes keys of any length")
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

static COMMENT_SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// A fresh comment id (unique in this run) and its message.
pub fn next_comment(message: &str) -> (String, String) {
    let n = COMMENT_SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    (format!("{:08}", n), message.to_owned())
}

/// A `feed` webhook body with one change per comment on the simulated broadcast. Comment ids
/// are `{video_id}_{key}`.
pub fn webhook_body<'a>(ids: &SimIds, comments: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<u8> {
    let post_id = ids.post_id();
    let changes: Vec<Value> = comments
        .enumerate()
        .map(|(i, (key, message))| {
            json!({ "field": "feed", "value": { "item": "comment", "verb": "add",
                "comment_id": format!("{}_{key}", ids.video_id), "post_id": post_id, "parent_id": post_id,
                "from": { "id": format!("7{key}"), "name": "Viewer" },
                "created_time": 1_764_000_000 + i as i64, "message": message } })
        })
        .collect();
    let body = json!({ "object": "page", "entry": [{ "id": ids.page_id, "time": 1_764_000_000, "changes": changes }] });
    serde_json::to_vec(&body).unwrap_or_default()
}

/// nginx + nchan from `peer/nchan.conf.template`, daemonized with two workers.
pub struct Nchan {
    pub port: u16,
    master: u32,
    _dir: tempfile::TempDir,
}

pub const NCHAN_MODULE: &str = "/usr/lib/nginx/modules/ngx_nchan_module.so";

impl Nchan {
    pub async fn start() -> anyhow::Result<Nchan> {
        let nginx = nginx_binary().context(
            "nginx + nchan are not installed: run scripts/bench (it installs Debian's nginx and libnginx-mod-nchan)",
        )?;
        if !Path::new(NCHAN_MODULE).exists() {
            bail!("{NCHAN_MODULE} is missing: apt-get install -y libnginx-mod-nchan");
        }
        let dir = tempfile::tempdir()?;
        let port = free_port()?;
        let run_dir = dir.path().display().to_string();
        let conf = include_str!("../peer/nchan.conf.template")
            .replace("@RUN_DIR@", &run_dir)
            .replace("@PORT@", &port.to_string());
        let conf_path = dir.path().join("nginx.conf");
        std::fs::write(&conf_path, conf)?;
        let status = Command::new(&nginx)
            .arg("-c")
            .arg(&conf_path)
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .stdout(Stdio::null())
            .status()?;
        if !status.success() {
            let log = std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default();
            bail!("nginx did not start: {status}: {log}");
        }
        let pid_file = dir.path().join("nginx.pid");
        for _ in 0..100 {
            if let Ok(pid) = std::fs::read_to_string(&pid_file) {
                if let Ok(master) = pid.trim().parse() {
                    let server = Nchan { port, master, _dir: dir };
                    server.wait_listening().await?;
                    return Ok(server);
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("nginx wrote no pid file")
    }

    async fn wait_listening(&self) -> anyhow::Result<()> {
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.is_ok() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("nginx is not listening on {}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.master
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Nchan {
    fn drop(&mut self) {
        // TERM is nginx's fast shutdown: the master stops its workers.
        let _ = Command::new("kill").arg("-TERM").arg(self.master.to_string()).status();
        for _ in 0..50 {
            if !Path::new(&format!("/proc/{}", self.master)).exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Debian installs nginx in /usr/sbin, which is not on every PATH.
pub fn nginx_binary() -> Option<PathBuf> {
    ["/usr/sbin/nginx", "/usr/bin/nginx"].iter().map(PathBuf::from).find(|p| p.exists())
}
