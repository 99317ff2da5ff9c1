// Reports with charts and CSV export: notes by type / operator / customer (seed 004); agent
// performance, agent activity per day, collection efficiency (seed 003); SLA compliance per queue
// and day or hour; escalations by rule, age and outcome; quality scores (sup/qa_report.js). An
// agent's row drills down to that agent's calls of the day in the call log.
import { get, qs } from '../lib/api.js';
import { $, fill, h, table } from '../lib/dom.js';
import { bars } from '../lib/charts.js';
import { count, duration, humanise, label, money, percent, today } from '../lib/format.js';
import { qaReportOut } from './qa_report.js';

const num = (v) => count(v);
let lists = null;  // the config lists (set by initReports): labels for pause codes and campaigns
const secs = (v) => (v === null || v === undefined ? '—' : duration(v));
const codes = (m) => Object.entries(m || {})
  .map(([k, v]) => `${label(lists && lists.pause_codes.pause_codes, k)} ${duration(v)}`).join(', ') || '—';
const group = (g) => (lists ? label(lists.dialer.campaigns, g) : humanise(g));

const OTHER = {
  agents: { path: '/api/reports/agents', title: 'Agent activity and performance', drill: true,
    columns: [['agent', 'Agent'], ['calls', 'Calls'], ['talk_seconds', 'Talk time', duration], ['promises', 'Promises'],
      ['kept_rate', 'Kept rate', percent]], chart: ['calls', 'Calls per agent'] },
  activity: { path: '/api/reports/activity', title: 'Agent activity per day', drill: true,
    columns: [['agent', 'Agent'], ['day', 'Day'], ['logged_in_seconds', 'Logged in', secs], ['ready_seconds', 'Ready', secs],
      ['paused_by_code', 'Paused (by code)', codes], ['talk_seconds', 'Talk', secs], ['wrap_up_seconds', 'Wrap-up', secs],
      ['calls', 'Calls'], ['promises', 'Promises'], ['kept_rate', 'Kept rate', percent], ['occupancy', 'Occupancy', percent]],
    chart: ['occupancy', 'Occupancy per agent and day', (r) => `${r.agent} ${r.day}`, percent] },
  collections: { path: '/api/reports/collections', title: 'Outstanding debt and collection efficiency',
    columns: [['group', 'Campaign', group], ['outstanding', 'Outstanding', money], ['overdue', 'Overdue', money],
      ['collected', 'Collected', money], ['efficiency', 'Collection efficiency', percent]],
    chart: ['outstanding', 'Outstanding debt', (r) => group(r.group), money] },
  payments: { path: '/api/reports/payments', title: 'M-Pesa: paid during the call, per agent',
    columns: [['agent', 'Agent'], ['requests', 'Payment requests'], ['requests_paid', 'Requests paid'],
      ['paid_during_call', 'Paid during the call'], ['paid_during_call_amount', 'Amount paid during the call', money]],
    chart: ['paid_during_call', 'Payments during the call per agent'] },
};

const SLA_COLUMNS = [['queue', 'Queue'], ['period', 'Period'], ['threshold_seconds', 'Threshold (s)'], ['offered', 'Offered'],
  ['answered', 'Answered'], ['answered_within', 'Within threshold'], ['abandoned', 'Abandoned'],
  ['short_abandoned', 'Short abandons (≤ 5 s)'], ['service_level', 'Service level', percent],
  ['average_speed_of_answer', 'Avg speed of answer (s)', num], ['longest_wait', 'Longest wait (s)', num]];

function columnsOf(spec) {
  return spec.map(([k, l, f]) => ({ label: l, value: (r) => (f ? f(r[k]) : num(r[k])) }));  // f(value) only: money's 2nd is the currency
}

