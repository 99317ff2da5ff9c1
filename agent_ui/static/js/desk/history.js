// Interaction history (seeds 000, 002, 004): newest first, filtered by type and date range.
import { get, qs } from '../lib/api.js';
import { fill, h } from '../lib/dom.js';
import { date, dateTime, humanise, label, money } from '../lib/format.js';
import { recordingsBlock } from './recordings.js';

const CHANNELS = [['call', 'Calls'], ['sms', 'SMS'], ['email', 'Emails'], ['visit', 'Visits'], ['note', 'Notes'],
  ['mpesa', 'M-Pesa'], ['ivr', 'IVR']];
const BADGE = { call: 'Call', sms: 'SMS', email: 'Email', visit: 'Visit', note: 'Note', mpesa: 'M-Pesa', ivr: 'IVR' };

export function dispositionText(ctx, d) {
  if (!d || !d.status) return '';
  const s = ctx.lists.dispositions.statuses.find((x) => x.code === d.status);
  const r = s && s.reasons.find((x) => x.code === d.reason);
  const z = r && r.resolutions.find((x) => x.code === d.resolution);
  return [s ? s.label : d.status, r ? r.label : d.reason, z ? z.label : d.resolution].filter(Boolean)
    .map((x) => (/_/.test(x) ? humanise(x) : x)).join(' → ');
}

export function noteItem(ctx, n) {
  const lists = ctx.lists;
  const bits = [
    n.action && `Action: ${label(lists.followup.actions, n.action)}`,
    n.call_result && `Result: ${label(lists.followup.call_results, n.call_result)}`,
    n.call_status && `Status: ${label(lists.followup.call_statuses, n.call_status)}`,
    n.party_response && `Response: ${label(lists.followup.party_responses, n.party_response)}`,
    n.promised_amount && `Promised ${money(n.promised_amount)} by ${date(n.promised_date)}`,
    n.visit_date && `Visit ${date(n.visit_date)}`,
    n.callback_at && `Callback ${dateTime(n.callback_at)}`,
    n.client_status && `Client: ${label(lists.followup.client_statuses, n.client_status)}`,
    n.purpose && `Purpose: ${label(lists.notes.purposes, n.purpose)}`,
    n.call_outcome && `Outcome: ${label(lists.notes.call_outcomes, n.call_outcome)}`,
    n.customer_mood && `Mood: ${label(lists.notes.customer_moods, n.customer_mood)}`,
  ].filter(Boolean);
  // The note's message as recorded: its template by name and the text, never an empty "…:".
  const template = n.message_template && (label((lists.templates || {}).templates || [], n.message_template) || n.message_template);
  const message = (n.send_message || n.message_template || n.message_body) && (n.message_body || template)
    ? h('p', { class: 'note-msg' }, `${n.message_sent ? 'Message sent' : 'Message recorded, not sent'}${
      template ? ` (template “${template}”)` : ''}${n.message_body ? `: ${n.message_body}` : '.'}`) : null;
  return h('li', { class: 'note', id: `note-${n.id}`, dataset: { interactionId: n.id } },
    h('div', { class: 'note-head' }, h('span', { class: `tag ${n.channel}` }, n.activity_type ? humanise(n.activity_type) : BADGE[n.channel] || humanise(n.channel)),
      ' ', h('strong', {}, dispositionText(ctx, n.disposition) || n.subject || 'Note'),
      h('span', { class: 'muted' }, ` · ${dateTime(n.created_at)} · ${n.operator || '—'}`),
      n.complete === false ? h('span', { class: 'tag pending' }, 'follow-up') : null),
    n.subject ? h('p', {}, n.subject) : null,
    bits.length ? h('p', { class: 'muted' }, bits.join(' · ')) : null,
    n.comments ? h('p', {}, n.comments) : null,
    n.detail ? h('p', {}, n.detail) : null,
    message);
}

export function renderHistory(box, record, ctx) {
  const typeSelect = h('select', { id: 'hist-type', name: 'type' },
    h('option', { value: '' }, 'All types'),
    CHANNELS.map(([c, l]) => h('option', { value: `channel:${c}` }, l)),
    ctx.lists.dispositions.activity_map.map((a) => h('option', { value: `type:${a.label}` }, `Activity: ${a.label}`)),
    ctx.lists.notes.purposes.map((p) => h('option', { value: `type:${p.code}` }, `Purpose: ${p.label}`)));
  const from = h('input', { type: 'date', id: 'hist-from', name: 'from' });
  const to = h('input', { type: 'date', id: 'hist-to', name: 'to' });
  const list = h('ol', { class: 'history', id: 'history-list', 'aria-live': 'polite' });
  const draw = (items) => fill(list, ...(items.length ? items.map((n) => noteItem(ctx, n))
    : [h('li', { class: 'muted' }, 'No interactions match.')]));
  const form = h('form', { class: 'row filters', id: 'history-filter' },
    h('label', { for: 'hist-type' }, 'Type'), typeSelect,
    h('label', { for: 'hist-from' }, 'From'), from,
    h('label', { for: 'hist-to' }, 'To'), to,
    h('button', { type: 'submit' }, 'Filter'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const [kind, value] = typeSelect.value.split(':');
    const params = { channel: kind === 'channel' ? value : '', type: kind === 'type' ? value : '',
      from: from.value, to: to.value };
    try {
      const found = await get(`/api/customers/${record.id}/interactions${qs(params)}`);
      draw(found.items);
    } catch (err) {
      fill(list, h('li', { class: 'error' }, err.message));
    }
  });
  box.append(h('h3', {}, 'Interaction history'), form, list, recordingsBlock(record.id));
  draw(record.interactions);
}
