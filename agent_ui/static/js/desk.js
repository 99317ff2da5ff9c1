// The agent desktop: state bar, incoming-call pop, outgoing calls, customer record with follow-up
// notes and quick actions, and today's tasks, all fed by one live socket.
import { get } from './lib/api.js';
import { $, $$, toast } from './lib/dom.js';
import { loadLists } from './lib/lists.js';
import { viewer, wireSignOut } from './lib/session.js';
import { LiveSocket, connectionBanner } from './lib/socket.js';
import { initState } from './desk/state.js';
import { initIncoming } from './desk/incoming.js';
import { initOutgoing } from './desk/outgoing.js';
import { initBrowse } from './desk/browse.js';
import { initRecord } from './desk/record.js';
import { initTasks } from './desk/tasks.js';
import { initMpesa } from './desk/mpesa.js';
import { initLiveLists } from './desk/live_lists.js';
import { loadCount } from './lib/escalation_count.js';
import { initPhone } from './desk/phone.js';
import { initMonitorNotice } from './desk/monitor_notice.js';
import { initCallLog } from './desk/calllog.js';
import { initZone } from './desk/zone.js';
import { initMyScores } from './desk/qa.js';

const TAB_KEY = 'sb.desk.tab';

function showTab(name) {
  for (const button of $$('[data-tab]')) {
    const on = button.dataset.tab === name;
    button.setAttribute('aria-selected', on ? 'true' : 'false');
    $(`#tab-${button.dataset.tab}`).hidden = !on;
  }
  sessionStorage.setItem(TAB_KEY, name);
}

async function main() {
  wireSignOut();
  const me = viewer();
  const profile = await get('/api/auth/me');
  const lists = await loadLists();
  const socket = new LiveSocket('agent');
  connectionBanner(socket);
  const ctx = {
    me: { ...me, display_name: profile.display_name || profile.username, extension: profile.extension,
      timezone: profile.timezone },
    lists, socket, showTab, call: null,
    openCustomer: async () => {},
    agentState: null,
    // The call a note belongs to: the one the agent is ringing, talking or wrapping up on.
    activeCallId: () => {
      const s = ctx.agentState;
      return s && ['ringing', 'on_call', 'wrap_up'].includes(s.state) ? s.call_id : null;
    },
  };
  window.switchboard = { socket, ctx }; // a handle for debugging in the browser console
  for (const button of $$('[data-tab]')) button.addEventListener('click', () => showTab(button.dataset.tab));
  initState(ctx);
  initRecord(ctx);
  initIncoming(ctx);
  initOutgoing(ctx);
  initBrowse(ctx);
  initTasks(ctx);
  initMpesa(ctx);
  initLiveLists(ctx);
  initCallLog(ctx);
  initZone(ctx);
  socket.start();
  initMyScores();
  loadCount();
  initMonitorNotice(ctx);
  initPhone(ctx).catch((err) => toast(`The phone could not start: ${err.message}`, 'error', 20000));
  const fromUrl = document.body.dataset.customer;
  if (fromUrl) {
    await ctx.openCustomer(fromUrl);  // as typed: the record checks it ("abc" is "not found")
  } else {
    showTab(sessionStorage.getItem(TAB_KEY) || 'incoming');
    const last = sessionStorage.getItem('sb.desk.customer');
    if (last) ctx.openCustomer(Number(last), { quiet: true, switchTab: false });
  }
  document.body.dataset.ready = 'true';
}

main().catch((err) => {
  toast(`The desktop could not start: ${err.message}`, 'error', 20000);
});
