// Call recordings in the customer's history and the call log: a player with seek (the browser's
// own controls over HTTP Range) and, for supervisors, a download. Pressing Play asks the server
// first, which audits the playback and answers the player's URL.
import { get, post } from '../lib/api.js';
import { fill, h, toast } from '../lib/dom.js';
import { dateTime, duration } from '../lib/format.js';

export function recordingItem(rec) {
  const audio = h('audio', { controls: true, preload: 'none', class: 'recording-audio',
    'aria-label': `Recording of the call on ${dateTime(rec.started_at)}` });
  const play = h('button', { type: 'button', class: 'recording-play', onclick: async () => {
    try {
      const ticket = await post(`/api/recordings/${rec.id}/play`);
      audio.src = ticket.url;
      await audio.play();
    } catch (err) {
      toast(`The recording cannot be played: ${err.message}`, 'error');
    }
  } }, 'Play');
  const length = rec.duration_ms != null ? duration(Math.round(rec.duration_ms / 1000)) : '';
  return h('li', { class: 'recording', dataset: { recordingId: rec.id, status: rec.status } },
    h('div', {}, h('strong', {}, 'Recording'), ' ',
      h('span', { class: 'muted' }, [dateTime(rec.started_at), rec.agent, length, rec.paused ? 'paused part' : '']
        .filter(Boolean).join(' · '))),
    rec.status === 'stored' ? h('div', { class: 'row' }, play, audio,
      rec.can_download ? h('a', { href: `/api/recordings/${rec.id}/download`, class: 'button',
        download: `call-${rec.id}.wav` }, 'Download') : null)
      : h('p', { class: 'muted' }, rec.status === 'failed' ? 'The recording failed.' : 'Recording in progress.'),
    rec.sha256 ? h('p', { class: 'muted small' }, `SHA-256 ${rec.sha256.slice(0, 16)}…`) : null);
}

// The customer's recordings (an agent sees only their own calls'), appended to the history section.
export function recordingsBlock(customerId) {
  const list = h('ul', { class: 'recordings', id: 'customer-recordings', 'aria-label': 'Call recordings' });
  const box = h('section', { class: 'recordings-box' }, h('h3', {}, 'Call recordings'), list);
  get(`/api/recordings?customer_id=${customerId}&limit=20`).then((found) => {
    fill(list, ...(found.items.length ? found.items.map(recordingItem)
      : [h('li', { class: 'muted' }, 'No recorded calls.')]));
  }).catch((err) => fill(list, h('li', { class: 'error' }, err.message)));
  return box;
}
