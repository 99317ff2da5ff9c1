// Small DOM helpers. Text always goes in as textContent, never as HTML.
export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// <option>s for a <select>: items [{code, label}], with an optional empty first choice.
export function setOptions(select, items, { empty = null, value = null } = {}) {
  const keep = value ?? select.value;
  const opts = [];
  if (empty !== null) opts.push(h('option', { value: '' }, empty));
  for (const item of items) opts.push(h('option', { value: item.code }, item.label ?? item.code));
  select.replaceChildren(...opts);
  if (keep && items.some((i) => i.code === keep)) select.value = keep;
  return select;
}

export function toast(message, kind = 'info', ms = 5000) {
  const box = document.getElementById('toasts');
  if (!box) return;
  const item = h('div', { class: `toast ${kind}` }, message);
  box.append(item);
  setTimeout(() => item.remove(), ms);
}

// A form's error area: a list of lines, or cleared.
export function showErrors(el, lines) {
  if (!el) return;
  fill(el, ...(lines || []).map((l) => h('div', {}, l)));
  el.hidden = !(lines && lines.length);
}

// A table from rows: columns [{label, value: row => text|Node, class?}].
export function table(columns, rows, { caption = null, empty = 'Nothing to show.', rowAttrs = null } = {}) {
  if (!rows.length) return h('p', { class: 'muted' }, empty);
  return h('table', {},
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.class }, c.label)))),
    h('tbody', {}, rows.map((r) => h('tr', rowAttrs ? rowAttrs(r) : {},
      columns.map((c) => h('td', { class: c.class }, c.value(r)))))));
}
