// The open escalations in the page header (supervisors and admins): read once on any page, then
// kept current on the supervisor page by the live stream (each escalation message carries the count).
import { get } from './api.js';

export function showCount(count) {
  const n = Number(count) || 0;
  for (const el of document.querySelectorAll('#esc-count, #esc-open')) {
    el.textContent = String(n);
    el.dataset.count = String(n);
    el.setAttribute('aria-label', `${n} open escalation${n === 1 ? '' : 's'}`);
    el.classList.toggle('alert', n > 0);
  }
}

export async function loadCount() {
  if (!document.getElementById('esc-count')) return;
  try {
    showCount((await get('/api/escalations?limit=1')).open_count);
  } catch {
    // the header count is a convenience: the page works without it
  }
}
