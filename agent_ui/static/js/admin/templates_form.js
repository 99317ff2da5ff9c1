// Message templates (SMS and email): label, channel, subject, body, and a preview of the text as
// being edited filled in with a real customer's figures (POST /api/config/templates/preview).
import { get, post, qs } from '../lib/api.js';
import { fill, h, setOptions } from '../lib/dom.js';
import { area, choice, text } from './kit.js';

export function templatesForm(version) {
  const doc = structuredClone(version.document);
  const saved = new Set(doc.templates.map((t) => t.code));
  const root = h('div', { id: 'templates-form' });
  const who = h('select', { id: 'preview-customer', 'aria-label': 'Preview customer' });
  const find = h('input', { id: 'preview-find', 'aria-label': 'Find a customer for the preview', placeholder: 'name or phone',
    autocomplete: 'off' });
  const search = async () => {
    const found = await get(`/api/customers${qs({ q: find.value.trim(), limit: 20 })}`);
    setOptions(who, found.items.map((c) => ({ code: String(c.id), label: `${c.name} (${c.phone || c.id})` })));
  };
  find.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); search(); } });

  function card(t, i) {
    const name = t.code || '(new)';
    const out = h('div', { class: 'preview', hidden: true, 'aria-live': 'polite', dataset: { preview: t.code } });
    const show = async () => {
      out.hidden = false;
      if (!who.value) { fill(out, 'Find and choose a customer first.'); return; }
      try {
        const p = await post('/api/config/templates/preview', { customer_id: Number(who.value), body: t.body,
          subject: t.channel === 'email' ? t.subject || null : null });
        fill(out, p.subject ? h('strong', {}, `${p.subject}\n`) : null, p.body,
          p.missing.length ? h('p', { class: 'warn' }, `No value for this customer: ${p.missing.map((m) => `{${m}}`).join(', ')}`) : null,
          t.channel === 'sms' && p.length > 160 ? h('p', { class: 'warn' }, `${p.length} characters: sent in parts, charged double.`) : null);
      } catch (err) {
        fill(out, h('span', { class: 'error' }, err.lines ? err.lines().join(' ') : err.message));
      }
    };
    return h('div', { class: 'item-card', dataset: { path: `templates.${i}`, template: t.code } },
      h('div', { class: 'row' },
        saved.has(t.code) ? h('code', {}, t.code) : text(t, 'code', 'Code of the new template', { size: '20' }),
        text(t, 'label', `Label of template ${name}`, { size: '30' }),
        choice(t, 'channel', `Channel of template ${name}`, [['sms', 'SMS'], ['email', 'Email']]),
        text(t, 'subject', `Subject of template ${name} (email)`, { size: '36' })),
      area(t, 'body', `Body of template ${name}`, { rows: t.channel === 'email' ? '6' : '2' }),
      h('button', { type: 'button', onclick: show }, `Preview ${name}`), out);
  }

  function draw() {
    fill(root,
      h('div', { class: 'row' }, h('label', { for: 'preview-find' }, 'Preview with customer'), find,
        h('button', { type: 'button', onclick: search }, 'Find'), who),
      ...doc.templates.map(card),
      h('button', { type: 'button', onclick: () => {
        doc.templates.push({ code: '', label: '', channel: 'sms', subject: null, body: '' });
        draw();
      } }, 'Add a template'));
  }
  draw();
  return {
    element: root,
    value: () => {
      for (const t of doc.templates) if (t.channel === 'sms' || !t.subject) t.subject = t.channel === 'sms' ? null : t.subject;
      return { document: doc };
    },
  };
}
