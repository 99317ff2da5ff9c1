// "Why am I not dialling?" per campaign (GET /api/dialer/status), refreshed when an agent's
// state or a queue changes (pushed events), never on a timer.
import { $, fill, h, table } from '../lib/dom.js';
import { bars } from '../lib/charts.js';
import { dialerStatus } from '../lib/dialer_api.js';
import { has } from '../lib/features.js';
import { humanise, label, ruleText } from '../lib/format.js';

const readyCount = (c) => (Array.isArray(c.ready_agents) ? c.ready_agents.length : Number(c.ready_agents) || 0);

export function why(c) {
  if (c.why && c.why.sentence) return c.why.sentence; // the server's answer, the same the agent sees
  if (readyCount(c) === 0) return 'No agent in this campaign is ready.';
  if (c.eligible_tasks === 0) return `No call is due now${c.scheduled_later ? ` (${c.scheduled_later} scheduled for later)` : ''}.`;
  if (c.dialable_now === 0) {
    const rules = Object.entries(c.blocked_now || {}).filter(([, n]) => n > 0).map(([r, n]) => `${ruleText(r)} ${n}`);
    return `Every due call is blocked by a rule${rules.length ? `: ${rules.join(', ')}` : ''}.`;
  }
  return `Dialling: ${c.dialable_now} callable now, ${c.calls_in_progress || 0} in progress.`;
}

export async function initDialerStatus(ctx) {
  const box = $('#dialer-status');
  if (!(await has('dialer'))) {
    fill(box, h('p', { class: 'muted' }, 'The dialer is off on this server (SWITCHBOARD_DIALER__ENABLED=false): nothing is dialled.'));
    return;
  }
  let timer = null;

  async function load() {
    timer = null;
    try {
      const found = await dialerStatus();
      const items = Array.isArray(found) ? found : found.items || found.campaigns || [];
      fill(box, table([
        { label: 'Campaign', value: (c) => label(ctx.lists && ctx.lists.dialer.campaigns, c.campaign) },
        { label: 'State', value: (c) => humanise(c.state) },
        { label: 'Why', value: (c) => why(c) },
        { label: 'Ready agents', value: (c) => (Array.isArray(c.ready_agents) && c.ready_agents.length
          ? `${c.ready_agents.length} (${c.ready_agents.join(', ')})` : String(readyCount(c))) },
        { label: 'Due tasks', value: (c) => String(c.eligible_tasks ?? '—'), class: 'num' },
        { label: 'Previewing', value: (c) => String(c.previewing ?? 0), class: 'num' },
        { label: 'In progress', value: (c) => String(c.calls_in_progress ?? 0), class: 'num' },
        { label: 'Blocked by rule', value: (c) => {
          const rules = Object.entries(c.blocked_now || {}).filter(([, n]) => n > 0);
          return rules.length ? bars(rules.map(([r, n]) => ({ label: ruleText(r), value: n })), `Blocked in ${label(ctx.lists && ctx.lists.dialer.campaigns, c.campaign)}`, { width: 300 }) : 'None';
        } },
      ], items, { empty: 'No campaign.', rowAttrs: (c) => ({ dataset: { campaign: c.campaign } }) }));
    } catch (err) {
      fill(box, h('p', { class: 'error' }, `Dialer status could not be loaded: ${err.message}`));
    }
  }
  const soon = () => { if (!timer) timer = setTimeout(load, 700); };
  for (const type of ['agent.state', 'wallboard.queue', 'approval.decided']) ctx.socket.on(type, soon);
  ctx.socket.on('hello', soon);
  await load();
}
