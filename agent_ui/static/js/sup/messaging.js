// Messaging for supervisors (issue 16): each SMS provider's circuit state (refreshed every 5 s), and
// bulk reminders: choose the set and the template, see the count and the estimated cost, confirm,
// then watch the progress bar until every message is settled.
import { get, post } from '../lib/api.js';
import { $, fill, h, toast } from '../lib/dom.js';
import { count, dateTime, ruleText } from '../lib/format.js';

const STATES = { closed: 'working', open: 'switched off (failing)', half_open: 'being tried again' };
const FILTERS = {
  promises_tomorrow: { kind: 'promises_due', day: 'tomorrow', text: 'Promises due tomorrow' },
  promises_today: { kind: 'promises_due', day: 'today', text: 'Promises due today' },
  dpd_1_30: { kind: 'days_past_due', min_days: 1, max_days: 30, text: 'Accounts 1-30 days past due' },
  dpd_31_60: { kind: 'days_past_due', min_days: 31, max_days: 60, text: 'Accounts 31-60 days past due' },
  dpd_61_90: { kind: 'days_past_due', min_days: 61, max_days: 90, text: 'Accounts 61-90 days past due' },
};

async function providers() {
  const box = $('#sms-providers');
  try {
    const s = await get('/api/messaging/status');
    if (!s.sms.on) {
      fill(box, h('p', { class: 'muted' }, 'SMS is off on this server: no provider is set up (SWITCHBOARD_SMS__PROVIDERS).'));
      return;
    }
    fill(box, h('ul', { class: 'matches' }, s.sms.providers.map((p, i) => h('li', { dataset: { provider: p.provider } },
      `${i + 1}. ${p.provider}: `, h('span', { class: `provider-state ${p.state}` }, STATES[p.state] || p.state),
      p.state === 'open' && p.retry_at ? ` until ${dateTime(new Date(p.retry_at * 1000).toISOString())}` : '',
      p.failures ? h('span', { class: 'muted' }, ` · ${p.failures} failure(s) in a row`) : ''))));
  } catch (err) {
    fill(box, h('p', { class: 'error' }, `Provider states could not be read: ${err.message}`));
  }
}

export async function initMessaging(ctx) {
  await providers();
  setInterval(providers, 5000);
  const lists = await get('/api/config/lists');
  const filter = $('#bulk-filter');
  const template = $('#bulk-template');
  fill(filter, ...Object.entries(FILTERS).map(([code, f]) => h('option', { value: code }, f.text)));
  fill(template, ...lists.templates.templates.filter((t) => t.channel === 'sms')
    .map((t) => h('option', { value: t.code }, t.label)));
  const out = $('#bulk-out');
  const dialog = $('#bulk-dialog');
  let pending = null;

  const body = () => {
    const { text, ...f } = FILTERS[filter.value];
    return { filter: f, template: template.value };
  };

  $('#bulk-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const p = await post('/api/messages/bulk/preview', body());
      pending = { ...body(), expected_count: p.count };
      const blocked = Object.entries(p.blocked_in_sample).map(([rule, n]) => `${count(n)} × ${ruleText(rule)}`).join(', ');
      fill($('#bulk-confirm-text'),
        h('p', {}, h('strong', { id: 'bulk-count' }, `${p.count} SMS`), ` to ${p.label}, template "${template.selectedOptions[0].text}".`),
        h('p', {}, 'Estimated cost: ', h('strong', { id: 'bulk-cost' }, `${p.currency} ${p.estimated_cost}`),
          ` (about ${p.average_segments} SMS part(s) each at ${p.currency} ${p.price_per_segment}).`),
        blocked ? h('p', { class: 'warn' }, `In a sample of ${p.sample_size}, the compliance gate blocks: ${blocked}.`) : null,
        p.examples[0] && p.examples[0].text ? h('p', { class: 'muted' }, `Example: ${p.examples[0].text}`) : null);
      $('#bulk-send').disabled = p.count === 0;
      dialog.showModal();
    } catch (err) {
      toast(err.message, 'error', 8000);
    }
  });
  $('#bulk-cancel').addEventListener('click', () => dialog.close());
  $('#bulk-send').addEventListener('click', async () => {
    dialog.close();
    try {
      const run = await post('/api/messages/bulk', pending);
      follow(run.id);
    } catch (err) {
      toast(err.message, 'error', 8000);
    }
  });

  async function follow(id) {
    const bar = h('progress', { class: 'bulk', max: '100', value: '0', id: 'bulk-progress' });
    const line = h('p', { id: 'bulk-line', 'aria-live': 'polite' }, 'Starting…');
    fill(out, bar, line);
    for (;;) {
      const r = await get(`/api/messages/bulk/${id}`);
      bar.value = r.percent;
      const counts = Object.entries(r.counts).map(([k, n]) => `${n} ${k}`).join(', ');
      line.textContent = `Run ${r.id} (${r.label}): ${r.settled} of ${r.total} settled${counts ? ` — ${counts}` : ''}. ${r.status === 'done' ? 'Done.' : ''}`;
      out.dataset.status = r.status;
      if (r.status === 'done' || r.status === 'cancelled') return;
      await new Promise((resolve) => { setTimeout(resolve, 1000); });
    }
  }
}
