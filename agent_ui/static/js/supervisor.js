// The supervisor's page: a live wallboard fed only by the event stream (a snapshot first, then
// every change pushed), escalations, approvals, the dialer's "why am I not dialling?", assigning
// work, quality scoring of recorded calls, reports, the call log and note search; and the
// supervisor's phone bar (the desk's), so a Listen / Whisper / Barge rings the browser phone here.
import { get } from './lib/api.js';
import { toast } from './lib/dom.js';
import { loadLists } from './lib/lists.js';
import { wireSignOut } from './lib/session.js';
import { LiveSocket, connectionBanner } from './lib/socket.js';
import { initWallboard } from './sup/wallboard.js';
import { initApprovals } from './sup/approvals.js';
import { initDialerStatus } from './sup/dialer.js';
import { initAssign } from './sup/assign.js';
import { initReports } from './sup/reports.js';
import { initMessaging } from './sup/messaging.js';
import { initSuspense } from './sup/suspense.js';
import { initEscalations } from './sup/escalations.js';
import { initCalls } from './sup/calls.js';
import { initNoteSearch } from './sup/note_search.js';
import { initIvrPanel } from './sup/ivr.js';
import { initQa } from './sup/qa.js';
import { initMonitor } from './sup/monitor.js';
import { initPhone } from './desk/phone.js';

async function main() {
  wireSignOut();
  const snapshot = await get('/api/wallboard');
  const socket = new LiveSocket('wallboard');
  // Start the stream where the snapshot ends: every later change arrives, none is applied twice.
  socket.setSeq(snapshot.seq);
  connectionBanner(socket);
  const ctx = { socket, snapshot };
  window.switchboard = { socket, ctx };
  const [lists, people] = await Promise.all([loadLists(), get('/api/agents')]);
  ctx.lists = lists;
  const agents = people.items.filter((a) => a.role !== 'admin').map((a) => a.username);
  initWallboard(ctx);
  initMonitor(ctx);
  ctx.calls = initCalls(ctx, agents, lists);
  initNoteSearch(ctx, agents, lists);
  await Promise.all([initEscalations(ctx, agents), initApprovals(ctx), initDialerStatus(ctx), initAssign(ctx),
    initMessaging(ctx), initSuspense(ctx), initIvrPanel(ctx), initQa(ctx)]);
  initReports(ctx);
  socket.start();
  initPhone(ctx).catch((err) => toast(`The phone could not start: ${err.message}`, 'error', 20000));
  document.body.dataset.ready = 'true';
}

main().catch((err) => toast(`The page could not start: ${err.message}`, 'error', 20000));
