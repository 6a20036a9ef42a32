// The on-air overlay: follows /overlay/{slug}/events?key=… (Server-Sent Events of the overlay
// projection) and shows the question on air, de-identified, with the specialist and the
// disclaimer. It resumes by itself (the browser sends Last-Event-ID); a wrong key shows nothing.
//
// Query parameters (all optional): key, pos (bottom-left, bottom-center, bottom-right, top-left,
// top-center, top-right), accent, bg, fg (CSS colours), scale (0.5–2), logo (image URL),
// answer=0 (never show the answer's lines), width (px).

const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
const parts = location.pathname.split("/").filter(Boolean);
const slug = parts[1] || "";
const key = params.get("key") || "";
const showAnswer = params.get("answer") !== "0";
const LEAVE_MS = matchMedia("(prefers-reduced-motion: reduce)").matches ? 0 : 260;

let session = { disclaimer: "", specialists: [] };
let shown = null;
let source = null;
let retry = 2000;

/** Only plain colour values reach the stylesheet (no url(), no expressions). */
function colour(v) {
  return v && /^(#[0-9a-f]{3,8}|[a-z]{3,20}|rgba?\([\d\s.,%/]+\)|hsla?\([\d\s.,%/deg]+\))$/i.test(v) ? v : null;
}

function theme() {
  const root = document.documentElement;
  const pos = params.get("pos") || "bottom-left";
  root.dataset.pos = /^(top|bottom)-(left|center|right)$/.test(pos) ? pos : "bottom-left";
  for (const [param, prop] of [["accent", "--ov-accent"], ["bg", "--ov-bg"], ["fg", "--ov-fg"]]) {
    const c = colour(params.get(param));
    if (c) root.style.setProperty(prop, c);
  }
  const scale = Number(params.get("scale"));
  if (scale >= 0.5 && scale <= 2) root.style.setProperty("--ov-scale", String(scale));
  const width = Number(params.get("width"));
  if (width >= 400 && width <= 1900) root.style.setProperty("--ov-width", width + "px");
  const logo = params.get("logo");
  if (logo && /^(https:\/\/|\/)/.test(logo)) {
    $("logo").src = logo;
    $("logo").hidden = false;
    $("card").classList.add("with-logo");
  }
}

function render(q) {
  const card = $("card");
  if (!q) {
    if (card.hidden) return;
    card.classList.add("leaving");
    setTimeout(() => {
      if (shown) return; // something went on air meanwhile
      card.hidden = true;
      card.classList.remove("leaving");
    }, LEAVE_MS);
    return;
  }
  card.classList.remove("leaving");
  $("asked-by").textContent = q.asked_by;
  $("question").textContent = q.text;
  $("answer").hidden = !(showAnswer && q.answer);
  $("answer").textContent = showAnswer && q.answer ? q.answer : "";
  const who = q.specialist || session.specialists[0];
  $("specialist").textContent = who ? [who.name, who.credentials].filter(Boolean).join(", ") : "";
  $("disclaimer").textContent = session.disclaimer;
  card.hidden = false;
}

function onMessage(m) {
  let msg;
  try { msg = JSON.parse(m.data); } catch (_) { return; }
  retry = 2000;
  if (msg.type === "state") {
    session = { disclaimer: msg.disclaimer, specialists: msg.specialists || [] };
    shown = msg.showing || null;
  } else if (msg.type === "show") {
    shown = msg.question;
  } else if (msg.type === "off_air") {
    if (shown && shown.id === msg.question_id) shown = null;
  }
  render(shown);
}

function connect() {
  if (!slug || !key) return; // nothing to show, and nothing to ask for
  source = new EventSource(`/overlay/${encodeURIComponent(slug)}/events?key=${encodeURIComponent(key)}`);
  source.onmessage = onMessage;
  // The stream cannot continue in order: start again from the current state.
  source.addEventListener("reload", () => { source.close(); connect(); });
  source.onerror = () => {
    // The browser retries a dropped stream by itself; a refused one (wrong or rotated key,
    // server restarting) is closed: try again slowly, showing nothing meanwhile.
    if (source.readyState === EventSource.CLOSED) {
      shown = null;
      render(null);
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    }
  };
}

theme();
connect();
