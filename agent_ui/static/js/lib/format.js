// Display formats: money, durations, local dates and times (the centre's time zone).
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

export function dateTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString('en-GB', { timeZone: body().timezone || undefined, dateStyle: 'medium', timeStyle: 'short' });
}

export function date(iso) {
  if (!iso) return '—';
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) {
    const [y, m, d] = iso.split('-').map(Number);
    return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString('en-GB', { timeZone: 'UTC', dateStyle: 'medium' });
  }
  return new Date(iso).toLocaleDateString('en-GB', { timeZone: body().timezone || undefined, dateStyle: 'medium' });
}

export function percent(ratio) {
  if (ratio === null || ratio === undefined) return '—';
  return `${Math.round(Number(ratio) * 1000) / 10}%`;
}

// Today in the centre's zone as YYYY-MM-DD.
export function today(offsetDays = 0) {
  const d = new Date(Date.now() + offsetDays * 86400000);
  return d.toLocaleDateString('en-CA', { timeZone: body().timezone || undefined });
}

export const STATE_LABELS = {
  logged_out: 'Logged out', ready: 'Ready', paused: 'Paused', ringing: 'Ringing', on_call: 'On call',
  wrap_up: 'Wrap-up',
};

export function label(items, code) {
  const found = (items || []).find((i) => i.code === code);
  return found ? found.label : code || '—';
}

// {placeholder} substitution; unknown names are kept as they are.
export function render(text, values) {
  return String(text || '').replace(/\{(\w+)\}/g, (m, k) => (values[k] !== undefined && values[k] !== null ? String(values[k]) : m));
}
