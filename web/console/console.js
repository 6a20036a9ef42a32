// The moderator console: the live queue of one session, triage actions by keyboard, mouse, touch
// and screen reader, and several moderators at once. State comes from the staff API; every
// change after that arrives over /ws as a whole-question snapshot, applied by id and version.

import { api, me, onLeaveForSignIn, signOut } from "../shared/api.js";
import { follow } from "../shared/live.js";
import {
  el, announce, toast, age, pathId, drafts, PLATFORM_NAME, FLAG_TEXT, STATE_TEXT_Q,
} from "../shared/ui.js";

const $ = (id) => document.getElementById(id);
const sessionId = pathId();
const UNDO_MS = 10000;
/** Nodes built per animation frame on first load: thousands of questions never freeze the page. */
const CHUNK = 250;

const questions = new Map(); // id → question
const nodes = new Map();     // id → <li>
const unseen = new Set();    // arrived while the moderator was reading
const notes = new Map();     // backstage note id → note
const followUp = new Set();  // emergencies without a recorded outcome (the follow-up list)
const SOUND_KEY = "curbside.console.alertSound";
let selectedId = null;
let lastUndoable = null;     // { id, at, label }
let loaded = false;

const filters = { state: "new", platform: "", flag: "", text: "" };

// ---------- ordering and filtering ----------

/** An emergency stays pinned and alerted until someone records its outcome (the follow-up list). */
function isEmergency(q) {
  return q.flags.includes("emergency") && followUp.has(q.id);
}
function hiddenAtSource(q) { return q.flags.includes("removed") || q.flags.includes("hidden"); }

/** Emergencies first, then oldest first: the order everyone shares. */
function before(a, b) {
  const ea = isEmergency(a), eb = isEmergency(b);
  if (ea !== eb) return ea;
  return (a.created_at - b.created_at || a.id - b.id) < 0;
}

function matches(q) {
  const s = filters.state;
  if (s === "new" && (q.state !== "new" || hiddenAtSource(q))) return false;
  if (s === "closed" && !(q.state === "rejected" || q.state === "merged")) return false;
  if (s === "answered" && !(q.state === "answered" || q.state === "corrected")) return false;
  if (!["new", "closed", "answered", "all"].includes(s) && q.state !== s) return false;
  if (filters.platform && !q.sources.some((x) => x.platform === filters.platform)) return false;
  if (filters.flag === "flagged" && !q.flags.some((f) => f !== "removed" && f !== "hidden")) return false;
  if (filters.flag && filters.flag !== "flagged" && !q.flags.includes(filters.flag)) return false;
  if (filters.text) {
    const hay = (q.public_text + " " + q.original_text + " " + q.sources.map((x) => x.author_name || "").join(" ")).toLowerCase();
    if (!hay.includes(filters.text)) return false;
  }
  return true;
}

// ---------- rendering ----------

function badges(q) {
  const platforms = [...new Set(q.sources.map((s) => s.platform))];
  const out = platforms.map((p) => el("span.badge." + p, {}, PLATFORM_NAME[p] || p));
  if (q.state !== "new") out.push(el("span.badge.state-" + q.state, {}, STATE_TEXT_Q[q.state] || q.state));
  for (const f of q.flags) out.push(el("span.badge.flag." + f, {}, FLAG_TEXT[f] || f));
  return out;
}

function itemContent(q) {
  const asker = q.sources[0] && q.sources[0].author_name;
  return [
    el("div.meta", {},
      ...badges(q),
      el("span", { "data-age": q.created_at }, age(q.created_at)),
      q.asked_by_count > 1 ? el("span.asked", {}, `asked by ${q.asked_by_count}`) : null,
      asker ? el("span", {}, "· " + asker) : null),
    el("div.text", {}, q.public_text),
  ];
}

function buildItem(q) {
  const li = el("li.q", { role: "option", id: "q-" + q.id, "aria-selected": "false", dataset: { id: q.id } });
  fillItem(li, q);
  return li;
}

function fillItem(li, q) {
  li.replaceChildren(...itemContent(q));
  li.classList.toggle("emergency", isEmergency(q));
  li.classList.toggle("unseen", unseen.has(q.id));
  li.classList.toggle("done", !["new", "approved", "on_air"].includes(q.state));
  li.hidden = !matches(q);
}

