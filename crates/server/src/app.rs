//! Building and running the server: the router, its middleware (security headers, limits,
//! metrics), the listener, and a graceful shutdown that closes long-lived connections cleanly.

use crate::api::users;
use crate::config::Config;
use crate::listener::DeadlineListener;
use crate::metrics::{method_label, HttpLabels, Metrics, OpLabels};
use crate::signin::{LoginLimiter, PasswordPool};
use crate::state::AppState;
use anyhow::Context;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::Router;
use curbside_connectors::{spawn_pollers, ConnectorMetrics, GraphClient, OutboxWorker, PollerConfig};
use curbside_hub::{Hub, HubConfig};
use curbside_store::Store;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Plain requests that take longer than this are cut off (WebSockets and SSE are exempt).
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long shutdown waits for open connections to say goodbye.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(8);
/// Bursts of connecting viewers overflow tokio's default backlog of 128 (see bench/README).
const ACCEPT_BACKLOG: u32 = 4096;

pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Binds the listener, opens the database, applies migrations, creates the first admin if
    /// configured. Every failure comes back as one readable error. The port comes first, so a
    /// port already in use is reported before any database file is created.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let listener = bind(config.bind)?;
        check_postgres_reachable(&config.database_url).await?;
        let store = Store::connect(&config.database_url)
            .await
            .map_err(|e| anyhow::anyhow!("cannot open the database at CURBSIDE_DATABASE_URL: {e}"))?;
        let (key, key_source) = crate::secrets::resolve_key(
            config.secret_key.clone(),
            config.secret_key_file.as_deref(),
            &config.database_url,
        )?;
        store.set_secret_key(Some(key));
        crate::secrets::check_key(&store, &key_source).await?;
        let sealed = store.seal_legacy_tokens().await?;
        if sealed > 0 {
            tracing::info!(tokens = sealed, "encrypted platform tokens stored before encryption at rest");
        }
        ensure_first_admin(&store, &config).await?;
        if store.backend() == curbside_store::Backend::Sqlite {
            // One serving process per SQLite file: leases left in it are its previous life's.
            store.end_leases_of_stopped_processes().await?;
        }
        store.set_reply_cap(config.reply_cap);
        store.set_screener(config.screener.clone());
        let metrics = Arc::new(Metrics::new());
        let hub_config = HubConfig {
            max_public_connections: config.max_public_connections,
            max_staff_connections: config.max_staff_connections,
            send_timeout: config.write_timeout,
            ..HubConfig::default()
        };
        let hub = Hub::new(store.clone(), hub_config);
        let connectors = ConnectorMetrics::default();
        metrics.register_with(|r| {
            hub.metrics().register(r);
            connectors.register(r);
        });
        let graph = match config.meta_app_secret.as_deref() {
            Some(secret) => Some(
                GraphClient::new(&config.graph_url, secret).context("cannot create the Graph API client")?,
            ),
            None => None,
        };
        let passwords = PasswordPool::start(config.signin_workers, config.signin_queue)
            .context("cannot start the password-checking threads")?;
        let state = AppState {
            config: Arc::new(config),
            store,
            hub,
            metrics,
            connectors,
            graph,
            login_limiter: Arc::new(LoginLimiter::default()),
            public: Arc::new(crate::public::PublicState::default()),
            passwords,
            shutdown: CancellationToken::new(),
            connections: TaskTracker::new(),
        };
        Ok(Application { listener, state })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then stops accepting, closes sockets with "going
    /// away", waits briefly for them, and closes the database.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Application { listener, state } = self;
        let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let listener =
            DeadlineListener::new(listener, state.config.write_timeout, state.metrics.write_timeouts.clone())
                .tap_io(|io| {
                    // Realtime frames are small: latency matters more than packet count.
                    let _ = io.get_ref().set_nodelay(true);
                });
        let token = state.shutdown.clone();
        tokio::spawn({
            let token = token.clone();
            async move {
                shutdown.await;
                token.cancel();
            }
        });
        let mut connectors = start_connectors(&state);
        connectors.push(crate::api::retention::spawn_scheduled_purge(&state));
        // Several nodes on one PostgreSQL: other nodes' commits reach this node's subscribers.
        connectors.extend(curbside_hub::spawn_log_follower(state.hub.clone(), state.shutdown.clone()));
        warn_if_no_staff(&state.store).await;
        tracing::info!(addr = %axum::serve::Listener::local_addr(&listener)?, "serving");
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { token.cancelled().await })
            .await
            .context("the server stopped unexpectedly")?;
        state.connections.close();
        let finished = async {
            state.connections.wait().await;
            for task in connectors {
                let _ = task.await;
            }
        };
        if tokio::time::timeout(SHUTDOWN_GRACE, finished).await.is_err() {
            tracing::warn!("some connections or connector tasks did not finish in time");
        }
        state.store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Starts the pollers and the outbox worker, which need the Graph client (every call carries
/// `appsecret_proof`). Without Meta settings Curbside still runs (staff API, manual sessions).
/// Returns their tasks, which end when the shutdown token is cancelled.
fn start_connectors(state: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
    let Some(graph) = state.graph.clone() else {
        tracing::warn!(
            "CURBSIDE_META_APP_SECRET is not set: webhooks are refused and polling and replies are off"
        );
        return Vec::new();
    };
    let shutdown = state.shutdown.clone();
    let poller = PollerConfig {
        interval: state.config.poll_interval,
        node: state.config.node_id.clone(),
        lease: state.config.poll_lease,
        ..PollerConfig::default()
    };
    let pollers =
        spawn_pollers(state.store.clone(), graph.clone(), state.connectors.clone(), poller, shutdown.clone());
    let outbox = OutboxWorker {
        store: state.store.clone(),
        graph,
        metrics: state.connectors.clone(),
        public_url: state.config.public_url.clone(),
        poll_every: Duration::from_millis(250),
        node: state.config.node_id.clone(),
        lease: state.config.outbox_lease,
    }
    .spawn(shutdown);
    vec![pollers, outbox]
}

fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    let socket =
        if addr.is_ipv4() { tokio::net::TcpSocket::new_v4() } else { tokio::net::TcpSocket::new_v6() }
            .context("cannot create a socket")?;
    socket.set_reuseaddr(true).context("cannot set SO_REUSEADDR")?;
    socket
        .bind(addr)
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e} (set CURBSIDE_BIND to a free address)"))?;
    socket.listen(ACCEPT_BACKLOG).map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))
}

