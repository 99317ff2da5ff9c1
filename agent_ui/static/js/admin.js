// Admin: users with their roles and extensions; the configuration with history (admin/config.js).
import { get, patch, post, put } from './lib/api.js';
import { $, fill, h, showErrors, table, toast } from './lib/dom.js';
import { loadCount } from './lib/escalation_count.js';
import { wireSignOut } from './lib/session.js';
import { humanise } from './lib/format.js';
import { initConfig } from './admin/config.js';

async function setPhone(username, kind) {
  try {
    await put(`/api/users/${encodeURIComponent(username)}/phone`, { kind });
    toast(`${username}: ${kind === 'webrtc' ? 'the desk is the phone' : 'a desk phone'}.`);
  } catch (err) {
    toast(`${username}: ${err.message}`, 'error', 10000);
  }
}

async function loadUsers() {
  const box = $('#users-table');
  const [found, phones] = await Promise.all([get('/api/users'), get('/api/phone/lines').catch(() => ({ items: {} }))]);
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
    { label: 'Phone', value: (u) => {
      const kind = (phones.items[u.username] || {}).kind || 'desk';
      const sel = h('select', { 'aria-label': `Phone of ${u.username}` },
        [['webrtc', 'Browser (WebRTC)'], ['desk', 'Desk phone']].map(([v, l]) => h('option', { value: v, selected: v === kind }, l)));
      sel.addEventListener('change', async () => { await setPhone(u.username, sel.value); await loadUsers(); });
      return sel;
    } },
    { label: 'Queues', value: (u) => u.queues.map(humanise).join(', ') || '—' },
    { label: 'Active', value: (u) => {
      const box2 = h('input', { type: 'checkbox', checked: u.active, 'aria-label': `${u.username} active` });
      box2.addEventListener('change', () => save(u, { active: box2.checked }));
      return box2;
    } },
    { label: 'Sign-in', value: signInState },
  ], found.items, { caption: `${found.items.length} users` }));
}

// Failed sign-ins lock an account for a growing time; the admin sees it and may end the lock.
function signInState(u) {
  const locked = u.locked_until && new Date(u.locked_until) > new Date();
  if (!locked) return u.failed_logins ? `${u.failed_logins} failed` : 'ok';
  const until = new Date(u.locked_until).toLocaleTimeString();
  const unlock = h('button', { type: 'button', 'aria-label': `Unlock ${u.username}` }, 'Unlock');
  unlock.addEventListener('click', async () => { await save(u, { unlock: true }); await loadUsers(); });
  return h('span', { class: 'error' }, `Locked until ${until} (${u.failed_logins} failed) `, unlock);
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
      if (body.extension) await setPhone(body.username, f.phone.value);
      form.reset();
      showErrors($('#user-error'), []);
      toast(`User ${body.username} added.`);
      await loadUsers();
    } catch (err) {
      showErrors($('#user-error'), err.lines ? err.lines() : [err.message]);
    }
  });
}

async function main() {
  wireSignOut();
  wireUserForm();
  await Promise.all([loadUsers(), initConfig()]);
  loadCount();
  document.body.dataset.ready = 'true';
}

main().catch((err) => toast(`The page could not start: ${err.message}`, 'error', 20000));
