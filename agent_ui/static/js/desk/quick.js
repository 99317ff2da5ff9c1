// Seed 002 quick actions: Phone Call (click-to-call), Send SMS, Send Email (the composer of
// desk/composer.js: queued, then sent by the messaging sender), Add Activity, Add Promise to Pay.
import { post } from '../lib/api.js';
import { $, $$, fill, h, showErrors, toast } from '../lib/dom.js';
import { refusal, today } from '../lib/format.js';
import { field, inZone, isoFromLocal, select } from './notes_fields.js';
import { composerFields, sendComposed } from './composer.js';
import { holdDialButton, phoneLine } from '../lib/dialer_api.js';

let built = null; // the open dialog's fields (the composer keeps its controls on them)

function numbersOf(record) {
  return [...record.phones.map((p, i) => ({ number: p, text: `${record.name} — ${i ? 'other' : 'main'} ${p}` })),
    ...record.contacts.filter((c) => c.phone).map((c) => ({ number: c.phone, text: `${c.name} (${c.relation}) — ${c.phone}` }))];
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
  // The composer (desk/composer.js, issue 16): sends through /api/customers/{id}/messages.
  sms: { title: 'Send SMS', build: (ctx, r) => composerFields(ctx, r, 'sms'), submit: (ctx, r) => sendComposed(ctx, r, built) },
  email: { title: 'Send Email', build: (ctx, r) => composerFields(ctx, r, 'email'), submit: (ctx, r) => sendComposed(ctx, r, built) },
  activity: {
    title: 'Add Activity',
    build: (ctx) => [
      field('q_activity', 'Disposition', select(ctx.lists.dispositions.activity_map.map((a) => ({ code: a.label, label: a.label })))),
      field('q_notes', 'Notes', h('textarea', { rows: '3', maxlength: '20000' })),
      field('q_assignee', 'Assign the follow-up to (username)', h('input', { value: ctx.me.username })),
      field('q_follow', inZone('Follow-up date (optional)'), h('input', { type: 'datetime-local' }))],
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
      field('q_notes', 'Notes', h('textarea', { rows: '2', maxlength: '20000' }))],
    submit: async (ctx, r, f) => {
      if (!f.q_amount.value.trim() || !f.q_due.value) throw new Error('Enter the amount and the due date.');
      if (!(Number(f.q_amount.value) > 0)) throw new Error('The payment amount must be more than 0.');
      await post(`/api/customers/${r.id}/promises`, { amount: f.q_amount.value, due_date: f.q_due.value,
        assignee: f.q_assignee.value || null, notes: f.q_notes.value || null });
      return 'Promise to pay saved.';
    },
  },
};

export function initQuick(ctx) {
  const dialog = $('#quick-dialog');
  const form = $('#quick-form');
  let action = null;
  phoneLine().then((line) => holdDialButton($('[data-quick="call"]'), line));
  for (const button of $$('[data-quick]')) {
    button.addEventListener('click', () => {
      if (!ctx.customer) return;
      action = button.dataset.quick;
      $('#quick-title').textContent = ACTIONS[action].title;
      $('#quick-save').textContent = action === 'call' ? 'Call' : 'Save';
      built = ACTIONS[action].build(ctx, ctx.customer);
      fill($('#quick-body'), ...built.filter(Boolean));
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
      if (action !== 'call') await ctx.reloadCustomer({ promise: 'promises', sms: 'messages', email: 'messages' }[action] || 'history');
    } catch (err) {
      const lines = err.status === 409 && err.details && err.details.rule
        ? [refusal(err)]
        : err.lines ? err.lines() : [err.message];
      showErrors($('#quick-error'), lines);
    }
  });
}
