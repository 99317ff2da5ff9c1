// Pause codes: label, an optional longest time (supervisors see pauses that run over), add, remove.
import { fill, h } from '../lib/dom.js';
import { number, text } from './kit.js';

export function pauseForm(version) {
  const doc = structuredClone(version.document);
  const saved = new Set(doc.pause_codes.map((p) => p.code));
  const root = h('div', { id: 'pause-form' });

  function draw() {
    fill(root,
      h('table', {}, h('thead', {}, h('tr', {}, ['Code', 'Label', 'Longest (minutes)', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, doc.pause_codes.map((p, i) => {
          const name = p.code || '(new)';
          return h('tr', { dataset: { path: `pause_codes.${i}`, pause: p.code } },
            h('td', {}, saved.has(p.code) ? h('code', {}, p.code) : text(p, 'code', 'Code of the new pause code', { size: '14' })),
            h('td', {}, text(p, 'label', `Label of pause code ${name}`)),
            h('td', {}, number(p, 'max_minutes', `Longest minutes of pause code ${name}`, { min: '1', max: '480' })),
            h('td', {}, h('button', { type: 'button', class: 'link', onclick: () => { doc.pause_codes.splice(i, 1); draw(); } },
              `Remove ${name}`)));
        }))),
      h('button', { type: 'button', onclick: () => {
        doc.pause_codes.push({ code: '', label: '', max_minutes: null });
        draw();
        root.querySelector('[aria-label="Code of the new pause code"]').focus();
      } }, 'Add a pause code'));
  }
  draw();
  return { element: root, value: () => ({ document: doc }) };
}