/** Places a node where its question sorts, among the nodes already in the list. */
function place(li, q) {
  const list = $("queue");
  let next = null;
  // New arrivals usually belong at the end; walk back from there.
  for (let n = list.lastElementChild; n; n = n.previousElementSibling) {
    if (n === li) continue;
    const other = questions.get(Number(n.dataset.id));
    if (other && before(other, q)) break;
    next = n;
  }
  if (li.nextElementSibling !== next || li.parentNode !== list) list.insertBefore(li, next);
}

function visibleNodes() {
  return [...$("queue").children].filter((n) => !n.hidden);
}

function refreshAfterChange() {
  const shown = visibleNodes().length;
  $("empty").hidden = shown > 0;
  $("shown").textContent = `${shown} shown`;
  updateCounters();
  updateEmergency();
  updateMarker();
  if (selectedId !== null && !(document.activeElement && document.activeElement.id === "note-text")) {
    const q = questions.get(selectedId);
    if (q) renderDetail(q);
  }
}

function updateCounters() {
  let n = 0, a = 0, ans = 0, flagged = 0;
  const waits = [];
  const now = Date.now();
  for (const q of questions.values()) {
    if (q.state === "new" && !hiddenAtSource(q)) { n += 1; waits.push(now - q.created_at); }
    else if (q.state === "approved" || q.state === "on_air") a += 1;
    else if (q.state === "answered" || q.state === "corrected") ans += 1;
    if (q.state === "new" && q.flags.some((f) => f !== "removed" && f !== "hidden")) flagged += 1;
  }
  waits.sort((x, y) => x - y);
  const median = waits.length ? waits[Math.floor(waits.length / 2)] : null;
  $("c-new").textContent = n;
  $("c-approved").textContent = a;
  $("c-answered").textContent = ans;
  $("c-flagged").textContent = flagged;
  $("c-wait").textContent = median === null ? "—" : age(now - median).replace("just now", "< 1 min");
}

/** Why screening flagged a question as an emergency, in its own words. */
function emergencyReason(q) {
  const f = ((q.screening && q.screening.findings) || []).find((x) => x.flag === "emergency");
  return f ? f.reason : "may describe an emergency";
}

/** The alert no moderator can miss: every open emergency, oldest first, with its next steps. */
function updateEmergency() {
  const urgent = [...questions.values()].filter(isEmergency).sort((a, b) => a.created_at - b.created_at || a.id - b.id);
  const box = $("emergency");
  box.hidden = urgent.length === 0;
  document.title = (urgent.length ? `⚠ ${urgent.length} emergency · ` : "") + document.title.replace(/^⚠ \d+ emergency · /, "");
  if (!urgent.length) { box.replaceChildren(); return; }
  const first = urgent[0];
  box.replaceChildren(
    el("strong.e-title", {}, urgent.length === 1 ? "Possible emergency" : `${urgent.length} possible emergencies`),
    el("span.e-text", {}, `“${first.public_text}” — ${emergencyReason(first)}. Follow your emergency protocol; ` +
      "send the crisis reply and record what happened."),
    el("span.e-actions", {},
      el("button", { type: "button", onclick: () => select(first.id, true) }, "Show it"),
      el("button.danger", { type: "button", onclick: () => { select(first.id, true); crisisReply(); } }, "Send crisis reply"),
      el("button", { type: "button", onclick: () => { select(first.id, true); openOutcome(); } }, "Record outcome")));
}

/** A short two-tone chime for a new emergency, only when the moderator turned sound on. */
function chime() {
  if (localStorage.getItem(SOUND_KEY) !== "on") return;
  try {
    const ctx = new AudioContext();
    for (const [i, f] of [880, 660].entries()) {
      const o = ctx.createOscillator();
      const g = ctx.createGain();
      o.frequency.value = f;
      g.gain.value = 0.15;
      o.connect(g).connect(ctx.destination);
      o.start(ctx.currentTime + i * 0.25);
      o.stop(ctx.currentTime + i * 0.25 + 0.2);
    }
    setTimeout(() => ctx.close(), 1000);
  } catch (_) { /* no audio device: the banner is the alert */ }
}

function updateMarker() {
  const m = $("new-marker");
  const count = [...unseen].filter((id) => nodes.get(id) && !nodes.get(id).hidden).length;
  m.hidden = count === 0;
  m.textContent = `${count} new ↓`;
}

// ---------- the detail pane ----------

