// A QA review as people read it (issue 22): the score, pass or below the mark, auto-fails named,
// each question with its answer in words and the reviewer's remark. Used by the agent's "My scored
// calls" and by the supervisor's scoring panel.
import { h } from './dom.js';
import { count, dateTime } from './format.js';

export function scoreText(review) {
  if (review.auto_failed) return `Score 0 of 100: failed on ${review.failed_questions.join(' and ').toLowerCase()}`;
  const mark = review.passed ? 'at or above' : 'below';
  return `Score ${count(review.score)} of 100, ${mark} the pass mark of ${count(review.pass_mark)}`;
}

export function reviewCard(review, { onAcknowledge = null } = {}) {
  const sections = [];
  let current = null;
  for (const line of review.lines) {
    if (!current || current.name !== line.section) {
      current = { name: line.section, items: [] };
      sections.push(current);
    }
    current.items.push(h('li', { class: line.failed ? 'error' : '', dataset: { question: line.question } },
      `${line.label}: `, h('strong', {}, line.answer_text), line.comment ? h('span', { class: 'muted' }, ` (${line.comment})`) : null));
  }
  const ack = review.acknowledged_at
    ? h('p', { class: 'muted qa-ack' }, `Acknowledged on ${dateTime(review.acknowledged_at)}.`)
    : onAcknowledge ? h('button', { type: 'button', class: 'primary qa-ack', onclick: () => onAcknowledge(review) },
      'I have read this review') : h('p', { class: 'muted qa-ack' }, 'Not acknowledged by the agent yet.');
  const who = review.customer_name ? `with ${review.customer_name}` : '';
  const when = review.call_started_at ? `on ${dateTime(review.call_started_at)}` : '';
  return h('article', { class: 'card qa-review', dataset: { reviewId: review.id, callId: review.call_id } },
    h('h3', {}, `${review.scorecard_label}: call ${who} ${when}`.replace(/\s+/g, ' ').trim()),
    h('p', { class: review.passed ? 'qa-score' : 'qa-score error' }, scoreText(review)),
    h('p', { class: 'muted' }, `Scored by ${review.reviewer_name} on ${dateTime(review.scored_at)}; `
      + `${review.agent_name}'s call.`),
    review.comments ? h('p', {}, h('strong', {}, 'Comments: '), review.comments) : null,
    sections.map((s) => h('section', {}, h('h4', {}, s.name), h('ul', { class: 'qa-lines' }, s.items))),
    ack);
}
