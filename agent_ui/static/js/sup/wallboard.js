// The live wallboard: per queue (waiting, longest wait, answered, abandon rate, service level),
// agents by state with time in state and the current call, and today's promises to pay.
// Applied from `wallboard.queue`, `agent.state` and `wallboard.promises`; clocks tick locally.
import { get, put } from '../lib/api.js';
import { $, fill, h, table, toast } from '../lib/dom.js';
import { STATE_LABELS, duration, humanise, label, money, percent, since } from '../lib/format.js';
import { bars, gauge, strip } from '../lib/charts.js';
import { monitorButtons } from './monitor.js';

const ORDER = ['ringing', 'on_call', 'wrap_up', 'ready', 'paused', 'logged_out'];

export function initWallboard(ctx) {
  const queues = new Map();
  const agents = new Map();
  const sl = ctx.snapshot.service_level_seconds;
  let promises = ctx.snapshot.promises_today || { count: 0, amount: '0.00', made: 0, made_amount: '0.00' };
  const promiseHistory = [];

  function load(snapshot) {
    queues.clear();
    agents.clear();
    for (const q of snapshot.queues) queues.set(q.queue, { ...q, at: Date.now() });
    for (const a of snapshot.agents) if (a.role === 'agent' || a.device) agents.set(a.username, a);
    if (snapshot.promises_today) promises = snapshot.promises_today;
  }
  load(ctx.snapshot);

  // A queue by its campaign's label (the dialer list), else its name in words.
  const queueName = (queue) => {
    const campaign = ((ctx.lists && ctx.lists.dialer.campaigns) || []).find((c) => c.queue === queue);
    return campaign ? campaign.label : humanise(queue);
  };

  function queueCard(q) {
    const wait = q.waiting > 0 ? q.longest_wait_seconds + (Date.now() - q.at) / 1000 : 0;
    return h('article', { class: 'queue', dataset: { queue: q.queue }, 'aria-label': `Queue ${queueName(q.queue)}` },
      h('h3', {}, queueName(q.queue)),
      h('div', { class: 'row' },
        h('div', {}, h('div', { class: `big${q.waiting ? ' alert' : ''}`, dataset: { metric: 'waiting' } }, String(q.waiting)),
          h('div', { class: 'muted' }, 'waiting')),
        h('div', {}, h('div', { class: 'big', dataset: { metric: 'longest-wait' } }, duration(wait)),
          h('div', { class: 'muted' }, 'longest wait'))),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Answered'), h('dd', { dataset: { metric: 'answered' } }, String(q.answered)),
        h('dt', {}, 'Abandoned'), h('dd', { dataset: { metric: 'abandoned' } }, `${q.abandoned} (${percent(q.abandon_rate)})`)),
      h('div', { class: 'gauges' },
        gauge(q.service_level, `Service level (answered within ${sl} s)`), h('span', { class: 'muted' }, `service level (${sl} s)`),
        gauge(q.abandon_rate, 'Abandon rate', { good: false, size: 64 }), h('span', { class: 'muted' }, 'abandoned')));
  }

  function drawQueues() {
    const list = [...queues.values()].sort((a, b) => a.queue.localeCompare(b.queue));
    fill($('#queues'), ...(list.length ? list.map(queueCard) : [h('p', { class: 'muted' }, 'No queue has had a call today.')]));
  }

  // A supervisor puts an agent right when the carrier's events could not (audited on the server).
  async function force(agent, state) {
    try {
      const view = await put(`/api/agents/${encodeURIComponent(agent.username)}/state`, { state });
      agents.set(view.username, view);
      drawAgents();
      toast(`${agent.display_name || agent.username} is now ${STATE_LABELS[view.state] || humanise(view.state)}.`);
    } catch (err) {
      toast(`Could not change ${agent.display_name || agent.username}'s state: ${err.message}`, 'error');
    }
  }

  function overrideButtons(a) {
    if (a.state === 'logged_out') return '—';
    const name = a.display_name || a.username;
    return h('span', { class: 'override' },
      a.state === 'ready' ? null : h('button', { type: 'button', class: 'small', 'aria-label': `Set ${name} ready`,
        onclick: () => force(a, 'ready') }, 'Set ready'),
      h('button', { type: 'button', class: 'small', 'aria-label': `Log ${name} out`,
        onclick: () => force(a, 'logged_out') }, 'Log out'));
  }

  function drawAgents() {
    const list = [...agents.values()].sort((a, b) => ORDER.indexOf(a.state) - ORDER.indexOf(b.state)
      || a.username.localeCompare(b.username));
    const counts = ORDER.map((key) => ({ key, label: STATE_LABELS[key], value: list.filter((a) => a.state === key).length }));
    fill($('#agent-strip'), strip(counts, 'Agents by state'));
    fill($('#agent-legend'), ...counts.map((c) => h('span', {}, h('span', { class: `state-cell ${c.key}` }), `${c.label} ${c.value}`)));
    fill($('#agents-table'), table([
      { label: 'Agent', value: (a) => a.display_name || a.username },
      { label: 'State', value: (a) => h('span', { dataset: { agentState: a.state } }, h('span', { class: `state-cell ${a.state}` }),
        STATE_LABELS[a.state] || humanise(a.state),
        a.reason && a.state === 'paused' ? ` (${label(ctx.lists && ctx.lists.pause_codes.pause_codes, a.reason)})` : '') },
      { label: 'Time in state', value: (a) => h('span', { class: 'tick', dataset: { since: a.since } }, duration(since(a.since))) },
      { label: 'Current call', value: (a) => a.call_id || '—' },
      { label: 'Override', value: overrideButtons },
      { label: 'Monitor', value: (a) => (a.state === 'on_call' && a.call_id
        ? monitorButtons(a.call_id, a.display_name || a.username) : '—') },
    ], list, { empty: 'No agents.', rowAttrs: (a) => ({ dataset: { agent: a.username } }) }));
  }

  function drawPromises() {
    $('#promises-count').textContent = String(promises.count);
    $('#promises-amount').textContent = money(promises.amount);
    $('#promises-made').textContent = String(promises.made || 0);
    $('#promises-made-amount').textContent = money(promises.made_amount || '0.00');
    $('#promises-kept').textContent = String(promises.kept || 0);
    $('#promises-kept-amount').textContent = money(promises.kept_amount || '0.00');
    promiseHistory.push({ label: new Date().toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' }),
      value: Number(promises.made_amount || 0), display: money(promises.made_amount || '0.00') });
    while (promiseHistory.length > 6) promiseHistory.shift();
    fill($('#promises-chart'), bars(promiseHistory, 'Promises made today, as they grew'));
  }

  function stamp() {
    $('#wb-updated').textContent = `updated ${new Date().toLocaleTimeString('en-GB')}`;
  }

  ctx.socket.on('wallboard.queue', (q) => { queues.set(q.queue, { ...q, at: Date.now() }); drawQueues(); stamp(); });
  ctx.socket.on('agent.state', (a) => { agents.set(a.username, a); drawAgents(); stamp(); });
  ctx.socket.on('wallboard.promises', (p) => { promises = p; drawPromises(); stamp(); });
  // The server's stream restarted: the snapshot is read again, then changes apply on top of it.
  ctx.socket.on('reset', async () => {
    try {
      load(await get('/api/wallboard'));
    } catch (err) {
      toast(`Could not reload the wallboard: ${err.message}`, 'error');
      return;
    }
    drawQueues(); drawAgents(); drawPromises(); stamp();
  });

  setInterval(() => {
    for (const el of document.querySelectorAll('.tick[data-since]')) el.textContent = duration(since(el.dataset.since));
    for (const q of queues.values()) {
      if (!q.waiting) continue;
      const el = document.querySelector(`.queue[data-queue="${CSS.escape(q.queue)}"] [data-metric="longest-wait"]`);
      if (el) el.textContent = duration(q.longest_wait_seconds + (Date.now() - q.at) / 1000);
    }
  }, 1000);
  drawQueues();
  drawAgents();
  drawPromises();
}