/** The original text with screening spans (code point offsets) highlighted. */
function highlighted(text, spans) {
  if (!spans || !spans.length) return [text];
  const chars = Array.from(text);
  const out = [];
  let at = 0;
  for (const s of [...spans].sort((x, y) => x.start - y.start)) {
    if (s.start < at || s.end > chars.length || s.end <= s.start) continue;
    out.push(chars.slice(at, s.start).join(""));
    out.push(el("mark", { title: s.kind }, chars.slice(s.start, s.end).join("")));
    at = s.end;
  }
  out.push(chars.slice(at).join(""));
  return out;
}

/** Words too common in a health Q&A to say two questions are alike. */
const COMMON = new Set(("about after also been before being could does doctor from have heart health help what when " +
  "where which will with would your should there their this that than them they very much many more most good safe " +
  "okay really right just like know need want take taking").split(" "));

function words(t) {
  return new Set((t.toLowerCase().match(/[a-z\u00c0-\u024f]{4,}/g) || []).filter((w) => !COMMON.has(w)));
}

/** Up to 5 open questions most like this one (screening's guess first): merge targets. */
function mergeTargets(q) {
  const mine = words(q.public_text);
  const dup = q.screening && q.screening.duplicate_of;
  const scored = [];
  for (const o of questions.values()) {
    if (o.id === q.id || !["new", "approved", "on_air", "answered", "corrected"].includes(o.state)) continue;
    const theirs = words(o.public_text);
    let common = 0;
    for (const w of mine) if (theirs.has(w)) common += 1;
    const score = (o.id === dup ? 100 : 0) + common / Math.max(1, Math.min(mine.size, theirs.size));
    if (score >= 0.34) scored.push([score, o]);
  }
  scored.sort((a, b) => b[0] - a[0] || b[1].asked_by_count - a[1].asked_by_count);
  return scored.slice(0, 5).map(([, o]) => o);
}

function actionButton(label, key, onclick, enabled, cls = "") {
  return el("button" + cls, { type: "button", onclick, disabled: !enabled, "aria-keyshortcuts": key },
    label, el("kbd", { "aria-hidden": "true" }, key));
}

function renderDetail(q) {
  const pane = $("detail");
  const triage = q.state === "new";
  const open = q.state === "new" || q.state === "approved";
  const sc = q.screening || {};
  const children = [
    el("h2", { id: "detail-heading", class: "visually-hidden" }, "Selected question"),
    el("div.d-head", {}, ...badges(q), el("span.muted", {}, `${age(q.created_at)} · asked by ${q.asked_by_count}`)),
    el("p.d-public", {}, q.public_text),
    el("div.actions", { role: "toolbar", "aria-label": "Actions" },
      actionButton("Approve", "a", () => approve(), triage, ".primary"),
      actionButton("Edit, then approve", "e", () => openEdit(), triage),
      actionButton("Reject", "r", () => openReject(), open),
      actionButton("Merge", "m", () => openMerge(), open),
      actionButton("Hide at source", "h", () => hideAtSource(), q.sources.length > 0)),
  ];
  const emergency = q.flags.includes("emergency");
  const advice = q.flags.includes("personal_advice");
  if (emergency || advice) {
    children.push(el("div.actions.safety-actions", { role: "toolbar", "aria-label": "Safety actions" },
      emergency ? actionButton("Send crisis reply", "c", () => crisisReply(), q.sources.length > 0, ".danger") : null,
      advice ? actionButton("Redirect (personal advice)", "p", () => redirectReply(), q.sources.length > 0) : null,
      emergency ? actionButton("Record outcome", "o", () => openOutcome(), followUp.has(q.id)) : null));
    if (emergency && !followUp.has(q.id)) children.push(el("p.muted", {}, "Outcome recorded: this emergency is off the follow-up list."));
  }
  if (open && sessionSpecialists.length) children.push(assignControl(q));
  if (q.last_actor && q.state !== "new") {
    children.push(el("p.muted", {}, `${STATE_TEXT_Q[q.state] || q.state} by ${q.last_actor}` +
      (q.reject_reason ? ` — “${q.reject_reason}”` : "")));
  }
  if (q.last_actor === "screening" && (q.state === "rejected" || q.state === "merged")) {
    // The session's automatic handling decided this; any moderator may take it back.
    children.push(el("p", {}, el("button", { type: "button", onclick: () => restore(q) },
      q.state === "rejected" ? "Restore to the queue (undo the automatic rejection)" : "Restore to the queue (undo the automatic merge)")));
  }
  if (sc.findings && sc.findings.length) {
    children.push(el("ul.findings", {}, ...sc.findings.map((f) =>
      el("li", { dataset: { flag: f.flag } }, `${FLAG_TEXT[f.flag] || f.flag} — flagged: ${f.reason}`))));
  }
  if (sc.suggested_text && triage) {
    children.push(el("p", {}, el("strong", {}, "Suggested wording: "), sc.suggested_text));
  }
  if (sc.myth_topic) children.push(el("p.muted", {}, `Common myth: ${sc.myth_topic}`));
  children.push(el("h3.d-section", {}, "As written (staff only)"));
  children.push(el("div.d-original", {}, ...highlighted(q.original_text, sc.spans)));
  children.push(el("h3.d-section", {}, q.sources.length === 1 ? "Comment" : `${q.sources.length} comments`));
  children.push(el("ul.sources", {}, ...q.sources.slice(0, 50).map((s) => el("li", {},
    el("span.badge." + s.platform, {}, PLATFORM_NAME[s.platform] || s.platform),
    el("strong", {}, s.author_name || "Unknown viewer"),
    el("span.muted", {}, age(s.created_at)),
    s.text !== q.original_text ? el("span", {}, s.text) : null))));
  children.push(notesSection(q));
  if (open) {
    const targets = mergeTargets(q);
    if (targets.length) {
      children.push(el("h3.d-section", {}, "Possible duplicates"));
      children.push(el("ul.suggestions", {}, ...targets.map((t) => el("li", {},
        el("button", { type: "button", onclick: () => merge(t.id) }, `Merge into: ${t.public_text}`,
          el("span.muted", {}, ` (${t.asked_by_count})`))))));
    }
  }
  pane.replaceChildren(...children);
}

