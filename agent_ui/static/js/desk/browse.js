// Seed 000 "Customer Follow-Up" as a work list (issue 15 item 10): search by name (or any ID / phone)
// or browse; sort by a column (click its heading; again for the other way), filter, and page, all on the
// server. Click a customer to open their record. Agents see only their own customers (the API filters).
import { get, qs } from '../lib/api.js';
import { $, fill, h, table, toast } from '../lib/dom.js';
import { dateTime, label, money } from '../lib/format.js';

const PAGE = 20;
const PROMISE = { none: '—', pending: 'Pending', kept: 'Kept', broken: 'Broken', cancelled: 'Cancelled' };
const NEXT = { follow_up: 'Follow-up', callback: 'Callback' };

export function initBrowse(ctx) {
  let offset = 0;
  let q = '';
  let sort = 'name';
  let filters = {};

  function heading(text, key) {
    const on = sort.replace(/^-/, '') === key;
    const down = sort === `-${key}`;
    return h('button', { type: 'button', class: 'link sort', 'data-sort': key,
      'aria-sort': on ? (down ? 'descending' : 'ascending') : 'none',
      title: `Sort by ${text.toLowerCase()}`,
      onclick: () => { sort = on && !down ? `-${key}` : key; offset = 0; load(); } },
    `${text}${on ? (down ? ' ▼' : ' ▲') : ''}`);
  }

  async function load() {
    const box = $('#browse-table');
    try {
      const found = await get(`/api/customers${qs({ q, sort, limit: PAGE, offset, ...filters })}`);
      fill(box, table([
        { label: heading('Name', 'name'), value: (c) => h('a', { href: `/customers/${c.id}`, onclick: (ev) => {
          ev.preventDefault();
          ctx.openCustomer(c.id);
        } }, c.name) },
        { label: 'Client ID', value: (c) => c.client_id || '—' },
        { label: heading('Overdue', 'overdue_amount'), class: 'num', value: (c) => money(c.overdue_amount) },
        { label: heading('Days past due', 'days_past_due'), class: 'num', value: (c) => String(c.days_past_due) },
        { label: heading('Risk', 'risk'), class: 'num', value: (c) => `${Math.round(c.risk_score * 100)}%` },
        { label: heading('Last contact', 'last_contact'), value: (c) => (c.last_contact_at ? dateTime(c.last_contact_at) : 'Never') },
        { label: heading('Next action', 'next_action'), value: (c) => (c.next_action_at
          ? `${NEXT[c.next_action_kind] || 'Task'} ${dateTime(c.next_action_at)}` : '—') },
        { label: heading('Promise', 'promise_state'), value: (c) => PROMISE[c.promise_state] || c.promise_state },
        { label: 'Status', value: (c) => label(ctx.lists.followup.client_statuses, c.status) },
        { label: 'Campaign', value: (c) => (c.campaign ? label(ctx.lists.dialer.campaigns, c.campaign) : '—') },
        { label: 'Agent', value: (c) => c.assigned_agent || '—' },
      ], found.items, { empty: 'No customers found.', caption: q ? `Customers matching “${q}”` : 'Your customers' }));
      $('#browse-page').textContent = found.items.length ? `${offset + 1}–${offset + found.items.length}` : '';
      $('#browse-prev').disabled = offset === 0;
      $('#browse-next').disabled = found.items.length < PAGE;
    } catch (err) {
      fill(box, h('p', { class: 'error' }, err.message));
    }
  }

  $('#browse-search').addEventListener('submit', (ev) => {
    ev.preventDefault();
    q = $('#browse-q').value.trim();
    offset = 0;
    load();
  });
  $('#browse-filters').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = ev.currentTarget.elements;
    q = $('#browse-q').value.trim();  // the search as the box shows it now, not the last one sent
    filters = {};
    for (const name of ['min_overdue', 'min_days_past_due', 'min_risk', 'promise_state', 'next_action',
      'not_contacted_days']) {
      const value = f[name].value.trim();
      if (value) filters[name] = name === 'min_risk' ? String(Number(value) / 100) : value;
    }
    offset = 0;
    load();
  });
  ctx.socket.on('work.assigned', (data) => {  // a supervisor gave or took accounts: the list changes now
    const added = (data.added || []).length;
    const removed = (data.removed || []).length;
    if (added) toast(`${added === 1 ? 'An account was' : `${added} accounts were`} assigned to you.`, 'info', 10000);
    if (removed) toast(`${removed === 1 ? 'One of your accounts was' : `${removed} of your accounts were`} given to another agent.`, 'info', 10000);
    load();
  });
  $('#browse-prev').addEventListener('click', () => { offset = Math.max(0, offset - PAGE); load(); });
  $('#browse-next').addEventListener('click', () => { offset += PAGE; load(); });
  load();
}
