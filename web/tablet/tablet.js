// The specialist's tablet: the approved queue in the moderators' order, a preview and an explicit
// "Go on air", an always-visible "Off air", and the answer composer whose draft survives a
// reload, a dropped connection and a trip through the sign-in form.

import { api, me, onLeaveForSignIn, signOut } from "../shared/api.js";
import { follow } from "../shared/live.js";
import { el, announce, toast, age, pathId, drafts, PLATFORM_NAME } from "../shared/ui.js";

const $ = (id) => document.getElementById(id);
const sessionId = pathId();
const questions = new Map();
let selectedId = null;
let showing = null;      // what the overlay shows: { id, text, … } or null
let confirming = false;  // "Go on air" was tapped once; a second tap confirms
const notes = new Map(); // backstage note id → note

let myId = null;          // the signed-in specialist: questions assigned to them come first
const mine = (q) => myId !== null && q.assigned_to === myId;
const approvedOrder = (a, b) => mine(b) - mine(a) || a.created_at - b.created_at || a.id - b.id;

function renderQueue() {
  const list = [...questions.values()].filter((q) => q.state === "approved" || q.state === "on_air").sort(approvedOrder);
  $("count").textContent = list.length ? `(${list.length})` : "";
  $("empty").hidden = list.length > 0;
  $("queue").replaceChildren(...list.map((q) => el("li", {},
    el("button", { type: "button", "aria-current": q.id === selectedId ? "true" : "false", onclick: () => select(q.id) },
      el("span.meta", {},
        ...[...new Set(q.sources.map((s) => s.platform))].map((p) => el("span.badge." + p, {}, PLATFORM_NAME[p])),
        q.state === "on_air" ? el("span.badge.state-on_air", {}, "On air") : null,
        mine(q) ? el("span.badge.assigned", {}, "Assigned to you") : null,
        q.asked_by_count > 1 ? el("span", {}, `asked by ${q.asked_by_count}`) : null,
        el("span", {}, age(q.created_at))),
      el("span", {}, q.public_text)))));
}

function renderBar() {
  const bar = $("onair-bar");
  bar.classList.toggle("live", !!showing);
  $("onair-label").textContent = showing ? "On air" : "Off air";
  $("onair-question").textContent = showing ? showing.text : "Nothing is on the broadcast.";
  $("off-air").disabled = !showing;
}

/** Unread backstage notes, each with its "Got it" (the moderators' read receipt). */
function renderNotes() {
  const unread = [...notes.values()].filter((n) => !n.read_at);
  $("notes").replaceChildren(...unread.map((n) => el("div.t-note", {},
    el("p", {}, el("strong", {}, `Note from ${n.author_name}: `), n.text,
      n.question_id && questions.get(n.question_id) ? el("span.muted", {}, ` — about “${questions.get(n.question_id).public_text}”`) : null),
    el("button.primary", { type: "button", onclick: () => acknowledge(n) }, "Got it"))));
}

async function acknowledge(n) {
  try {
    const read = await api("POST", `/api/notes/${n.id}/read`);
    notes.set(read.id, read);
    renderNotes();
  } catch (e) {
    toast(e.message, { error: true });
  }
}

function select(id) {
  selectedId = id;
  confirming = false;
  renderQueue();
  renderPanel();
}

function renderPanel() {
  const q = questions.get(selectedId);
  const panel = $("panel");
  if (!q) {
    panel.replaceChildren(el("h2.visually-hidden", { id: "panel-h" }, "Selected question"),
      el("p.muted.placeholder", {}, "Tap a question to preview it."));
    return;
  }
  const isShown = showing && showing.id === q.id;
  const parts = [
    el("h2.visually-hidden", { id: "panel-h" }, "Selected question"),
    el("div.p-meta", {},
      ...[...new Set(q.sources.map((s) => s.platform))].map((p) => el("span.badge." + p, {}, PLATFORM_NAME[p])),
      isShown ? el("span.badge.state-on_air", {}, "On air") : null,
      el("span", {}, q.asked_by_count > 1 ? `Asked by ${q.asked_by_count} viewers` : "Asked by one viewer")),
    el("p.p-question", {}, q.public_text),
  ];
  if (q.state === "approved") {
    parts.push(el("div.p-actions", {},
      confirming
        ? [el("button.go-live", { type: "button", onclick: goOnAir }, "Confirm: go on air"),
          el("button", { type: "button", onclick: () => { confirming = false; renderPanel(); } }, "Cancel")]
        : el("button.primary", { type: "button", onclick: () => { confirming = true; renderPanel(); } }, "Go on air")));
    if (showing && !isShown) parts.push(el("p.muted", {}, "Going on air replaces what the broadcast shows now."));
  }
  if (q.state === "approved" || q.state === "on_air") parts.push(composer(q));
  if (q.answer) {
    parts.push(el("p.published", { role: "status" }, "Answer published"));
    parts.push(el("p.answer-text", {}, q.answer.text));
  }
  panel.replaceChildren(...parts);
}

