// My tasks: follow-ups and callbacks due today; a task that falls due arrives on the socket
// (`task.due`) and is added and highlighted without a reload. Each card names the customer, the
// reason (the subject or disposition of the note that set it) and who set it; an open task opens
// its customer to its assignee (the record says "Opened for a follow-up task").
import { get, patch } from '../lib/api.js';
import { $, fill, h, toast } from '../lib/dom.js';
import { dateTime } from '../lib/format.js';
import { dispositionLabel } from '../lib/disposition.js';

function customerText(t) {
  if (!t.customer_id) return null;
  const name = t.customer_name || `Customer ${t.customer_id}`;
  return t.customer_client_id ? `${name} (client ${t.customer_client_id})` : name;
}

export function initTasks(ctx) {
  const list = $('#task-list');
  let tasks = [];

  function reasonText(t) {
    return t.reason || dispositionLabel(ctx.lists, t.reason_disposition) || null;
  }

  function item(t) {
    const done = h('input', { type: 'checkbox', id: `task-done-${t.id}`, checked: t.done });
    done.addEventListener('change', async () => {
      try {
        await patch(`/api/tasks/${t.id}`, { done: done.checked });
        t.done = done.checked;
        draw();
      } catch (err) {
        done.checked = !done.checked;
        toast(`Could not update the task: ${err.message}`, 'error');
      }
    });
    return h('li', { class: `task${t.done ? ' done' : ''}${t.fresh ? ' fresh' : ''}`, dataset: { taskId: t.id } },
      done, h('label', { for: `task-done-${t.id}` }, `${t.kind === 'callback' ? 'Callback' : 'Follow-up'} · ${dateTime(t.due_at)}`),
      t.customer_id ? h('p', { class: 'task-customer' }, h('strong', {}, customerText(t))) : null,
      reasonText(t) ? h('p', { class: 'task-reason' }, `Reason: ${reasonText(t)}`) : null,
      t.instructions ? h('p', { class: 'task-instructions' }, t.instructions) : null,
      t.created_by_name || t.created_by
        ? h('p', { class: 'task-setter muted' }, `Set by ${t.created_by_name || t.created_by}`) : null,
      t.customer_id ? h('button', { type: 'button', class: 'link', onclick: () => ctx.openCustomer(t.customer_id) },
        `Open ${t.customer_name || 'customer'}`) : null);
  }

  function draw() {
    tasks.sort((a, b) => Date.parse(a.due_at) - Date.parse(b.due_at));
    fill(list, ...(tasks.length ? tasks.map(item) : [h('li', { class: 'muted' }, 'Nothing due today.')]));
  }

  async function load() {
    try {
      const found = await get('/api/tasks?due=today');
      const fresh = new Set(tasks.filter((t) => t.fresh).map((t) => t.id));
      const listed = new Set(found.items.map((t) => t.id));
      // a pushed task due before today is not in today's list: keep it as it came
      tasks = [...found.items.map((t) => ({ ...t, fresh: fresh.has(t.id) })),
        ...tasks.filter((t) => t.fresh && !listed.has(t.id))];
      draw();
    } catch (err) {
      fill(list, h('li', { class: 'error' }, `Tasks could not be loaded: ${err.message}`));
    }
  }

  ctx.socket.on('task.due', (data) => {
    const task = data.task || data;
    const id = task.id ?? task.task_id;
    tasks = tasks.filter((t) => t.id !== id);
    tasks.push({ ...task, id, fresh: true, due_at: task.due_at, kind: task.kind || 'follow_up' });
    draw();
    toast(`A task is due now${task.instructions ? `: ${task.instructions}` : ''}.`, 'info', 10000);
    load(); // the full card: the customer, the reason and who set it
  });
  ctx.socket.on('hello', load);
  ctx.reloadTasks = load;
  load();
}
