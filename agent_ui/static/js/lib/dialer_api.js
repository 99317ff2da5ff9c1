// The dialer's HTTP routes in one place (click-to-call, preview dial-now, postpone, approvals, status).
import { get, post, qs } from './api.js';

export const clickToCall = (customerId, number) => post('/api/calls', { customer_id: customerId, number: number || null });
export const dialPreview = (taskId, number) => post(`/api/dialer/tasks/${taskId}/dial`, { number: number || null });
export const postpone = (taskId, hours, comment) => post(`/api/dialer/tasks/${taskId}/postpone`, { hours, comment });
export const requestApproval = (number, customerId, reason) =>
  post('/api/approvals', { number, customer_id: customerId, reason });
export const decideApproval = (id, approve) => post(`/api/approvals/${id}/decision`, { approve });
export const listApprovals = (status) => get(`/api/approvals${qs({ status })}`);
export const dialerStatus = () => get('/api/dialer/status');
