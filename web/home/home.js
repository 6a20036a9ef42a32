// The start page: when signed in, the sessions with links to the console and the tablet.

import { el } from "../shared/ui.js";

const $ = (id) => document.getElementById(id);
const STATUS = { live: "Live", scheduled: "Scheduled", ended: "Ended" };

async function main() {
  const opts = { credentials: "same-origin", headers: { Accept: "application/json" } };
  const meResp = await fetch("/api/me", opts);
  if (!meResp.ok) return; // not signed in: the page offers "Sign in"
  const user = await meResp.json();
  $("who").textContent = `${user.name} · ${user.role}`;
  $("sign-in").textContent = "Account";
  $("sign-in").href = "/login";
  if (user.role === "admin" || user.role === "producer") {
    $("sign-in").before(el("a.button", { href: "/admin" }, "Set-up"));
  }
  const resp = await fetch("/api/sessions", opts);
  if (!resp.ok) return;
  const { sessions } = await resp.json();
  $("session-list").replaceChildren(...sessions.map((s) => el("li", {},
    el("span.title", {}, s.title),
    el("span.badge" + (s.status === "live" ? ".state-on_air" : ""), {}, STATUS[s.status] || s.status),
    el("a.button", { href: `/console/${s.id}` }, "Moderator console"),
    el("a.button", { href: `/tablet/${s.id}` }, "Specialist tablet"))));
  $("sessions").hidden = sessions.length === 0;
}

main().catch(() => { /* the static links still work */ });
