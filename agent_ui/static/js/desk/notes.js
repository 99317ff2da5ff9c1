// The follow-up notes form: cascading drop-downs (call status -> action -> party response; the
// 3-layer disposition), the fields the chosen disposition needs shown and required, the form kept
// in sessionStorage until saved, and the saved note put in the history at once.
import { post } from '../lib/api.js';
import { $, fill, h, setOptions, showErrors, toast } from '../lib/dom.js';
import { FormMemory } from '../lib/formstate.js';
import { partyResponses, reasonsOf, requiredFields, resolutionsOf, statusActions, statuses } from '../lib/lists.js';
import { render } from '../lib/format.js';
import { NODE_FIELDS, buildNotesForm, isoFromLocal } from './notes_fields.js';

const CONTACT_RELATIONS = { guarantor: 'guarantor', relationship_officer: 'relationship_officer',
  alternative_contact: 'alternative_contact' };

export function initNotes(ctx) {
  const lists = ctx.lists;
  const form = buildNotesForm(lists);
  $('#notes-box').append(form);
  const memory = new FormMemory(form, null);
  const el = (name) => form.elements.namedItem(name);
  const wrap = (name) => form.querySelector(`[data-field="${name}"]`);
  let record = null;

  function required() {
    return requiredFields(lists, el('disp_status').value, el('disp_reason').value, el('disp_resolution').value);
  }

  function applyRequirements() {
    const need = required();
    for (const name of NODE_FIELDS) {
      const box = wrap(name);
      const on = need.has(name);
      if (name !== 'comments') box.hidden = !on;
      box.classList.toggle('required', on);
      el(name).required = on;
      el(name).setAttribute('aria-required', String(on));
    }
    for (const name of ['disp_status', 'disp_reason']) {
      wrap(name).classList.add('required');
      el(name).setAttribute('aria-required', 'true');
    }
    const needResolution = lists.dispositions.require_resolution && resolutionsOf(lists,
      el('disp_status').value, el('disp_reason').value).length > 0;
    wrap('disp_resolution').classList.toggle('required', needResolution);
  }

  el('disp_status').addEventListener('change', () => {
    setOptions(el('disp_reason'), reasonsOf(lists, el('disp_status').value), { empty: '— choose the reason —' });
    el('disp_reason').dispatchEvent(new Event('change'));
  });
  el('disp_reason').addEventListener('change', () => {
    const items = resolutionsOf(lists, el('disp_status').value, el('disp_reason').value);
    setOptions(el('disp_resolution'), items, { empty: items.length ? '— choose the resolution —' : '—' });
    applyRequirements();
  });
  el('disp_resolution').addEventListener('change', applyRequirements);

  el('call_status').addEventListener('change', () => {
    setOptions(el('status_action'), statusActions(lists, el('call_status').value), { empty: '— choose —' });
    el('status_action').dispatchEvent(new Event('change'));
  });
  el('status_action').addEventListener('change', () => {
    const items = partyResponses(lists, el('call_status').value, el('status_action').value);
    setOptions(el('party_response'), items, { empty: '— choose —' });
    wrap('party_response').hidden = items.length === 0;
  });

  function fillContacts() {
    const relation = CONTACT_RELATIONS[el('action').value];
    const people = record && relation ? record.contacts.filter((c) => c.relation === relation) : [];
    fill(el('contact_id'), h('option', { value: '' }, people.length ? '— choose —' : 'No such contact on record'),
      ...people.map((c) => h('option', { value: String(c.id) }, `${c.name} (${c.phone || 'no phone'})`)));
    wrap('contact_id').hidden = !relation;
  }
  el('action').addEventListener('change', fillContacts);

  function messageValues() {
    const r = record || { name: '' };
    return { ...lists.templates.placeholder_defaults, name: r.name, first_name: (r.name || '').split(' ')[0],
      agent: ctx.me.display_name, account: r.client_id || r.id, client_id: r.client_id,
      overdue_amount: r.summary && r.summary.overdue_amount, balance: r.summary && r.summary.total_balance,
      days_past_due: r.summary && r.summary.days_past_due, promised_amount: el('promised_amount').value,
      promised_date: el('promised_date').value };
  }
  const sendYes = form.querySelector('#nf-send-yes');
  const syncMessage = () => {
    $('#message-box').hidden = !sendYes.checked;
    form.querySelector('#nf-sms-warning').hidden = el('message_body').value.length <= 160;
  };
  for (const radio of form.querySelectorAll('input[name="send_message"]')) radio.addEventListener('change', syncMessage);
  el('message_template').addEventListener('change', () => {
    const t = lists.templates.templates.find((x) => x.code === el('message_template').value);
    if (t) el('message_body').value = render(t.body, messageValues());
    syncMessage();
  });
  el('message_body').addEventListener('input', syncMessage);
  const complete = el('complete');
  complete.addEventListener('change', () => {
    form.querySelector('#follow-up').hidden = complete.checked;
    if (!complete.checked && !el('follow_assignee').value) el('follow_assignee').value = ctx.me.username;
  });

  function body() {
    const v = (name) => (el(name).value || '').trim() || null;
    const need = required();
    const data = { channel: 'call', disposition: { status: v('disp_status'), reason: v('disp_reason'),
      resolution: v('disp_resolution') } };
    for (const name of ['action', 'call_result', 'call_status', 'status_action', 'party_response', 'client_status',
      'purpose', 'subject', 'detail', 'call_outcome', 'customer_mood', 'comments', 'call_id', 'reason_code']) {
      if (v(name) && !wrap(name)?.hidden) data[name] = v(name);
    }
    if (v('contact_id') && !wrap('contact_id').hidden) data.contact_id = Number(v('contact_id'));
    for (const name of ['promised_amount', 'promised_date', 'visit_date']) if (need.has(name) && v(name)) data[name] = v(name);
    if (need.has('callback_at') && v('callback_at')) data.callback_at = isoFromLocal(v('callback_at'));
    data.send_message = sendYes.checked;
    if (sendYes.checked) {
      data.message_template = v('message_template');
      data.message_body = v('message_body');
    }
    data.complete = complete.checked;
    if (!complete.checked) {
      data.follow_up = { assignee: v('follow_assignee') || ctx.me.username, due_at: isoFromLocal(v('follow_due')),
        instructions: v('follow_instructions') };
    }
    return data;
  }

  function problems() {
    const out = [];
    if (!el('disp_status').value) out.push('Disposition: choose the status (layer 1).');
    else if (!el('disp_reason').value) out.push('Disposition: choose the reason (layer 2).');
    if (wrap('disp_resolution').classList.contains('required') && !el('disp_resolution').value) {
      out.push('Disposition: choose the resolution (layer 3).');
    }
    for (const name of required()) {
      if (!(el(name).value || '').trim()) out.push(`${wrap(name).querySelector('label').firstChild.textContent} is required for this disposition.`);
    }
    if (sendYes.checked && !el('message_body').value.trim()) out.push('Choose a template or write the message.');
    if (!complete.checked && !el('follow_due').value) out.push('Choose when to follow up.');
    return out;
  }

  async function save(ev) {
    ev.preventDefault();
    const errors = $('#notes-error');
    const found = problems();
    showErrors(errors, found);
    if (found.length) {
      const first = form.querySelector('[aria-required="true"]:not([type=hidden])');
      if (first && !first.value) first.focus();
      return;
    }
    const button = $('#notes-save');
    button.disabled = true;
    try {
      const saved = await post(`/api/customers/${record.id}/interactions`, body());
      memory.clear();
      resetForm();
      toast(saved.send_message ? 'Note saved. The message was recorded but not sent: messaging is not set up.' : 'Note saved.');
      await ctx.reloadCustomer('history');
    } catch (err) {
      showErrors(errors, err.lines ? err.lines() : [err.message]);
    } finally {
      button.disabled = false;
    }
  }
  form.addEventListener('submit', save);
  form.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) form.requestSubmit();
  });

  function resetForm() {
    form.reset();
    for (const name of ['disp_status', 'call_status', 'action']) el(name).dispatchEvent(new Event('change'));
    complete.dispatchEvent(new Event('change'));
    syncMessage();
    el('call_id').value = ctx.activeCallId() || '';
    el('reason_code').value = (ctx.call && ctx.call.reason_code) || '';
  }

  // A new version of the disposition tree (config.changed): the drop-downs offer it at once.
  document.addEventListener('lists-changed', (ev) => {
    if (ev.detail.name !== 'dispositions') return;
    const chosen = [el('disp_status').value, el('disp_reason').value, el('disp_resolution').value];
    setOptions(el('disp_status'), statuses(lists), { empty: '— choose —' });
    el('disp_status').dispatchEvent(new Event('change'));
    if (chosen[1]) el('disp_reason').value = chosen[1];
    el('disp_reason').dispatchEvent(new Event('change'));
    if (chosen[2]) el('disp_resolution').value = chosen[2];
    applyRequirements();
  });

  resetForm();
  return {
    attach(customer, callId) {
      const same = record && record.id === customer.id;
      record = customer;
      fillContacts();
      if (!same) {
        memory.setKey(`sb.form.notes.${customer.id}`);
        resetForm();
        memory.restore();
      }
      if (callId) el('call_id').value = callId;
      if (ctx.call && ctx.call.reason_code) el('reason_code').value = ctx.call.reason_code;
      memory.save();
    },
  };
}
