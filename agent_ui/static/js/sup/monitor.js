// Live monitoring (issue 22): Listen / Whisper / Barge on a call an agent is talking on. The
// supervisor's phone rings and joins the call; the answer of the phone system comes on the
// wallboard stream as `monitor.status` (shown to the supervisor who asked). Another mode on the
// same call replaces the session; "Stop" hangs the supervisor's leg up.
import { post } from '../lib/api.js';
import { h, toast } from '../lib/dom.js';
import { viewer } from '../lib/session.js';

const MODES = [
  ['listen', 'Listen', 'hear the call; nobody hears you'],
  ['whisper', 'Whisper', 'speak to the agent; the customer does not hear you'],
  ['barge', 'Barge', 'join the call; everyone hears you'],
];
const sessions = new Map(); // call_id -> {id, mode}

async function monitor(callId, mode, who) {
  try {
    const session = await post('/api/monitor', { call_id: callId, mode });
    sessions.set(callId, { id: session.id, mode });
    toast(`Calling your phone to ${mode} to ${who}'s call.`);
  } catch (err) {
    toast(`Could not ${mode}: ${err.message}`, 'error');
  }
}

async function stop(callId) {
  const session = sessions.get(callId);
  if (!session) return;
  try {
    await post(`/api/monitor/${session.id}/stop`, {});
    sessions.delete(callId);
    toast('You left the call.');
  } catch (err) {
    toast(`Could not leave the call: ${err.message}`, 'error');
  }
}

// The buttons for one live call; `who` is the agent's name, for the labels.
export function monitorButtons(callId, who) {
  return h('span', { class: 'monitor', dataset: { monitorCall: callId } },
    ...MODES.map(([mode, text, hint]) => h('button', {
      type: 'button', class: 'small', title: `${text}: ${hint}`, 'aria-label': `${text} to ${who}'s call`,
      dataset: { monitor: mode }, onclick: () => monitor(callId, mode, who),
    }, text)),
    h('button', { type: 'button', class: 'small secondary', 'aria-label': `Stop monitoring ${who}'s call`,
      dataset: { monitor: 'stop' }, onclick: () => stop(callId) }, 'Stop'));
}

export function initMonitor(ctx) {
  const me = (viewer() || {}).username;
  ctx.socket.on('monitor.status', (s) => {
    if (s.supervisor !== me) return;
    if (s.status === 'failed') sessions.delete(s.call_id);
    toast(s.message, s.status === 'failed' ? 'error' : 'info', 8000);
  });
}
