//! Test helpers: a webhook receiver standing in for Curbside's endpoint, and a small Graph client
//! that signs its calls with `appsecret_proof` like the product's connector.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use curbside_meta::appsecret_proof;
use curbside_simulator::{FakeGraph, GraphConfig, SimIds};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use url::Url;

/// One delivery as received: the signature header and the raw body.
#[derive(Debug, Clone)]
pub struct Received {
    pub signature: Option<String>,
    pub content_type: Option<String>,
    pub body: Bytes,
}

#[derive(Default)]
struct Inbox {
    received: Mutex<Vec<Received>>,
    status: AtomicU16,
}

/// Accepts `POST /webhooks/meta`, records it, answers with a settable status (200 by default).
pub struct Receiver {
    pub url: Url,
    inbox: Arc<Inbox>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let inbox = Arc::new(Inbox { received: Mutex::new(Vec::new()), status: AtomicU16::new(200) });
        let app = Router::new().route("/webhooks/meta", post(receive)).with_state(inbox.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let url = Url::parse(&format!("http://{addr}/webhooks/meta")).expect("url");
        Receiver { url, inbox, task }
    }

    pub fn received(&self) -> Vec<Received> {
        self.inbox.received.lock().expect("inbox").clone()
    }

    pub fn answer_with(&self, status: u16) {
        self.inbox.status.store(status, Ordering::SeqCst);
    }

    /// Waits (up to two seconds) until at least `n` deliveries arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..200 {
            let received = self.received();
            if received.len() >= n {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.received()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn receive(State(inbox): State<Arc<Inbox>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    inbox.received.lock().expect("inbox").push(Received {
        signature: header("x-hub-signature-256"),
        content_type: header("content-type"),
        body,
    });
    StatusCode::from_u16(inbox.status.load(Ordering::SeqCst)).unwrap_or(StatusCode::OK)
}

pub async fn start_graph() -> FakeGraph {
    FakeGraph::start(GraphConfig::default()).await.expect("fake Graph API starts")
}

pub async fn start_graph_with(config: GraphConfig) -> FakeGraph {
    FakeGraph::start(config).await.expect("fake Graph API starts")
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    pub fn error_code(&self) -> (i64, Option<i64>) {
        let e = curbside_meta::parse_graph_error(&self.body).expect("a Graph error envelope");
        (e.code, e.subcode)
    }
}

/// Calls the fake like the product's connector: base URL, version, token and proof.
pub struct Client {
    http: reqwest::Client,
    pub base: String,
    pub token: String,
    secret: Vec<u8>,
}

impl Client {
    pub fn new(graph: &FakeGraph, token: &str) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: graph.versioned_url(),
            token: token.to_owned(),
            secret: graph.app_secret(),
        }
    }

    pub fn page(graph: &FakeGraph) -> Client {
        Client::new(graph, &SimIds::default().page_token)
    }

    pub fn instagram(graph: &FakeGraph) -> Client {
        Client::new(graph, &SimIds::default().ig_token)
    }

    fn auth(&self) -> Vec<(String, String)> {
        vec![
            ("access_token".into(), self.token.clone()),
            ("appsecret_proof".into(), appsecret_proof(&self.secret, &self.token)),
        ]
    }

    pub async fn get(&self, path: &str, params: &[(&str, &str)]) -> Reply {
        let mut query = self.auth();
        query.extend(params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        read(self.http.get(format!("{}{path}", self.base)).query(&query)).await
    }

    /// Follows a `next` link as given.
    pub async fn get_url(&self, url: &str) -> Reply {
        read(self.http.get(url)).await
    }

    pub async fn post_form(&self, path: &str, params: &[(&str, &str)]) -> Reply {
        let mut form = self.auth();
        form.extend(params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        read(self.http.post(format!("{}{path}", self.base)).form(&form)).await
    }

    pub async fn post_json(&self, path: &str, mut body: serde_json::Value) -> Reply {
        for (k, v) in self.auth() {
            body[k] = serde_json::Value::String(v);
        }
        read(self.http.post(format!("{}{path}", self.base)).json(&body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        read(self.http.delete(format!("{}{path}", self.base)).query(&self.auth())).await
    }
}

async fn read(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.expect("the fake answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.bytes().await.expect("a body");
    Reply { status, headers, body }
}
