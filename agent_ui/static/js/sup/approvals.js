// Approvals for manual outgoing calls (seed 001): requests arrive live (`approval.requested`);
// approve or refuse; decisions made elsewhere (`approval.decided`) update the list.
import { $, fill, h, toast } from '../lib/dom.js';
import { dateTime } from '../lib/format.js';
import { decideApproval, listApprovals } from '../lib/dialer_api.js';
import { has } from '../lib/features.js';

export async function initApprovals(ctx) {
  const list = $('#approvals');
  const pending = new Map();
  if (!(await has('dialer'))) {
    fill(list, h('li', { class: 'muted' }, 'The dialer is off on this server (SWITCHBOARD_DIALER__ENABLED=false), so there are no approvals to decide here.'));
    return;
  }

  function item(a) {
    const decide = (approve) => async () => {
      try {
        const done = await decideApproval(a.id, approve);
        pending.delete(done.id);
        draw();
        toast(`${approve ? 'Approved' : 'Refused'}: ${a.agent} calling ${a.number}.`);
      } catch (err) {
        toast(`Could not decide: ${err.message}`, 'error');
      }
    };
    return h('li', { class: 'match', dataset: { approvalId: a.id } },
      h('div', {}, h('strong', {}, a.agent), ` asks to call ${a.number}`, a.customer_name ? ` (${a.customer_name})` : ''),
      h('div', { class: 'muted' }, `${a.reason || ''} · ${dateTime(a.requested_at)}`),
      h('div', { class: 'row' }, h('button', { type: 'button', class: 'primary', onclick: decide(true) }, `Approve ${a.agent}`),
        h('button', { type: 'button', onclick: decide(false) }, `Refuse ${a.agent}`)));
  }

  function draw() {
    fill(list, ...(pending.size ? [...pending.values()].map(item) : [h('li', { class: 'muted' }, 'No request is waiting.')]));
  }

  try {
    const found = await listApprovals('pending');
    for (const a of found.approvals || found.items || []) pending.set(a.id, a);
  } catch (err) {
    toast(`Approvals could not be loaded: ${err.message}`, 'error');
  }
  ctx.socket.on('approval.requested', (a) => { pending.set(a.id, a); draw(); toast(`${a.agent} asks to call ${a.number}.`); });
  ctx.socket.on('approval.decided', (a) => { if (a.status !== 'pending') pending.delete(a.id); draw(); });
  draw();
}