function composer(q) {
  const key = "answer." + q.id;
  const text = el("textarea", { id: "answer", rows: "7", maxlength: "5000",
    "aria-describedby": "draft-state" });
  text.value = drafts.get(key);
  const state = el("span.draft-state", { id: "draft-state", "aria-live": "polite" },
    text.value ? "Draft restored" : "Your draft is kept on this tablet as you type.");
  text.addEventListener("input", () => {
    drafts.set(key, text.value);
    state.textContent = "Draft saved";
  });
  const row = el("div.row", {}, state);
  const Speech = window.SpeechRecognition || window.webkitSpeechRecognition;
  if (Speech) row.append(el("button", { type: "button", onclick: () => dictate(Speech, text, key) }, "Dictate"));
  row.append(el("button.primary", { type: "button", id: "publish", onclick: () => publish(q, text, key) }, "Publish answer"));
  return el("div.composer", {}, el("label", { for: "answer" }, "Your answer"), text, row);
}

function dictate(Speech, text, key) {
  const rec = new Speech();
  rec.lang = document.documentElement.lang || "en-US";
  rec.interimResults = false;
  rec.onresult = (e) => {
    const said = [...e.results].map((r) => r[0].transcript).join(" ");
    text.value = (text.value ? text.value.trimEnd() + " " : "") + said;
    drafts.set(key, text.value);
  };
  rec.onerror = () => toast("Dictation stopped. Type instead, or try again.", { error: true });
  rec.start();
  toast("Listening… speak your answer.");
}

async function goOnAir() {
  const q = questions.get(selectedId);
  if (!q) return;
  confirming = false;
  try {
    // Only one question at a time on the broadcast: the one shown now goes off first.
    if (showing && showing.id !== q.id) await api("POST", `/api/questions/${showing.id}/off-air`);
    const u = await api("POST", `/api/questions/${q.id}/on-air`, { version: q.version });
    apply(u);
    announce("On air");
  } catch (e) {
    toast(e.message, { error: true });
  }
  renderPanel();
}

async function offAir() {
  if (!showing) return;
  const id = showing.id;
  try {
    const u = await api("POST", `/api/questions/${id}/off-air`);
    showing = null;
    apply(u);
    announce("Off air");
  } catch (e) {
    toast(e.message, { error: true });
  }
}

async function publish(q, text, key) {
  const answer = text.value.trim();
  if (!answer) {
    toast("Write the answer first.", { error: true });
    text.focus();
    return;
  }
  $("publish").disabled = true;
  try {
    const u = await api("POST", `/api/questions/${q.id}/answer`, { text: answer });
    drafts.set(key, "");
    apply(u);
    toast("Answer published. It goes to the transcript and to every asker.");
  } catch (e) {
    // The draft stays in the box and in storage: nothing typed is lost.
    toast(e.message, { error: true, ms: 8000 });
    const b = $("publish");
    if (b) b.disabled = false;
  }
}

/** Applies a question snapshot and what it means for the overlay. */
function apply(q, change) {
  const had = questions.get(q.id);
  if (had && had.version > q.version) return;
  questions.set(q.id, q);
  if (q.state === "on_air") showing = { id: q.id, text: q.public_text };
  else if (change === "take_off_air" && showing && showing.id === q.id) showing = null;
  else if (showing && showing.id === q.id && !["on_air", "answered", "corrected"].includes(q.state)) showing = null;
  renderBar();
  renderQueue();
  if (q.id === selectedId && !document.activeElement.matches("textarea")) renderPanel();
  else if (q.id === selectedId && q.answer) renderPanel();
}

function applyEvents(batch) {
  for (const ev of batch) {
    if (ev.type === "question") apply(ev.question, ev.change);
    else if (ev.type === "session") $("title").textContent = ev.session.title;
    else if (ev.type === "note") { notes.set(ev.note.id, ev.note); renderNotes(); }
  }
}

async function load() {
  const [page, now, noteList] = await Promise.all([
    api("GET", `/api/sessions/${sessionId}/questions`),
    api("GET", `/api/sessions/${sessionId}/on-air`),
    api("GET", `/api/sessions/${sessionId}/notes`),
  ]);
  notes.clear();
  for (const n of noteList.notes) notes.set(n.id, n);
  renderNotes();
  questions.clear();
  for (const q of page.questions) questions.set(q.id, q);
  showing = now.showing ? { id: now.showing.id, text: now.showing.text } : null;
  if (selectedId === null && showing) selectedId = showing.id;
  renderBar();
  renderQueue();
  renderPanel();
  return Math.min(page.last_offset, now.last_offset);
}

async function main() {
  if (!sessionId) { toast("This address names no session.", { error: true, ms: 60000 }); return; }
  onLeaveForSignIn(() => { /* drafts are saved as they are typed */ });
  const user = await me();
  myId = user.id;
  $("who").textContent = `${user.name}${user.credentials ? ", " + user.credentials : ""}`;
  $("sign-out").addEventListener("click", () => signOut(false));
  $("off-air").addEventListener("click", offAir);
  const session = await api("GET", `/api/sessions/${sessionId}`);
  $("title").textContent = session.title;
  document.title = `${session.title} · Specialist · Curbside`;
  const since = await load();
  follow(sessionId, since, { onEvents: applyEvents, onReload: load });
}

main().catch((e) => toast(e.message || "The tablet could not start.", { error: true, ms: 20000 }));
