// The producer and admin set-up page: sessions (create, edit, go live, end, the overlay link),
// their sources with health in words, staff accounts, and the after-session report. Views are
// picked by the URL's hash (#s/3/sources), so every view has a link and the back button works.
// Every form is checked by the server; its `field` error is shown next to that field.

import { api, me, signOut } from "../shared/api.js";
import { el, toast, announce, PLATFORM_NAME, FLAG_TEXT, STATE_TEXT_Q } from "../shared/ui.js";

const $ = (id) => document.getElementById(id);
const STATUS = { live: "Live", scheduled: "Scheduled", ended: "Ended" };
let user = null;
let sessions = [];
let specialists = null; // [{id, name, credentials}], loaded once

// ---------------------------------------------------------------- small helpers

function fmtTime(ms) {
  if (!ms) return "—";
  return new Date(ms).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function fmtDuration(ms) {
  if (ms === null || ms === undefined) return "—";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** unix ms → the value of an <input type="datetime-local"> in local time. */
function toLocalInput(ms) {
  if (!ms) return "";
  const d = new Date(ms);
  return new Date(ms - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

/** A labelled form field with its error slot: the server's `field` error lands in the slot. */
function field(name, label, input, hint) {
  input.id = input.id || "f-" + name;
  input.name = name;
  const errId = input.id + "-error";
  const hintId = hint ? input.id + "-hint" : null;
  input.setAttribute("aria-describedby", [hintId, errId].filter(Boolean).join(" "));
  return el("div.field", { dataset: { field: name } },
    el("label", { for: input.id }, label),
    input,
    hint ? el("p.hint.muted", { id: hintId }, hint) : null,
    el("p.field-error", { id: errId, hidden: true }));
}

function clearErrors(form) {
  for (const p of form.querySelectorAll(".field-error, .form-error")) { p.textContent = ""; p.hidden = true; }
  for (const i of form.querySelectorAll("[aria-invalid]")) i.removeAttribute("aria-invalid");
}

/** Shows an API error next to its field (or at the top of the form) and focuses that field. */
function showError(form, e) {
  const slot = e.field && form.querySelector(`[data-field="${e.field}"]`);
  if (slot) {
    const p = slot.querySelector(".field-error");
    p.textContent = e.message;
    p.hidden = false;
    const input = slot.querySelector("input, select, textarea");
    if (input) { input.setAttribute("aria-invalid", "true"); input.focus(); }
  } else {
    const p = form.querySelector(".form-error");
    p.textContent = e.message;
    p.hidden = false;
  }
}

/** Submits a form through `send`; disables its button meanwhile; errors land next to fields. */
function onSubmit(form, send) {
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    try {
      await send();
    } catch (e) {
      showError(form, e);
    } finally {
      if (button) button.disabled = false;
    }
  });
}

/** A button that asks once more before doing something hard to take back. */
function confirmButton(label, confirmLabel, cls, run) {
  let armed = false;
  const b = el("button" + cls, { type: "button" }, label);
  b.addEventListener("click", async () => {
    if (!armed) {
      armed = true;
      b.textContent = confirmLabel;
      b.classList.add("danger");
      setTimeout(() => { if (armed) { armed = false; b.textContent = label; b.classList.remove("danger"); } }, 6000);
      return;
    }
    armed = false;
    b.disabled = true;
    try { await run(); } catch (e) { toast(e.message, { error: true }); b.disabled = false; b.textContent = label; }
  });
  return b;
}

function showView(...children) {
  const view = $("view");
  view.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  const h = view.querySelector("h2");
  if (h) { h.tabIndex = -1; h.focus({ preventScroll: true }); }
}

function failView(e) {
  showView(el("h2", {}, "This part cannot be shown"), el("p.form-error", { role: "alert" }, e.message));
}

async function loadSessions() {
  sessions = (await api("GET", "/api/sessions")).sessions;
  renderSessionList();
}

function renderSessionList() {
  const [, current] = location.hash.match(/^#s\/(\d+)/) || [];
  $("no-sessions").hidden = sessions.length > 0;
  $("session-list").replaceChildren(...sessions.map((s) => el("li", {},
    el("a", { href: `#s/${s.id}/details`, "aria-current": String(s.id) === current ? "page" : false },
      el("span.s-title", {}, s.title),
      el("span.s-meta", {},
        el("span.badge" + (s.status === "live" ? ".state-on_air" : ""), {}, STATUS[s.status]),
        el("span.muted", {}, s.starts_at ? fmtTime(s.starts_at) : `/s/${s.slug}`))))));
}

async function loadSpecialists() {
  if (!specialists) specialists = (await api("GET", "/api/specialists")).specialists;
  return specialists;
}

// ---------------------------------------------------------------- sessions overview and form

function overview() {
  const live = sessions.filter((s) => s.status === "live");
  const needsAttention = sessions.flatMap((s) => s.sources
    .filter((src) => ["needs_reauth", "permission_denied", "degraded"].includes(src.health.state))
    .map((src) => ({ s, src })));
  showView(
    el("h2", {}, "Sessions"),
    el("p.muted", {}, `${sessions.length} session${sessions.length === 1 ? "" : "s"} · ${live.length} live now`),
    needsAttention.length ? el("div.notice.warn", { role: "status" },
      el("strong", {}, "Sources need attention: "),
      ...needsAttention.map(({ s, src }, i) => [i ? ", " : "",
        el("a", { href: `#s/${s.id}/sources` }, `${s.title} (${PLATFORM_NAME[src.platform]}: ${HEALTH[src.health.state].word})`)])) : null,
    sessions.length ? el("table.list", {},
      el("caption.visually-hidden", {}, "All sessions"),
      el("thead", {}, el("tr", {}, ...["Session", "Status", "Scheduled", "Sources", "Specialists", ""].map((h) => el("th", { scope: "col" }, h || el("span.visually-hidden", {}, "Actions"))))),
      el("tbody", {}, ...sessions.map((s) => el("tr", {},
        el("th", { scope: "row" }, el("a", { href: `#s/${s.id}/details` }, s.title), el("div.muted.small", {}, `/s/${s.slug}`)),
        el("td", {}, el("span.badge" + (s.status === "live" ? ".state-on_air" : ""), {}, STATUS[s.status])),
        el("td", {}, fmtTime(s.starts_at)),
        el("td", {}, s.sources.length ? s.sources.map((src) => el("span.health", { dataset: { state: src.health.state } }, PLATFORM_NAME[src.platform])) : el("span.muted", {}, "none")),
        el("td", {}, String(s.specialists.length)),
        el("td.actions", {}, s.status === "ended" ? el("a", { href: `#s/${s.id}/report` }, "Report") : el("a", { href: `/console/${s.id}` }, "Console")))))) : null);
}

/** The session form: the same fields for "new" and "edit". */
async function sessionForm(s) {
  const people = await loadSpecialists().catch(() => []);
  const form = el("form.card.pad", { novalidate: true },
    el("p.form-error", { role: "alert", hidden: true }),
    field("title", "Title", el("input", { type: "text", required: true, maxlength: 200, value: s ? s.title : "" })),
    field("slug", "Public address", el("input", { type: "text", maxlength: 64, value: s ? s.slug : "", autocapitalize: "off", spellcheck: "false" }),
      s ? "Lowercase letters, digits and single dashes. Changing it changes the public link and the overlay URL."
        : "Leave empty to derive it from the title. Lowercase letters, digits and single dashes."),
    field("starts_at", "Scheduled start", el("input", { type: "datetime-local", value: toLocalInput(s && s.starts_at) }),
      "Shown on the public page while the session is upcoming."),
    field("disclaimer", "Disclaimer", el("textarea", { rows: 3, maxlength: 500 }, s ? s.disclaimer : ""),
      s ? "Shown under every answer and on the overlay." : "Leave empty for the general-information disclaimer."),
    s ? field("recording_url", "Recording link", el("input", { type: "url", value: s.recording_url || "", placeholder: "https://…" }),
      "After the broadcast: the transcript links each answer to its moment.") : null,
    el("fieldset.field", { dataset: { field: "specialists" } },
      el("legend", {}, "Specialists"),
      people.length ? el("div.checks", {}, ...people.map((p) => el("label.check", {},
        el("input", { type: "checkbox", name: "specialist", value: p.id, checked: s && s.specialists.includes(p.id) }),
        el("span", {}, p.name, p.credentials ? el("span.muted", {}, `, ${p.credentials}`) : null))))
        : el("p.muted", {}, "No specialist accounts yet: an admin creates them under Staff."),
      el("p.field-error", { hidden: true })),
    el("div.form-actions", {}, el("button.primary", { type: "submit" }, s ? "Save changes" : "Create session")));
  onSubmit(form, async () => {
    const v = (n) => form.elements[n] ? form.elements[n].value : "";
    const chosen = [...form.querySelectorAll("input[name=specialist]:checked")].map((c) => Number(c.value));
    const startsAt = v("starts_at") ? new Date(v("starts_at")).getTime() : null;
    if (s) {
      const body = { title: v("title"), slug: v("slug").trim(), disclaimer: v("disclaimer"), starts_at: startsAt,
        recording_url: v("recording_url").trim() || null, specialists: chosen };
      await api("PATCH", `/api/sessions/${s.id}`, body);
      toast("Saved.");
      announce("Session saved.");
      await loadSessions();
      route();
    } else {
      const created = await api("POST", "/api/sessions", { title: v("title"), slug: v("slug").trim() || undefined,
        disclaimer: v("disclaimer").trim() || undefined, specialists: chosen });
      if (startsAt !== null) await api("PATCH", `/api/sessions/${created.id}`, { starts_at: startsAt });
      toast("Session created.");
      await loadSessions();
      location.hash = `#s/${created.id}/details`;
    }
  });
  return form;
}

async function newSession() {
  showView(el("h2", {}, "New session"), await sessionForm(null));
}

function sessionHeader(s, tab) {
  const status = async (to) => {
    await api("PATCH", `/api/sessions/${s.id}`, { status: to });
    toast(to === "live" ? "The session is live." : "The session has ended.");
    await loadSessions();
    route();
  };
  const tabs = [["details", "Details"], ["sources", "Sources"], ["report", "Report"]];
  return [
    el("div.view-head", {},
      el("div", {},
        el("h2", {}, s.title),
        el("p.muted", {}, el("span.badge" + (s.status === "live" ? ".state-on_air" : ""), {}, STATUS[s.status]), " ",
          s.started_at ? `started ${fmtTime(s.started_at)}` : s.starts_at ? `scheduled ${fmtTime(s.starts_at)}` : "not scheduled",
          s.ended_at ? ` · ended ${fmtTime(s.ended_at)}` : "")),
      el("div.head-actions", {},
        s.status !== "live" ? el("button.primary", { type: "button", onclick: () => status("live").catch((e) => toast(e.message, { error: true })) },
          s.status === "ended" ? "Go live again" : "Go live") : null,
        s.status === "live" ? confirmButton("End session", "Confirm: end now", "", () => status("ended")) : null,
        el("a.button", { href: `/console/${s.id}` }, "Console"),
        el("a.button", { href: `/tablet/${s.id}` }, "Tablet"),
        el("a.button", { href: s.public_url }, "Public page"))),
    el("nav.subtabs", { "aria-label": "Session" }, ...tabs.map(([k, label]) =>
      el("a", { href: `#s/${s.id}/${k}`, "aria-current": k === tab ? "page" : false }, label))),
  ];
}

async function sessionDetails(s) {
  const overlay = el("input", { id: "overlay-url", type: "text", readonly: true, value: s.overlay_url });
  const copy = el("button", { type: "button", onclick: async () => {
    try { await navigator.clipboard.writeText(s.overlay_url); toast("Overlay URL copied."); }
    catch (_) { overlay.select(); toast("Press Ctrl+C (⌘C) to copy the selected URL."); }
  } }, "Copy");
  const rotate = confirmButton("Rotate key", "Confirm: the old URL stops working", "", async () => {
    await api("POST", `/api/sessions/${s.id}/overlay-key`);
    toast("New overlay URL: update the browser source in OBS or vMix.");
    await loadSessions();
    route();
  });
  showView(...sessionHeader(s, "details"),
    el("div.columns", {},
      el("section", { "aria-labelledby": "details-h" }, el("h3", { id: "details-h" }, "Details"), await sessionForm(s)),
      el("section", { "aria-labelledby": "overlay-h" },
        el("h3", { id: "overlay-h" }, "On-air overlay"),
        el("div.card.pad", {},
          el("div.field", {}, el("label", { for: "overlay-url" }, "Browser source URL for OBS or vMix"),
            el("div.inline", {}, overlay, copy)),
          el("p.muted.small", {}, "Anyone with this link sees the overlay. Rotate the key if it leaked."),
          rotate))));
}

// ---------------------------------------------------------------- sources

const HEALTH = {
  idle: { word: "Connected", detail: "waiting for the first comment", tone: "ok" },
  healthy: { word: "Connected", detail: "comments arriving", tone: "ok" },
  degraded: { word: "Throttled", detail: "the platform is slowing us down or failing; retrying by itself", tone: "warn" },
  needs_reauth: { word: "Needs re-authorisation", detail: "the token expired or was revoked: paste a new one", tone: "bad" },
  permission_denied: { word: "Permission missing", detail: "the token lacks a permission: fix it in Meta, then paste the new token", tone: "bad" },
  stopped: { word: "Stopped", detail: "the live video ended", tone: "muted" },
};

function sourceIds(spec) {
  return spec.platform === "facebook"
    ? `Page ${spec.page_id} · live video ${spec.live_video_id}${spec.video_id ? ` · video ${spec.video_id}` : ""}`
    : `Account ${spec.ig_user_id} · media ${spec.media_id}`;
}

function sourceCard(s, src) {
  const h = HEALTH[src.health.state] || HEALTH.idle;
  const tokenForm = el("form.token-form", { novalidate: true, hidden: true },
    el("p.form-error", { role: "alert", hidden: true }),
    field("access_token", "New access token", el("input", { id: `token-${src.id}`, type: "password", autocomplete: "off", required: true })),
    el("div.form-actions", {}, el("button.primary", { type: "submit" }, "Save token"),
      el("button", { type: "button", onclick: () => { tokenForm.hidden = true; } }, "Cancel")));
  onSubmit(tokenForm, async () => {
    await api("PUT", `/api/sessions/${s.id}/sources/${src.id}/token`, { access_token: tokenForm.elements.access_token.value });
    toast("Token replaced; the source reconnects.");
    await loadSessions();
    route();
  });
  return el("li.card.pad.source", { dataset: { source: src.id } },
    el("div.source-head", {},
      el("span.badge." + src.platform, {}, PLATFORM_NAME[src.platform]),
      el("span.health-word", { dataset: { tone: h.tone } }, h.word),
      el("span.spacer"),
      el("button", { type: "button", onclick: () => { tokenForm.hidden = false; tokenForm.querySelector("input").focus(); } },
        src.health.state === "needs_reauth" ? "Replace expired token" : "Replace token"),
      confirmButton("Remove", "Confirm: remove source", "", async () => {
        await api("DELETE", `/api/sessions/${s.id}/sources/${src.id}`);
        toast("Source removed.");
        await loadSessions();
        route();
      })),
    el("p", {}, h.detail.charAt(0).toUpperCase() + h.detail.slice(1) + "."),
    el("dl.facts", {},
      el("dt", {}, "Last comment"), el("dd", {}, src.health.last_comment_at ? fmtTime(src.health.last_comment_at) : "none yet"),
      src.health.usage_percent !== null && src.health.usage_percent !== undefined
        ? [el("dt", {}, "Rate limit used"), el("dd", {}, `${Math.round(src.health.usage_percent)} %`)] : null,
      el("dt", {}, "Platform ids"), el("dd.mono", {}, sourceIds(src)),
      src.health.last_error ? [el("dt", {}, "Last error"), el("dd", {}, src.health.last_error)] : null),
    tokenForm);
}

function addSourceForm(s) {
  const platform = el("select", {}, el("option", { value: "facebook" }, "Facebook Live"), el("option", { value: "instagram" }, "Instagram Live"));
  const fb = el("div.fields", {},
    field("page_id", "Page id", el("input", { type: "text", inputmode: "numeric" })),
    field("live_video_id", "Live video id", el("input", { type: "text", inputmode: "numeric" })),
    field("video_id", "Video id (optional)", el("input", { type: "text", inputmode: "numeric" }), "Looked up from the live video when empty."));
  const ig = el("div.fields", { hidden: true },
    field("ig_user_id", "Instagram account id", el("input", { type: "text", inputmode: "numeric" })),
    field("media_id", "Live media id", el("input", { type: "text", inputmode: "numeric" })));
  platform.addEventListener("change", () => { fb.hidden = platform.value !== "facebook"; ig.hidden = platform.value !== "instagram"; });
  const form = el("form.card.pad", { id: "add-source", novalidate: true },
    el("p.form-error", { role: "alert", hidden: true }),
    field("platform", "Platform", platform), fb, ig,
    field("access_token", "Access token", el("input", { id: "new-token", type: "password", autocomplete: "off" }),
      "The Page or Instagram token. Stored encrypted; never shown again."),
    el("div.form-actions", {}, el("button.primary", { type: "submit" }, "Add source")));
  onSubmit(form, async () => {
    const v = (n) => form.elements[n].value.trim();
    const body = platform.value === "facebook"
      ? { platform: "facebook", page_id: v("page_id"), live_video_id: v("live_video_id"), video_id: v("video_id") || undefined }
      : { platform: "instagram", ig_user_id: v("ig_user_id"), media_id: v("media_id") };
    body.access_token = form.elements.access_token.value;
    await api("POST", `/api/sessions/${s.id}/sources`, body);
    toast("Source added.");
    await loadSessions();
    route();
  });
  return form;
}

function sessionSources(s) {
  showView(...sessionHeader(s, "sources"),
    el("div.columns", {},
      el("section", { "aria-labelledby": "sources-h" },
        el("h3", { id: "sources-h" }, "Sources"),
        s.sources.length ? el("ul.sources", {}, ...s.sources.map((src) => sourceCard(s, src)))
          : el("p.muted", {}, "No sources yet: comments arrive only from the sources listed here.")),
      el("section", { "aria-labelledby": "add-h" }, el("h3", { id: "add-h" }, "Add a source"), addSourceForm(s))));
}

// ---------------------------------------------------------------- report

/** Comments per minute as stacked bars, one colour per platform, drawn as inline SVG. */
function chart(minutes) {
  const NS = "http://www.w3.org/2000/svg";
  const svg = (tag, attrs = {}, ...kids) => {
    const n = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    for (const k of kids) n.append(k instanceof Node ? k : document.createTextNode(String(k)));
    return n;
  };
  const W = 720, H = 240, L = 40, B = 28, T = 10, R = 10;
  const max = Math.max(1, ...minutes.map((m) => m.facebook + m.instagram + m.web));
  const bw = (W - L - R) / Math.max(1, minutes.length);
  const y = (v) => T + (H - T - B) * (1 - v / max);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-labelledby": "chart-title" },
    svg("title", { id: "chart-title" }, `Comments per minute by platform, at most ${max} in one minute`));
  for (const v of [0, Math.ceil(max / 2), max]) {
    root.append(svg("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), class: "grid" }),
      svg("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end", class: "axis" }, v));
  }
  minutes.forEach((m, i) => {
    let base = 0;
    for (const p of ["facebook", "instagram", "web"]) {
      if (!m[p]) continue;
      root.append(svg("rect", { x: L + i * bw + bw * 0.1, width: Math.max(1, bw * 0.8), y: y(base + m[p]), height: y(base) - y(base + m[p]), class: "bar " + p },
        svg("title", {}, `${new Date(m.minute).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}: ${m[p]} on ${PLATFORM_NAME[p]}`)));
      base += m[p];
    }
  });
  const label = (i) => new Date(minutes[i].minute).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  if (minutes.length) {
    root.append(svg("text", { x: L, y: H - 8, class: "axis" }, label(0)),
      svg("text", { x: W - R, y: H - 8, "text-anchor": "end", class: "axis" }, label(minutes.length - 1)));
  }
  return root;
}

function countTable(caption, rows, names) {
  return el("table.counts", {},
    el("caption", {}, caption),
    el("tbody", {}, ...(rows.length ? rows.map((r) => el("tr", {}, el("th", { scope: "row" }, names[r.name] || r.name), el("td", {}, String(r.count))))
      : [el("tr", {}, el("td.muted", { colspan: 2 }, "none"))])));
}

async function sessionReport(s) {
  showView(...sessionHeader(s, "report"), el("p.muted", {}, "Loading the report…"));
  const r = await api("GET", `/api/sessions/${s.id}/report`);
  const answered = r.answer_times.answered;
  const totals = ["facebook", "instagram", "web"].map((p) => [p, r.comments_per_minute.reduce((n, m) => n + m[p], 0)]).filter(([, n]) => n);
  const csv = `/api/sessions/${s.id}/report/unanswered.csv`;
  showView(...sessionHeader(s, "report"),
    s.status !== "ended" ? el("p.notice", {}, "The session has not ended: these figures are as of now.") : null,
    el("div.stats", {},
      el("div.stat", {}, el("span.n", {}, String(r.comments)), el("span.l", {}, "comments")),
      el("div.stat", {}, el("span.n", {}, String(answered)), el("span.l", {}, "answered")),
      el("div.stat", {}, el("span.n", {}, fmtDuration(r.answer_times.median_ms)), el("span.l", {}, "median comment → answer")),
      el("div.stat", {}, el("span.n", {}, fmtDuration(r.answer_times.p90_ms)), el("span.l", {}, "90th percentile")),
      el("div.stat", {}, el("span.n", {}, String(r.unanswered.length)), el("span.l", {}, "approved, unanswered"))),
    el("section.card.pad", { "aria-labelledby": "cpm-h" },
      el("h3", { id: "cpm-h" }, "Comments per minute"),
      r.comments_per_minute.length ? chart(r.comments_per_minute) : el("p.muted", {}, "No comments arrived."),
      el("p.legend", {}, ...totals.map(([p, n]) => el("span.key." + p, {}, `${PLATFORM_NAME[p]}: ${n}`)))),
    el("div.report-grid", {},
      el("section.card.pad", {}, countTable("Questions by state", r.questions_by_state, STATE_TEXT_Q)),
      el("section.card.pad", {}, countTable("Questions by flag", r.questions_by_flag, FLAG_TEXT)),
      el("section.card.pad", { "aria-labelledby": "topics-h" },
        el("h3", { id: "topics-h" }, "Most asked topics"),
        r.topics.length ? el("ol.topics", {}, ...r.topics.map((t) => el("li", {}, el("span", {}, t.name), el("span.muted", {}, ` ${t.count}`))))
          : el("p.muted", {}, "Not enough questions yet."))),
    el("section.card.pad", { "aria-labelledby": "unanswered-h" },
      el("div.section-head", {},
        el("h3", { id: "unanswered-h" }, "Follow up: approved but not answered"),
        el("a.button", { id: "unanswered-csv", href: csv, download: `session-${s.id}-unanswered.csv` }, "Download CSV")),
      r.unanswered.length ? el("ol.unanswered", {}, ...r.unanswered.map((q) => el("li", {},
        el("span", {}, q.public_text),
        el("span.muted.small", {}, ` — ${q.platforms.map((p) => PLATFORM_NAME[p]).join(", ") || "—"}, asked by ${q.asked_by_count}, ${fmtTime(q.created_at)}`))))
        : el("p.muted", {}, "Every approved question was answered.")));
}

// ---------------------------------------------------------------- staff

const ROLES = ["admin", "producer", "moderator", "specialist"];
const ROLE_TEXT = { admin: "Admin", producer: "Producer", moderator: "Moderator", specialist: "Specialist" };

function staffRow(u) {
  const role = el("select", { id: `role-${u.id}`, disabled: u.id === user.id }, ...ROLES.map((r) => el("option", { value: r, selected: r === u.role }, ROLE_TEXT[r])));
  role.addEventListener("change", async () => {
    try {
      await api("PATCH", `/api/users/${u.id}`, { role: role.value });
      toast(`${u.name} is now ${ROLE_TEXT[role.value].toLowerCase()}.`);
      specialists = null;
    } catch (e) { toast(e.message, { error: true }); role.value = u.role; }
  });
  const reset = el("form.reset-form", { novalidate: true },
    el("p.form-error", { role: "alert", hidden: true }),
    field("password", `New password for ${u.name}`, el("input", { id: `reset-${u.id}`, type: "password", autocomplete: "new-password" }),
      "At least 12 characters. They are signed out everywhere."),
    el("div.form-actions", {}, el("button.primary", { type: "submit" }, "Set password"),
      el("button", { type: "button", onclick: () => { resetRow.hidden = true; } }, "Cancel")));
  const resetRow = el("tr.reset-row", { hidden: true }, el("td", { colspan: 4 }, reset));
  onSubmit(reset, async () => {
    await api("PATCH", `/api/users/${u.id}`, { password: reset.elements.password.value });
    resetRow.hidden = true;
    toast(`Password for ${u.name} reset.`);
  });
  return [
    el("tr", { dataset: { user: u.id } },
      el("th", { scope: "row" }, u.name, u.credentials ? el("div.muted.small", {}, u.credentials) : null),
      el("td", {}, u.email),
      el("td", {}, el("label.visually-hidden", { for: `role-${u.id}` }, `Role of ${u.name}`), role),
      el("td.actions", {},
        u.id === user.id
          // One's own password needs the current one (and keeps this sign-in).
          ? el("button", { type: "button", onclick: () => $("password").click() }, "Change password")
          : el("button", { type: "button", onclick: () => { resetRow.hidden = false; reset.querySelector("input").focus(); } }, "Reset password"),
        u.id === user.id ? el("span.muted.small", {}, "you") : confirmButton("Disable", "Confirm: disable", "", async () => {
          await api("PATCH", `/api/users/${u.id}`, { disabled: true });
          toast(`${u.name} is disabled and signed out.`);
          specialists = null;
          route();
        }))),
    resetRow,
  ];
}

async function staff() {
  if (user.role !== "admin") {
    showView(el("h2", {}, "Staff"), el("p.form-error", { role: "alert" }, "Staff accounts need the role admin."));
    return;
  }
  const { users, disabled } = await api("GET", "/api/users");
  const form = el("form.card.pad", { id: "new-user", novalidate: true },
    el("p.form-error", { role: "alert", hidden: true }),
    field("name", "Name", el("input", { id: "u-name", type: "text", autocomplete: "off" })),
    field("email", "Work email", el("input", { id: "u-email", type: "email", autocomplete: "off" })),
    field("role", "Role", el("select", { id: "u-role" }, ...ROLES.map((r) => el("option", { value: r, selected: r === "moderator" }, ROLE_TEXT[r])))),
    field("credentials", "Credentials (specialists)", el("input", { id: "u-credentials", type: "text", placeholder: "MD, Cardiology" })),
    field("password", "First password", el("input", { id: "u-password", type: "password", autocomplete: "new-password" }), "At least 12 characters; tell them to change it."),
    el("div.form-actions", {}, el("button.primary", { type: "submit" }, "Create account")));
  onSubmit(form, async () => {
    const v = (n) => form.elements[n].value;
    await api("POST", "/api/users", { name: v("name"), email: v("email"), role: v("role"), credentials: v("credentials"), password: v("password") });
    toast(`Account for ${v("name")} created.`);
    specialists = null;
    route();
  });
  showView(
    el("h2", {}, "Staff"),
    el("div.columns.staff", {},
      el("section", { "aria-labelledby": "people-h" },
        el("h3", { id: "people-h" }, `Active accounts (${users.length})`),
        el("div.card.scroll", {}, el("table.list", { id: "staff-table" },
          el("thead", {}, el("tr", {}, ...["Name", "Email", "Role", ""].map((h) => el("th", { scope: "col" }, h || el("span.visually-hidden", {}, "Actions"))))),
          el("tbody", {}, ...users.flatMap(staffRow)))),
        disabled.length ? [el("h3", {}, `Disabled accounts (${disabled.length})`),
          el("ul.disabled-list.card.pad", {}, ...disabled.map((u) => el("li", { dataset: { user: u.id } },
            el("span", {}, `${u.name} · ${u.email} · disabled ${fmtTime(u.disabled_at)}`),
            el("button", { type: "button", onclick: async () => {
              try { await api("PATCH", `/api/users/${u.id}`, { disabled: false }); toast(`${u.name} can sign in again.`); route(); }
              catch (e) { toast(e.message, { error: true }); }
            } }, "Enable"))))] : null),
      el("section", { "aria-labelledby": "new-user-h" }, el("h3", { id: "new-user-h" }, "New account"), form)));
}

// ---------------------------------------------------------------- routing and start

async function route() {
  const hash = location.hash;
  $("nav-sessions").setAttribute("aria-current", hash.startsWith("#staff") ? "false" : "page");
  $("nav-staff").setAttribute("aria-current", hash.startsWith("#staff") ? "page" : "false");
  document.body.dataset.view = hash.startsWith("#staff") ? "staff" : "sessions";
  renderSessionList();
  try {
    const m = hash.match(/^#s\/(\d+)(?:\/(details|sources|report))?$/);
    if (m) {
      const s = sessions.find((x) => x.id === Number(m[1]));
      if (!s) { showView(el("h2", {}, "No such session"), el("p", {}, el("a", { href: "#sessions" }, "Back to all sessions"))); return; }
      if (m[2] === "sources") sessionSources(s);
      else if (m[2] === "report") await sessionReport(s);
      else await sessionDetails(s);
    } else if (hash === "#new") {
      await newSession();
    } else if (hash === "#staff") {
      await staff();
    } else {
      overview();
    }
  } catch (e) {
    failView(e);
  }
}

function passwordDialog() {
  const dialog = $("password-dialog");
  const form = $("password-form");
  $("password").addEventListener("click", () => { form.reset(); clearErrors(form); dialog.showModal(); });
  $("pw-cancel").addEventListener("click", () => dialog.close());
  for (const [id, name] of [["pw-current", "current_password"], ["pw-new", "new_password"]]) {
    $(id).closest(".field").dataset.field = name;
  }
  form.prepend(el("p.form-error", { role: "alert", hidden: true }));
  onSubmit(form, async () => {
    await api("POST", "/api/me/password", { current_password: $("pw-current").value, new_password: $("pw-new").value });
    dialog.close();
    toast("Your password is changed. Your other devices are signed out.");
  });
}

async function main() {
  $("sign-out").addEventListener("click", () => signOut(false));
  passwordDialog();
  try {
    user = await me();
  } catch (e) {
    $("banner").textContent = e.message;
    $("banner").hidden = false;
    return;
  }
  $("who").textContent = `${user.name} · ${user.role}`;
  if (user.role !== "admin" && user.role !== "producer") {
    $("main").replaceChildren(el("section.view.card.pad", {},
      el("h2", {}, "Set-up needs the role producer or admin"),
      el("p", {}, `You are signed in as a ${user.role}. `, el("a", { href: "/" }, "Go to your sessions"), ".")));
    return;
  }
  $("nav-staff").hidden = user.role !== "admin";
  try {
    await loadSessions();
  } catch (e) {
    $("banner").textContent = e.message;
    $("banner").hidden = false;
  }
  window.addEventListener("hashchange", route);
  await route();
  document.body.dataset.ready = "true";
}

main();
