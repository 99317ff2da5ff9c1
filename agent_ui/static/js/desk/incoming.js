// Seed 001 "Incoming Call": the panel opens by itself on `call.ringing` with the script and a
// reason drop-down; "Existing client?" lists the pop's matches (or a search); a new caller is
// recorded with a 10-digit phone number.
import { get, post } from '../lib/api.js';
import { $, fill, h, setOptions, showErrors } from '../lib/dom.js';
import { callReasons } from '../lib/lists.js';
import { dateTime, duration, money, render } from '../lib/format.js';
import { FormMemory } from '../lib/formstate.js';

const CALL_KEY = 'sb.desk.call';
const RELATIONS = { customer: 'Customer', guarantor: 'Guarantor', alternative_contact: 'Alternative contact',
  relationship_officer: 'Relationship officer' };

export function localNumber(e164) {
  if (!e164) return '';
  if (e164.startsWith('+254')) return `0${e164.slice(4)}`;
  return e164.replace(/^\+/, '');
}

export function tenDigits(raw) {
  const digits = String(raw || '').replace(/[\s-]/g, '');
  if (!/^\d+$/.test(digits)) return { ok: false, message: 'The phone number may contain digits only.' };
  if (digits.length !== 10) {
    return { ok: false, message: `The phone number must be exactly 10 digits (e.g. 0712345678); this one has ${digits.length}.` };
  }
  return { ok: true, value: digits };
}

function summaryLine(s) {
  if (!s) return '';
  const parts = [`Overdue ${money(s.overdue_amount)}`, `${s.days_past_due} days past due`];
  if (s.open_promise) parts.push(`promise ${money(s.open_promise.amount)} due ${s.open_promise.due_date}`);
  if (s.last_interaction) parts.push(`last contact ${dateTime(s.last_interaction.at)}`);
  return parts.join(' · ');
}

