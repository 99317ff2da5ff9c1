// The QA report in the supervisor's reports (issue 22): the average score per agent and per
// question, the auto-fails, and the trend per week; each table also as CSV.
import { qs } from '../lib/api.js';
import { fill, h, table } from '../lib/dom.js';
import { bars } from '../lib/charts.js';
import { count, dateTime } from '../lib/format.js';

const score = (v) => (v === null || v === undefined ? '—' : `${count(v)} of 100`);

export function qaReportOut(out, data, range) {
  const csv = (name) => h('a', { href: `/api/reports/qa${qs({ ...range, format: 'csv', table: name })}`,
    class: 'qa-csv', dataset: { table: name } }, 'Download CSV');
  fill(out,
    bars(data.agents.map((a) => ({ label: a.agent_name, value: a.average_score || 0, display: score(a.average_score) })),
      `Average QA score per agent, ${data.from} to ${data.to}`, { width: 560, labelWidth: 200 }),
    table([
      { label: 'Agent', value: (a) => a.agent_name },
      { label: 'Calls scored', value: (a) => count(a.reviews), class: 'num' },
      { label: 'Average score', value: (a) => score(a.average_score), class: 'num' },
      { label: 'Auto-fails', value: (a) => count(a.auto_fails), class: 'num' },
      { label: 'Below the pass mark', value: (a) => count(a.below_mark), class: 'num' },
      { label: 'Read by the agent', value: (a) => count(a.acknowledged), class: 'num' },
    ], data.agents, { caption: 'Quality scores per agent', empty: 'No call was scored in this range.',
      rowAttrs: (a) => ({ dataset: { agent: a.agent } }) }), csv('agents'),
    table([
      { label: 'Scorecard', value: (q) => q.scorecard_label },
      { label: 'Section', value: (q) => q.section },
      { label: 'Question', value: (q) => q.label },
      { label: 'Answered', value: (q) => count(q.answered), class: 'num' },
      { label: 'Not applicable', value: (q) => count(q.not_applicable), class: 'num' },
      { label: 'Average', value: (q) => (q.auto_fail ? `failed ${count(q.failed)} times` : score(q.average)), class: 'num' },
    ], data.questions, { caption: 'Each question: the average share of its weight earned', empty: '' }), csv('questions'),
    table([
      { label: 'Scored', value: (f) => dateTime(f.scored_at) },
      { label: 'Agent', value: (f) => f.agent_name },
      { label: 'Customer', value: (f) => f.customer_name || '—' },
      { label: 'Failed on', value: (f) => f.failed.join('; ') },
    ], data.auto_fails, { caption: 'Auto-failed calls', empty: 'No call failed on a compliance question.' }),
    csv('auto_fails'),
    bars(data.trend.map((w) => ({ label: `Week of ${w.week}`, value: w.average_score || 0, display: score(w.average_score) })),
      'Average score per week', { width: 560, labelWidth: 200 }),
    table([
      { label: 'Week of', value: (w) => w.week },
      { label: 'Calls scored', value: (w) => count(w.reviews), class: 'num' },
      { label: 'Average score', value: (w) => score(w.average_score), class: 'num' },
    ], data.trend, { caption: 'Trend per week', empty: '' }), csv('trend'));
}
