// Sign-in: POST /api/auth/login sets the HttpOnly cookie; the token is also kept for this tab
// (a socket asks POST /api/ws-ticket for a single-use ticket), then the page goes where it was asked to (or the role's home).
import { setToken } from './lib/session.js';

const form = document.getElementById('login-form');
const error = document.getElementById('login-error');

function destination(role) {
  const next = new URLSearchParams(location.search).get('next');
  if (next && next.startsWith('/') && !next.startsWith('//')) return next;
  return role === 'supervisor' ? '/supervisor' : role === 'admin' ? '/admin' : '/';
}

if (new URLSearchParams(location.search).get('ended')) {
  error.textContent = 'You were signed out: the session ended in another tab or window, or your account changed. Sign in again.';
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  error.textContent = '';
  const username = form.username.value.trim();
  const password = form.password.value;
  if (!username || !password) {
    error.textContent = 'Enter your username and password.';
    return;
  }
  let res;
  try {
    res = await fetch('/api/auth/login', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ username, password }),
    });
  } catch {
    error.textContent = 'The server cannot be reached. Try again.';
    return;
  }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    error.textContent = res.status === 401 ? 'Wrong username or password.' : (data.message || 'Sign-in failed.');
    return;
  }
  setToken(data.token);
  location.assign(destination(data.user && data.user.role));
});
document.getElementById('login-username').focus();
