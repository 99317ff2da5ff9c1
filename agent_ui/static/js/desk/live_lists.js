// The lists follow the admins without a reload: a saved version is announced on every desktop's
// stream (`config.changed` with the list's name and version); the desktop reads that version and
// the forms offer it at once (a `lists-changed` event on the document).
import { get } from '../lib/api.js';
import { toast } from '../lib/dom.js';

export function initLiveLists(ctx) {
  const seen = {};
  ctx.socket.on('config.changed', async ({ name, version }) => {
    if (!(name in ctx.lists) || (seen[name] || 0) >= version) return;
    try {
      const found = await get(`/api/config/lists/${encodeURIComponent(name)}/versions/${version}`);
      if ((seen[name] || 0) >= version) return;
      seen[name] = version;
      ctx.lists[name] = found.document;
      document.dispatchEvent(new CustomEvent('lists-changed', { detail: { name, version } }));
    } catch (err) {
      toast(`The ${name} list changed; reload the page to use it (${err.message}).`, 'error', 10000);
    }
  });
}
