// "My scored calls" (issue 22): the agent's calls that a supervisor scored, newest first, each
// with its questions and comments; the agent acknowledges each one once read.
import { get, post } from '../lib/api.js';
import { $, fill, h, toast } from '../lib/dom.js';
import { reviewCard } from '../lib/qa.js';

export function initMyScores() {
  const list = $('#qa-mine');
  if (!list) return;
  async function acknowledge(review) {
    try {
      await post(`/api/qa/reviews/${review.id}/acknowledge`);
      toast('Thank you: the review is marked as read.');
      await load();
    } catch (err) {
      toast(`The review could not be acknowledged: ${err.message}`, 'error');
    }
  }
  async function load() {
    try {
      const found = await get('/api/qa/reviews?limit=50');
      const waiting = found.items.filter((r) => !r.acknowledged_at).length;
      $('#qa-mine-count').textContent = waiting ? `${waiting} to read` : 'all read';
      fill(list, ...(found.items.length ? found.items.map((r) => reviewCard(r, { onAcknowledge: acknowledge }))
        : [h('p', { class: 'muted' }, 'None of your calls has been scored yet.')]));
      list.dataset.state = 'ready';
    } catch (err) {
      fill(list, h('p', { class: 'error' }, err.message));
    }
  }
  $('#qa-mine-refresh').addEventListener('click', load);
  // Loaded each time the tab is shown (a click, or the tab the desk reopens on).
  const panel = $('#tab-qa');
  new MutationObserver(() => { if (!panel.hidden) load(); }).observe(panel, { attributes: true, attributeFilter: ['hidden'] });
  if (!panel.hidden) load();
}