// ---------- backstage notes ----------

function noteStatus(n) {
  return n.read_at ? `Read by ${n.read_by} · ${age(n.read_at)}` : "Not read yet";
}

/** The notes about this question, and a box to send one to the specialist. */
function notesSection(q) {
  const mine = [...notes.values()].filter((n) => n.question_id === q.id);
  const input = el("input", { id: "note-text", type: "text", maxlength: "500", autocomplete: "off",
    placeholder: "e.g. Asked by six people; keep it short" });
  const form = el("form.note-form", { onsubmit: (e) => { e.preventDefault(); sendNote(q, input); } },
    el("label", { for: "note-text" }, "Note to the specialist"),
    el("div.note-row", {}, input, el("button", { type: "submit" }, "Send note")));
  return el("section.notes", { "aria-label": "Backstage notes" },
    el("h3.d-section", {}, "Backstage"),
    mine.length ? el("ul.note-list", {}, ...mine.map((n) => el("li", {},
      el("span", {}, `${n.author_name}: ${n.text}`),
      el("span.badge" + (n.read_at ? ".state-approved" : ""), {}, noteStatus(n))))) : null,
    form);
}

async function sendNote(q, input) {
  const text = input.value.trim();
  if (!text) { input.focus(); return; }
  try {
    const n = await api("POST", `/api/sessions/${sessionId}/notes`, { text, question_id: q.id });
    notes.set(n.id, n);
    input.value = "";
    toast("Note sent to the specialist.");
    renderDetail(q);
  } catch (e) {
    toast(e.message, { error: true });
  }
}

// ---------- selection ----------

function select(id, scroll = false) {
  if (selectedId !== null && nodes.get(selectedId)) nodes.get(selectedId).setAttribute("aria-selected", "false");
  selectedId = id;
  const li = id === null ? null : nodes.get(id);
  if (!li) {
    $("queue").removeAttribute("aria-activedescendant");
    return;
  }
  li.setAttribute("aria-selected", "true");
  $("queue").setAttribute("aria-activedescendant", li.id);
  if (unseen.delete(id)) { li.classList.remove("unseen"); updateMarker(); }
  if (scroll) li.scrollIntoView({ block: "nearest" });
  renderDetail(questions.get(id));
}

function move(step) {
  const list = visibleNodes();
  if (!list.length) return;
  const i = list.findIndex((n) => Number(n.dataset.id) === selectedId);
  const next = i < 0 ? (step > 0 ? 0 : list.length - 1) : Math.min(list.length - 1, Math.max(0, i + step));
  select(Number(list[next].dataset.id), true);
}

/** After the selected question leaves the filter, the next one (or previous) is selected. */
function selectNextAfter(id) {
  const li = nodes.get(id);
  if (!li || !li.hidden) return;
  let n = li.nextElementSibling;
  while (n && n.hidden) n = n.nextElementSibling;
  if (!n) { n = li.previousElementSibling; while (n && n.hidden) n = n.previousElementSibling; }
  select(n ? Number(n.dataset.id) : null, true);
  if (!n) $("detail").replaceChildren(el("p.muted.placeholder", {}, "Nothing left to triage. Well done."));
}

