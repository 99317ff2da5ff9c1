// Display formats: money, durations, dates and times in the page's zone (the user's, else the centre's).
const body = () => document.body.dataset;

export function money(value, currency = body().currency || 'KES') {
  if (value === null || value === undefined || value === '') return '—';
  const n = Number(value);
  if (Number.isNaN(n)) return String(value);
  return `${currency} ${n.toLocaleString('en-KE', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

export function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

export function since(iso, now = Date.now()) {
  if (!iso) return 0;
  return (now - Date.parse(iso)) / 1000;
}

// The zone the page shows and takes times in: the user's own (issue 15 item 9), else the centre's.
export function zone() {
  return body().timezone || Intl.DateTimeFormat().resolvedOptions().timeZone;
}

// A zone's short name at an instant ("EAT", "GMT+1"): every time shown says its zone.
export function zoneName(tz = zone(), at = new Date()) {
  const part = new Intl.DateTimeFormat('en-GB', { timeZone: tz, timeZoneName: 'short' })
    .formatToParts(at).find((p) => p.type === 'timeZoneName');
  return part ? part.value : tz;
}

export function dateTime(iso, tz = zone()) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toLocaleString('en-GB', { timeZone: tz, dateStyle: 'medium', timeStyle: 'short' })} ${zoneName(tz, d)}`;
}

// The time of day now in a zone, with its name: the customer's local time next to the agent's.
export function clockIn(tz, at = new Date()) {
  const hm = at.toLocaleTimeString('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit' });
  return `${hm} ${zoneName(tz, at)}`;
}

function offsetMinutes(tz, at) {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric',
    month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
    .formatToParts(at).map((x) => [x.type, x.value]));
  const wall = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
  return Math.round((wall - Math.floor(at.getTime() / 1000) * 1000) / 60000);
}

// A datetime-local value ("2026-12-07T14:43") read as a wall time in the page's zone -> ISO 8601 UTC.
// (The browser's own zone plays no part: what the agent types is what they see back.)
export function isoFromWall(value, tz = zone()) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value || '');
  if (!m) return null;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  let at = wall - offsetMinutes(tz, new Date(wall)) * 60000;
  at = wall - offsetMinutes(tz, new Date(at)) * 60000; // once more, across a DST change
  return new Date(at).toISOString();
}

export function date(iso) {
  if (!iso) return '—';
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) {
    const [y, m, d] = iso.split('-').map(Number);
    return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString('en-GB', { timeZone: 'UTC', dateStyle: 'medium' });
  }
  return new Date(iso).toLocaleDateString('en-GB', { timeZone: zone(), dateStyle: 'medium' });
}

export function percent(ratio) {
  if (ratio === null || ratio === undefined) return '—';
  return `${Math.round(Number(ratio) * 1000) / 10}%`;
}

// Today in the centre's zone as YYYY-MM-DD.
export function today(offsetDays = 0) {
  const d = new Date(Date.now() + offsetDays * 86400000);
  return d.toLocaleDateString('en-CA', { timeZone: zone() });
}

export const STATE_LABELS = {
  logged_out: 'Logged out', ready: 'Ready', paused: 'Paused', ringing: 'Ringing', on_call: 'On call',
  wrap_up: 'Wrap-up',
};

// A code the lists have no label for, in words: "biashara_micro_loan" -> "Biashara micro loan".
const WORDS = { payg: 'PAYG', sms: 'SMS', tv: 'TV', id: 'ID', mpesa: 'M-Pesa', sla: 'SLA', ivr: 'IVR', ptp: 'PTP',
  shs: 'SHS', ro: 'RO' };
export function humanise(code) {
  if (code === null || code === undefined || code === '') return '—';
  const words = String(code).split(/[_\s]+/).filter(Boolean).map((w) => WORDS[w.toLowerCase()] || w.toLowerCase());
  if (!words.length) return '—';
  const [first, ...rest] = words;
  return [first === first.toUpperCase() ? first : first.charAt(0).toUpperCase() + first.slice(1), ...rest].join(' ');
}

// The list item's label for a code (items with code and label or name), or the code in words.
export function label(items, code) {
  const found = (items || []).find((i) => i.code === code);
  return found ? found.label || found.name || humanise(code) : humanise(code);
}

// A whole number with thousands separators ("1,777,558"); figures that are money go through money().
export function count(value) {
  if (value === null || value === undefined || value === '') return '—';
  const n = Number(value);
  return Number.isNaN(n) ? String(value) : n.toLocaleString('en-KE', { maximumFractionDigits: 2 });
}

// {placeholder} substitution; unknown names are kept as they are.
export function render(text, values) {
  return String(text || '').replace(/\{(\w+)\}/g, (m, k) => (values[k] !== undefined && values[k] !== null ? String(values[k]) : m));
}

// A compliance refusal (409, details.rule and next_allowed_at) in words: the rule's own sentence, never its code.
export function refusal(err) {
  const next = err.details && err.details.next_allowed_at;
  const reason = err.message ? err.message.charAt(0).toUpperCase() + err.message.slice(1) : 'A contact rule forbids this now';
  return `Not allowed now. ${reason.replace(/\.$/, '')}.${next ? ` Next allowed ${dateTime(next)}.` : ''}`;
}

// The compliance gate's rule codes (domain/compliance) in words, for counts and blocked numbers.
const RULE_TEXT = {
  do_not_call: 'on the do-not-call list',
  consent_revoked: 'consent revoked',
  relation_not_allowed: 'this contact may not be called',
  calling_window: 'outside the calling hours',
  max_attempts_per_day: "today's attempts used up",
  max_attempts_7d: "the week's attempts used up",
  after_conversation_7d: 'spoken to in the last 7 days',
  message_hours: 'outside the messaging hours',
  third_party_debt: 'no debt talk with a third party',
  own_number_only: "only the customer's own number",
  max_payment_requests_per_day: "today's payment requests used up",
};

export function ruleText(code) {
  return RULE_TEXT[code] || humanise(code).toLowerCase();
}
