// The desk is the agent's phone (issue 20): the phone bar (registration state and the call's
// controls: answer, hang up, mute, hold, keypad, transfers, pausing the recording) and the pop's
// Answer button, which answers the SIP call. A desk phone declared in the profile shows no controls.
// The supervisor's page mounts the same bar (issue 22: a Listen rings it) with answer, hang up,
// mute and the keypad only: the controls a page does not have are left out.
import { post } from '../lib/api.js';
import { $, h, toast } from '../lib/dom.js';

const STATE_TEXT = { connecting: 'Phone: connecting…', registered: 'Phone: registered',
  'no-microphone': 'Phone: no microphone', failed: 'Phone: failed', desk: 'Desk phone' };
const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

export async function initPhone(ctx) {
  const bar = $('#phonebar');
  if (!bar) return null;
  let creds;
  try {
    creds = await post('/api/phone/session');
  } catch (err) {
    bar.hidden = false;
    showState('failed', `The phone could not start: ${err.message}`);
    return null;
  }
  if (creds.kind === 'none') return null; // no extension (e.g. a supervisor on the desk): no phone
  bar.hidden = false;
  if (creds.kind === 'desk') {
    showState('desk', `Calls ring ${creds.device}.`);
    return null;
  }
  const module = creds.kind === 'twilio' ? await import('../phone/twilio.js') : await import('../phone/sip.js');
  const Phone = creds.kind === 'twilio' ? module.TwilioPhone : module.SipPhone;
  const phone = new Phone(creds);
  ctx.phone = phone;
  window.switchboard.phone = phone; // the browser tests and benches read its events and stats
  wireControls(ctx, phone);
  phone.addEventListener('state', (e) => showState(e.detail.state, e.detail.reason));
  phone.addEventListener('call', (e) => onCall(ctx, phone, e.detail));
  ctx.socket.on('phone.registration', (data) => {
    bar.dataset.confirmed = data.registered ? 'true' : 'false';
  });
  ctx.socket.on('phone.control', (data) => {
    if (!data.ok) toast(`${label(data.action)} did not work: ${data.message || 'the phone server refused'}`, 'error');
    else if (data.action === 'transfer_blind') toast('Transferred.', 'info');
  });
  window.addEventListener('pagehide', () => {
    phone.stop();
  });
  await phone.start();
  return phone;
}

function label(action) {
  return { transfer_blind: 'The transfer', transfer_warm: 'The consultation', transfer_return: 'Returning' }[action]
    || 'The control';
}

function showState(state, reason = '') {
  const pill = $('#phone-state');
  pill.dataset.state = state;
  pill.textContent = STATE_TEXT[state] || `Phone: ${state}`;
  $('#phone-reason').textContent = reason || '';
}

function popAnswerButton(ctx, phone) {
  let button = $('#pop-answer');
  if (!button) {
    button = h('button', { type: 'button', id: 'pop-answer', class: 'primary', hidden: true,
      onclick: () => phone.answer() }, 'Answer');
    $('#call-card').prepend(button);
  }
  return button;
}

// The bar's optional parts: the desk has them all, the supervisor's page answer, hang up, mute, keypad.
function each(ids, fn) {
  for (const id of ids) {
    const el = $(id);
    if (el) fn(el);
  }
}

function render(phone) {
  const ringing = phone.ringing;
  const live = phone.onCall;
  each(['#phone-answer', '#pop-answer'], (el) => { el.hidden = !ringing; });
  $('#phone-hangup').hidden = !(ringing || live);
  for (const id of ['#phone-mute', '#phone-keypad-toggle']) $(id).hidden = !live;
  each(['#phone-hold', '#phone-transfer-toggle', '#phone-record'], (el) => {
    el.hidden = !live || phone.canHold === false;
  });
  $('#phone-mute').setAttribute('aria-pressed', phone.muted ? 'true' : 'false');
  $('#phone-mute').textContent = phone.muted ? 'Unmute' : 'Mute';
  each(['#phone-hold'], (el) => {
    el.setAttribute('aria-pressed', phone.held ? 'true' : 'false');
    el.textContent = phone.held ? 'Resume' : 'Hold';
  });
  if (!live) each(['#phone-keypad', '#phone-transfer'], (el) => { el.hidden = true; });
}

