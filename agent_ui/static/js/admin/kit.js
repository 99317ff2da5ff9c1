// Small form controls for the config editors. Each control edits one key of an object in place and
// carries an aria-label, so the editors need no ids and every control is named for assistive tech.
import { h } from '../lib/dom.js';
import { humanise } from '../lib/format.js';

export function text(obj, key, label, attrs = {}) {
  const input = h('input', { value: obj[key] ?? '', 'aria-label': label, autocomplete: 'off', ...attrs });
  input.addEventListener('input', () => { obj[key] = input.value; });
  return input;
}

export function number(obj, key, label, attrs = {}) {
  const input = h('input', { type: 'number', value: obj[key] ?? '', 'aria-label': label, ...attrs });
  input.addEventListener('input', () => { obj[key] = input.value === '' ? null : Number(input.value); });
  return input;
}

export function area(obj, key, label, attrs = {}) {
  const box = h('textarea', { 'aria-label': label, rows: '3', ...attrs });
  box.value = obj[key] ?? '';
  box.addEventListener('input', () => { obj[key] = box.value; });
  return box;
}

// One list item per line (script lines, greetings).
export function lines(obj, key, label, attrs = {}) {
  const box = h('textarea', { 'aria-label': label, rows: String(Math.max(3, (obj[key] || []).length + 1)), ...attrs });
  box.value = (obj[key] || []).join('\n');
  box.addEventListener('input', () => { obj[key] = box.value.split('\n').map((l) => l.trim()).filter(Boolean); });
  return box;
}

// A checkbox shown as ``shown`` ("Retired"), named ``label`` ("Retired: reason dispute").
export function check(obj, key, shown, label) {
  const box = h('input', { type: 'checkbox', checked: Boolean(obj[key]), 'aria-label': label });
  box.addEventListener('change', () => { obj[key] = box.checked; });
  return h('label', { class: 'inline' }, box, ` ${shown}`);
}

// options: [[value, text]]; '' means None.
export function choice(obj, key, label, options) {
  const sel = h('select', { 'aria-label': label },
    options.map(([value, shown]) => h('option', { value, selected: (obj[key] ?? '') === value }, shown)));
  sel.addEventListener('change', () => { obj[key] = sel.value === '' ? null : sel.value; });
  return sel;
}

// Several of ``values``: a disclosure listing what is chosen, with a checkbox per value
// (each named "<value>: <label>").
export function many(obj, key, label, values) {
  const chosen = new Set(obj[key] || []);
  const summary = h('summary', {});
  const show = () => { summary.textContent = `${label.split(' ')[0]}: ${[...chosen].map(humanise).join(', ') || 'none'}`; };
  const boxes = values.map((v) => {
    const box = h('input', { type: 'checkbox', checked: chosen.has(v), 'aria-label': `${v}: ${label}` });
    box.addEventListener('change', () => {
      if (box.checked) chosen.add(v); else chosen.delete(v);
      obj[key] = values.filter((x) => chosen.has(x));
      show();
    });
    return h('label', {}, box, ` ${humanise(v)}`);
  });
  show();
  return h('details', { 'aria-label': label }, summary, ...boxes);
}

// Marks the controls of the item at a key path ("statuses.0.reasons.2") that the server refused.
export function markErrors(root, details) {
  for (const el of root.querySelectorAll('[data-path]')) el.removeAttribute('aria-invalid');
  for (const key of Object.keys(details || {})) {
    let best = null;
    for (const el of root.querySelectorAll('[data-path]')) {
      const path = el.dataset.path;
      if ((key === path || key.startsWith(`${path}.`)) && (!best || path.length > best.dataset.path.length)) best = el;
    }
    if (best) best.setAttribute('aria-invalid', 'true');
  }
}

export function errorLines(details) {
  return Object.entries(details || {}).filter(([k]) => k !== 'lines').map(([k, v]) => `${k}: ${v}`);
}