// ---------- applying state ----------

/** Applies a question snapshot if it is newer than what we have. Returns whether it changed. */
function upsert(q, { arrived = false } = {}) {
  const had = questions.get(q.id);
  if (had && had.version > q.version) return false;
  // A question that becomes an emergency (on arrival, or screened again after an edit at the
  // source) joins the follow-up list until someone records an outcome.
  if (q.flags.includes("emergency") && !(had && had.flags.includes("emergency"))) {
    followUp.add(q.id);
    if (loaded) chime();
  }
  questions.set(q.id, q);
  let li = nodes.get(q.id);
  if (!li) {
    li = buildItem(q);
    nodes.set(q.id, li);
    if (arrived && loaded) { unseen.add(q.id); li.classList.add("unseen"); }
    place(li, q);
  } else {
    const moved = had && isEmergency(had) !== isEmergency(q);
    fillItem(li, q);
    if (moved) place(li, q);
  }
  return true;
}

/** Applies every event that arrived since the last frame, then updates the page once. */
function applyEvents(batch) {
  let arrivals = 0;
  for (const ev of batch) {
    if (ev.type === "question") {
      const isNew = !questions.has(ev.question.id);
      const wasPinned = !isNew && isEmergency(questions.get(ev.question.id));
      if (ev.change === "outcome_recorded") followUp.delete(ev.question.id);
      upsert(ev.question, { arrived: isNew });
      if (isNew) arrivals += 1;
      if (isNew && ev.question.flags.includes("emergency")) announce(`Possible emergency: ${emergencyReason(ev.question)}`);
      const li = nodes.get(ev.question.id);
      if (li && wasPinned !== isEmergency(ev.question)) { fillItem(li, ev.question); place(li, ev.question); }
    } else if (ev.type === "session") {
      showSession(ev.session);
    } else if (ev.type === "note") {
      notes.set(ev.note.id, ev.note);
      if (ev.change === "read") announce(`${ev.note.read_by} read your note`);
    }
  }
  if (arrivals) announce(arrivals === 1 ? "1 new question" : `${arrivals} new questions`);
  refreshAfterChange();
}

async function load() {
  const [page, noteList, open] = await Promise.all([
    api("GET", `/api/sessions/${sessionId}/questions`),
    api("GET", `/api/sessions/${sessionId}/notes`),
    api("GET", `/api/sessions/${sessionId}/follow-ups`),
  ]);
  followUp.clear();
  for (const q of open.questions) followUp.add(q.id);
  notes.clear();
  for (const n of noteList.notes) notes.set(n.id, n);
  questions.clear(); nodes.clear();
  $("queue").replaceChildren();
  const list = page.questions.slice().sort((a, b) => (before(a, b) ? -1 : 1));
  for (const q of list) questions.set(q.id, q);
  // Built in chunks, one per frame, so a long session's queue never blocks the page.
  for (let i = 0; i < list.length; i += CHUNK) {
    const frag = document.createDocumentFragment();
    for (const q of list.slice(i, i + CHUNK)) {
      const li = buildItem(q);
      nodes.set(q.id, li);
      frag.append(li);
    }
    $("queue").append(frag);
    if (i + CHUNK < list.length) await new Promise((r) => requestAnimationFrame(r));
  }
  loaded = true;
  refreshAfterChange();
  if (selectedId === null || !nodes.get(selectedId)) move(1);
  else select(selectedId);
  return page.last_offset;
}

/** The session's specialists by id, for "Assign to" (names from /api/specialists). */
let sessionSpecialists = [];

function showSession(s) {
  if (s.specialists) {
    api("GET", "/api/specialists").then(({ specialists }) => {
      sessionSpecialists = specialists.filter((p) => s.specialists.includes(p.id));
      const q = current();
      if (q) renderDetail(q);
    }).catch(() => { /* assigning stays unavailable; everything else works */ });
  }
  $("title").textContent = s.title;
  document.title = `${s.title} · Moderator console · Curbside`;
  const st = $("status");
  st.textContent = s.status === "live" ? "Live" : s.status === "ended" ? "Ended" : "Scheduled";
  st.className = "badge" + (s.status === "live" ? " state-on_air" : "");
}

// ---------- actions ----------

function current() { return selectedId === null ? null : questions.get(selectedId); }

