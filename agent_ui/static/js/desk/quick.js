// Seed 002 quick actions: Phone Call (click-to-call), Send SMS, Send Email (recorded as an
// interaction marked not sent, and the agent is told so), Add Activity, Add Promise to Pay.
import { post } from '../lib/api.js';
import { $, $$, fill, h, showErrors, toast } from '../lib/dom.js';
import { dateTime, render, today } from '../lib/format.js';
import { field, isoFromLocal, select } from './notes_fields.js';

function numbersOf(record) {
  return [...record.phones.map((p, i) => ({ number: p, text: `${record.name} — ${i ? 'other' : 'main'} ${p}` })),
    ...record.contacts.filter((c) => c.phone).map((c) => ({ number: c.phone, text: `${c.name} (${c.relation}) — ${c.phone}` }))];
}

function values(ctx, record) {
  const s = record.summary || {};
  return { ...ctx.lists.templates.placeholder_defaults, name: record.name, first_name: record.name.split(' ')[0],
    agent: ctx.me.display_name, account: record.client_id || record.id, client_id: record.client_id,
    overdue_amount: s.overdue_amount, balance: s.total_balance, days_past_due: s.days_past_due,
    phone: record.phone, amount: s.overdue_amount };
}

const ACTIONS = {
  call: {
    title: 'Phone Call',
    build: (ctx, r) => [field('q_number', 'Number to call', h('select', {},
      numbersOf(r).map((n) => h('option', { value: n.number }, n.text))))],
    submit: async (ctx, r, f) => {
      const res = await post('/api/calls', { customer_id: r.id, number: f.q_number.value });
      return `Calling ${f.q_number.value}: your phone rings first (call ${res.call_id}).`;
    },
  },
  sms: { title: 'Send SMS', build: (ctx, r) => messageFields(ctx, r, 'sms'), submit: (ctx, r, f) => message(ctx, r, f, 'sms') },
  email: { title: 'Send Email', build: (ctx, r) => messageFields(ctx, r, 'email'), submit: (ctx, r, f) => message(ctx, r, f, 'email') },
  activity: {
    title: 'Add Activity',
    build: (ctx) => [
      field('q_activity', 'Disposition', select(ctx.lists.dispositions.activity_map.map((a) => ({ code: a.label, label: a.label })))),
      field('q_notes', 'Notes', h('textarea', { rows: '3' })),
      field('q_assignee', 'Assign the follow-up to (username)', h('input', { value: ctx.me.username })),
      field('q_follow', 'Follow-up date (optional)', h('input', { type: 'datetime-local' }))],
    submit: async (ctx, r, f) => {
      if (!f.q_activity.value) throw new Error('Choose a disposition.');
      const body = { channel: 'call', activity_type: f.q_activity.value, comments: f.q_notes.value || null };
      if (f.q_follow.value) {
        body.complete = false;
        body.follow_up = { assignee: f.q_assignee.value || ctx.me.username, due_at: isoFromLocal(f.q_follow.value),
          instructions: f.q_notes.value || null };
      }
      await post(`/api/customers/${r.id}/interactions`, body);
      return 'Activity saved.';
    },
  },
  promise: {
    title: 'Add Promise to Pay',
    build: (ctx) => [
      field('q_amount', 'Payment amount', h('input', { type: 'number', min: '1', step: '0.01' })),
      field('q_assignee', 'Assign the follow-up to (username)', h('input', { value: ctx.me.username })),
      field('q_due', 'Due date', h('input', { type: 'date', min: today() })),
      field('q_notes', 'Notes', h('textarea', { rows: '2' }))],
    submit: async (ctx, r, f) => {
      if (!(Number(f.q_amount.value) > 0) || !f.q_due.value) throw new Error('Enter the amount and the due date.');
      await post(`/api/customers/${r.id}/promises`, { amount: f.q_amount.value, due_date: f.q_due.value,
        assignee: f.q_assignee.value || null, notes: f.q_notes.value || null });
      return 'Promise to pay saved.';
    },
  },
};

function messageFields(ctx, r, channel) {
  const list = ctx.lists.templates.templates.filter((t) => t.channel === channel);
  const body = h('textarea', { rows: channel === 'email' ? '8' : '4' });
  const subject = h('input', {});
  const warn = h('p', { class: 'warn', hidden: true }, ctx.lists.templates.sms_warning);
  const template = select(list, '— write your own —');
  template.addEventListener('change', () => {
    const t = list.find((x) => x.code === template.value);
    if (t) {
      body.value = render(t.body, values(ctx, r));
      subject.value = render(t.subject || '', values(ctx, r));
    }
    warn.hidden = channel !== 'sms' || body.value.length <= 160;
  });
  body.addEventListener('input', () => { warn.hidden = channel !== 'sms' || body.value.length <= 160; });
  const to = channel === 'sms' ? `${r.name} — ${r.phone || 'no phone'}` : `${r.name} — ${r.email || 'no email on record'}`;
  return [h('p', { class: 'muted' }, `To: ${to}`), field('q_template', 'Template', template),
    channel === 'email' ? field('q_subject', 'Subject', subject) : null, field('q_body', 'Message', body), warn];
}

async function message(ctx, r, f, channel) {
  if (!f.q_body.value.trim()) throw new Error('Choose a template or write the message.');
  const saved = await post(`/api/customers/${r.id}/interactions`, {
    channel, direction: 'outbound', send_message: true, message_template: f.q_template.value || null,
    message_body: f.q_body.value, subject: f.q_subject ? f.q_subject.value || null : null, complete: true });
  const what = channel === 'sms' ? 'SMS' : 'Email';
  return saved.message_sent ? `${what} sent.` : `${what} recorded in the history but NOT sent: messaging is not set up yet.`;
}

export function initQuick(ctx) {
  const dialog = $('#quick-dialog');
  const form = $('#quick-form');
  let action = null;
  for (const button of $$('[data-quick]')) {
    button.addEventListener('click', () => {
      if (!ctx.customer) return;
      action = button.dataset.quick;
      $('#quick-title').textContent = ACTIONS[action].title;
      $('#quick-save').textContent = action === 'call' ? 'Call' : 'Save';
      fill($('#quick-body'), ...ACTIONS[action].build(ctx, ctx.customer).filter(Boolean));
      showErrors($('#quick-error'), []);
      dialog.showModal();
    });
  }
  $('#quick-cancel').addEventListener('click', () => dialog.close());
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const text = await ACTIONS[action].submit(ctx, ctx.customer, form.elements);
      dialog.close();
      toast(text, 'info', 8000);
      if (action !== 'call') await ctx.reloadCustomer(action === 'promise' ? 'promises' : 'history');
    } catch (err) {
      const lines = err.status === 409 && err.details && err.details.rule
        ? [`Blocked by the rule "${err.details.rule}". Next allowed: ${dateTime(err.details.next_allowed_at)}.`]
        : err.lines ? err.lines() : [err.message];
      showErrors($('#quick-error'), lines);
    }
  });
}
