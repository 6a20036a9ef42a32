// The sign-in form: signs in through /api/login (cookie + CSRF token), then returns to `?next=`
// when it is a path on this site, and offers sign-out (here, or on every device).

import { api, rememberCsrf, signOut } from "../shared/api.js";

const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);

/** Only same-origin paths: "/console/3" yes; "//evil.example", "https://…", "/\\evil" no. */
export function safeNext(next) {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return null;
  try {
    const u = new URL(next, location.origin);
    return u.origin === location.origin ? u.pathname + u.search + u.hash : null;
  } catch (_) {
    return null;
  }
}

function showFieldError(id, text) {
  const e = $(id + "-error");
  e.textContent = text || "";
  e.hidden = !text;
  $(id).setAttribute("aria-invalid", text ? "true" : "false");
}

/** `?next=` when it is safe; otherwise where the role works: producers and admins set up on
 *  /admin, moderators and specialists pick their session's console or tablet on the home page. */
function destination(role) {
  const next = safeNext(params.get("next"));
  if (next) return next;
  return role === "admin" || role === "producer" ? "/admin" : "/";
}

async function showSignedIn() {
  try {
    const resp = await fetch("/api/me", { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!resp.ok) return;
    const user = await resp.json();
    $("who").textContent = `${user.name} (${user.role})`;
    $("continue").href = destination(user.role);
    $("signed-in").hidden = false;
    $("form").hidden = true;
  } catch (_) { /* offline: the form stays */ }
}

$("form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const email = $("email").value.trim();
  const password = $("password").value;
  showFieldError("email", email ? "" : "Enter your work email.");
  showFieldError("password", password ? "" : "Enter your password.");
  $("form-error").hidden = true;
  if (!email || !password) return;
  $("submit").disabled = true;
  $("submit").textContent = "Signing in…";
  try {
    const r = await api("POST", "/api/login", { email, password });
    rememberCsrf(r.csrf_token);
    location.assign(destination(r.user && r.user.role));
  } catch (e) {
    $("form-error").textContent = e.status === 401
      ? "That email and password do not match an active staff account."
      : e.message;
    $("form-error").hidden = false;
    $("password").value = "";
    $("password").focus();
  } finally {
    $("submit").disabled = false;
    $("submit").textContent = "Sign in";
  }
});

$("sign-out").addEventListener("click", () => signOut(false));
$("sign-out-all").addEventListener("click", () => signOut(true));

if (params.get("signed_out")) {
  $("notice").textContent = "You are signed out.";
  $("notice").hidden = false;
} else if (params.get("next")) {
  $("notice").textContent = "Sign in to continue.";
  $("notice").hidden = false;
}
showSignedIn();
