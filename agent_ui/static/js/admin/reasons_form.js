// Reasons for calling and their script lines (seed 001): the greeting, and per reason its label,
// direction, campaign, SMS template, description, script (one line per line) and retirement.
import { fill, h } from '../lib/dom.js';
import { area, check, choice, lines, text } from './kit.js';

export function reasonsForm(version, lists) {
  const doc = structuredClone(version.document);
  const saved = new Set(doc.reasons.map((r) => r.code));
  const campaigns = lists.dialer.campaigns.map((c) => [c.code, c.label]);
  const sms = [['', 'no SMS'], ...lists.templates.templates.filter((t) => t.channel === 'sms').map((t) => [t.code, t.label])];
  const root = h('div', { id: 'reasons-form' });

  function card(r, i) {
    const name = r.code || '(new)';
    return h('div', { class: `item-card${r.retired ? ' retired' : ''}`, dataset: { path: `reasons.${i}`, reason: r.code } },
      h('div', { class: 'row' },
        saved.has(r.code) ? h('code', {}, r.code) : text(r, 'code', 'Code of the new reason', { size: '20' }),
        text(r, 'label', `Label of reason ${name}`, { size: '28' }),
        choice(r, 'kind', `Direction of reason ${name}`, [['outbound', 'outbound'], ['inbound', 'inbound'], ['both', 'both']]),
        choice(r, 'campaign', `Campaign of reason ${name}`, campaigns),
        choice(r, 'sms_template', `SMS template of reason ${name}`, sms),
        check(r, 'retired', 'Retired', `Retired: reason ${name}`)),
      area(r, 'description', `Description of reason ${name}`, { rows: '1' }),
      lines(r, 'script', `Script of reason ${name} (one line per line)`));
  }

  function draw() {
    fill(root,
      h('h3', {}, 'Greeting'),
      h('div', { dataset: { path: 'greeting' } },
        lines(doc.greeting, 'inbound', 'Inbound greeting (one line per line)'),
        lines(doc.greeting, 'outbound', 'Outbound greeting (one line per line)')),
      h('h3', {}, 'Reasons'),
      ...doc.reasons.map(card),
      h('button', { type: 'button', onclick: () => {
        doc.reasons.push({ code: '', label: '', kind: 'outbound', campaign: campaigns[0] ? campaigns[0][0] : '',
          description: '', sms_template: null, script: [] });
        draw();
      } }, 'Add a reason'));
  }
  draw();
  return { element: root, value: () => ({ document: doc }) };
}
