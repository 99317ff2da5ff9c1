// Which optional parts this server has on (GET /api/features: the dialer today), so a page offers
// only what works instead of calling routes that are not there.
let found = null;

export async function features() {
  if (found) return found;
  try {
    const res = await fetch('/api/features', { credentials: 'same-origin' });
    found = res.ok ? await res.json() : {};
  } catch {
    found = {};
  }
  return found;
}

export async function has(feature) {
  return Boolean((await features())[feature]);
}
