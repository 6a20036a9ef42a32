// The staff API client: JSON in and out, the CSRF token from sign-in on every write, a 401 sends
// the person to sign in (after the screen has saved its drafts), a 403 says which role is needed.

const CSRF_KEY = "curbside.csrf";

/** An API refusal, with the server's stable code, its human message and, for a form, the
 *  request field the message is about (shown next to that field). */
export class ApiError extends Error {
  constructor(status, code, message, field = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

const beforeSignIn = [];
/** Registers a callback that saves unsent work before the page goes to the sign-in form. */
export function onLeaveForSignIn(fn) { beforeSignIn.push(fn); }

export function rememberCsrf(token) { localStorage.setItem(CSRF_KEY, token); }
export function forgetCsrf() { localStorage.removeItem(CSRF_KEY); }

/** Sends the person to the sign-in form, coming back here afterwards. */
export function goToSignIn() {
  for (const fn of beforeSignIn) { try { fn(); } catch (_) { /* saving is best effort */ } }
  const next = location.pathname + location.search;
  location.assign("/login?next=" + encodeURIComponent(next));
}

/** How long a call may take before it counts as "no connection": a dead network can leave a
 * request hanging for minutes, and the person must learn at once that their answer did not go. */
const CALL_TIMEOUT_MS = 8000;

/** Calls the staff API. Resolves with the parsed body (or null for 204); rejects with ApiError. */
export async function api(method, path, body) {
  const headers = { "Accept": "application/json" };
  if (method !== "GET") {
    headers["X-CSRF-Token"] = localStorage.getItem(CSRF_KEY) || "";
    if (body !== undefined) headers["Content-Type"] = "application/json";
  }
  let resp;
  try {
    resp = await fetch(path, {
      method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
  } catch (_) {
    throw new ApiError(0, "network", "No connection to Curbside. Your work is kept; try again in a moment.");
  }
  if (resp.status === 204) return null;
  let data = null;
  try { data = await resp.json(); } catch (_) { data = null; }
  if (resp.ok) return data;
  const message = (data && data.message) || `The server answered ${resp.status}.`;
  const code = (data && data.error) || "error";
  if (resp.status === 401 && path !== "/api/login") {
    goToSignIn();
  } else if (resp.status === 403 && /X-CSRF-Token/i.test(message)) {
    // Signed in by cookie, but this tab lost the sign-in's CSRF token: sign in again.
    goToSignIn();
  }
  throw new ApiError(resp.status, code, resp.status === 403 ? forbiddenText(message) : message, (data && data.field) || null);
}

/** "a specialist may not do this; it needs …" reads better with a capital and a full stop. */
function forbiddenText(message) {
  const m = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(m) ? m : m + ".";
}

/** The signed-in member, or a redirect to sign in. */
export async function me() { return api("GET", "/api/me"); }

/** Signs out of this browser, or of every device with `everywhere`. */
export async function signOut(everywhere = false) {
  try { await api("POST", "/api/logout", everywhere ? { everywhere: true } : undefined); } catch (_) { /* signed out anyway */ }
  forgetCsrf();
  location.assign("/login?signed_out=1");
}
