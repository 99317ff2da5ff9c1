// Alternative contacts (seed 000) with the "Add Alternative Contact" form; guarantors and the
// relationship officer are listed too, as the people an agent may call.
import { post } from '../lib/api.js';
import { fill, h, showErrors, table, toast } from '../lib/dom.js';
import { tenDigits } from './incoming.js';

const RELATIONS = { guarantor: 'Guarantor', relationship_officer: 'Relationship officer',
  alternative_contact: 'Alternative contact' };

export function renderContacts(box, record, ctx) {
  const list = h('div');
  const draw = () => fill(list, table([
    { label: 'Name', value: (c) => c.name },
    { label: 'Relation', value: (c) => RELATIONS[c.relation] || c.relation },
    { label: 'Relationship', value: (c) => c.relationship || '—' },
    { label: 'Phone', value: (c) => c.phone || '—' },
  ], record.contacts, { empty: 'No contacts yet.' }));
  draw();
  const form = h('form', { class: 'grid-form', id: 'contact-form', novalidate: true, hidden: true },
    h('label', { for: 'ac-name' }, 'Name'), h('input', { id: 'ac-name', name: 'name', autocomplete: 'off' }),
    h('label', { for: 'ac-relationship' }, 'Relationship to the customer'),
    h('input', { id: 'ac-relationship', name: 'relationship', placeholder: 'brother, employer …' }),
    h('label', { for: 'ac-phone' }, 'Phone number (10 digits)'),
    h('input', { id: 'ac-phone', name: 'phone', inputmode: 'numeric', autocomplete: 'off' }),
    h('label', { for: 'ac-email' }, 'Email (optional)'), h('input', { id: 'ac-email', name: 'email', type: 'email' }),
    h('p', { class: 'error', role: 'alert', id: 'ac-error', hidden: true }),
    h('button', { type: 'submit', class: 'primary' }, 'Save'));
  const opener = h('button', { type: 'button', id: 'add-contact', onclick: () => {
    form.hidden = false;
    form.name.focus();
  } }, 'Add Alternative Contact');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const errors = form.querySelector('#ac-error');
    const phone = tenDigits(form.phone.value);
    const problems = [];
    if (!form.name.value.trim()) problems.push('Enter the contact’s name.');
    if (!phone.ok) problems.push(phone.message);
    showErrors(errors, problems);
    if (problems.length) return;
    const body = { name: form.name.value.trim(), phone: phone.value, relation: 'alternative_contact' };
    if (form.relationship.value.trim()) body.relationship = form.relationship.value.trim();
    if (form.email.value.trim()) body.email = form.email.value.trim();
    try {
      const saved = await post(`/api/customers/${record.id}/contacts`, body);
      record.contacts.push(saved);
      draw();
      form.reset();
      form.hidden = true;
      toast(`${saved.name} added as an alternative contact.`);
    } catch (err) {
      showErrors(errors, err.lines ? err.lines() : [err.message]);
    }
  });
  box.append(h('h3', {}, 'Alternative contacts'), list, opener, form);
  void ctx;
}
