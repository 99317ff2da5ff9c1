// M-Pesa on the desktop: "Request payment" on the customer record and in the call panel, and a
// live strip under the state bar that follows each request (sent, waiting for the PIN, paid with
// the receipt, or not paid, in words) and every payment that lands for the agent's customers,
// all from the socket (`payment.request`, `payment`), with no reload. Without M-Pesa settings
// the buttons are replaced by a sentence saying payments are not set up.
import { get, post } from '../lib/api.js';
import { $, fill, h, showErrors, toast } from '../lib/dom.js';
import { dateTime, money } from '../lib/format.js';

const KEEP = 4; // lines in the live strip
// A later frame never takes a request back to an earlier state (the HTTP answer may come last).
const RANK = { sent: 0, waiting_pin: 1, unknown: 2, paid: 3, failed: 3 };
const OFF_TEXT = 'M-Pesa payment requests are not set up on this server.';

function requestLine(r) {
  return h('li', { class: `mpesa-line ${r.state}`, dataset: { requestId: r.id, state: r.state } },
    h('strong', {}, `Payment request to ${r.customer_name || `customer ${r.customer_id}`}`),
    ` · ${money(r.amount, r.currency)} · ${r.phone} · `,
    h('span', { class: 'mpesa-state' }, r.state_text));
}

function paymentLine(p) {
  return h('li', { class: 'mpesa-line paid', dataset: { paymentId: p.id, receipt: p.receipt } },
    h('strong', {}, `${p.customer_name || `Customer ${p.customer_id}`} paid ${money(p.amount, p.currency)}`),
    ` · receipt ${p.receipt} · ${p.how_text || p.how}`,
    p.kept ? ` · ${p.kept} promise${p.kept > 1 ? 's' : ''} kept` : '');
}

export function initMpesa(ctx) {
  const lines = new Map(); // key -> li, newest last
  const strip = h('section', { id: 'mpesa-live', class: 'mpesa-live', 'aria-label': 'M-Pesa payments', hidden: true },
    h('ul', { id: 'mpesa-lines', 'aria-live': 'polite' }));
  $('#statebar').after(strip);
  const recordButton = h('button', { type: 'button', id: 'mpesa-request', hidden: true }, 'Request payment');
  const recordOff = h('span', { id: 'mpesa-off', class: 'muted small', hidden: true }, OFF_TEXT);
  $('#record .quick').append(recordButton, recordOff);
  const callBox = h('div', { id: 'call-mpesa', class: 'row', hidden: true });
  $('#call-card').append(callBox);
  const dialog = buildDialog();
  document.body.append(dialog.el);
  let enabled = false;

  function show(key, li) {
    const list = $('#mpesa-lines');
    const old = lines.get(key);
    if (old) old.replaceWith(li); else list.append(li);
    lines.set(key, li);
    while (lines.size > KEEP) {
      const [first] = lines.keys();
      lines.get(first).remove();
      lines.delete(first);
    }
    strip.hidden = false;
  }

  function callCustomer() {
    const call = ctx.call;
    if (!call || call.state === 'ended') return null;
    return (call.matches || []).find((m) => (m.relation || 'customer') === 'customer') || null;
  }

  function renderCall() {
    const match = callCustomer();
    callBox.hidden = !match;
    if (!match) return;
    fill(callBox, enabled
      ? h('button', { type: 'button', id: 'call-mpesa-request', onclick: () => dialog.open(match.customer_id, match.name) },
        `Request payment from ${match.name}`)
      : h('span', { class: 'muted small' }, OFF_TEXT));
  }

  function showRequest(r) {
    const old = lines.get(`r${r.id}`);
    if (old && RANK[old.dataset.state] > RANK[r.state]) return;
    show(`r${r.id}`, requestLine(r));
  }

  recordButton.addEventListener('click', () => {
    if (ctx.customer) dialog.open(ctx.customer.id, ctx.customer.name);
  });

  dialog.onSent = showRequest;
  ctx.socket.on('payment.request', showRequest);
  ctx.socket.on('payment', (p) => {
    show(`p${p.id}`, paymentLine(p));
    toast(`M-Pesa: ${p.customer_name || 'a customer'} paid ${money(p.amount, p.currency)}, receipt ${p.receipt}.`, 'info', 8000);
    if (ctx.customer && ctx.customer.id === p.customer_id && ctx.reloadCustomer) ctx.reloadCustomer();
  });
  for (const type of ['call.ringing', 'call.answered', 'call.ended']) ctx.socket.on(type, renderCall);

  get('/api/payments/status').then((status) => {
    enabled = Boolean(status.requests);
    recordButton.hidden = !enabled;
    recordOff.hidden = enabled;
    renderCall();
  }).catch(() => {
    recordOff.hidden = false;
  });
  renderCall();
}

function buildDialog() {
  const amount = h('input', { id: 'mpesa-amount', type: 'number', min: '1', step: '1', inputmode: 'numeric', required: true });
  const to = h('p', { id: 'mpesa-to', class: 'muted' });
  const recent = h('ul', { id: 'mpesa-recent', class: 'small' });
  const error = h('p', { id: 'mpesa-error', class: 'error', role: 'alert', hidden: true });
  const send = h('button', { type: 'submit', class: 'primary', id: 'mpesa-send' }, 'Send request');
  const form = h('form', { method: 'dialog', novalidate: true },
    h('h2', { id: 'mpesa-title' }, 'Request payment by M-Pesa'), to,
    h('label', { for: 'mpesa-amount' }, 'Amount (whole shillings)'), amount,
    h('p', { class: 'muted small' }, 'The customer’s phone will ask for the M-Pesa PIN. Ask them to keep the phone at hand.'),
    error, recent,
    h('div', { class: 'row end' }, h('button', { type: 'button', onclick: () => el.close() }, 'Cancel'), send));
  const el = h('dialog', { id: 'mpesa-dialog', 'aria-labelledby': 'mpesa-title' }, form);
  const dialog = { el, onSent: null, customerId: null };

  dialog.open = async (customerId, name) => {
    dialog.customerId = customerId;
    showErrors(error, []);
    to.textContent = `To ${name}, on the customer’s own M-Pesa number.`;
    amount.value = '';
    fill(recent);
    send.disabled = false;
    el.showModal();
    try {
      const overview = await get(`/api/customers/${customerId}/payment-requests`);
      if (overview.suggested_amount && !amount.value) amount.value = overview.suggested_amount;
      fill(recent, ...overview.items.slice(0, 3).map((r) => h('li', {}, `${dateTime(r.created_at)}: ${money(r.amount, r.currency)} — ${r.state_text}`)));
    } catch (err) {
      showErrors(error, [err.message]);
    }
  };

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const value = amount.value.trim();
    if (!/^\d+$/.test(value) || Number(value) < 1) {
      showErrors(error, ['Enter the amount in whole shillings (for example 2000).']);
      return;
    }
    send.disabled = true;
    try {
      const created = await post(`/api/customers/${dialog.customerId}/payment-requests`, { amount: value });
      el.close();
      if (dialog.onSent) dialog.onSent(created);
    } catch (err) {
      const next = err.details && err.details.next_allowed_at;
      showErrors(error, [err.message + (next ? ` It is allowed again from ${dateTime(next)}.` : '')]);
      send.disabled = false;
    }
  });
  return dialog;
}
