// Reports with charts and CSV export: notes by type / operator / customer over a date range
// (seed 004); agent activity and collection efficiency (seed 003) where the server offers them.
import { get, qs } from '../lib/api.js';
import { $, fill, h, table } from '../lib/dom.js';
import { bars } from '../lib/charts.js';
import { duration, money, percent, today } from '../lib/format.js';
import { has } from '../lib/features.js';

const OTHER = {
  agents: { path: '/api/reports/agents', title: 'Agent activity and performance',
    columns: [['agent', 'Agent'], ['calls', 'Calls'], ['talk_seconds', 'Talk time', duration], ['promises', 'Promises'],
      ['kept_rate', 'Kept rate', percent]], chart: ['calls', 'Calls per agent'] },
  collections: { path: '/api/reports/collections', title: 'Outstanding debt and collection efficiency',
    columns: [['group', 'Group'], ['outstanding', 'Outstanding', money], ['overdue', 'Overdue', money],
      ['collected', 'Collected', money], ['efficiency', 'Collection efficiency', percent]], chart: ['outstanding', 'Outstanding debt'] },
};

function notesOut(out, data, by) {
  const groups = data.groups || [];
  fill(out,
    bars(groups.map((g) => ({ label: g.label || g.key, value: g.count })), `Notes by ${by}, ${data.from} to ${data.to}`),
    table([
      { label: by === 'customer' ? 'Customer' : by === 'operator' ? 'Operator' : 'Type', value: (g) => g.label || g.key },
      { label: 'Notes', value: (g) => String(g.count), class: 'num' },
      { label: 'Latest', value: (g) => (g.notes[0] && (g.notes[0].subject || g.notes[0].comments)) || '—' },
    ], groups, { caption: `Notes by ${by}, ${data.from} to ${data.to}`, empty: 'No notes in this range.' }));
}

function otherOut(out, spec, data) {
  const rows = data.items || data.rows || [];
  const [key, caption] = spec.chart;
  fill(out, bars(rows.map((r) => ({ label: r[spec.columns[0][0]], value: Number(r[key]) || 0 })), caption),
    table(spec.columns.map(([k, l, f]) => ({ label: l, value: (r) => (f ? f(r[k]) : String(r[k] ?? '—')) })), rows,
      { caption: spec.title }));
}

export function initReports(ctx) {
  const form = $('#report-form');
  const out = $('#report-out');
  const csv = $('#report-csv');
  $('#report-from').value = today(-30);
  $('#report-to').value = today();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const [kind, by] = $('#report-kind').value.split(':');
    const range = { from: $('#report-from').value, to: $('#report-to').value };
    csv.hidden = true;
    try {
      if (kind === 'notes') {
        notesOut(out, await get(`/api/reports/notes${qs({ by, ...range })}`), by);
        csv.href = `/api/reports/notes${qs({ by, ...range, format: 'csv' })}`;
        csv.hidden = false;
        return;
      }
      const spec = OTHER[kind];
      if (!(await has(spec.path))) {
        fill(out, h('p', { class: 'muted' }, `${spec.title} needs GET ${spec.path} on the server; it is not there yet.`));
        return;
      }
      otherOut(out, spec, await get(`${spec.path}${qs(range)}`));
      csv.href = `${spec.path}${qs({ ...range, format: 'csv' })}`;
      csv.hidden = false;
    } catch (err) {
      fill(out, h('p', { class: 'error' }, err.lines ? err.lines().join(' ') : err.message));
    }
  });
  void ctx;
}
