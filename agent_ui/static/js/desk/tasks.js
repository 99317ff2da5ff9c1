// My tasks: follow-ups and callbacks due today; a task that falls due arrives on the socket
// (`task.due`) and is added and highlighted without a reload.
import { get, patch } from '../lib/api.js';
import { $, fill, h, toast } from '../lib/dom.js';
import { dateTime } from '../lib/format.js';

export function initTasks(ctx) {
  const list = $('#task-list');
  let tasks = [];

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
      t.instructions ? h('p', {}, t.instructions) : null,
      t.customer_id ? h('button', { type: 'button', class: 'link', onclick: () => ctx.openCustomer(t.customer_id) },
        'Open customer') : null);
  }

  function draw() {
    tasks.sort((a, b) => Date.parse(a.due_at) - Date.parse(b.due_at));
    fill(list, ...(tasks.length ? tasks.map(item) : [h('li', { class: 'muted' }, 'Nothing due today.')]));
  }

  async function load() {
    try {
      const found = await get('/api/tasks?due=today');
      const fresh = new Set(tasks.filter((t) => t.fresh).map((t) => t.id));
      tasks = found.items.map((t) => ({ ...t, fresh: fresh.has(t.id) }));
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
  });
  ctx.socket.on('hello', load);
  ctx.reloadTasks = load;
  load();
}
