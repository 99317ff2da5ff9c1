// Quality scoring (issue 22): the week's calls to score (picked by the rules of scorecards.yaml),
// and the scoring panel: the recording plays while the supervisor answers the scorecard's
// questions (yes / no, 0 to N, N/A where allowed) and writes comments; saving shows the score.
import { get, post, qs } from '../lib/api.js';
import { $, fill, h, table, toast } from '../lib/dom.js';
import { count, dateTime, duration, today } from '../lib/format.js';
import { reviewCard } from '../lib/qa.js';

function choices(question) {
  const items = question.kind === 'scale'
    ? Array.from({ length: question.max + 1 }, (_, i) => [String(i), String(i)])
    : [['yes', 'Yes'], ['no', 'No']];
  if (question.allow_na) items.push(['na', 'Not applicable']);
  return items;
}

function questionField(question) {
  const name = `qa-${question.code}`;
  const hint = question.kind === 'scale' ? ` (0 to ${question.max})` : '';
  const weight = question.auto_fail ? 'A yes fails the whole call' : `Weight ${count(question.weight)}`;
  return h('fieldset', { class: 'qa-question', dataset: { question: question.code } },
    h('legend', {}, `${question.label}${hint}`),
    h('p', { class: 'muted small' }, [weight, question.help].filter(Boolean).join('. ')),
    h('div', { class: 'radios' }, choices(question).map(([value, text]) => h('label', {},
      h('input', { type: 'radio', name, value, required: true }), ` ${text}`))),
    h('label', { class: 'inline' }, 'Remark ', h('input', { type: 'text', class: 'qa-remark', maxlength: 2000,
      'aria-label': `Remark on: ${question.label}` })),
    h('p', { class: 'error qa-field-error', hidden: true }));
}

function answersOf(form, card) {
  const answers = {};
  const remarks = {};
  for (const section of card.sections) {
    for (const q of section.questions) {
      const picked = form.querySelector(`input[name="qa-${q.code}"]:checked`);
      if (picked) answers[q.code] = q.kind === 'scale' && picked.value !== 'na' ? Number(picked.value) : picked.value;
      const remark = form.querySelector(`[data-question="${q.code}"] .qa-remark`).value.trim();
      if (remark) remarks[q.code] = remark;
    }
  }
  return { answers, remarks };
}

// The score so far, by the rule of domain/qa_scoring.py: N/A and unanswered questions are left out.
function scoreSoFar(card, answers) {
  const questions = card.sections.flatMap((s) => s.questions);
  const failed = questions.filter((q) => q.auto_fail && answers[q.code] === 'yes').map((q) => q.label.toLowerCase());
  if (failed.length) return `So far: 0 of 100, the call fails on ${failed.join(' and ')}`;
  let earned = 0;
  let possible = 0;
  for (const q of questions) {
    const a = answers[q.code];
    if (q.auto_fail || a === undefined || a === 'na' || !q.weight) continue;
    earned += q.weight * (q.kind === 'scale' ? a / q.max : a === 'yes' ? 1 : 0);
    possible += q.weight;
  }
  return possible ? `So far: ${count(Math.round((10000 * earned) / possible) / 100)} of 100` : 'So far: nothing answered';
}

function showFieldErrors(form, card, err) {
  const labels = Object.fromEntries(card.sections.flatMap((s) => s.questions).map((q) => [q.code, q.label]));
  const lines = [];
  for (const box of form.querySelectorAll('.qa-field-error')) box.hidden = true;
  for (const [key, message] of Object.entries(err.details || {})) {
    const code = key.replace(/^answers\./, '');
    const box = form.querySelector(`[data-question="${code}"] .qa-field-error`);
    if (box) {
      box.textContent = `${message.charAt(0).toUpperCase()}${message.slice(1)}.`;
      box.hidden = false;
    }
    lines.push(labels[code] ? `${labels[code]}: ${message}` : message);
  }
  return lines.length ? lines : [err.message];
}

export function initQa(ctx) {
  const out = $('#qa-calls');
  const panel = $('#qa-panel');
  const week = $('#qa-week');
  week.value = today();
  const scorecards = ctx.lists.scorecards;

  function openScoring(call) {
    const card = scorecards.scorecards.find((c) => c.code === scorecards.default_scorecard);
    const audio = h('audio', { controls: true, preload: 'none', id: 'qa-audio',
      'aria-label': `Recording of ${call.agent_name}'s call` });
    const errors = h('div', { class: 'error', id: 'qa-errors', role: 'alert', hidden: true });
    const soFar = h('p', { class: 'qa-score', id: 'qa-so-far', 'aria-live': 'polite' }, 'So far: nothing answered');
    const form = h('form', { id: 'qa-form', novalidate: true },
      card.sections.map((s) => h('section', { class: 'qa-section' }, h('h4', {}, s.label), s.questions.map(questionField))),
      h('label', { for: 'qa-comments' }, 'Comments for the agent'),
      h('textarea', { id: 'qa-comments', rows: 3, maxlength: 20000 }),
      soFar, errors,
      h('div', { class: 'row end' },
        h('button', { type: 'button', onclick: () => { audio.pause(); fill(panel); } }, 'Close'),
        h('button', { type: 'submit', class: 'primary' }, 'Save the score')));
    form.addEventListener('change', () => { soFar.textContent = scoreSoFar(card, answersOf(form, card).answers); });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const { answers, remarks } = answersOf(form, card);
      try {
        const review = await post('/api/qa/reviews', { call_id: call.call_id, scorecard: card.code, answers,
          question_comments: remarks, comments: $('#qa-comments').value.trim() || null });
        toast(`Saved: ${review.auto_failed ? 'the call failed' : `${count(review.score)} of 100`}.`);
        fill(panel, reviewCard(review));
        await load();
      } catch (err) {
        errors.replaceChildren(...showFieldErrors(form, card, err).map((l) => h('div', {}, l)));
        errors.hidden = false;
      }
    });
    fill(panel,
      h('h3', {}, `Scoring ${call.agent_name}'s call${call.customer_name ? ` with ${call.customer_name}` : ''} `
        + `on ${dateTime(call.started_at)} against “${card.label}”`),
      h('div', { class: 'row' }, audio),
      form);
    panel.dataset.callId = call.call_id;
    panel.scrollIntoView({ block: 'start' });
    post(`/api/recordings/${call.recording_id}/play`).then((ticket) => {
      audio.src = ticket.url;
      return audio.play();
    }).catch((err) => toast(`The recording cannot be played: ${err.message}`, 'error'));
  }

  async function load() {
    try {
      const found = await get(`/api/qa/to-score${qs({ week: week.value })}`);
      $('#qa-week-text').textContent = `Week of ${found.week} to ${found.week_end}`;
      fill(out, table([
        { label: 'Call', value: (c) => dateTime(c.started_at) },
        { label: 'Agent', value: (c) => c.agent_name },
        { label: 'Customer', value: (c) => c.customer_name || '—' },
        { label: 'Talk', value: (c) => (c.talk_seconds == null ? '—' : duration(c.talk_seconds)), class: 'num' },
        { label: 'Why', value: (c) => c.why.join('; ') },
        { label: '', value: (c) => h('button', { type: 'button', class: 'primary', onclick: () => openScoring(c) },
          'Listen and score') },
      ], found.items, { caption: 'Calls to score this week', empty: 'No call is waiting to be scored this week.',
        rowAttrs: (c) => ({ dataset: { callId: c.call_id } }) }));
      out.dataset.state = 'ready';
    } catch (err) {
      fill(out, h('p', { class: 'error' }, err.message));
    }
  }

  $('#qa-form-week').addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
  return load();
}