async function act(q, verb, body, done) {
  try {
    const updated = await api("POST", `/api/questions/${q.id}/${verb}`, { ...body, version: q.version });
    upsert(updated);
    refreshAfterChange();
    if (done) done(updated);
    selectNextAfter(q.id);
    return updated;
  } catch (e) {
    if (verb === "approve" && e.status === 409 && /^cannot approve/.test(e.message)) {
      openOverride(q, body.public_text, e.message);
      return null;
    }
    toast(e.message, { error: true, ms: 7000 });
    announce(e.message);
    if (e.status === 409) {
      try { upsert(await api("GET", `/api/questions/${q.id}`)); refreshAfterChange(); } catch (_) { /* shown */ }
    }
    return null;
  }
}

function offerUndo(q, label) {
  lastUndoable = { id: q.id, at: Date.now(), label };
  toast(`${label}. `, { action: { label: "Undo (u)", run: undo }, ms: UNDO_MS });
  announce(`${label}. Press u within 10 seconds to undo.`);
}

async function undo() {
  if (!lastUndoable || Date.now() - lastUndoable.at > UNDO_MS) {
    toast("Nothing to undo: undo works for 10 seconds after an action.", { error: true });
    return;
  }
  const { id } = lastUndoable;
  lastUndoable = null;
  try {
    const q = await api("POST", `/api/questions/${id}/undo`);
    upsert(q);
    refreshAfterChange();
    select(q.id, true);
    toast("Undone: the question is back in the queue.");
    announce("Undone");
  } catch (e) {
    toast(e.message, { error: true });
  }
}

async function restore(q) {
  try {
    const u = await api("POST", `/api/questions/${q.id}/undo`);
    upsert(u);
    refreshAfterChange();
    toast("Restored: the question is back in the queue.");
    announce("Restored");
  } catch (e) {
    toast(e.message, { error: true });
  }
}

function approve() {
  const q = current();
  if (!q || q.state !== "new") return;
  act(q, "approve", {}, (u) => offerUndo(u, "Approved"));
}

function openEdit() {
  const q = current();
  if (!q || q.state !== "new") return;
  const t = $("edit-text");
  // A saved draft first, then screening's de-identified suggestion, then the comment as written.
  t.value = drafts.get("edit." + q.id) || (q.screening && q.screening.suggested_text) || q.public_text;
  $("edit-error").hidden = true;
  $("d-edit").dataset.id = q.id;
  $("d-edit").showModal();
  t.focus();
  t.select();
}

function openReject() {
  const q = current();
  if (!q || !(q.state === "new" || q.state === "approved")) return;
  $("reject-reason").value = "";
  $("reject-preset").value = "";
  $("d-reject").dataset.id = q.id;
  $("d-reject").showModal();
  $("reject-preset").focus();
}

function openMerge() {
  const q = current();
  if (!q || !(q.state === "new" || q.state === "approved")) return;
  const targets = mergeTargets(q);
  const list = $("merge-targets");
  list.replaceChildren(...(targets.length ? targets.map((t, i) => el("li", {},
    el("button", { type: "button", "data-target": t.id, onclick: () => { $("d-merge").close(); merge(t.id); } },
      el("kbd", {}, String(i + 1)), " ", t.public_text, el("span.muted", {}, ` · ${STATE_TEXT_Q[t.state]} · asked by ${t.asked_by_count}`))))
    : [el("li.muted", {}, "No similar question yet. Use the search to find one, then merge from there.")]));
  $("d-merge").dataset.id = q.id;
  $("d-merge").showModal();
  const first = list.querySelector("button");
  if (first) first.focus();
}

function merge(into) {
  const q = current();
  if (!q) return;
  act(q, "merge", { into }, (u) => offerUndo(u, "Merged"));
}

/** "Assign to" one of the session's specialists: their tablet lists the question first, marked. */
function assignControl(q) {
  const select = el("select", { id: "assign-to" },
    el("option", { value: "" }, "Nobody"),
    ...sessionSpecialists.map((p) => el("option", { value: p.id, selected: q.assigned_to === p.id }, p.name)));
  select.addEventListener("change", async () => {
    try {
      const updated = await api("POST", `/api/questions/${q.id}/assign`, { user_id: select.value ? Number(select.value) : null });
      upsert(updated);
      const who = sessionSpecialists.find((p) => p.id === updated.assigned_to);
      toast(who ? `Assigned to ${who.name}.` : "No longer assigned.");
    } catch (e) {
      toast(e.message, { error: true });
      select.value = q.assigned_to || "";
    }
  });
  return el("div.assign", {}, el("label", { for: "assign-to" }, "Assign to a specialist"), select);
}

