// The call log: the same filters as GET /api/calls, pages newest first (a cursor per page, kept so
// "Newer" goes back), CSV of the same filters, and the drill-down from a report's agent row.
import { get, qs } from '../lib/api.js';
import { $, fill, h, setOptions, table } from '../lib/dom.js';
import { dateTime, duration, humanise, label } from '../lib/format.js';
import { dispositionLabel } from '../lib/disposition.js';
import { monitorButtons } from './monitor.js';

const OUTCOMES = { answered: 'Answered', abandoned: 'Abandoned', missed: 'Missed' };
const PAGE = 25;
const secs = (n) => (n === null || n === undefined ? '—' : duration(n));

export function initCalls(ctx, agents, lists) {
  const form = $('#calls-form');
  const out = $('#calls-out');
  const csv = $('#calls-csv');
  const older = $('#calls-older');
  const newer = $('#calls-newer');
  setOptions($('#calls-agent'), agents.map((a) => ({ code: a, label: a })), { empty: 'All agents' });
  setOptions($('#calls-campaign'), lists.dialer.campaigns, { empty: 'All campaigns' });
  let cursors = [null];
  let next = null;

  function filters() {
    const f = form.elements;
    return { agent: f.agent.value, queue: f.queue.value.trim(), campaign: f.campaign.value, direction: f.direction.value,
      outcome: f.outcome.value, customer: f.customer.value, from: f.from.value, to: f.to.value };
  }

  function draw(items) {
    fill(out, table([
      { label: 'Offered', value: (c) => dateTime(c.offered_at) },
      { label: 'Direction', value: (c) => humanise(c.direction) },
      { label: 'Queue / campaign', value: (c) => [c.queue && humanise(c.queue),
        c.campaign && label(lists && lists.dialer.campaigns, c.campaign)].filter(Boolean).join(' / ') || '—' },
      { label: 'Customer', value: (c) => (c.customer_url ? h('a', { href: c.customer_url }, c.customer_name || `#${c.customer_id}`)
        : c.caller_number || '—') },
      { label: 'Agent', value: (c) => c.agent || '—' },
      { label: 'Rang', value: (c) => c.rang.join(', ') || '—' },
      { label: 'Wait', value: (c) => secs(c.wait_seconds), class: 'num' },
      { label: 'Talk', value: (c) => secs(c.talk_seconds), class: 'num' },
      { label: 'Wrap-up', value: (c) => secs(c.wrapup_seconds), class: 'num' },
      { label: 'Outcome', value: (c) => OUTCOMES[c.outcome] || c.outcome },
      { label: 'Disposition', value: (c) => dispositionLabel(lists, c.disposition) || '—' },
      { label: 'Note', value: (c) => (c.note_url ? h('a', { href: c.note_url }, `note ${c.note_id}`) : '—') },
      { label: 'Live', value: (c) => (c.answered_at && !c.ended_at && c.agent ? monitorButtons(c.call_id, c.agent) : '—') },
    ], items, { caption: `Calls, newest first (page ${cursors.length})`, empty: 'No calls match.',
      rowAttrs: (c) => ({ dataset: { callId: c.call_id, agent: c.agent || '' } }) }));
  }

  async function show(cursor) {
    const params = filters();
    try {
      const found = await get(`/api/calls${qs({ ...params, limit: PAGE, cursor })}`);
      next = found.next_cursor;
      draw(found.items);
      csv.href = `/api/calls${qs({ ...params, format: 'csv' })}`;
      csv.hidden = false;
    } catch (err) {
      next = null;
      fill(out, h('p', { class: 'error' }, err.lines ? err.lines().join(' ') : err.message));
    }
    older.disabled = !next;
    newer.disabled = cursors.length <= 1;
    $('#calls-page').textContent = `page ${cursors.length}`;
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    cursors = [null];
    show(null);
  });
  older.addEventListener('click', () => { cursors.push(next); show(next); });
  newer.addEventListener('click', () => { cursors.pop(); show(cursors.at(-1)); });

  return {
    // The drill-down: one agent's calls of one local day.
    showAgentDay(agent, day) {
      form.reset();
      form.elements.agent.value = agent;
      form.elements.from.value = day;
      form.elements.to.value = day;
      $('#calls-card').scrollIntoView({ block: 'start' });
      form.requestSubmit();
    },
  };
}
