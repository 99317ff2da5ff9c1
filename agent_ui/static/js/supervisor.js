// The supervisor's page: a live wallboard fed only by the event stream (a snapshot first, then
// every change pushed), approvals, the dialer's "why am I not dialling?", assigning work, reports.
import { get } from './lib/api.js';
import { toast } from './lib/dom.js';
import { wireSignOut } from './lib/session.js';
import { LiveSocket, connectionBanner } from './lib/socket.js';
import { initWallboard } from './sup/wallboard.js';
import { initApprovals } from './sup/approvals.js';
import { initDialerStatus } from './sup/dialer.js';
import { initAssign } from './sup/assign.js';
import { initReports } from './sup/reports.js';

async function main() {
  wireSignOut();
  const snapshot = await get('/api/wallboard');
  const socket = new LiveSocket('wallboard');
  // Start the stream where the snapshot ends: every later change arrives, none is applied twice.
  socket.setSeq(snapshot.seq);
  connectionBanner(socket);
  const ctx = { socket, snapshot };
  window.switchboard = { socket, ctx };
  initWallboard(ctx);
  await Promise.all([initApprovals(ctx), initDialerStatus(ctx), initAssign(ctx)]);
  initReports(ctx);
  socket.start();
  document.body.dataset.ready = 'true';
}

main().catch((err) => toast(`The page could not start: ${err.message}`, 'error', 20000));
