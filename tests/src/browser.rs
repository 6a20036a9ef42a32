//! A small WebDriver harness for the screens: `/usr/bin/chromedriver` on a free port driving
//! headless Chromium (a fresh profile per window, so two windows are two people), helpers to
//! sign in, press keys, wait for the page, inject axe-core, take screenshots, and a proxy that
//! can cut a page's connection to the server for real.
//!
//! Chromium and chromedriver are required: a missing one fails the test with what to install.

use anyhow::{anyhow, Context};
use fantoccini::{elements::Element, Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tokio::sync::watch;

/// How long a wait for the page gives up after: generous for a loaded 2-core CI machine.
pub const WAIT: Duration = Duration::from_secs(15);

const AXE: &str = include_str!("../vendor/axe-core/axe.min.js");

fn executable(var: &str, default: &str, package: &str) -> PathBuf {
    let path = std::env::var(var).map(PathBuf::from).unwrap_or_else(|_| PathBuf::from(default));
    if !path.exists() {
        panic!(
            "{} is required for the browser tests and is missing: install Debian's `{package}` \
             (apt-get install chromium chromium-driver; .ci/run does this) or set {var}",
            path.display()
        );
    }
    path
}

/// A running chromedriver; each [`Chrome::window`] is a separate browser with its own profile.
pub struct Chrome {
    driver: Child,
    url: String,
    chromium: PathBuf,
}

impl Chrome {
    pub async fn start() -> Chrome {
        let chromium = executable("CURBSIDE_CHROMIUM", "/usr/bin/chromium", "chromium");
        let driver_path = executable("CURBSIDE_CHROMEDRIVER", "/usr/bin/chromedriver", "chromium-driver");
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
            l.local_addr().expect("its address").port()
        };
        let driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", driver_path.display()));
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::builder().no_proxy().build().expect("client");
        let start = Instant::now();
        loop {
            if let Ok(r) = http.get(format!("{url}/status")).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            if start.elapsed() > WAIT {
                panic!("chromedriver did not answer on port {port} within {WAIT:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Chrome { driver, url, chromium }
    }

    /// A new browser window of `width`×`height` CSS pixels, signed in as nobody.
    pub async fn window(&self, width: u32, height: u32) -> Page {
        self.window_with(width, height, false).await
    }

    /// The same in dark mode (`prefers-color-scheme: dark`).
    pub async fn dark_window(&self, width: u32, height: u32) -> Page {
        self.window_with(width, height, true).await
    }

    async fn window_with(&self, width: u32, height: u32, dark: bool) -> Page {
        let profile = tempfile::tempdir().expect("a profile dir");
        let mut args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--hide-scrollbars".into(),
            "--force-color-profile=srgb".into(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        if dark {
            args.push("--force-dark-mode".into());
        }
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({"binary": self.chromium.display().to_string(), "args": args}),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("chromedriver could not start Chromium: {e}"));
        // Size the viewport, not the window: add back what the window's frame takes.
        let _ = client.set_window_size(width, height).await;
        if let Ok(inner) = client.execute("return [window.innerWidth, window.innerHeight]", vec![]).await {
            let dim = |i: usize| inner.get(i).and_then(Value::as_u64).unwrap_or(0) as u32;
            let (w, h) = (dim(0), dim(1));
            if w > 0 && h > 0 && (w, h) != (width, height) {
                let _ = client
                    .set_window_size(width + width.saturating_sub(w), height + height.saturating_sub(h))
                    .await;
            }
        }
        Page { client, _profile: profile }
    }

    pub async fn stop(mut self) {
        let _ = self.driver.kill().await;
    }
}

/// One browser window.
pub struct Page {
    pub client: Client,
    _profile: tempfile::TempDir,
}

impl Page {
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// Signs in through the real form, starting from `next` (a staff page, which redirects to
    /// `/login`, or the sign-in page itself with its own `?next=`).
    pub async fn sign_in(&self, base: &str, email: &str, password: &str, next: &str) {
        self.goto(&format!("{base}{next}")).await;
        self.wait_for("#email").await;
        self.fill("#email", email).await;
        self.fill("#password", password).await;
        self.click("#submit").await;
        // Where the form sends the person: `next` itself, or the `next` it carries.
        let want = match next.split_once("?next=") {
            Some((_, to)) => to.replace("%2F", "/"),
            None => next.split('?').next().unwrap_or(next).to_owned(),
        };
        self.wait_until(&format!("location.pathname === {}", json!(want)), "arrive after sign-in").await;
    }

    pub async fn find(&self, css: &str) -> anyhow::Result<Element> {
        self.client.find(Locator::Css(css)).await.map_err(|e| anyhow!("{css}: {e}"))
    }

    pub async fn wait_for(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("waiting for {css}: {e}"))
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.wait_for(css).await;
        e.clear().await.unwrap_or_else(|err| panic!("clear {css}: {err}"));
        e.send_keys(text).await.unwrap_or_else(|err| panic!("type into {css}: {err}"));
    }

    pub async fn click(&self, css: &str) {
        self.wait_for(css).await.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Clicks the first element matching `css` whose text contains `text`.
    pub async fn click_text(&self, css: &str, text: &str) {
        let script = "const [css, text] = arguments; \
            const el = [...document.querySelectorAll(css)].find(e => e.innerText.includes(text)); \
            if (!el) return false; el.click(); return true;";
        self.wait_until_args(script, vec![json!(css), json!(text)], &format!("click {css} with {text:?}"))
            .await;
    }

    /// Sends keys to whatever has focus after focusing `css` (keyboard shortcuts).
    pub async fn press(&self, css: &str, keys: &str) {
        self.eval(&format!("document.querySelector({}).focus(); return true", json!(css))).await;
        let e = self.client.active_element().await.unwrap_or_else(|err| panic!("active element: {err}"));
        e.send_keys(keys).await.unwrap_or_else(|err| panic!("press {keys:?}: {err}"));
    }

    pub async fn eval(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap_or_else(|e| panic!("script {script}: {e}"))
    }

    /// Waits until the JavaScript expression `condition` is truthy.
    pub async fn wait_until(&self, condition: &str, what: &str) {
        self.wait_until_args(&format!("return !!({condition});"), vec![], what).await;
    }

    async fn wait_until_args(&self, script: &str, args: Vec<Value>, what: &str) {
        let start = Instant::now();
        loop {
            match self.client.execute(script, args.clone()).await {
                Ok(Value::Bool(true)) => return,
                Ok(_) => {}
                Err(e) if start.elapsed() > WAIT => panic!("{what}: {e}"),
                Err(_) => {}
            }
            if start.elapsed() > WAIT {
                let text = self.text("body").await;
                panic!("timed out after {WAIT:?} waiting to {what}; the page reads:\n{text}");
            }
            tokio::time::sleep(Duration::from_millis(60)).await;
        }
    }

    /// Waits until the visible text of `css` contains `needle` (ignoring case: CSS may
    /// upper-case a label).
    pub async fn wait_text(&self, css: &str, needle: &str) {
        let cond = format!(
            "[...document.querySelectorAll({})].some(e => e.innerText.toLowerCase().includes({}.toLowerCase()))",
            json!(css),
            json!(needle)
        );
        self.wait_until(&cond, &format!("see {needle:?} in {css}")).await;
    }

    /// The visible text of the first element matching `css` ("" when there is none).
    pub async fn text(&self, css: &str) -> String {
        let v = self
            .client
            .execute(
                "const e = document.querySelector(arguments[0]); return e ? e.innerText : '';",
                vec![json!(css)],
            )
            .await
            .unwrap_or(Value::Null);
        v.as_str().unwrap_or_default().to_owned()
    }

    /// Runs axe-core on the page; returns the serious and critical violations, described.
    pub async fn axe(&self) -> Vec<String> {
        self.client.execute(&format!("{AXE}\n;return true;"), vec![]).await.expect("inject axe-core");
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1]; \
                 axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations \
                   .filter(v => v.impact === 'serious' || v.impact === 'critical') \
                   .map(v => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map(n => n.target.join(' ')).join(', ')}`))) \
                 .catch(e => done(['axe failed: ' + e]));",
                vec![],
            )
            .await
            .expect("run axe-core");
        result.as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_owned)).collect()
    }

    /// Fails when axe-core finds a serious or critical violation on the page as it is now.
    pub async fn assert_accessible(&self, page: &str) {
        let violations = self.axe().await;
        assert!(violations.is_empty(), "{page}: accessibility violations:\n{}", violations.join("\n"));
    }

    /// Saves a PNG of the window when `CURBSIDE_SCREENSHOTS` names a folder (the README's
    /// pictures are made this way); otherwise does nothing.
    pub async fn screenshot(&self, name: &str) {
        let Ok(dir) = std::env::var("CURBSIDE_SCREENSHOTS") else { return };
        let png = self.client.screenshot().await.expect("screenshot");
        let path = Path::new(&dir).join(format!("{name}.png"));
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// A TCP proxy in front of the server whose connections can be cut, for real: open sockets are
/// dropped and new ones refused until [`FlakyProxy::restore`].
pub struct FlakyProxy {
    pub port: u16,
    up: Arc<AtomicBool>,
    generation: watch::Sender<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl FlakyProxy {
    pub async fn start(target_port: u16) -> anyhow::Result<FlakyProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await.context("bind the proxy")?;
        let port = listener.local_addr()?.port();
        let up = Arc::new(AtomicBool::new(true));
        let (generation, _) = watch::channel(0u64);
        let gen_tx = generation.clone();
        let up_flag = up.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !up_flag.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let mut cut = gen_tx.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(("127.0.0.1", target_port)).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Ok(FlakyProxy { port, up, generation, task })
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Drops every open connection and refuses new ones.
    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for FlakyProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}
