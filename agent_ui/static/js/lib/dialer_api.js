// The dialer's HTTP routes in one place (click-to-call, preview dial-now, postpone, approvals, status).
import { get, post, qs } from './api.js';
import { has } from './features.js';

export const clickToCall = (customerId, number) => post('/api/calls', { customer_id: customerId, number: number || null });
export const dialPreview = (taskId, number) => post(`/api/dialer/tasks/${taskId}/dial`, { number: number || null });
export const postpone = (taskId, hours, comment) => post(`/api/dialer/tasks/${taskId}/postpone`, { hours, comment });
export const requestApproval = (number, customerId, callReason, reason) =>
  post('/api/approvals', { number, customer_id: customerId, call_reason: callReason || null, reason });
export const decideApproval = (id, approve) => post(`/api/approvals/${id}/decision`, { approve });
export const listApprovals = (status) => get(`/api/approvals${qs({ status })}`);
export const dialerStatus = () => get('/api/dialer/status');
export const myQueue = () => get('/api/dialer/my-queue');
// Whether the agent can place calls (issue 15 item 5): { ok, carrier, extension, reason }.
const NO_DIALER = { ok: false, reason: 'The dialer is off on this server, so calls cannot be placed.' };
export const phoneLine = async () => ((await has('dialer')) ? get('/api/dialer/line').catch(() => NO_DIALER) : NO_DIALER);
// Disable a dial button with the reason shown next to it (and as its tooltip); look again every few
// seconds (the browser phone registers after the page loads) and enable it once the line works.
const RECHECK_MS = 3000;
export function holdDialButton(button, line) {
  if (!button || line.ok) return;
  button.disabled = true;
  button.title = line.reason;
  const note = document.createElement('span');
  note.className = 'muted no-line';
  note.textContent = ` ${line.reason}`;
  button.after(note);
  const timer = setInterval(async () => {
    if (!button.isConnected) {
      clearInterval(timer);
      note.remove();
      return;
    }
    const again = await phoneLine();
    if (again.ok) {
      clearInterval(timer);
      button.disabled = false;
      button.title = '';
      note.remove();
    } else {
      button.title = again.reason;
      note.textContent = ` ${again.reason}`;
    }
  }, RECHECK_MS);
}