function notesOut(out, data, by) {
  const groups = (data.groups || []).map((g) => ({ ...g, label: g.label && !/_/.test(g.label) ? g.label : humanise(g.label || g.key) }));
  fill(out,
    bars(groups.map((g) => ({ label: g.label, value: g.count })), `Notes by ${by}, ${data.from} to ${data.to}`),
    table([
      { label: by === 'customer' ? 'Customer' : by === 'operator' ? 'Operator' : 'Purpose', value: (g) => g.label },
      { label: 'Notes', value: (g) => count(g.count), class: 'num' },
      { label: 'Latest', value: (g) => (g.notes[0] && (g.notes[0].subject || g.notes[0].comments)) || '—' },
    ], groups, { caption: `Notes by ${by}, ${data.from} to ${data.to}`, empty: 'No notes in this range.' }));
}

function otherOut(out, spec, data, ctx) {
  const rows = data.items || [];
  const [key, caption, labelOf, format] = spec.chart;
  const chart = bars(rows.map((r) => ({ label: labelOf ? labelOf(r) : r[spec.columns[0][0]], value: Number(r[key]) || 0,
    display: format ? format(r[key]) : undefined })), caption, { width: 560, labelWidth: 200 });
  const columns = columnsOf(spec.columns);
  if (spec.drill && ctx.calls) {
    columns.push({ label: 'Calls of the day', value: (r) => h('button', { type: 'button', class: 'link',
      onclick: () => ctx.calls.showAgentDay(r.agent, r.day || data.to) }, `${r.agent}'s calls, ${r.day || data.to}`) });
  }
  fill(out, chart, table(columns, rows, { caption: `${spec.title}, ${data.from} to ${data.to}`, empty: 'Nothing in this range.',
    rowAttrs: (r) => ({ dataset: { agent: r.agent || '', day: r.day || '' } }) }));
}

function slaOut(out, data) {
  const rows = data.items || [];
  fill(out,
    bars(rows.map((r) => ({ label: `${r.queue} ${r.period}`, value: Math.round((r.service_level || 0) * 1000) / 10,
      display: percent(r.service_level) })), `Service level per queue and ${data.by}, ${data.from} to ${data.to}`,
    { width: 620, labelWidth: 250 }),
    table(columnsOf(SLA_COLUMNS), rows, { caption: `SLA compliance per queue and ${data.by}`, empty: 'No queue calls in this range.',
      rowAttrs: (r) => ({ dataset: { queue: r.queue, period: r.period } }) }),
    table(columnsOf(SLA_COLUMNS), data.totals || [], { caption: 'Each queue over the whole range', empty: '' }));
}

function escalationsOut(out, data) {
  fill(out,
    bars((data.by_rule || []).map((r) => ({ label: r.rule_label || humanise(r.rule), value: r.count })), `Escalations by rule, ${data.from} to ${data.to}`),
    table([{ label: 'Rule', value: (r) => r.rule_label }, { label: 'Age', value: (r) => r.age },
      { label: 'Outcome', value: (r) => humanise(r.outcome) }, { label: 'Escalations', value: (r) => count(r.count), class: 'num' }],
    data.items || [], { caption: `Escalations by rule, age and outcome (${data.total})`, empty: 'No escalation in this range.' }));
}

export function initReports(ctx) {
  lists = ctx.lists || null;
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
    let path;
    let params = range;
    try {
      if (kind === 'notes') {
        path = '/api/reports/notes';
        params = { by, ...range };
        notesOut(out, await get(`${path}${qs(params)}`), by);
      } else if (kind === 'sla') {
        path = '/api/reports/sla';
        params = { by, ...range };
        slaOut(out, await get(`${path}${qs(params)}`));
      } else if (kind === 'qa') {
        path = '/api/reports/qa';
        qaReportOut(out, await get(`${path}${qs(params)}`), range);
      } else if (kind === 'escalations') {
        path = '/api/reports/escalations';
        escalationsOut(out, await get(`${path}${qs(params)}`));
      } else {
        const spec = OTHER[kind];
        path = spec.path;
        otherOut(out, spec, await get(`${path}${qs(params)}`), ctx);
      }
      csv.href = `${path}${qs({ ...params, format: 'csv' })}`;
      csv.hidden = false;
    } catch (err) {
      fill(out, h('p', { class: 'error' }, err.lines ? err.lines().join(' ') : err.message));
    }
  });
}
