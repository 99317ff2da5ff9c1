// M-Pesa suspense: payments that matched no customer (or several), live from the socket
// (`payment.suspense`). The supervisor assigns one to a customer (a candidate matching found, or
// one found by a search), and assigning posts it at once.
import { get, post } from '../lib/api.js';
import { $, fill, h, toast } from '../lib/dom.js';
import { dateTime, money } from '../lib/format.js';

export async function initSuspense(ctx) {
  const list = h('ul', { id: 'suspense-list', class: 'matches', 'aria-live': 'polite' });
  const card = h('section', { class: 'card wide', id: 'suspense-card', 'aria-labelledby': 'suspense-title' },
    h('h2', { id: 'suspense-title' }, 'M-Pesa payments in suspense'),
    h('p', { class: 'muted small' }, 'Payments that matched no customer, or several. Assigning one posts it to that customer at once.'),
    list);
  $('#approvals-card').after(card);
  const waiting = new Map();

  async function assign(p, customer) {
    try {
      await post(`/api/payments/suspense/${p.id}/assign`, { customer_id: customer.id });
      waiting.delete(p.id);
      draw();
      toast(`Posted ${money(p.amount)} (receipt ${p.receipt}) to ${customer.name}.`);
    } catch (err) {
      toast(`Could not assign ${p.receipt}: ${err.message}`, 'error', 8000);
    }
  }

  function assignButton(p, c) {
    return h('button', { type: 'button', onclick: () => assign(p, c) },
      `Assign ${p.receipt} to ${c.name}${c.client_id ? ` (${c.client_id})` : ''}`);
  }

  function item(p) {
    const results = h('div', { class: 'row' });
    const q = h('input', { id: `suspense-q-${p.id}`, autocomplete: 'off', placeholder: 'name, phone, client ID' });
    const search = h('form', { class: 'row', role: 'search' },
      h('label', { for: q.id }, `Find the customer for ${p.receipt}`), q, h('button', { type: 'submit' }, 'Search'));
    search.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (!q.value.trim()) return;
      try {
        const found = await get(`/api/customers?q=${encodeURIComponent(q.value.trim())}&limit=5`);
        fill(results, ...(found.items.length ? found.items.map((c) => assignButton(p, c))
          : [h('span', { class: 'muted' }, 'No customer found.')]));
      } catch (err) {
        fill(results, h('span', { class: 'error' }, err.message));
      }
    });
    return h('li', { class: 'match', dataset: { paymentId: p.id, receipt: p.receipt } },
      h('div', {}, h('strong', {}, `${money(p.amount)} from ${p.payer || p.msisdn || 'an unknown payer'}`),
        ` · receipt ${p.receipt} · account “${p.bill_ref || '—'}” · ${dateTime(p.paid_at)}`),
      h('div', { class: 'muted' }, p.detail || ''),
      (p.candidates || []).length ? h('div', { class: 'row' }, p.candidates.map((c) => assignButton(p, c))) : null,
      search, results);
  }

  function draw() {
    fill(list, ...(waiting.size ? [...waiting.values()].map(item) : [h('li', { class: 'muted' }, 'No payment is in suspense.')]));
  }

  try {
    const found = await get('/api/payments/suspense');
    for (const p of found.items) waiting.set(p.id, p);
  } catch (err) {
    fill(list, h('li', { class: 'muted' }, `Suspense could not be loaded: ${err.message}`));
    return;
  }
  ctx.socket.on('payment.suspense', (p) => {
    if (p.status === 'suspense') {
      waiting.set(p.id, p);
      toast(`M-Pesa payment ${p.receipt} of ${money(p.amount)} is in suspense.`);
    } else {
      waiting.delete(p.id);
    }
    draw();
  });
  draw();
}
