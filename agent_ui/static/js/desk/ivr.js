// What the caller did in the IVR, for the incoming-call card: who the IVR identified (and how),
// whether verification passed, what they did (balance, promise, callback) and the path of keys.
// `ivr` is the pop's `ivr` field: null, {path} (a dialplan's choices) or the IVR's own summary.
import { h } from '../lib/dom.js';
import { dateTime, humanise } from '../lib/format.js';

const NOTES = { 'verification failed': 'bad', 'caller not identified': 'pending' };

function verification(ivr) {
  if (ivr.verified === true) return h('span', { class: 'tag kept', dataset: { ivrVerified: 'yes' } }, 'ID verified');
  if (ivr.verified === false) return h('span', { class: 'tag broken', dataset: { ivrVerified: 'no' } }, 'verification failed');
  return h('span', { class: 'tag pending', dataset: { ivrVerified: 'not-asked' } }, 'not verified');
}

export function ivrSummary(ivr) {
  if (!ivr) return '—';
  const path = (ivr.path || []).map((step) => (/_/.test(step) ? humanise(step) : step)).join(' → ') || '—';
  if (!('verified' in ivr)) return path;
  const how = { caller_id: 'by caller ID', account: 'by account number' }[ivr.identified_by] || '';
  const did = [
    ivr.balance_heard && 'heard the balance',
    ivr.promise_id && 'promised a payment',
    ivr.callback_at && `asked for a callback (${dateTime(ivr.callback_at)})`,
  ].filter(Boolean);
  return h('div', { class: 'ivr', dataset: { ivrSession: ivr.session_id } },
    h('div', {}, ivr.identified
      ? [h('strong', {}, ivr.customer_name || `customer ${ivr.customer_id}`), how ? ` identified ${how} ` : ' ', verification(ivr)]
      : h('span', { class: 'tag pending' }, 'caller not identified')),
    ivr.note && ivr.verified !== false ? h('div', { class: NOTES[ivr.note] === 'bad' ? 'error' : 'warn' }, ivr.note) : null,
    did.length ? h('div', {}, `In the IVR the caller ${did.join(', ')}.`) : null,
    h('div', { class: 'muted small', dataset: { ivrPath: '' } }, `Keys: ${path}`));
}