function onCall(ctx, phone, detail) {
  const text = { ringing: `Ringing: ${detail.name || detail.from || 'a caller'}`, answered: 'On the call',
    held: 'On hold', resumed: 'On the call', muted: 'Muted', unmuted: 'On the call', ended: '' }[detail.phase];
  if (text !== undefined) $('#phone-call').textContent = text;
  $('#phonebar').dataset.call = phone.onCall ? 'live' : phone.ringing ? 'ringing' : 'idle';
  if (detail.phase === 'ended') {
    each(['#phone-transfer'], (el) => { el.dataset.warm = 'false'; });
    each(['#phone-record'], (el) => {
      el.setAttribute('aria-pressed', 'false');
      el.textContent = 'Pause recording';
    });
  }
  render(phone);
}

async function noteAction(ctx, action) {
  const callId = ctx.activeCallId();
  if (!callId) return;
  try {
    await post('/api/phone/actions', { call_id: callId, action });
  } catch (err) {
    toast(`The call log missed this ${action}: ${err.message}`, 'error');
  }
}

function wireControls(ctx, phone) {
  $('#phone-answer').addEventListener('click', () => phone.answer());
  $('#phone-hangup').addEventListener('click', () => phone.hangup());
  $('#phone-mute').addEventListener('click', () => phone.mute(!phone.muted));
  const pad = $('#phone-keypad');
  pad.replaceChildren(...KEYS.map((key) => h('button', { type: 'button', dataset: { key },
    'aria-label': `Key ${key}`, onclick: () => phone.dtmf(key) }, key)));
  $('#phone-keypad-toggle').addEventListener('click', () => { pad.hidden = !pad.hidden; });
  if ($('#call-card')) wireDeskControls(ctx, phone); // the agent's desk: the pop, hold, transfers, recording
  render(phone);
}

function wireDeskControls(ctx, phone) {
  popAnswerButton(ctx, phone);
  $('#phone-hold').addEventListener('click', async () => {
    const on = !phone.held;
    if (await phone.hold(on)) await noteAction(ctx, on ? 'hold' : 'unhold');
    else toast('Hold is not possible right now.', 'error');
  });
  $('#phone-transfer-toggle').addEventListener('click', () => {
    const form = $('#phone-transfer');
    form.hidden = !form.hidden;
    if (!form.hidden) $('#xfer-target').focus();
  });
  wireTransfer(ctx, phone);
  $('#phone-record').addEventListener('click', async () => {
    const button = $('#phone-record');
    const paused = button.getAttribute('aria-pressed') !== 'true';
    try {
      await post('/api/recordings/pause', { call_id: ctx.activeCallId(), paused });
      button.setAttribute('aria-pressed', paused ? 'true' : 'false');
      button.textContent = paused ? 'Resume recording' : 'Pause recording';
    } catch (err) {
      toast(`Could not ${paused ? 'pause' : 'resume'} the recording: ${err.message}`, 'error');
    }
  });
}

function wireTransfer(ctx, phone) {
  const form = $('#phone-transfer');
  const send = async (warm) => {
    const body = { call_id: ctx.activeCallId(), target_type: $('#xfer-type').value,
      target: $('#xfer-target').value.trim(), warm };
    if (!body.target) {
      toast('Say where to transfer the call.', 'error');
      return;
    }
    try {
      await post('/api/phone/transfer', body);
      form.dataset.warm = warm ? 'true' : 'false';
      if (!warm) form.hidden = true;
    } catch (err) {
      toast(`Transfer refused: ${err.message}`, 'error');
    }
  };
  $('#xfer-blind').addEventListener('click', () => send(false));
  $('#xfer-warm').addEventListener('click', () => send(true));
  $('#xfer-complete').addEventListener('click', async () => {
    await noteAction(ctx, 'transfer_complete');
    form.dataset.warm = 'false';
    phone.hangup(); // the PBX completes an attended transfer when the transferring agent leaves
  });
  $('#xfer-return').addEventListener('click', async () => {
    try {
      await post('/api/phone/transfer/cancel', { call_id: ctx.activeCallId() });
      form.dataset.warm = 'false';
    } catch (err) {
      toast(`Could not return to the caller: ${err.message}`, 'error');
    }
  });
}
