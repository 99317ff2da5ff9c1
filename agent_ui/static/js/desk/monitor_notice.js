// "A supervisor is listening" (issue 22): while a supervisor listens to, whispers to or barges into
// the agent's call, and the centre's policy says the agent is told, the state bar says so. The
// notice goes when the supervisor leaves or the call ends.
import { $ } from '../lib/dom.js';

export function initMonitorNotice(ctx) {
  const box = $('#monitor-notice');
  if (!box) return;
  const hide = () => { box.hidden = true; box.textContent = ''; delete box.dataset.call; };
  ctx.socket.on('monitor.notice', (n) => {
    if (n.active) {
      box.textContent = n.text;
      box.dataset.call = n.call_id;
      box.dataset.mode = n.mode;
      box.hidden = false;
    } else if (!box.dataset.call || box.dataset.call === n.call_id) {
      hide();
    }
  });
  ctx.socket.on('call.ended', (c) => { if (box.dataset.call === c.call_id) hide(); });
}
