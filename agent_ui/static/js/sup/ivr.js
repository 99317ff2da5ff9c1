// The wallboard's IVR panel: callers in the menu now, today's self-service rate, the nodes where
// callers hang up most, and today's promises taken by the IVR. A snapshot first
// (GET /api/ivr/wallboard), then every `wallboard.ivr` frame replaces it.
import { get } from '../lib/api.js';
import { $, fill, h, table, toast } from '../lib/dom.js';
import { money, percent } from '../lib/format.js';
import { gauge } from '../lib/charts.js';

function draw(panel) {
  fill($('#ivr-panel'),
    h('div', { class: 'row' },
      h('div', {}, h('div', { class: 'big', dataset: { metric: 'in-ivr' } }, String(panel.in_ivr)),
        h('div', { class: 'muted' }, 'callers in the IVR now')),
      h('div', {}, gauge(panel.self_service_rate, 'Served by the IVR today'),
        h('div', { class: 'muted', dataset: { metric: 'self-service' } },
          `served by the IVR: ${panel.self_served_today} of ${panel.sessions_today} (${percent(panel.self_service_rate)})`)),
      h('div', {}, h('div', { class: 'big', dataset: { metric: 'ivr-promises' } }, String(panel.promises_today.count)),
        h('div', { class: 'muted' }, `promises taken by the IVR today, ${money(panel.promises_today.amount)}`))),
    h('h3', {}, 'Where callers hang up'),
    table([
      { label: 'Menu step', value: (n) => n.node },
      { label: 'Hang-ups today', value: (n) => String(n.count), class: 'num' },
    ], panel.hangup_nodes, { empty: 'No caller hung up in the IVR today.', rowAttrs: (n) => ({ dataset: { ivrNode: n.node } }) }));
}

export async function initIvrPanel(ctx) {
  const load = async () => {
    try {
      draw(await get('/api/ivr/wallboard'));
    } catch (err) {
      fill($('#ivr-panel'), h('p', { class: 'muted' }, `The IVR panel is not available: ${err.message}`));
    }
  };
  await load();
  ctx.socket.on('wallboard.ivr', draw);
  ctx.socket.on('reset', () => load().catch((err) => toast(err.message, 'error')));
}
