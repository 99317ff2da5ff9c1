// The raw YAML editor: the version's text as it was written (comments kept), line numbers, and the
// server's validation shown line by line (a mark in the gutter and a list that jumps to the line).
import { fill, h } from '../lib/dom.js';

export function yamlEditor(version) {
  const gutter = h('pre', { class: 'gutter', 'aria-hidden': 'true' });
  const box = h('textarea', { class: 'code', spellcheck: 'false', 'aria-label': 'YAML text', id: 'yaml-text' });
  box.value = version.text;
  const list = h('ul', { class: 'line-errors', id: 'yaml-errors' });
  let bad = new Map();

  function numbers() {
    const count = box.value.split('\n').length;
    fill(gutter, ...Array.from({ length: count }, (_, i) => {
      const n = i + 1;
      return bad.has(n) ? h('span', { class: 'bad', title: bad.get(n), dataset: { line: n } }, `${n}\n`) : `${n}\n`;
    }));
    gutter.scrollTop = box.scrollTop;
  }

  function jump(line) {
    const starts = box.value.split('\n').slice(0, line - 1).reduce((sum, l) => sum + l.length + 1, 0);
    const end = starts + (box.value.split('\n')[line - 1] || '').length;
    box.focus();
    box.setSelectionRange(starts, end);
  }

  box.addEventListener('input', numbers);
  box.addEventListener('scroll', () => { gutter.scrollTop = box.scrollTop; });
  numbers();
  return {
    element: h('div', {}, h('div', { class: 'yaml-editor' }, gutter, box), list),
    value: () => ({ text: box.value }),
    showErrors(details) {
      const lines = (details && details.lines) || [];
      bad = new Map(lines.filter((l) => l.line).map((l) => [l.line, `${l.key}: ${l.message}`]));
      fill(list, ...lines.map((l) => h('li', {}, h('button', { type: 'button', class: 'link', onclick: () => l.line && jump(l.line) },
        `${l.line ? `Line ${l.line}` : 'Whole document'}: ${l.key}: ${l.message}`))));
      numbers();
      return lines.length > 0;
    },
  };
}
