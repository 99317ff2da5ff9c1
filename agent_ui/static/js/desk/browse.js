// Seed 000 "Customer Follow-Up": search by name (or any ID / phone) or browse the table, then
// click a customer to open their record. Agents see only their own customers (the API filters).
import { get, qs } from '../lib/api.js';
import { $, fill, h, table } from '../lib/dom.js';
import { label } from '../lib/format.js';

const PAGE = 20;

export function initBrowse(ctx) {
  let offset = 0;
  let q = '';

  async function load() {
    const box = $('#browse-table');
    try {
      const found = await get(`/api/customers${qs({ q, limit: PAGE, offset })}`);
      fill(box, table([
        { label: 'Name', value: (c) => h('a', { href: `/customers/${c.id}`, onclick: (ev) => {
          ev.preventDefault();
          ctx.openCustomer(c.id);
        } }, c.name) },
        { label: 'Client ID', value: (c) => c.client_id || '—' },
        { label: 'Phone', value: (c) => c.phone || '—' },
        { label: 'Status', value: (c) => label(ctx.lists.followup.client_statuses, c.status) },
        { label: 'Campaign', value: (c) => c.campaign || '—' },
        { label: 'Agent', value: (c) => c.assigned_agent || '—' },
      ], found.items, { empty: 'No customers found.', caption: q ? `Customers matching “${q}”` : 'Your customers' }));
      $('#browse-page').textContent = `${offset + 1}–${offset + found.items.length}`;
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
  $('#browse-prev').addEventListener('click', () => { offset = Math.max(0, offset - PAGE); load(); });
  $('#browse-next').addEventListener('click', () => { offset += PAGE; load(); });
  load();
}
