// Which optional API routes this server has (from its OpenAPI document), so a page offers only
// what works instead of calling routes that are not there.
let paths = null;

export async function features() {
  if (paths) return paths;
  try {
    const res = await fetch('/openapi.json', { credentials: 'same-origin' });
    paths = new Set(Object.keys(res.ok ? (await res.json()).paths || {} : {}));
  } catch {
    paths = new Set();
  }
  return paths;
}

export async function has(path) {
  return (await features()).has(path);
}