async function hideAtSource() {
  const q = current();
  if (!q || !q.sources.length) return;
  try {
    const r = await api("POST", `/api/questions/${q.id}/hide-at-source`);
    const n = r.queued.length;
    toast(n ? `Hiding ${n === 1 ? "the comment" : n + " comments"} on the platform.` : "Already hidden at the source.");
  } catch (e) {
    toast(e.message, { error: true });
  }
}

/** The approval guard said no: explain it, and offer an override with a reason (audited). */
function openOverride(q, wording, message) {
  const d = $("d-override");
  d.dataset.id = q.id;
  d.dataset.wording = wording || "";
  $("override-message").textContent = message;
  $("override-wording").textContent = wording || q.public_text;
  $("override-reason").value = "";
  $("override-error").hidden = true;
  d.showModal();
  $("override-reason").focus();
}

async function cannedReply(kind, label) {
  const q = current();
  if (!q || !q.sources.length) return;
  try {
    const r = await api("POST", `/api/questions/${q.id}/${kind}`);
    const n = r.queued.length;
    toast(`${label} queued to ${n === 1 ? "the comment" : n + " comments"} on the platform.`);
    announce(`${label} queued`);
  } catch (e) {
    toast(e.message, { error: true, ms: 7000 });
    announce(e.message);
  }
}

function crisisReply() {
  const q = current();
  if (q && q.flags.includes("emergency")) cannedReply("crisis-reply", "Crisis reply");
}

function redirectReply() {
  const q = current();
  if (q && q.flags.includes("personal_advice")) cannedReply("redirect-reply", "Redirect reply");
}

function openOutcome() {
  const q = current();
  if (!q || !q.flags.includes("emergency") || !followUp.has(q.id)) return;
  $("outcome-text").value = drafts.get("outcome." + q.id);
  $("outcome-preset").value = "";
  $("outcome-error").hidden = true;
  $("d-outcome").dataset.id = q.id;
  $("d-outcome").showModal();
  $("outcome-preset").focus();
}

// ---------- wiring ----------

function wireDialogs() {
  for (const d of document.querySelectorAll("dialog")) {
    for (const b of d.querySelectorAll("[data-close]")) b.addEventListener("click", () => d.close());
  }
  $("edit-text").addEventListener("input", (e) => drafts.set("edit." + $("d-edit").dataset.id, e.target.value));
  $("f-edit").addEventListener("submit", async (e) => {
    e.preventDefault();
    const id = Number($("d-edit").dataset.id);
    const text = $("edit-text").value.trim();
    if (!text) {
      $("edit-error").textContent = "Write the wording the specialist will read, or press Esc.";
      $("edit-error").hidden = false;
      return;
    }
    const q = questions.get(id);
    $("d-edit").close();
    const done = await act(q, "approve", { public_text: text }, (u) => offerUndo(u, "Approved with your wording"));
    if (done) drafts.set("edit." + id, "");
  });
  $("reject-preset").addEventListener("change", (e) => { $("reject-reason").value = e.target.value; });
  $("f-reject").addEventListener("submit", (e) => {
    e.preventDefault();
    const q = questions.get(Number($("d-reject").dataset.id));
    const reason = $("reject-reason").value.trim();
    $("d-reject").close();
    act(q, "reject", reason ? { reason } : {}, (u) => offerUndo(u, "Rejected"));
  });
  $("f-override").addEventListener("submit", (e) => {
    e.preventDefault();
    const d = $("d-override");
    const reason = $("override-reason").value.trim();
    if (!reason) {
      $("override-error").textContent = "Say why this wording may air as it is; the reason is kept in the audit log.";
      $("override-error").hidden = false;
      return;
    }
    const q = questions.get(Number(d.dataset.id));
    d.close();
    const body = { override: { reason } };
    if (d.dataset.wording) body.public_text = d.dataset.wording;
    act(q, "approve", body, (u) => offerUndo(u, "Approved with an override"));
  });
  $("override-edit").addEventListener("click", () => { $("d-override").close(); openEdit(); });
  $("outcome-text").addEventListener("input", (e) => drafts.set("outcome." + $("d-outcome").dataset.id, e.target.value));
  $("outcome-preset").addEventListener("change", (e) => { if (e.target.value) $("outcome-text").value = e.target.value; });
  $("f-outcome").addEventListener("submit", async (e) => {
    e.preventDefault();
    const id = Number($("d-outcome").dataset.id);
    const outcome = $("outcome-text").value.trim();
    if (!outcome) {
      $("outcome-error").textContent = "Write what happened, or choose one above.";
      $("outcome-error").hidden = false;
      return;
    }
    try {
      const q = await api("POST", `/api/questions/${id}/outcome`, { outcome });
      $("d-outcome").close();
      drafts.set("outcome." + id, "");
      followUp.delete(id);
      upsert(q);
      const li = nodes.get(id);
      if (li) { fillItem(li, questions.get(id)); place(li, questions.get(id)); }
      refreshAfterChange();
      toast("Outcome recorded: the emergency is off the follow-up list.");
      announce("Outcome recorded");
    } catch (err) {
      $("outcome-error").textContent = err.message;
      $("outcome-error").hidden = false;
    }
  });
  $("alert-sound").checked = localStorage.getItem(SOUND_KEY) === "on";
  $("alert-sound").addEventListener("change", (e) => {
    localStorage.setItem(SOUND_KEY, e.target.checked ? "on" : "off");
    if (e.target.checked) chime();
  });
  $("d-merge").addEventListener("keydown", (e) => {
    const n = Number(e.key);
    if (n >= 1 && n <= 9) {
      const b = $("merge-targets").querySelectorAll("button")[n - 1];
      if (b) { e.preventDefault(); b.click(); }
    }
  });
}

