// Assigning work (seed 003): agents to campaigns, and accounts to an agent (bulk).
import { get, post, put, qs } from '../lib/api.js';
import { $, fill, h, setOptions, table, toast } from '../lib/dom.js';
import { count, label } from '../lib/format.js';

export async function initAssign(ctx) {
  let agents = [];
  try {
    agents = (await get('/api/agents')).items.filter((a) => a.role === 'agent').map((a) => a.username);
  } catch (err) {
    toast(`Agents could not be loaded: ${err.message}`, 'error');
  }
  setOptions($('#assign-agent'), [{ code: '', label: '— nobody (unassign) —' }, ...agents.map((a) => ({ code: a, label: a }))]);

  async function campaigns() {
    const box = $('#assign-campaigns');
    try {
      const found = await get('/api/campaigns');
      fill(box, table([
        { label: 'Campaign', value: (c) => c.name },
        { label: 'Accounts', value: (c) => count(c.customers), class: 'num' },
        { label: 'Agents', value: (c) => h('div', { class: 'row' }, agents.map((a) => h('label', { class: 'inline' },
          h('input', { type: 'checkbox', name: `camp-${c.code}`, value: a, checked: c.agents.includes(a) }), ` ${a}`))) },
        { label: '', value: (c) => h('button', { type: 'button', onclick: async () => {
          const chosen = [...box.querySelectorAll(`input[name="camp-${c.code}"]:checked`)].map((i) => i.value);
          try {
            await put(`/api/campaigns/${c.code}/agents`, { agents: chosen });
            toast(`${c.name}: ${chosen.join(', ') || 'no agents'}.`);
          } catch (err) {
            toast(`Could not save: ${err.message}`, 'error');
          }
        } }, `Save ${c.name}`) },
      ], found.items, { caption: 'Agents per campaign', empty: 'No campaigns.' }));
    } catch (err) {
      fill(box, h('p', { class: 'error' }, err.message));
    }
  }

  $('#assign-search').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const box = $('#assign-results');
    try {
      const found = await get(`/api/customers${qs({ q: $('#assign-q').value.trim(), limit: 50 })}`);
      fill(box, table([
        { label: 'Pick', value: (c) => h('input', { type: 'checkbox', name: 'assign-pick', value: c.id, 'aria-label': `Pick ${c.name}` }) },
        { label: 'Name', value: (c) => c.name },
        { label: 'Client ID', value: (c) => c.client_id || '—' },
        { label: 'Campaign', value: (c) => (c.campaign ? label(ctx.lists && ctx.lists.dialer.campaigns, c.campaign) : '—') },
        { label: 'Agent', value: (c) => c.assigned_agent || '—' },
      ], found.items, { empty: 'No accounts found.' }));
    } catch (err) {
      fill(box, h('p', { class: 'error' }, err.message));
    }
  });
  $('#assign-go').addEventListener('click', async () => {
    const ids = [...document.querySelectorAll('input[name="assign-pick"]:checked')].map((i) => Number(i.value));
    if (!ids.length) {
      toast('Tick the accounts to assign first.', 'error');
      return;
    }
    const agent = $('#assign-agent').value || null;
    try {
      const done = await post('/api/assignments', { customer_ids: ids, agent });
      toast(`${done.assigned.length} account(s) assigned to ${agent || 'nobody'}.`);
      $('#assign-search').requestSubmit();
      campaigns();
    } catch (err) {
      toast(`Could not assign: ${err.message}`, 'error');
    }
  });
  await campaigns();
}
