// fetch() wrapper: JSON in and out, the one error shape {error_id, message, details} as ApiError.
import { token, toLogin } from './session.js';

// What a person reads when the server gave no sentence of its own (an unexpected error, a proxy's HTML page).
const SERVER_TROUBLE = 'The server had a problem and could not finish this. Try again; if it keeps happening, tell your supervisor.';
// The refusals whose details are per-field lines (a form's fields, a config file's keys).
const FIELD_ERRORS = ['validation-failed', 'config-invalid'];
const REFUSED = 'The server refused this request. Reload the page and try again.';

function sentence(status, body) {
  const ours = body && body.error_id && body.message;  // our one error shape
  if (status >= 500 && (!ours || body.error_id === 'internal-error')) return SERVER_TROUBLE;
  return ours ? body.message : REFUSED;
}

// Words for a field's key, as domain/field_words.py says them ("follow_up.due_at": "follow-up date").
const WORDS = { q: 'search text', due_at: 'date', at: 'time', from: 'start date', to: 'end date', body: 'request',
  government_id: 'ID number', msisdn: 'phone number', dob: 'date of birth' };
const PREDICATE = /^(must|is|may|needs|has|cannot) /;

export function fieldWords(key, labels = {}) {
  if (labels[key]) return labels[key];
  const parts = key.split('.').filter((p) => !/^\d+$/.test(p));
  const last = parts.length ? parts[parts.length - 1] : key;
  if (labels[last]) return labels[last];
  const words = WORDS[last] || last.replace(/_id$/, '').replace(/_/g, ' ');
  return parts.length > 1 && WORDS[last] ? `${parts[parts.length - 2].replace(/_/g, '-')} ${words}` : words;
}

function fieldSentence(key, what, labels) {
  const words = fieldWords(key, labels);
  return PREDICATE.test(what) ? `The ${words} ${what}.` : `The ${words}: ${what.replace(/\.$/, '')}.`;
}

export class ApiError extends Error {
  constructor(status, body) {
    super(sentence(status, body));
    this.status = status;
    this.errorId = body && body.error_id;
    this.details = (body && body.details) || {};
  }

  // A sentence per invalid field of a form ("The promised amount must be more than 0."; a config
  // file's "key: message"); any other refusal is its own sentence (never a code). `labels`: the
  // form's own words for its keys.
  lines(labels = {}) {
    const entries = Object.entries(this.details || {});
    if (!entries.length || !FIELD_ERRORS.includes(this.errorId)) return [this.message];
    const text = (v) => (typeof v === 'string' ? v : JSON.stringify(v));
    if (this.errorId !== 'validation-failed') return entries.map(([k, v]) => `${k}: ${text(v)}`);
    return entries.map(([k, v]) => fieldSentence(k, text(v), labels));
  }
}

export async function api(method, path, body, options = {}) {
  const headers = { Accept: 'application/json' };
  const bearer = token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  let payload;
  if (options.form) payload = options.form;
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, { error_id: 'offline', message: 'The server cannot be reached. Nothing was lost; try again.' });
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = options.raw ? text : { message: text.slice(0, 200) };
  }
  if (res.status === 401 && !options.noRedirect) {
    toLogin();
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export const get = (path, options) => api('GET', path, undefined, options);
export const post = (path, body, options) => api('POST', path, body, options);
export const put = (path, body, options) => api('PUT', path, body, options);
export const patch = (path, body, options) => api('PATCH', path, body, options);
export const del = (path, options) => api('DELETE', path, undefined, options);

// Query string from an object, skipping empty values.
export function qs(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}
