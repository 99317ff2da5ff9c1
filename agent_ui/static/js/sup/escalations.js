// The escalation queue: open escalations oldest first, each with its actions (acknowledge, reassign
// the account, set a follow-up, close with a note). New ones and changes arrive live
// (`escalation.raised`, `escalation.updated`), with the open count for the header.
import { get, post, qs } from '../lib/api.js';
import { $, fill, h, table, toast } from '../lib/dom.js';
import { dateTime, duration, zone, zoneName } from '../lib/format.js';
import { showCount } from '../lib/escalation_count.js';
import { isoFromLocal } from '../desk/notes_fields.js';

const STATES = { open: 'Open', acknowledged: 'In hand', closed: 'Closed' };

export async function initEscalations(ctx, agents) {
  const box = $('#escalations');
  const filter = $('#esc-state');
  const items = new Map();

  const shows = (e) => filter.value === 'all' || (filter.value === 'open' ? e.state !== 'closed' : e.state === 'closed');

  async function act(e, body, done) {
    try {
      const updated = await post(`/api/escalations/${e.id}/actions`, body);
      apply(updated);
      toast(`${e.customer_name}: ${done}.`);
    } catch (err) {
      toast(`Could not ${body.action.replace('_', ' ')}: ${err.lines ? err.lines().join('; ') : err.message}`, 'error', 8000);
    }
  }

  function controls(e) {
    if (e.state === 'closed') {
      const last = (e.actions || []).at(-1);
      return h('span', { class: 'muted' }, last && last.note ? `Closed: ${last.note}` : 'Closed');
    }
    const who = `${e.customer_name} (escalation ${e.id})`;
    const agent = h('select', { 'aria-label': `Reassign ${who} to` },
      agents.map((a) => h('option', { value: a, selected: a === e.agent }, a)));
    const when = h('input', { type: 'datetime-local', 'aria-label': `Follow-up time for ${who} (${zone()})`,
      title: `In ${zone()} (${zoneName()})` });
    const note = h('input', { 'aria-label': `Note for ${who}`, placeholder: 'note', size: '18' });
    return h('div', { class: 'esc-actions' },
      e.state === 'open' ? h('button', { type: 'button', onclick: () => act(e, { action: 'acknowledge' }, 'acknowledged') },
        'Acknowledge') : null,
      h('span', { class: 'row' }, agent, h('button', { type: 'button',
        onclick: () => act(e, { action: 'reassign', agent: agent.value, note: note.value || null }, `reassigned to ${agent.value}`) },
      'Reassign')),
      h('span', { class: 'row' }, when, h('button', { type: 'button', onclick: () => {
        if (!when.value) { toast('Choose when to follow up.', 'error'); return; }
        act(e, { action: 'follow_up', due_at: isoFromLocal(when.value), note: note.value || null }, 'follow-up set');
      } }, 'Set follow-up')),
      h('span', { class: 'row' }, note, h('button', { type: 'button', class: 'primary', onclick: () => {
        if (!note.value.trim()) { toast('Write a note to close the escalation.', 'error'); note.focus(); return; }
        act(e, { action: 'close', note: note.value }, 'closed');
      } }, 'Close')));
  }

  function draw() {
    const list = [...items.values()].filter(shows);
    fill(box, table([
      { label: 'Raised', value: (e) => h('span', {}, dateTime(e.raised_at), h('br'), h('small', { class: 'muted' }, `${duration(e.age_seconds)} ago`)) },
      { label: 'Customer', value: (e) => h('a', { href: e.customer_url }, e.customer_name) },
      { label: 'Rule', value: (e) => e.rule_label },
      { label: 'What', value: (e) => e.summary },
      { label: 'Agent', value: (e) => e.agent || '—' },
      { label: 'State', value: (e) => STATES[e.state] || e.state },
      { label: 'Actions', value: controls },
    ], list, { empty: filter.value === 'open' ? 'No open escalation.' : 'No escalations.',
      rowAttrs: (e) => ({ dataset: { escalationId: e.id, state: e.state } }) }));
  }

  function apply(e) {
    items.set(e.id, e);
    draw();
  }

  async function load() {
    try {
      const found = await get(`/api/escalations${qs({ state: filter.value, limit: 200 })}`);
      items.clear();
      for (const e of found.items) items.set(e.id, e);
      showCount(found.open_count);
      draw();
    } catch (err) {
      fill(box, h('p', { class: 'error' }, `Escalations could not be loaded: ${err.message}`));
    }
  }

  ctx.socket.on('escalation.raised', (m) => {
    showCount(m.open_count);
    apply(m.escalation);
    toast(`Escalation: ${m.escalation.customer_name}: ${m.escalation.summary}`, 'info', 8000);
  });
  ctx.socket.on('escalation.updated', (m) => { showCount(m.open_count); apply(m.escalation); });
  ctx.socket.on('reset', load);
  filter.addEventListener('change', load);
  await load();
}
