// The SMS / email composer of the quick actions (issue 16): recipient, template, the text with a
// live counter (the server measures it: GSM-7 or UCS-2, characters, SMS parts), the "2 SMS:
// charged twice" warning that must be acknowledged before sending, and the gate's answer.
// Sends through POST /api/customers/{id}/messages (202: queued; the status then shows live).
import { get, post } from '../lib/api.js';
import { h } from '../lib/dom.js';
import { field, select } from './notes_fields.js';

let status = null;

export async function messagingStatus() {
  if (!status) status = get('/api/messaging/status').catch(() => ({ sms: { on: false, providers: [] }, email: { on: false } }));
  return status;
}

function recipients(record, channel) {
  const own = channel === 'sms' ? record.phone : record.email;
  const people = [{ value: '', text: `${record.name} — ${own || (channel === 'sms' ? 'no phone' : 'no email on record')}` }];
  for (const c of record.contacts || []) {
    const address = channel === 'sms' ? c.phone : c.email;
    if (address) people.push({ value: String(c.id), text: `${c.name} (${c.relation.replace(/_/g, ' ')}) — ${address}` });
  }
  return h('select', {}, people.map((p) => h('option', { value: p.value }, p.text)));
}

export function composerFields(ctx, record, channel) {
  const templates = ctx.lists.templates.templates.filter((t) => t.channel === channel);
  const to = recipients(record, channel);
  const template = select(templates, '— write your own —');
  const subject = h('input', { id: 'composer-subject' });
  const body = h('textarea', { rows: channel === 'email' ? '8' : '4', id: 'composer-body' });
  const counter = h('p', { class: 'muted', id: 'composer-counter', 'aria-live': 'polite' }, '');
  const warning = h('p', { class: 'warn', id: 'composer-warning', hidden: true });
  const accept = h('input', { type: 'checkbox', id: 'composer-accept' });
  const acceptBox = h('fieldset', { class: 'radios', hidden: true, id: 'composer-accept-box' },
    h('legend', {}, 'Charged for each part'), h('label', {}, accept, ' Send it anyway'));
  const gate = h('p', { class: 'error', id: 'composer-gate', hidden: true });
  const off = h('p', { class: 'error', id: 'composer-off', hidden: true });
  const files = (record.attachments || []).map((a) => h('label', { class: 'inline' },
    h('input', { type: 'checkbox', name: 'composer_attachment', value: String(a.id) }), ` ${a.filename}`));
  const state = { segments: 1 };
  let timer = null;
  let asked = 0;

  async function measure() {
    const mine = ++asked;
    const payload = { channel, customer_id: record.id, contact_id: to.value ? Number(to.value) : null };
    if (body.value.trim()) payload.body = body.value;
    else if (template.value) payload.template = template.value;
    else {
      counter.textContent = channel === 'sms' ? '0 characters · 1 SMS (GSM-7, 160 per SMS)' : '';
      warning.hidden = true;
      acceptBox.hidden = true;
      gate.hidden = true;
      state.segments = 1;
      return;
    }
    try {
      const p = await post('/api/messages/preview', payload);
      if (mine !== asked) return;
      if (!body.value.trim() && template.value) body.value = p.text;
      if (channel === 'email' && !subject.value && p.subject) subject.value = p.subject;
      state.segments = channel === 'sms' ? p.segments : 1;
      counter.textContent = channel === 'sms'
        ? `${p.characters} characters · ${p.segments} SMS (${p.encoding}, ${p.per_segment} per SMS)`
        : `${p.text.length} characters`;
      warning.hidden = !p.warning;
      warning.textContent = p.warning ? `${p.warning}. Shorten it to one SMS, or tick "Send it anyway".` : '';
      acceptBox.hidden = !p.warning;
      if (!p.warning) accept.checked = false;
      gate.hidden = !p.blocked;
      gate.textContent = p.blocked ? `This message will not go out: ${p.blocked.message}.` : '';
    } catch (err) {
      if (mine === asked) counter.textContent = err.message;
    }
  }
  const soon = () => { clearTimeout(timer); timer = setTimeout(measure, 150); };
  template.addEventListener('change', () => { body.value = ''; subject.value = ''; measure(); });
  body.addEventListener('input', soon);
  to.addEventListener('change', soon);
  messagingStatus().then((s) => {
    const on = channel === 'sms' ? s.sms.on : s.email.on;
    off.hidden = on;
    off.textContent = on ? '' : (channel === 'sms'
      ? 'SMS is off on this server: no SMS provider is set up. Nothing can be sent.'
      : 'Email is off on this server: no mail server is set up. Nothing can be sent.');
  });
  measure();
  const form = [off, field('q_to', 'To', to), field('q_template', 'Template', template),
    channel === 'email' ? field('q_subject', 'Subject', subject) : null, field('q_body', 'Message', body), counter,
    warning, acceptBox, gate, channel === 'email' && files.length ? h('fieldset', { class: 'radios' },
      h('legend', {}, 'Attach documents'), ...files) : null];
  form.composer = { channel, to, template, subject, body, accept, state, off };
  return form;
}

export async function sendComposed(ctx, record, fields) {
  const c = fields.composer;
  if (!c.off.hidden) throw new Error(c.off.textContent);
  if (!c.body.value.trim()) throw new Error('Choose a template or write the message.');
  if (c.channel === 'sms' && c.state.segments > 1 && !c.accept.checked) {
    throw new Error(`${c.state.segments} SMS: charged ${c.state.segments === 2 ? 'twice' : `${c.state.segments} times`}. Tick "Send it anyway" or shorten the message.`);
  }
  const attachments = [...document.querySelectorAll('input[name="composer_attachment"]:checked')].map((i) => Number(i.value));
  const sent = await post(`/api/customers/${record.id}/messages`, {
    channel: c.channel, template: c.template.value || null, body: c.body.value,
    subject: c.channel === 'email' ? c.subject.value || null : null,
    contact_id: c.to.value ? Number(c.to.value) : null, attachment_ids: attachments });
  const what = c.channel === 'sms' ? `SMS (${sent.segments} part${sent.segments > 1 ? 's' : ''})` : 'Email';
  return `${what} to ${sent.to} queued: it goes out in a moment, and its status shows under Messages.`;
}
