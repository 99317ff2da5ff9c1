// The call log (issue 20): my calls (every call for supervisors), newest first, with the controls
// used on each (holds, transfers, recording pauses) and its recordings.
import { get } from '../lib/api.js';
import { $, fill, h } from '../lib/dom.js';
import { dateTime, duration } from '../lib/format.js';
import { recordingItem } from './recordings.js';

const ACTIONS = { hold: 'Held', unhold: 'Resumed', transfer_blind: 'Blind transfer', transfer_warm: 'Consulted',
  transfer_return: 'Returned to the caller', transfer_complete: 'Completed the transfer',
  recording_pause: 'Recording paused', recording_resume: 'Recording resumed' };

function actionLine(a) {
  const failed = a.outcome === 'failed' ? ` (failed: ${a.message || 'refused'})` : '';
  return h('li', { dataset: { action: a.action, outcome: a.outcome } },
    `${dateTime(a.at)} ${ACTIONS[a.action] || a.action}${a.target ? ` → ${a.target}` : ''}${failed}`);
}

function callItem(call) {
  const who = call.customer_name || call.caller_number || call.dialed_number || 'unknown';
  const talk = call.talk_seconds != null ? `talked ${duration(call.talk_seconds)}` : call.cause || '';
  return h('li', { class: 'call-log-item', dataset: { callId: call.call_id } },
    h('div', {}, h('strong', {}, who), ' ', h('span', { class: 'tag' }, call.direction),
      h('span', { class: 'muted' }, ` · ${dateTime(call.offered_at)} · ${call.agent || '—'} · ${talk}`)),
    call.actions.length ? h('ul', { class: 'call-actions', 'aria-label': 'Controls used' },
      call.actions.map(actionLine)) : null,
    call.recordings.length ? h('ul', { class: 'recordings' }, call.recordings.map(recordingItem)) : null);
}

export function initCallLog(ctx) {
  const list = $('#call-log-list');
  if (!list) return;
  async function load() {
    try {
      const found = await get('/api/calls?limit=50');
      fill(list, ...(found.items.length ? found.items.map(callItem) : [h('li', { class: 'muted' }, 'No calls yet.')]));
    } catch (err) {
      fill(list, h('li', { class: 'error' }, err.message));
    }
  }
  $('#tabbtn-calllog').addEventListener('click', load);
  $('#call-log-refresh').addEventListener('click', load);
  ctx.socket.on('call.ended', () => { if (!$('#tab-calllog').hidden) setTimeout(load, 1500); });
}
