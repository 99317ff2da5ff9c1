// The live event stream: one WebSocket that reconnects by itself (backoff with jitter) and resumes
// from the last seq it delivered, so nothing is missed and nothing is shown twice. Listeners get
// one DOM event per message type ('call.ringing', 'agent.state' ...) with the data as `detail`.
import { token, toLogin } from './session.js';

// A single-use ticket for the socket's URL (POST /api/ws-ticket): the sign-in token never rides in a URL.
async function fetchTicket() {
  const headers = { Accept: 'application/json' };
  const bearer = token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  const res = await fetch('/api/ws-ticket', { method: 'POST', headers, credentials: 'same-origin' });
  if (res.status === 401) return null;
  if (!res.ok) throw new Error(`ticket: ${res.status}`);
  return (await res.json()).ticket;
}

const PING_MS = 15000;
const SILENT_MS = 40000; // no frame (not even a pong) for this long: the link is dead
const MAX_BACKOFF_MS = 10000;

export class LiveSocket extends EventTarget {
  constructor(stream) {
    super();
    this.stream = stream;
    this.key = `sb.seq.${stream}.${document.body.dataset.username || ''}`;
    const stored = sessionStorage.getItem(this.key);
    this.lastSeq = stored === null ? null : Number(stored);
    this.attempt = 0;
    this.ws = null;
    this.timer = null;
    this.opening = false;
    this.state = 'connecting';
    this.lastFrame = Date.now();
    window.addEventListener('online', () => this.reconnectNow());
    setInterval(() => this.heartbeat(), PING_MS);
  }

  start() {
    this.connect();
    return this;
  }

  url(ticket) {
    const params = new URLSearchParams({ stream: this.stream, ticket });
    if (this.lastSeq !== null) params.set('after_seq', String(this.lastSeq));
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    return `${proto}://${location.host}/ws?${params}`;
  }

  async connect() {
    clearTimeout(this.timer);
    this.timer = null;
    if (!navigator.onLine) {
      this.setState('lost');
      return; // the 'online' event reconnects
    }
    if (this.opening) return;
    this.opening = true;
    let ticket;
    try {
      ticket = await fetchTicket();
    } catch {
      this.opening = false;
      this.setState('lost'); // the server is unreachable: try again with backoff
      this.schedule();
      return;
    }
    this.opening = false;
    if (ticket === null) {
      toLogin();
      return;
    }
    const ws = new WebSocket(this.url(ticket));
    this.ws = ws;
    ws.addEventListener('open', () => {
      this.attempt = 0;
      this.lastFrame = Date.now();
    });
    ws.addEventListener('message', (ev) => {
      if (ws === this.ws) this.receive(ev.data);
    });
    ws.addEventListener('close', (ev) => {
      if (ws !== this.ws) return;
      this.ws = null;
      if (ev.code === 4401) {
        toLogin(String(ev.reason || '').startsWith('session ended'));
        return;
      }
      this.setState('lost');
      this.schedule();
    });
  }

  schedule() {
    if (this.timer) return;
    const base = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempt);
    this.attempt += 1;
    this.timer = setTimeout(() => this.connect(), base / 2 + Math.random() * (base / 2));
  }

  reconnectNow() {
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) return;
    this.attempt = 0;
    this.connect();
  }

  // Drops the current link (as a network fault would); the socket comes back by itself.
  drop() {
    if (this.ws) this.ws.close();
  }

  heartbeat() {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - this.lastFrame > SILENT_MS) {
      this.ws.close();
      return;
    }
    this.ws.send(JSON.stringify({ type: 'ping' }));
  }

  setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.dispatchEvent(new CustomEvent('status', { detail: state }));
  }

  setSeq(seq) {
    this.lastSeq = seq;
    sessionStorage.setItem(this.key, String(seq));
  }

  receive(text) {
    this.lastFrame = Date.now();
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (!msg || typeof msg.type !== 'string') return;
    if (msg.type === 'hello') {
      if (this.lastSeq === null) this.setSeq(msg.seq);
      this.setState('open');
      this.dispatchEvent(new CustomEvent('hello', { detail: msg.data }));
      return;
    }
    if (msg.type === 'reset') {
      // The server's stream restarted under our seq: start again from its seq, and let the page
      // reload its snapshot (agent state, wallboard) before the new messages arrive.
      this.setSeq(msg.seq);
      this.dispatchEvent(new CustomEvent('reset', { detail: msg.data || {} }));
      return;
    }
    if (msg.type === 'pong' || msg.type === 'error') return;
    if (typeof msg.seq === 'number') {
      if (this.lastSeq !== null && msg.seq <= this.lastSeq) return; // already shown
      this.setSeq(msg.seq);
    }
    this.dispatchEvent(new CustomEvent(msg.type, { detail: msg.data || {} }));
    this.dispatchEvent(new CustomEvent('message', { detail: msg }));
  }

  on(type, handler) {
    this.addEventListener(type, (ev) => handler(ev.detail));
  }
}

// The banner for a lost link: it never signs anyone out and never clears a form.
export function connectionBanner(socket) {
  const banner = document.getElementById('conn-banner');
  let shownAt = 0;
  socket.on('status', (state) => {
    if (!banner) return;
    if (state === 'lost') {
      banner.textContent = 'Connection lost — reconnecting… Your work on this page is kept.';
      banner.hidden = false;
      banner.dataset.state = 'lost';
      shownAt = Date.now();
    } else if (state === 'open' && shownAt) {
      banner.dataset.state = 'open';
      banner.textContent = 'Reconnected.';
      setTimeout(() => { if (socket.state === 'open') banner.hidden = true; }, 1500);
    }
  });
}
