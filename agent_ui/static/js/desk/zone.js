// The agent's time-zone setting (issue 15 item 9): every time on the desk is shown and entered in it.
// Changing it saves it (PUT /api/auth/me/timezone) and reloads the page, which then carries the new zone.
import { put } from '../lib/api.js';
import { $, h, toast } from '../lib/dom.js';

export function initZone(ctx) {
  const select = $('#my-zone');
  const centre = document.body.dataset.centreTimezone || '';
  const own = ctx.me.timezone || '';
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  if (own && !zones.includes(own)) zones.push(own);
  select.replaceChildren(h('option', { value: '' }, `the centre's (${centre})`),
    ...zones.map((z) => h('option', { value: z, selected: z === own }, z)));
  select.addEventListener('change', async () => {
    try {
      await put('/api/auth/me/timezone', { timezone: select.value || null });
      location.reload();
    } catch (err) {
      toast(err.message, 'error');
      select.value = own;
    }
  });
}
