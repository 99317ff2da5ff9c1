// Seed 001 "Outgoing Call": the calls-to-make preview pushed by the dialer (`dialer.preview`:
// attempts so far, who is calling and why, the numbers to tick, dial now, postpone 4 h / 8 h with
// a comment), and the manual "Outgoing Call" search that asks a supervisor's approval first.
import { get } from '../lib/api.js';
import { $, fill, h, showErrors, toast } from '../lib/dom.js';
import { dateTime, money, refusal, ruleText } from '../lib/format.js';
import { clickToCall, dialPreview, holdDialButton, myQueue, phoneLine, postpone, requestApproval } from '../lib/dialer_api.js';
import { has } from '../lib/features.js';
import { callReasons } from '../lib/lists.js';

function blockedText(err) {
  if (err.status === 409 && err.details && err.details.rule) {
    return refusal(err);
  }
  return err.lines ? err.lines().join(' ') : err.message;
}

function numberChoices(name, numbers, selected) {
  return h('fieldset', { class: 'radios' }, h('legend', {}, 'Numbers to call (tick one)'),
    numbers.map((n, i) => h('label', { class: n.allowed === false ? 'blocked' : '' },
      h('input', { type: 'radio', name, value: n.number, checked: n.number === selected || (!selected && i === 0),
        disabled: n.allowed === false }),
      ` ${n.number} — ${n.name || ''} (${n.relation})`,
      n.allowed === false ? h('span', { class: 'muted' }, ` blocked: ${ruleText(n.rule)}${n.next_allowed_at ? `, next allowed ${dateTime(n.next_allowed_at)}` : ''}`) : null)));
}

