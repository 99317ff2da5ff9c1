// The customer's conversation (issue 16): SMS and email both ways, newest first, each with its
// status (queued, sent, delivered, failed, unknown, blocked), provider, cost and parts. Status
// changes and inbound SMS arrive over the socket and update it live.
import { get } from '../lib/api.js';
import { fill, h, toast } from '../lib/dom.js';
import { dateTime } from '../lib/format.js';

const STATUS_TEXT = {
  queued: 'queued', sending: 'sending', sent: 'sent', delivered: 'delivered', failed: 'failed',
  unknown: 'unknown: may have gone out', blocked: 'blocked', received: 'received',
};

function item(m) {
  const head = [m.direction === 'inbound' ? `From ${m.from}` : `To ${m.to}`, m.channel.toUpperCase(),
    dateTime(m.created_at), m.sent_by || ''].filter(Boolean).join(' · ');
  const facts = [m.provider && `via ${m.provider}`, m.cost, m.channel === 'sms' && `${m.segments} SMS`,
    m.rule && `rule: ${m.rule}`].filter(Boolean).join(' · ');
  return h('li', { class: `msg ${m.direction}`, dataset: { messageId: m.id, status: m.status } },
    h('div', { class: 'note-head' }, h('span', { class: `tag status-${m.status}`, dataset: { role: 'status' } },
      STATUS_TEXT[m.status] || m.status), ' ', h('span', { class: 'muted' }, head)),
    m.subject ? h('p', {}, h('strong', {}, m.subject)) : null,
    h('p', { class: 'msg-body' }, m.body),
    facts ? h('p', { class: 'muted' }, facts) : null,
    m.reason && ['failed', 'blocked', 'unknown'].includes(m.status) ? h('p', { class: 'muted' }, m.reason) : null);
}

export function renderConversation(box, record) {
  const list = h('ol', { class: 'history', id: 'conversation-list', 'aria-live': 'polite' },
    h('li', { class: 'muted' }, 'Loading the conversation…'));
  box.append(h('h3', {}, 'Messages'), list);
  get(`/api/customers/${record.id}/messages`).then((found) => {
    fill(list, ...(found.items.length ? found.items.map(item) : [h('li', { class: 'muted' }, 'No messages yet.')]));
  }).catch((err) => fill(list, h('li', { class: 'error' }, err.message)));
}

export function initConversation(ctx) {
  const refresh = (customerId) => {
    const box = document.getElementById('section-messages');
    if (!box || !ctx.customer || ctx.customer.id !== customerId) return;
    box.replaceChildren();
    renderConversation(box, ctx.customer);
  };
  ctx.socket.addEventListener('message.status', (ev) => {
    const m = ev.detail;
    const row = document.querySelector(`#conversation-list [data-message-id="${m.message_id}"]`);
    if (!row) {
      refresh(m.customer_id);
      return;
    }
    row.dataset.status = m.status;
    const tag = row.querySelector('[data-role="status"]');
    tag.className = `tag status-${m.status}`;
    tag.textContent = STATUS_TEXT[m.status] || m.status;
  });
  ctx.socket.addEventListener('message.inbound', (ev) => {
    const m = ev.detail;
    const who = m.customer_name || m.from_number;
    toast(m.opted_out ? `${who} replied "${m.text}": SMS consent is revoked, and they were told so.`
      : `New SMS from ${who}: ${m.text}`, 'info', 10000);
    refresh(m.customer_id);
  });
}
