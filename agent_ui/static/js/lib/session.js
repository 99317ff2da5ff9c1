// The signed-in session: the Bearer token (kept per tab; the HttpOnly cookie is the fallback),
// who is signed in (from the page shell) and signing out.
const TOKEN_KEY = 'sb.token';

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export function viewer() {
  const d = document.body.dataset;
  return { username: d.username || '', role: d.role || '', currency: d.currency || 'KES',
    timezone: d.timezone || 'Africa/Nairobi' };
}

let leaving = false;

// Only a refused sign-in (401) leads here, never a lost connection. `ended`: the server ended the
// session (signed out elsewhere, the account changed): the sign-in page says so.
export function toLogin(ended = false) {
  if (leaving) return;
  leaving = true;
  setToken(null);
  const next = location.pathname + location.search + location.hash;
  location.assign(`/login?next=${encodeURIComponent(next)}${ended ? '&ended=1' : ''}`);
}

export function wireSignOut() {
  const button = document.getElementById('sign-out');
  if (!button) return;
  button.addEventListener('click', async () => {
    try {
      if (window.switchboard && window.switchboard.phone) { // issue 20: the phone's secret ends with the session
        await fetch('/api/phone/session', { method: 'DELETE', credentials: 'same-origin' });
      }
      await fetch('/api/auth/logout', { method: 'POST', credentials: 'same-origin' });
    } finally {
      setToken(null);
      sessionStorage.clear();
      location.assign('/login');
    }
  });
}
