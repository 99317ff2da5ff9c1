// Admin: users with their roles and extensions; the config lists, edited as JSON and validated by
// the server (a 422 shows every problem with its key).
import { get, patch, post, put } from './lib/api.js';
import { $, fill, h, setOptions, showErrors, table, toast } from './lib/dom.js';
import { wireSignOut } from './lib/session.js';

const LIST_NAMES = [
  ['dispositions', 'Dispositions (3-layer tree)'], ['followup', 'Follow-up note fields'], ['notes', 'Customer note lists'],
  ['reasons', 'Reasons for calling and scripts'], ['pause_codes', 'Pause codes'], ['templates', 'Message templates'],
  ['dialer', 'Dialer rules and campaigns'],
];

async function loadUsers() {
  const box = $('#users-table');
  const found = await get('/api/users');
  fill(box, table([
    { label: 'Username', value: (u) => u.username },
    { label: 'Name', value: (u) => u.display_name || '—' },
    { label: 'Role', value: (u) => {
      const sel = h('select', { 'aria-label': `Role of ${u.username}` },
        ['agent', 'supervisor', 'admin'].map((r) => h('option', { value: r, selected: r === u.role }, r)));
      sel.addEventListener('change', () => save(u, { role: sel.value }));
      return sel;
    } },
    { label: 'Extension', value: (u) => {
      const input = h('input', { value: u.extension || '', 'aria-label': `Extension of ${u.username}`, size: '12' });
      input.addEventListener('change', () => save(u, { extension: input.value.trim() || null }));
      return input;
    } },
    { label: 'Queues', value: (u) => u.queues.join(', ') || '—' },
    { label: 'Active', value: (u) => {
      const box2 = h('input', { type: 'checkbox', checked: u.active, 'aria-label': `${u.username} active` });
      box2.addEventListener('change', () => save(u, { active: box2.checked }));
      return box2;
    } },
  ], found.items, { caption: `${found.items.length} users` }));
}

async function save(user, change) {
  try {
    await patch(`/api/users/${encodeURIComponent(user.username)}`, change);
    toast(`${user.username} saved.`);
  } catch (err) {
    toast(`${user.username}: ${err.lines ? err.lines().join('; ') : err.message}`, 'error', 10000);
    await loadUsers();
  }
}

function wireUserForm() {
  const form = $('#user-form');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = form.elements;
    const body = { username: f.username.value.trim(), password: f.password.value, role: f.role.value,
      display_name: f.display_name.value.trim() || null, extension: f.extension.value.trim() || null,
      queues: f.queues.value.split(',').map((q) => q.trim()).filter(Boolean) };
    try {
      await post('/api/users', body);
      form.reset();
      showErrors($('#user-error'), []);
      toast(`User ${body.username} added.`);
      await loadUsers();
    } catch (err) {
      showErrors($('#user-error'), err.lines ? err.lines() : [err.message]);
    }
  });
}

function wireLists() {
  const name = $('#list-name');
  const text = $('#list-text');
  const errors = $('#list-error');
  setOptions(name, LIST_NAMES.map(([code, label]) => ({ code, label })));
  const load = async () => {
    showErrors(errors, []);
    text.value = JSON.stringify(await get(`/api/config/lists/${name.value}`), null, 2);
  };
  $('#list-load').addEventListener('click', load);
  name.addEventListener('change', load);
  $('#list-save').addEventListener('click', async () => {
    let data;
    try {
      data = JSON.parse(text.value);
    } catch (err) {
      showErrors(errors, [`Not valid JSON: ${err.message}`]);
      return;
    }
    try {
      const saved = await put(`/api/config/lists/${name.value}`, data);
      text.value = JSON.stringify(saved, null, 2);
      showErrors(errors, []);
      toast('Saved. Agents get the new list on their next page load.');
    } catch (err) {
      showErrors(errors, [err.message, ...(err.status === 422 ? err.lines() : [])]);
    }
  });
  return load();
}

async function main() {
  wireSignOut();
  wireUserForm();
  await Promise.all([loadUsers(), wireLists()]);
  document.body.dataset.ready = 'true';
}

main().catch((err) => toast(`The page could not start: ${err.message}`, 'error', 20000));