function wireKeys() {
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (document.querySelector("dialog[open]")) return;
    const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(e.target.tagName);
    if (typing) {
      if (e.key === "Escape" && e.target.id === "search") { e.target.blur(); $("queue").focus(); }
      return;
    }
    const actions = {
      j: () => move(1), ArrowDown: () => move(1), k: () => move(-1), ArrowUp: () => move(-1),
      a: approve, e: openEdit, r: openReject, m: openMerge, h: hideAtSource, u: undo,
      c: crisisReply, p: redirectReply, o: openOutcome,
      n: jumpToNew, "/": () => $("search").focus(), "?": () => $("d-help").showModal(),
    };
    const run = actions[e.key];
    if (run) { e.preventDefault(); run(); }
  });
  $("queue").addEventListener("click", (e) => {
    const li = e.target.closest("li.q");
    if (li) select(Number(li.dataset.id));
  });
  $("help").addEventListener("click", () => $("d-help").showModal());
}

function jumpToNew() {
  const first = [...$("queue").children].find((n) => !n.hidden && unseen.has(Number(n.dataset.id)));
  if (first) select(Number(first.dataset.id), true);
}

function wireFilters() {
  const apply = () => {
    for (const [id, li] of nodes) li.hidden = !matches(questions.get(id));
    refreshAfterChange();
    if (selectedId !== null && nodes.get(selectedId) && nodes.get(selectedId).hidden) selectNextAfter(selectedId);
    if (selectedId === null) move(1);
  };
  $("f-state").addEventListener("change", (e) => { filters.state = e.target.value; apply(); });
  $("f-platform").addEventListener("change", (e) => { filters.platform = e.target.value; apply(); });
  $("f-flag").addEventListener("change", (e) => { filters.flag = e.target.value; apply(); });
  let t;
  $("search").addEventListener("input", (e) => {
    clearTimeout(t);
    t = setTimeout(() => { filters.text = e.target.value.trim().toLowerCase(); apply(); }, 120);
  });
  $("new-marker").addEventListener("click", jumpToNew);
}

async function main() {
  if (!sessionId) {
    $("detail").replaceChildren(el("p", {}, "This address names no session. Open the console from the session list."));
    return;
  }
  onLeaveForSignIn(() => { /* drafts are saved as they are typed */ });
  const user = await me();
  $("who").textContent = `${user.name} · ${user.role}`;
  $("sign-out").addEventListener("click", () => signOut(false));
  try {
    showSession(await api("GET", `/api/sessions/${sessionId}`));
  } catch (e) {
    $("detail").replaceChildren(el("p", {}, e.message));
    return;
  }
  wireDialogs();
  wireKeys();
  wireFilters();
  const since = await load();
  follow(sessionId, since, { onEvents: applyEvents, onReload: load });
  setInterval(() => {
    for (const span of document.querySelectorAll("[data-age]")) span.textContent = age(Number(span.dataset.age));
    updateCounters();
  }, 30000);
}

main().catch((e) => toast(e.message || "The console could not start.", { error: true, ms: 20000 }));