export function initIncoming(ctx) {
  const liveCall = () => ctx.activeCallId() || (ctx.call && ctx.call.state !== 'ended' ? ctx.call.call_id : null);
  const reasonSelect = $('#inbound-reason');
  const reasons = callReasons(ctx.lists, 'inbound');
  setOptions(reasonSelect, reasons, { empty: '— choose the reason —' });
  const values = () => ({ ...ctx.lists.templates.placeholder_defaults, agent: ctx.me.display_name });

  function renderScript() {
    const greeting = ctx.lists.reasons.greeting.inbound;
    fill($('#inbound-script'), ...greeting.map((line) => h('li', {}, render(line, values()))));
    const reason = reasons.find((r) => r.code === reasonSelect.value);
    fill($('#reason-script'), ...(reason ? reason.script : []).map((line) => h('li', {}, render(line, values()))));
    if (ctx.call) ctx.call.reason_code = reasonSelect.value || null;
  }
  reasonSelect.addEventListener('change', renderScript);

  function matchItem(m) {
    return h('li', { class: 'match', dataset: { customerId: m.customer_id ?? m.id } },
      h('div', {}, h('strong', {}, m.name), ' ', h('span', { class: 'tag' }, RELATIONS[m.relation] || m.relation || 'Customer')),
      h('div', { class: 'muted' }, m.summary ? summaryLine(m.summary) : [m.phone, m.client_id].filter(Boolean).join(' · ')),
      h('button', { type: 'button', onclick: () => ctx.openCustomer(m.customer_id ?? m.id, { callId: liveCall() }) },
        `Open ${m.name}`));
  }

  function setExisting(answer) {
    $('#existing-yes').checked = answer === 'yes';
    $('#existing-no').checked = answer === 'no';
    $('#existing-box').hidden = answer !== 'yes';
    $('#new-caller').hidden = answer !== 'no';
  }
  for (const radio of [$('#existing-yes'), $('#existing-no')]) {
    radio.addEventListener('change', () => setExisting(radio.value));
  }

  function renderCall() {
    const call = ctx.call;
    const card = $('#call-card');
    $('#call-idle').hidden = Boolean(call);
    $('#call-details').hidden = !call;
    card.dataset.callState = call ? call.state : 'idle';
    if (!call) return;
    $('#call-caller').textContent = `${localNumber(call.caller_number)} (${call.caller_number || 'unknown'})`;
    $('#call-dialed').textContent = call.dialed_number || '—';
    $('#call-queue').textContent = call.queue || '—';
    $('#call-ivr').textContent = (call.ivr || []).join(', ') || '—';
    const status = { ringing: 'Ringing…', answered: 'Answered: on the call', ended: 'Ended' }[call.state] || call.state;
    $('#call-status').textContent = call.state === 'ended'
      ? `${status} (${call.cause || 'hung up'}${call.talk_seconds != null ? `, talked ${duration(call.talk_seconds)}` : ''})`
      : status;
    fill($('#pop-matches'), ...(call.matches || []).map(matchItem));
    if (!(call.matches || []).length) fill($('#pop-matches'), h('li', { class: 'muted' }, 'No client has this number.'));
  }

  function remember() {
    sessionStorage.setItem(CALL_KEY, JSON.stringify(ctx.call));
  }

  ctx.socket.on('call.ringing', (data) => {
    ctx.call = { ...data, state: 'ringing', reason_code: null };
    remember();
    if (data.direction === 'outbound' && (data.matches || []).length) {
      ctx.openCustomer(data.matches[0].customer_id, { callId: data.call_id });
    } else {
      ctx.showTab('incoming');
    }
    reasonSelect.value = '';
    renderScript();
    const known = (data.matches || []).length > 0;
    setExisting(known ? 'yes' : 'no');
    if (!known) {
      $('#nc-phone').value = localNumber(data.caller_number);
      $('#nc-name').focus();
    }
    renderCall();
  });
  const follow = (state) => (data) => {
    if (!ctx.call || ctx.call.call_id !== data.call_id) return;
    ctx.call = { ...ctx.call, ...data, state };
    remember();
    renderCall();
  };
  ctx.socket.on('call.answered', follow('answered'));
  ctx.socket.on('call.ended', follow('ended'));

  $('#client-search').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const q = $('#client-search-q').value.trim();
    if (!q) return;
    const out = $('#client-search-results');
    try {
      const found = await get(`/api/customers?q=${encodeURIComponent(q)}&limit=10`);
      fill(out, ...(found.items.length ? found.items.map(matchItem) : [h('li', { class: 'muted' }, 'No client found.')]));
    } catch (err) {
      fill(out, h('li', { class: 'error' }, err.message));
    }
  });

  const form = $('#new-caller');
  const memory = new FormMemory(form, 'sb.form.new-caller');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const errors = $('#nc-error');
    const phone = tenDigits(form.phone.value);
    form.phone.setAttribute('aria-invalid', phone.ok ? 'false' : 'true');
    const problems = [];
    if (!form.name.value.trim()) problems.push('Enter the caller’s full name.');
    if (!phone.ok) problems.push(phone.message);
    showErrors(errors, problems);
    if (problems.length) {
      (phone.ok ? form.name : form.phone).focus();
      return;
    }
    const body = { name: form.name.value.trim(), phone: phone.value };
    if (form.government_id.value.trim()) body.government_id = form.government_id.value.trim();
    if (form.serial.value.trim()) body.serial_numbers = [form.serial.value.trim()];
    try {
      const created = await post('/api/customers', body);
      memory.clear();
      form.reset();
      await ctx.openCustomer(created.id, { callId: liveCall() });
    } catch (err) {
      showErrors(errors, err.lines ? err.lines() : [err.message]);
    }
  });

  try {
    ctx.call = JSON.parse(sessionStorage.getItem(CALL_KEY) || 'null');
  } catch {
    ctx.call = null;
  }
  if (ctx.call) setExisting((ctx.call.matches || []).length ? 'yes' : 'no');
  memory.restore();
  renderScript();
  renderCall();
}
