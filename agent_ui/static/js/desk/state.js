// The state bar: ready / paused (with a pause code) / ringing / on call / wrap-up (with a
// countdown) / logged out, and the time in the state. Driven by `agent.state` on the socket.
import { get, put } from '../lib/api.js';
import { $, setOptions, toast } from '../lib/dom.js';
import { STATE_LABELS, duration, humanise, label, since } from '../lib/format.js';

export function initState(ctx) {
  const pill = $('#state-pill');
  const reason = $('#state-reason');
  const clock = $('#state-clock');
  const wrapBox = $('#wrapup-box');
  const wrapClock = $('#wrapup-countdown');
  const callBox = $('#call-box');
  const pauseSelect = $('#pause-code');
  const pauseCodes = () => ctx.lists.pause_codes.pause_codes;
  setOptions(pauseSelect, pauseCodes());
  document.addEventListener('lists-changed', (ev) => {
    if (ev.detail.name === 'pause_codes') setOptions(pauseSelect, pauseCodes());
  });
  let current = null;

  function render(view) {
    if (!view || (view.username && view.username !== ctx.me.username)) return;
    // A read sent before a change can answer after it (a slow server): keep the newer state.
    if (current && Date.parse(view.since) < Date.parse(current.since)) return;
    current = view;
    ctx.agentState = view;
    pill.dataset.state = view.state;
    pill.textContent = STATE_LABELS[view.state] || humanise(view.state);
    reason.textContent = view.state === 'paused' ? label(pauseCodes(), view.reason) : '';
    callBox.hidden = !view.call_id;
    callBox.textContent = view.call_id ? `call ${view.call_id}` : '';
    $('#go-ready').disabled = ['ready', 'ringing', 'on_call'].includes(view.state);
    tick();
  }

  function tick() {
    if (!current) return;
    clock.textContent = duration(since(current.since));
    const wrapping = current.state === 'wrap_up' && current.wrapup_until;
    wrapBox.hidden = !wrapping;
    if (wrapping) wrapClock.textContent = duration(-since(current.wrapup_until));
  }

  async function request(state, reasonCode = null) {
    try {
      render(await put('/api/agents/me/state', { state, reason: reasonCode }));
    } catch (err) {
      toast(`Could not change state: ${err.message}`, 'error');
    }
  }

  $('#go-ready').addEventListener('click', () => request('ready'));
  $('#go-pause').addEventListener('click', () => request('paused', pauseSelect.value));
  $('#go-logout').addEventListener('click', () => request('logged_out'));
  ctx.socket.on('agent.state', render);
  async function reload() {
    try {
      render(await get('/api/agents/me'));
    } catch (err) {
      toast(`Could not read your state: ${err.message}`, 'error');
    }
  }
  ctx.socket.on('hello', reload);
  ctx.socket.on('reset', reload);
  setInterval(tick, 1000);
}
