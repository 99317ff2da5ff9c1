// The follow-up notes form's controls: every seed 000 field, the 3-layer disposition (seed 003)
// and the seed 004 customer-note fields. Each control has a <label>; wrappers carry data-field.
import { h } from '../lib/dom.js';
import { isoFromWall, zone, zoneName } from '../lib/format.js';
import { statuses } from '../lib/lists.js';

export const NODE_FIELDS = ['promised_amount', 'promised_date', 'visit_date', 'callback_at', 'comments'];
const LABELS = {
  promised_amount: 'Promised amount', promised_date: 'Promised date', visit_date: 'Set visit date',
  callback_at: 'Call back at', comments: 'Comments',
};

function opts(items, empty) {
  return [h('option', { value: '' }, empty), ...items.map((i) => h('option', { value: i.code }, i.label))];
}

export function field(name, text, control, { hidden = false } = {}) {
  control.id = control.id || `nf-${name}`;
  control.name = control.name || name;
  return h('div', { class: 'field', dataset: { field: name }, hidden },
    h('label', { for: control.id }, text, h('span', { class: 'req', 'aria-hidden': 'true' }, ' *')), control);
}

export function select(items, empty = '— choose —') {
  return h('select', {}, opts(items, empty));
}

export function buildNotesForm(lists) {
  const f = lists.followup;
  const n = lists.notes;
  const smsTemplates = lists.templates.templates.filter((t) => t.channel === 'sms');
  return h('form', { id: 'notes-form', class: 'notes-form', novalidate: true, 'aria-labelledby': 'notes-title' },
    h('h2', { id: 'notes-title' }, 'Follow-up notes'),
    h('fieldset', {}, h('legend', {}, 'The call'),
      field('action', 'Action (whom you are contacting)', select(f.actions)),
      field('contact_id', 'Contact person', h('select', {}), { hidden: true }),
      field('call_result', 'Call results', select(f.call_results)),
      field('call_status', 'Call status', select(f.call_statuses)),
      field('status_action', 'Call status action', h('select', {}, opts([], '— choose the call status first —'))),
      field('party_response', 'Party response', h('select', {}, opts([], '—')), { hidden: true })),
    h('fieldset', { id: 'disposition' }, h('legend', {}, 'Disposition'),
      field('disp_status', 'Status (layer 1)', select(statuses(lists))),
      field('disp_reason', 'Reason (layer 2)', h('select', {}, opts([], '— choose the status first —'))),
      field('disp_resolution', 'Resolution (layer 3)', h('select', {}, opts([], '—')))),
    h('fieldset', { id: 'node-fields' }, h('legend', {}, 'Details'),
      field('promised_amount', LABELS.promised_amount,
        h('input', { type: 'number', min: '1', step: '0.01', inputmode: 'decimal' }), { hidden: true }),
      field('promised_date', LABELS.promised_date, h('input', { type: 'date' }), { hidden: true }),
      field('visit_date', LABELS.visit_date, h('input', { type: 'date' }), { hidden: true }),
      field('callback_at', inZone(LABELS.callback_at), h('input', { type: 'datetime-local' }), { hidden: true }),
      field('comments', LABELS.comments, h('textarea', { rows: '3', maxlength: '20000' })),
      field('client_status', 'Client status', select(f.client_statuses))),
    h('fieldset', { class: 'radios', id: 'send-message' }, h('legend', {}, 'Send client a message?'),
      h('label', {}, h('input', { type: 'radio', name: 'send_message', value: 'no', id: 'nf-send-no', checked: true }), ' No'),
      h('label', {}, h('input', { type: 'radio', name: 'send_message', value: 'yes', id: 'nf-send-yes' }), ' Yes')),
    h('div', { id: 'message-box', hidden: true },
      field('message_template', 'Message template', select(smsTemplates, '— write your own —')),
      field('message_body', 'Message', h('textarea', { rows: '3', maxlength: '20000' })),
      h('p', { class: 'warn', id: 'nf-sms-warning', hidden: true }, lists.templates.sms_warning)),
    h('fieldset', {}, h('legend', {}, 'Customer notes'),
      field('purpose', 'Purpose', select(n.purposes)),
      field('subject', 'Subject', h('input', { maxlength: '200', autocomplete: 'off' })),
      field('detail', 'Detail', h('textarea', { rows: '3', maxlength: '20000' })),
      field('call_outcome', 'Call outcome', select(n.call_outcomes)),
      field('customer_mood', 'Customer mood', select(n.customer_moods)),
      h('div', { class: 'field check' }, h('input', { type: 'checkbox', id: 'nf-complete', name: 'complete', checked: true }),
        h('label', { for: 'nf-complete' }, 'Complete: no follow-up needed'))),
    h('fieldset', { id: 'follow-up', hidden: true }, h('legend', {}, 'Follow-up'),
      field('follow_assignee', 'Follow up by (username)', h('input', { autocomplete: 'off' })),
      field('follow_due', inZone('Follow up on'), h('input', { type: 'datetime-local' })),
      field('follow_instructions', 'Instructions', h('textarea', { rows: '2', maxlength: '20000' }))),
    h('input', { type: 'hidden', name: 'call_id', id: 'nf-call-id' }),
    h('input', { type: 'hidden', name: 'reason_code', id: 'nf-reason-code' }),
    h('div', { class: 'error', role: 'alert', id: 'notes-error', hidden: true }),
    h('div', { class: 'row end' },
      h('span', { class: 'muted small' }, 'Ctrl+Enter saves'),
      h('button', { type: 'submit', class: 'primary', id: 'notes-save' }, 'Save')));
}

// A datetime-local value, read in the page's zone (the agent's setting; not the browser's) -> ISO 8601 UTC.
export function isoFromLocal(value) {
  return isoFromWall(value);
}

// The label of a time input names its zone.
export function inZone(text) {
  return `${text} (${zone()}, ${zoneName()})`;
}
