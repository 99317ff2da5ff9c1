// Note search across customers (seed 004): purpose, type, operator, outcome, mood, complete or
// open, a date range and words in the subject or detail; pages of 25 and CSV.
import { get, qs } from '../lib/api.js';
import { $, fill, h, setOptions, table } from '../lib/dom.js';
import { dateTime, label } from '../lib/format.js';

const PAGE = 25;

export function initNoteSearch(ctx, agents, lists) {
  const form = $('#ns-form');
  const out = $('#ns-out');
  const csv = $('#ns-csv');
  setOptions($('#ns-purpose'), lists.notes.purposes, { empty: 'Any' });
  setOptions($('#ns-outcome'), lists.notes.call_outcomes, { empty: 'Any' });
  setOptions($('#ns-mood'), lists.notes.customer_moods, { empty: 'Any' });
  setOptions($('#ns-operator'), agents.map((a) => ({ code: a, label: a })), { empty: 'Anyone' });
  const types = [...lists.dispositions.activity_map.map((a) => ({ code: a.label, label: a.label })),
    { code: 'escalation', label: 'Escalation' }];
  setOptions($('#ns-type'), types, { empty: 'Any' });
  let offset = 0;

  function params() {
    const f = form.elements;
    return { q: f.q.value.trim(), purpose: f.purpose.value, type: f.type.value, operator: f.operator.value,
      outcome: f.outcome.value, mood: f.mood.value, state: f.state.value, from: f.from.value, to: f.to.value };
  }

  async function show() {
    const p = params();
    try {
      const found = await get(`/api/notes${qs({ ...p, limit: PAGE, offset })}`);
      fill(out, table([
        { label: 'When', value: (n) => dateTime(n.created_at) },
        { label: 'Customer', value: (n) => h('a', { href: `/customers/${n.customer_id}#note-${n.id}` }, n.customer_name) },
        { label: 'Operator', value: (n) => n.operator || 'system' },
        { label: 'Purpose', value: (n) => (n.purpose ? label(lists.notes.purposes, n.purpose) : '—') },
        { label: 'Subject', value: (n) => n.subject || '—' },
        { label: 'Detail', value: (n) => (n.detail || n.comments || '').slice(0, 160) || '—' },
        { label: 'Outcome', value: (n) => (n.call_outcome ? label(lists.notes.call_outcomes, n.call_outcome) : '—') },
        { label: 'Mood', value: (n) => (n.customer_mood ? label(lists.notes.customer_moods, n.customer_mood) : '—') },
        { label: 'Complete', value: (n) => (n.complete ? 'Yes' : 'Follow-up due') },
      ], found.items, { caption: `Notes ${offset + 1}–${offset + found.items.length}`, empty: 'No notes match.',
        rowAttrs: (n) => ({ dataset: { noteId: n.id } }) }));
      $('#ns-prev').disabled = offset === 0;
      $('#ns-next').disabled = !found.more;
      csv.href = `/api/notes${qs({ ...p, format: 'csv' })}`;
      csv.hidden = false;
    } catch (err) {
      fill(out, h('p', { class: 'error' }, err.lines ? err.lines().join(' ') : err.message));
    }
  }

  form.addEventListener('submit', (ev) => { ev.preventDefault(); offset = 0; show(); });
  $('#ns-prev').addEventListener('click', () => { offset = Math.max(0, offset - PAGE); show(); });
  $('#ns-next').addEventListener('click', () => { offset += PAGE; show(); });
  void ctx;
}
