// The live connection to `/ws`: subscribes to one session's staff events from a known offset,
// resumes from the last applied offset after any drop, reconnects with capped exponential
// backoff and jitter, and reports its state ("connecting", "live", "offline") for the screen.

import { me } from "./api.js";
import { showConnection } from "./ui.js";

const MIN_DELAY = 500;
const MAX_DELAY = 10000;
const PING_EVERY = 20000;
/** No frame at all for this long means the socket is dead even if the browser has not noticed. */
const SILENCE_LIMIT = 50000;

export class LiveConnection {
  /**
   * @param {object} o
   * @param {number} o.sessionId
   * @param {number} o.since offset the screen's state was read at
   * @param {(offset:number, event:object) => void} o.onEvent applies one event (idempotent)
   * @param {() => Promise<number>} o.onReload re-reads the state; resolves with its offset
   * @param {(state:string, detail?:string) => void} o.onState
   */
  constructor(o) {
    Object.assign(this, o);
    this.offset = o.since;
    this.attempt = 0;
    this.ws = null;
    this.stopped = false;
    this.lastFrameAt = 0;
    this.timer = null;
    addEventListener("online", () => this.reconnectNow());
  }

  start() { this.connect(); }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.pinger);
    if (this.ws) this.ws.close(1000);
  }

  /** Drops the socket on purpose (tests and "retry now"); it comes back by itself. */
  reconnectNow() {
    if (this.stopped) return;
    this.attempt = 0;
    clearTimeout(this.timer);
    if (this.ws && this.ws.readyState <= 1) this.ws.close(4001);
    else this.connect();
  }

  connect() {
    if (this.stopped) return;
    // After a drop the banner stays up through each attempt: hiding it for the moment a
    // connection is tried would make the page jump under the person's finger.
    this.onState("connecting", this.attempt > 0 ? "Reconnecting…" : undefined);
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${location.host}/ws`);
    this.ws = ws;
    ws.onopen = () => {
      this.lastFrameAt = Date.now();
      this.subscribe();
      clearInterval(this.pinger);
      this.pinger = setInterval(() => this.heartbeat(), PING_EVERY);
    };
    ws.onmessage = (m) => {
      this.lastFrameAt = Date.now();
      let f;
      try { f = JSON.parse(m.data); } catch (_) { return; }
      this.handle(f);
    };
    ws.onclose = () => {
      clearInterval(this.pinger);
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      this.scheduleReconnect();
    };
  }

  subscribe() {
    this.send({ type: "subscribe", session_id: this.sessionId, audience: "staff", since: this.offset });
  }

  send(frame) {
    if (this.ws && this.ws.readyState === 1) this.ws.send(JSON.stringify(frame));
  }

  heartbeat() {
    if (Date.now() - this.lastFrameAt > SILENCE_LIMIT && this.ws) {
      this.ws.close(4002);
      return;
    }
    this.send({ type: "ping" });
  }

  async handle(f) {
    switch (f.type) {
      case "event":
        if (f.session_id !== this.sessionId || f.offset <= this.offset) return;
        this.offset = f.offset;
        this.onEvent(f.offset, f.event);
        break;
      case "replayed":
        this.attempt = 0;
        this.onState("live");
        break;
      case "reload":
        this.onState("connecting", "Catching up…");
        try {
          this.offset = await this.onReload();
          this.subscribe();
        } catch (_) {
          this.scheduleReconnect();
        }
        break;
      case "error":
        if (f.code === "forbidden") {
          this.onState("offline", "Your sign-in has ended.");
          me().catch(() => {}); // a 401 here sends the person to sign in
        } else if (f.code === "unknown_session") {
          this.stopped = true;
          this.onState("offline", "This session does not exist.");
        }
        break;
      default:
        break;
    }
  }

  scheduleReconnect() {
    this.attempt += 1;
    const delay = Math.min(MAX_DELAY, MIN_DELAY * 2 ** (this.attempt - 1));
    const jittered = delay / 2 + Math.random() * delay / 2;
    const secs = Math.max(1, Math.round(jittered / 1000));
    this.onState("offline", `Reconnecting in ${secs} s`);
    // A refused upgrade looks like any drop; after a few, ask the API whether the sign-in ended.
    if (this.attempt === 3) me().catch(() => {});
    this.timer = setTimeout(() => this.connect(), jittered);
  }
}

/**
 * Follows a session for a screen: events are handed over in batches, one per animation frame
 * (a burst of 50 costs one update, not 50), the connection state shows in `#conn` and `#banner`.
 */
export function follow(sessionId, since, { onEvents, onReload }) {
  let pending = [];
  let queued = false;
  const flush = () => {
    queued = false;
    const batch = pending;
    pending = [];
    onEvents(batch);
  };
  const live = new LiveConnection({
    sessionId, since, onReload,
    onEvent: (_offset, event) => {
      pending.push(event);
      if (!queued) { queued = true; requestAnimationFrame(flush); }
    },
    onState: (state, detail) => showConnection(document.getElementById("conn"), document.getElementById("banner"), state, detail),
  });
  live.start();
  window.curbsideLive = live; // lets the browser tests stop it, like a frozen tab
  return live;
}