/// An unreachable PostgreSQL is reported within a few seconds with its address and the
/// cause, instead of after the pool's long retry loop with a generic "timed out".
async fn check_postgres_reachable(url: &str) -> anyhow::Result<()> {
    const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Ok(());
    }
    let Ok(parsed) = url::Url::parse(url) else { return Ok(()) };
    // A Unix-socket URL (no host) is left to the driver.
    let Some(host) = parsed.host_str().filter(|h| !h.is_empty()) else { return Ok(()) };
    let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
    let port = parsed.port().unwrap_or(5432);
    let target = format!("{host}:{port}");
    match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect((host.as_str(), port))).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => {
            let cause = match e.kind() {
                std::io::ErrorKind::ConnectionRefused => "connection refused".to_owned(),
                _ => e.to_string(),
            };
            anyhow::bail!(
                "cannot reach PostgreSQL at {target}: {cause} (is it running? check CURBSIDE_DATABASE_URL)"
            )
        }
        Err(_) => anyhow::bail!(
            "cannot reach PostgreSQL at {target}: no answer within {} s (check CURBSIDE_DATABASE_URL and the network)",
            CONNECT_TIMEOUT.as_secs()
        ),
    }
}

/// Checked when serving starts (after the demo has seeded its accounts): with no account, no one
/// can sign in, and nothing else would say so.
async fn warn_if_no_staff(store: &Store) {
    if matches!(store.user_count().await, Ok(0)) {
        tracing::warn!(
            "no staff account exists yet, so no one can sign in. Create the first admin with \
             CURBSIDE_ADMIN_EMAIL and CURBSIDE_ADMIN_PASSWORD (at least 12 characters) and restart, or run \
             `echo \"$PASSWORD\" | curbside user add --email you@example.org --role admin --password-stdin`"
        );
    }
}

async fn ensure_first_admin(store: &Store, config: &Config) -> anyhow::Result<()> {
    if store.user_count().await? > 0 {
        return Ok(());
    }
    let Some((email, password)) = &config.admin else { return Ok(()) };
    let new = users::new_user(email, "Administrator", curbside_domain::Role::Admin, "", password)
        .await
        .map_err(|e| anyhow::anyhow!("cannot create the first admin from CURBSIDE_ADMIN_EMAIL: {e}"))?;
    // Another node starting at the same moment may have created it since the count above.
    match store
        .create_first_admin(new, &curbside_store::Actor::system("CURBSIDE_ADMIN_EMAIL at start"))
        .await?
    {
        Some(_) => tracing::info!("created the first admin account from the environment"),
        None => tracing::info!("another node created the first admin account"),
    }
    Ok(())
}

/// The whole HTTP surface: each module contributes its own `router()`, merged here with the
/// middleware every response passes through.
pub fn router(state: AppState) -> Router {
    let probes = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics));
    Router::new()
        .route("/", get(index))
        .merge(crate::api::router())
        .merge(probes)
        .merge(crate::webhooks::router())
        .merge(crate::realtime::router())
        .merge(crate::public::router())
        .merge(crate::web::router())
        .layer(middleware::from_fn_with_state(state.clone(), track_requests))
        .layer(middleware::map_response(security_headers))
        .with_state(state)
}

async fn index() -> Response {
    crate::web::page("index.html")
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.db("ready", state.store.ready()).await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database not ready").into_response()
        }
    }
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        )],
        state.metrics.render(),
    )
}

/// Counts every request by its route pattern and status, and times it.
async fn track_requests(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = method_label(req.method());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let resp = next.run(req).await;
    let m = &state.metrics;
    m.http_requests
        .get_or_create(&HttpLabels { method, route: route.clone(), status: resp.status().as_u16() })
        .inc();
    m.http_seconds.get_or_create(&OpLabels { op: route }).observe(start.elapsed().as_secs_f64());
    resp
}

/// Strict headers on every response. The CSP allows no inline script; only the overlay (loaded
/// by broadcast software) may be framed.
async fn security_headers(uri: axum::http::Uri, mut resp: Response) -> Response {
    let overlay = uri.path().starts_with("/overlay/");
    let frame_ancestors = if overlay { "*" } else { "'none'" };
    // The overlay may show the hospital's logo from its own site (`?logo=https://…`).
    let img = if overlay { "'self' data: https:" } else { "'self' data:" };
    let csp = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src {img}; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {frame_ancestors}"
    );
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    if frame_ancestors == "'none'" {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    resp
}
