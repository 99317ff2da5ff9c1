// The disposition tree as a form: add, rename and retire a status, reason or resolution, choose the
// fields each requires, its dialer hint and whether saving it raises an escalation. Codes of saved
// nodes are fixed (notes store them); a new node gets its code here.
import { fill, h } from '../lib/dom.js';
import { check, choice, many, text } from './kit.js';

export const NOTE_FIELDS = ['promised_amount', 'promised_date', 'visit_date', 'callback_at', 'comments', 'action',
  'call_result', 'call_status', 'status_action', 'party_response', 'client_status', 'send_message', 'template', 'purpose',
  'subject', 'detail', 'call_outcome', 'customer_mood', 'follow_up_at', 'follow_up_assignee', 'follow_up_instructions'];
const HINTS = [['', 'dialer: as its parent'], ['close', 'dialer: close'], ['retry', 'dialer: retry'],
  ['reschedule_callback', 'dialer: call back at the time']];
const CHILD = { status: ['reason', 'reasons'], reason: ['resolution', 'resolutions'] };

export function dispositionsForm(version) {
  const doc = structuredClone(version.document);
  const saved = new Set();
  const walk = (nodes, prefix) => nodes.forEach((n) => {
    saved.add(`${prefix}/${n.code}`);
    for (const kids of [n.reasons, n.resolutions]) if (kids) walk(kids, `${prefix}/${n.code}`);
  });
  walk(doc.statuses, '');
  const root = h('div', { id: 'dispositions-form' });

  function node(item, layer, path, key) {
    const name = `${layer} ${item.code || '(new)'}`;
    const isNew = !saved.has(key);
    const code = isNew ? text(item, 'code', `Code of the new ${layer}`, { size: '16', placeholder: 'snake_case_code' })
      : h('code', {}, item.code);
    const row = h('div', { class: `node${item.retired ? ' retired' : ''}`, dataset: { path, node: key } },
      h('span', { class: 'node-label' }, code),
      text(item, 'label', `Label of ${name}`, { class: 'node-label-input' }),
      many(item, 'requires', `Requires (fields of ${name})`, NOTE_FIELDS),
      choice(item, 'dialer', `Dialer hint of ${name}`, HINTS),
      check(item, 'escalate', 'Escalate', `Escalate: ${name}`),
      check(item, 'retired', 'Retired', `Retired: ${name}`));
    row.querySelector(`[aria-label="Retired: ${name}"]`).addEventListener('change', (ev) => {
      row.classList.toggle('retired', ev.target.checked);
    });
    const kids = CHILD[layer];
    if (!kids) return h('li', {}, row);
    const [childLayer, field] = kids;
    item[field] = item[field] || [];
    return h('li', {}, row,
      h('ul', { class: 'tree' }, item[field].map((child, i) => node(child, childLayer, `${path}.${field}.${i}`,
        `${key}/${child.code}`))),
      h('button', { type: 'button', class: 'link', onclick: () => {
        item[field].push({ code: '', label: '', requires: [], ...(field === 'reasons' ? { resolutions: [] } : {}) });
        draw();
        const inputs = root.querySelectorAll(`[aria-label="Code of the new ${childLayer}"]`);
        if (inputs.length) inputs[inputs.length - 1].focus();
      } }, `Add a ${childLayer} under ${item.label || item.code || 'this status'}`));
  }

  function draw() {
    fill(root,
      h('p', {}, check(doc, 'require_resolution', 'A resolution is required where a reason has some',
        'A resolution is required where a reason has some')),
      h('ul', { class: 'tree' }, doc.statuses.map((s, i) => node(s, 'status', `statuses.${i}`, `/${s.code}`))),
      h('button', { type: 'button', onclick: () => {
        doc.statuses.push({ code: '', label: '', requires: [], reasons: [] });
        draw();
      } }, 'Add a status'),
      h('p', { class: 'muted small' }, `Activity dispositions (seed 002) mapped on the tree: ${doc.activity_map.length}; edit them in YAML.`));
  }
  draw();
  return { element: root, value: () => ({ document: doc }) };
}
