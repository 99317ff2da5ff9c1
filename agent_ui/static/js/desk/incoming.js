// Seed 001 "Incoming Call": the panel opens by itself on `call.ringing` with the script and a
// reason drop-down; "Existing client?" lists the pop's matches (or a search); a new caller is
// recorded with a 10-digit phone number.
import { get, post } from '../lib/api.js';
import { $, fill, h, setOptions, showErrors } from '../lib/dom.js';
import { callReasons } from '../lib/lists.js';
import { clockIn, count, date, dateTime, duration, humanise, money, render, zone } from '../lib/format.js';
import { FormMemory } from '../lib/formstate.js';
import { ivrSummary } from './ivr.js';

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
  if (!digits) return { ok: false, message: 'Enter the phone number (10 digits, e.g. 0712345678).' };
  if (!/^\d+$/.test(digits)) return { ok: false, message: 'The phone number may contain digits only.' };
  if (digits.length !== 10) {
    return { ok: false, message: `The phone number must be exactly 10 digits (e.g. 0712345678); this one has ${digits.length}.` };
  }
  return { ok: true, value: digits };
}

function summaryLine(s) {
  if (!s) return '';
  const parts = [`Overdue ${money(s.overdue_amount)}`, `${count(s.days_past_due)} days past due`];
  if (s.open_promise) parts.push(`promise ${money(s.open_promise.amount)} due ${date(s.open_promise.due_date)}`);
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
      h('div', {}, h('strong', {}, m.name), ' ', h('span', { class: 'tag' }, RELATIONS[m.relation] || (m.relation ? humanise(m.relation) : 'Customer'))),
      h('div', { class: 'muted' }, m.summary ? summaryLine(m.summary) : [m.phone, m.client_id].filter(Boolean).join(' · ')),
      m.summary && m.summary.timezone ? h('div', { class: 'muted local-time' },
        `Local time ${clockIn(m.summary.timezone)} (${m.summary.timezone}) · yours ${clockIn(zone())}`) : null,
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

  // Causes that are not self-explanatory as codes
  const CAUSE_TEXT = { ended_during_failover: 'ended while the servers changed over' };

  function renderCall() {
    const call = ctx.call;
    const card = $('#call-card');
    $('#call-idle').hidden = Boolean(call);
    $('#call-details').hidden = !call;
    card.dataset.callState = call ? call.state : 'idle';
    if (!call) return;
    $('#call-caller').textContent = `${localNumber(call.caller_number)} (${call.caller_number || 'unknown'})`;
    $('#call-dialed').textContent = call.dialed_number || '—';
    const campaign = (ctx.lists.dialer.campaigns || []).find((c) => c.queue === call.queue);
    $('#call-queue').textContent = call.queue ? (campaign ? campaign.label : humanise(call.queue)) : '—';
    fill($('#call-ivr'), ivrSummary(call.ivr));
    const status = { ringing: 'Ringing…', answered: 'Answered: on the call', ended: 'Ended' }[call.state] || call.state;
    $('#call-status').textContent = call.state === 'ended'
      ? `${status} (${CAUSE_TEXT[call.cause] || (call.cause ? humanise(call.cause).toLowerCase() : 'hung up')}${call.talk_seconds != null ? `, talked ${duration(call.talk_seconds)}` : ''})`
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

  // On a live inbound call the search covers every customer and shows only what confirms who is
  // calling; "This is the caller" opens that customer for the call (a call-scoped grant, audited).
  // Outside a call it covers the agent's own customers.
  function callerItem(c, callId) {
    const facts = [c.phone_masked && `Phone ${c.phone_masked}`, c.client_id && `Client ID ${c.client_id}`,
      c.id_last3 && `ID ending ${c.id_last3}`].filter(Boolean);
    return h('li', { class: 'match caller', dataset: { customerId: c.customer_id } },
      h('div', {}, h('strong', {}, c.name)),
      h('div', { class: 'muted' }, facts.join(' · ') || 'No phone or ID on record'),
      h('button', { type: 'button', onclick: async (ev) => {
        ev.target.disabled = true;
        try {
          await post('/api/caller-search/grant', { call_id: callId, customer_id: c.customer_id });
          await ctx.openCustomer(c.customer_id, { callId });
        } catch (err) {
          fill($('#client-search-note'), `${c.name} could not be opened: ${err.message}`);
        } finally {
          ev.target.disabled = false;
        }
      } }, `This is the caller: open ${c.name}`));
  }

  async function searchClients(q) {
    const callId = liveCall();
    if (callId) {
      if (q.length < 3) return { note: 'Type at least 3 characters to search all customers.', items: [] };
      try {
        const found = await get(`/api/caller-search?call_id=${encodeURIComponent(callId)}&q=${encodeURIComponent(q)}`);
        return { note: 'On a call: searching all customers. Confirm the caller before opening.',
          items: found.items.map((c) => callerItem(c, callId)) };
      } catch (err) {
        if (err.status !== 409) throw err;
      }
    }
    const found = await get(`/api/customers?q=${encodeURIComponent(q)}&limit=10`);
    return { note: 'No live call: searching your own customers only.', items: found.items.map(matchItem) };
  }

  $('#client-search').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const q = $('#client-search-q').value.trim();
    if (!q) return;
    const out = $('#client-search-results');
    try {
      const found = await searchClients(q);
      $('#client-search-note').textContent = found.note;
      fill(out, ...(found.items.length ? found.items : [h('li', { class: 'muted' }, 'No client found.')]));
    } catch (err) {
      fill(out, h('li', { class: 'error' }, err.message));
    }
  });

  const form = $('#new-caller');
  const memory = new FormMemory(form, 'sb.form.new-caller');
  const dupBox = $('#nc-duplicate');

  // Open a customer the new caller turned out to be (on a call, granted for it like a picked caller).
  async function openExisting(d) {
    const callId = liveCall();
    try {
      if (callId) await post('/api/caller-search/grant', { call_id: callId, customer_id: d.customer_id });
      dupBox.hidden = true;
      await ctx.openCustomer(d.customer_id, { callId });
    } catch (err) {
      showErrors($('#nc-error'), [`${d.name} could not be opened: ${err.message}`]);
    }
  }

  function showDuplicates(err) {
    const found = err.details.duplicates || [];
    fill($('#nc-duplicates'), ...found.map((d) => h('li', {},
      h('button', { type: 'button', onclick: () => openExisting(d) },
        `Open ${d.name}${d.client_id ? ` (client ${d.client_id})` : ''} instead`))));
    dupBox.hidden = false;
    $('#nc-dup-reason').value = '';
  }

  function newCaller(problems) {
    const phone = tenDigits(form.phone.value);
    form.phone.setAttribute('aria-invalid', phone.ok ? 'false' : 'true');
    if (!form.name.value.trim()) problems.push('Enter the caller’s full name.');
    if (!phone.ok) problems.push(phone.message);
    if (problems.length) {
      (phone.ok ? form.name : form.phone).focus();
      return null;
    }
    const body = { name: form.name.value.trim(), phone: phone.value };
    if (form.government_id.value.trim()) body.government_id = form.government_id.value.trim();
    if (form.serial.value.trim()) body.serial_numbers = [form.serial.value.trim()];
    return body;
  }

  async function create(body) {
    const errors = $('#nc-error');
    try {
      const created = await post('/api/customers', body);
      memory.clear();
      form.reset();
      dupBox.hidden = true;
      await ctx.openCustomer(created.id, { callId: liveCall() });
    } catch (err) {
      if (err.errorId === 'duplicate-customer') {
        showErrors(errors, [err.message]);
        showDuplicates(err);
      } else {
        showErrors(errors, err.lines ? err.lines() : [err.message]);
      }
    }
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const problems = [];
    const body = newCaller(problems);
    showErrors($('#nc-error'), problems);
    if (!body) return;
    dupBox.hidden = true;
    await create(body);
  });

  // "Create anyway" needs a reason, which is stored as a note on the new record.
  $('#nc-create-anyway').addEventListener('click', async () => {
    const problems = [];
    const body = newCaller(problems);
    const reason = $('#nc-dup-reason').value.trim();
    if (body && reason.length < 3) problems.push('Give the reason for creating a new customer anyway (at least 3 characters).');
    showErrors($('#nc-error'), problems);
    if (problems.length) {
      if (body) $('#nc-dup-reason').focus();
      return;
    }
    await create({ ...body, duplicate_reason: reason });
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