export function initOutgoing(ctx) {
  const box = $('#preview');
  let preview = null;
  let line = { ok: true };
  phoneLine().then((found) => { line = found; drawPreview(); });
  setInterval(async () => { // the browser phone registers after the page loads: look again until the line works
    if (line.ok) return;
    const found = await phoneLine();
    if (found.ok !== line.ok) { line = found; drawPreview(); }
  }, 3000);

  // The empty state says why (GET /api/dialer/my-queue: the supervisor's "why am I not dialling?"
  // reasons over this agent's campaigns), reloaded when the agent's state or the queue changes.
  let asking = null;
  async function explainEmpty() {
    if (preview || asking || !(await has('dialer'))) return;
    asking = setTimeout(async () => {
      asking = null;
      if (preview) return;
      const empty = $('#preview-empty');
      try {
        const why = await myQueue();
        empty.textContent = why.reason === 'go_ready' || why.reason === 'dialling'
          ? why.sentence : `No call is queued for you. ${why.sentence}`;
        empty.dataset.reason = why.reason;
      } catch (err) {
        empty.textContent = `No call is queued for you. Why could not be loaded: ${err.message}`;
      }
    }, 300);
  }
  for (const type of ['hello', 'agent.state', 'wallboard.queue', 'dialer.preview_cancelled']) ctx.socket.on(type, explainEmpty);

  function drawPreview() {
    $('#preview-empty').hidden = Boolean(preview);
    box.hidden = !preview;
    if (!preview) {
      explainEmpty();
      return;
    }
    const p = preview;
    const s = p.customer.summary || {};
    const form = h('form', { id: 'postpone-form', novalidate: true },
      h('fieldset', { class: 'radios' }, h('legend', {}, 'Postpone (unanswered or call back)'),
        h('label', {}, h('input', { type: 'radio', name: 'hours', value: '4', checked: true }), ' 4 hours'),
        h('label', {}, h('input', { type: 'radio', name: 'hours', value: '8' }), ' 8 hours')),
      h('label', { for: 'postpone-comment' }, 'Comment (required)'),
      h('textarea', { id: 'postpone-comment', name: 'comment', rows: '2' }),
      h('p', { class: 'error', role: 'alert', id: 'postpone-error', hidden: true }),
      h('button', { type: 'submit' }, 'Postpone'));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const comment = form.comment.value.trim();
      if (!comment) {
        showErrors($('#postpone-error'), ['Leave a comment explaining why the call is rescheduled.']);
        form.comment.focus();
        return;
      }
      try {
        await postpone(p.task_id, Number(form.hours.value), comment);
        toast(`Call postponed by ${form.hours.value} hours.`);
        preview = null;
        drawPreview();
      } catch (err) {
        showErrors($('#postpone-error'), [blockedText(err)]);
      }
    });
    fill(box,
      h('p', {}, h('strong', { id: 'pv-name' }, p.customer.name), ` · campaign ${p.campaign}`),
      h('p', {}, 'Contacted ', h('strong', { id: 'pv-attempts' }, String(p.attempts)), ' times so far',
        p.last_outcome ? ` (last: ${p.last_outcome})` : '', '.'),
      h('p', {}, `${ctx.me.display_name} calling about `, h('strong', {}, p.reason.label),
        ` · overdue ${money(s.overdue_amount)}, ${s.days_past_due ?? 0} days past due`),
      h('ol', { class: 'script-lines' }, p.reason.script.map((line) => h('li', {}, line))),
      numberChoices('pv-number', p.numbers, p.selected),
      p.dial_at ? h('p', { class: 'muted' }, `Dials automatically at ${dateTime(p.dial_at)}.`) : null,
      h('div', { class: 'row' },
        h('button', { type: 'button', class: 'primary', onclick: async () => {
          const picked = box.querySelector('input[name="pv-number"]:checked');
          try {
            await dialPreview(p.task_id, picked ? picked.value : null);
            toast('Dialling: your phone rings first.');
          } catch (err) {
            toast(blockedText(err), 'error', 10000);
          }
        } }, 'Dial now'),
        h('button', { type: 'button', onclick: () => ctx.openCustomer(p.customer.id) }, 'Open record')),
      form);
    holdDialButton(box.querySelector('button.primary'), line);
  }

  ctx.socket.on('dialer.preview', (data) => {
    preview = data;
    ctx.showTab('outgoing');
    drawPreview();
  });
  ctx.socket.on('dialer.preview_cancelled', (data) => {
    if (preview && preview.task_id === data.task_id) {
      preview = null;
      drawPreview();
    }
  });

  const results = $('#manual-results');
  const request = $('#manual-request');
  function pick(customer) {
    request.hidden = false;
    // No reason is picked for the agent (issue 15): the first option asks them to choose.
    const reason = h('select', { id: 'manual-reason', required: true },
      h('option', { value: '', selected: true }, 'Choose the reason for this call…'),
      callReasons(ctx.lists, 'outbound').map((r) => h('option', { value: r.code }, r.label)));
    const other = h('input', { id: 'manual-other', inputmode: 'numeric', autocomplete: 'off' });
    const why = h('textarea', { id: 'manual-why', rows: '2' });
    const status = h('p', { id: 'manual-status', role: 'status' });
    const numbers = customer.phones.map((p) => ({ number: p, name: customer.name, relation: 'customer' }));
    fill(request, h('h4', {}, customer.name), numberChoices('manual-number', numbers, numbers[0] && numbers[0].number),
      h('label', { for: 'manual-other' }, 'Or another number'), other,
      h('label', { for: 'manual-reason' }, 'Reason for calling'), reason,
      h('label', { for: 'manual-why' }, 'Why this call is needed (for the supervisor)'), why,
      h('button', { type: 'button', id: 'manual-ask', onclick: async () => {
        const picked = request.querySelector('input[name="manual-number"]:checked');
        const number = other.value.trim() || (picked && picked.value);
        if (!reason.value) {
          status.textContent = 'Choose the reason for this call first.';
          reason.focus();
          return;
        }
        try {
          const approval = await requestApproval(number, customer.id, reason.value, why.value.trim());
          request.dataset.approvalId = String(approval.id);
          request.dataset.number = approval.number;
          status.textContent = 'Waiting for a supervisor’s approval…';
        } catch (err) {
          status.textContent = blockedText(err);
        }
      } }, 'Request approval'),
      h('button', { type: 'button', id: 'manual-dial', disabled: true, onclick: async () => {
        try {
          const res = await clickToCall(customer.id, request.dataset.number);
          status.textContent = `Calling ${request.dataset.number} (call ${res.call_id}).`;
        } catch (err) {
          status.textContent = blockedText(err);
        }
      } }, 'Call'),
      status);
  }
  ctx.socket.on('approval.decided', (data) => {
    if (String(data.id) !== request.dataset.approvalId) return;
    const approved = data.status === 'approved';
    const status = $('#manual-status');
    if (status) status.textContent = approved ? `Approved until ${dateTime(data.expires_at)}. You may call now.`
      : (data.status === 'expired' ? 'Not approved in time: the request expired. Ask again if you still need to call.'
        : 'Not approved: a supervisor refused this call.');
    const call = $('#manual-dial');
    if (call) {
      call.disabled = !approved;
      if (approved) holdDialButton(call, line); // approved, but no phone line: disabled with the reason, as Phone Call is
    }
    toast(approved ? 'Your outgoing call was approved.' : 'Your outgoing call was not approved.', approved ? 'info' : 'error');
  });
  $('#manual-search').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const q = $('#manual-q').value.trim();
    if (!q) return;
    try {
      const found = await get(`/api/customers?q=${encodeURIComponent(q)}&limit=10`);
      fill(results, ...(found.items.length ? found.items.map((c) => h('li', { class: 'match' },
        h('strong', {}, c.name), ` ${c.phone || ''} ${c.serial_numbers.join(', ')}`,
        h('button', { type: 'button', onclick: () => pick(c) }, `Select ${c.name}`))) : [h('li', { class: 'muted' }, 'No customer found.')]));
    } catch (err) {
      fill(results, h('li', { class: 'error' }, err.message));
    }
  });
  drawPreview();
}
