// Alternative contacts (seed 000) with the "Add Alternative Contact" form; guarantors and the
// relationship officer are listed too, as the people an agent may call. Each contact can be edited or
// removed (issue 15 item 11): a removed contact is kept, listed under "Removed contacts", never offered again.
import { del, patch, post } from '../lib/api.js';
import { fill, h, showErrors, table, toast } from '../lib/dom.js';
import { tenDigits } from './incoming.js';

const RELATIONS = { guarantor: 'Guarantor', relationship_officer: 'Relationship officer',
  alternative_contact: 'Alternative contact' };

const local = (phone) => (/^\+254\d{9}$/.test(phone || '') ? `0${phone.slice(4)}` : phone || '');

export function renderContacts(box, record, ctx) {
  record.removed_contacts = record.removed_contacts || [];
  const list = h('div');
  const removedBox = h('div');
  const confirmBar = h('div', { class: 'confirm-bar', role: 'alertdialog', hidden: true });
  let editing = null;
  const draw = () => {
    fill(list, table([
      { label: 'Name', value: (c) => c.name },
      { label: 'Relation', value: (c) => RELATIONS[c.relation] || c.relation },
      { label: 'Relationship', value: (c) => c.relationship || '—' },
      { label: 'Phone', value: (c) => c.phone || '—' },
      { label: 'Actions', value: (c) => h('span', {},
        h('button', { type: 'button', class: 'link', 'data-edit-contact': c.id, 'aria-label': `Edit ${c.name}`, onclick: () => openForm(c) },
          'Edit'),
        ' ',
        h('button', { type: 'button', class: 'link', 'data-remove-contact': c.id, 'aria-label': `Remove ${c.name}`,
          onclick: () => askRemove(c) },
          'Remove')) },
    ], record.contacts, { empty: 'No contacts yet.' }));
    fill(removedBox, record.removed_contacts.length ? h('details', { id: 'removed-contacts' },
      h('summary', {}, `Removed contacts (${record.removed_contacts.length})`),
      table([
        { label: 'Name', value: (c) => c.name },
        { label: 'Relation', value: (c) => RELATIONS[c.relation] || c.relation },
        { label: 'Phone', value: (c) => c.phone || '—' },
        { label: 'Removed', value: (c) => new Date(c.removed_at).toLocaleString() },
      ], record.removed_contacts)) : null);
  };
  const form = h('form', { class: 'grid-form', id: 'contact-form', novalidate: true, hidden: true },
    h('label', { for: 'ac-name' }, 'Name'), h('input', { id: 'ac-name', name: 'name', autocomplete: 'off' }),
    h('label', { for: 'ac-relationship' }, 'Relationship to the customer'),
    h('input', { id: 'ac-relationship', name: 'relationship', placeholder: 'brother, employer …' }),
    h('label', { for: 'ac-phone' }, 'Phone number (10 digits)'),
    h('input', { id: 'ac-phone', name: 'phone', inputmode: 'numeric', autocomplete: 'off' }),
    h('label', { for: 'ac-email' }, 'Email (optional)'), h('input', { id: 'ac-email', name: 'email', type: 'email' }),
    h('p', { class: 'error', role: 'alert', id: 'ac-error', hidden: true }),
    h('button', { type: 'submit', class: 'primary' }, 'Save'),
    h('button', { type: 'button', onclick: () => { form.reset(); form.hidden = true; editing = null; } }, 'Cancel'));
  function openForm(contact) {
    editing = contact;
    form.reset();
    if (contact) {
      form.name.value = contact.name;
      form.relationship.value = contact.relationship || '';
      form.phone.value = local(contact.phone);
      form.email.value = contact.email || '';
    }
    form.hidden = false;
    form.name.focus();
  }
  function askRemove(contact) {
    fill(confirmBar,
      h('span', {}, `Remove ${contact.name} (${local(contact.phone)}) from the contacts? They are kept in the history.`),
      ' ',
      h('button', { type: 'button', class: 'danger', id: 'confirm-remove-contact', onclick: async () => {
        try {
          const removed = await del(`/api/customers/${record.id}/contacts/${contact.id}`);
          record.contacts = record.contacts.filter((c) => c.id !== contact.id);
          record.removed_contacts.push(removed);
          confirmBar.hidden = true;
          draw();
          toast(`${removed.name} was removed from the contacts.`);
        } catch (err) {
          toast(err.message, 'error');
        }
      } }, 'Yes, remove'),
      ' ',
      h('button', { type: 'button', onclick: () => { confirmBar.hidden = true; } }, 'Keep'));
    confirmBar.hidden = false;
  }
  draw();
  const opener = h('button', { type: 'button', id: 'add-contact', onclick: () => openForm(null) },
    'Add Alternative Contact');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const errors = form.querySelector('#ac-error');
    const phoneText = form.phone.value.trim();
    const unchangedPhone = editing && phoneText === local(editing.phone);
    const phone = unchangedPhone ? { ok: true, value: null } : tenDigits(phoneText);
    const problems = [];
    if (!form.name.value.trim()) problems.push('Enter the contact’s name.');
    if (!phone.ok) problems.push(phone.message);
    showErrors(errors, problems);
    if (problems.length) return;
    const body = { name: form.name.value.trim() };
    if (phone.value) body.phone = phone.value;
    const relationship = form.relationship.value.trim();
    const email = form.email.value.trim();
    try {
      let saved;
      if (editing) {
        body.relationship = relationship || null;
        body.email = email || null;
        saved = await patch(`/api/customers/${record.id}/contacts/${editing.id}`, body);
        record.contacts = record.contacts.map((c) => (c.id === saved.id ? saved : c));
      } else {
        body.relation = 'alternative_contact';
        if (relationship) body.relationship = relationship;
        if (email) body.email = email;
        saved = await post(`/api/customers/${record.id}/contacts`, body);
        record.contacts.push(saved);
      }
      toast(editing ? `${saved.name}’s details were saved.` : `${saved.name} added as an alternative contact.`);
      editing = null;
      draw();
      form.reset();
      form.hidden = true;
    } catch (err) {
      showErrors(errors, err.lines ? err.lines() : [err.message]);
    }
  });
  box.append(h('h3', {}, 'Alternative contacts'), list, confirmBar, opener, form, removedBox);
  void ctx;
}
