// Small DOM helpers shared by the screens: element building, announcements for screen readers,
// toasts with an optional action, the connection indicator, and human times.

/** el("button.primary", {onclick}, "Approve") → <button class="primary">Approve</button> */
export function el(spec, attrs = {}, ...children) {
  const [tag, ...classes] = spec.split(".");
  const node = document.createElement(tag || "div");
  if (classes.length) node.className = classes.join(" ");
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

let liveRegion;
/** Says `text` to screen readers without moving focus. */
export function announce(text) {
  if (!liveRegion) {
    liveRegion = el("div.visually-hidden", { "aria-live": "polite", role: "status" });
    document.body.append(liveRegion);
  }
  liveRegion.textContent = "";
  setTimeout(() => { liveRegion.textContent = text; }, 30);
}

let toastBox;
/** A short message at the bottom; `action` adds a button (e.g. Undo) until it expires. */
export function toast(text, { error = false, action = null, ms = 5000 } = {}) {
  if (!toastBox) {
    toastBox = el("div.toasts");
    document.body.append(toastBox);
  }
  const t = el("div.toast" + (error ? ".error" : ""), { role: error ? "alert" : "status" }, el("span", {}, text));
  if (action) {
    t.append(el("button", { type: "button", onclick: () => { t.remove(); action.run(); } }, action.label));
  }
  toastBox.append(t);
  setTimeout(() => t.remove(), ms);
  return t;
}

const STATE_TEXT = { live: "Live", connecting: "Connecting…", offline: "Offline" };
/** Updates the connection indicator (and the banner, when something is wrong). */
export function showConnection(indicator, banner, state, detail) {
  indicator.dataset.state = state;
  indicator.textContent = STATE_TEXT[state] + (detail && state !== "live" ? ` · ${detail}` : "");
  if (banner) {
    banner.hidden = state === "live" || state === "connecting" && !detail;
    banner.textContent = state === "offline"
      ? `Connection lost. ${detail || "Retrying"} — nothing you typed is lost.`
      : detail || "";
  }
}

/** "just now", "4 min", "1 h 5 min" */
export function age(ms) {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 45) return "just now";
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export const PLATFORM_NAME = { facebook: "Facebook", instagram: "Instagram", web: "Web form" };
export const FLAG_TEXT = {
  phi: "Private health info", emergency: "Emergency", personal_advice: "Personal advice",
  spam: "Spam", duplicate_candidate: "Possible duplicate", myth: "Myth", removed: "Removed at source",
  hidden: "Hidden at source",
};
export const STATE_TEXT_Q = {
  new: "New", approved: "Approved", rejected: "Rejected", merged: "Merged", on_air: "On air",
  answered: "Answered", corrected: "Corrected",
};

/** The session id from a path like /console/12. */
export function pathId() {
  const n = Number(location.pathname.split("/").filter(Boolean)[1]);
  return Number.isInteger(n) && n > 0 ? n : null;
}

/** Keeps a draft in localStorage under `key`, so a reload or a sign-in loses nothing. */
export const drafts = {
  get(key) { return localStorage.getItem("curbside.draft." + key) || ""; },
  set(key, text) {
    if (text) localStorage.setItem("curbside.draft." + key, text);
    else localStorage.removeItem("curbside.draft." + key);
  },
};
