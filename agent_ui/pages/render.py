"""Page shells from the plain HTML templates in ``agent_ui/templates`` (``string.Template``).

Every value is HTML-escaped before substitution; the shells carry no inline script or style, so
the Content-Security-Policy can forbid both.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from string import Template

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def with_connect_sources(headers: dict[str, str], sources: tuple[str, ...]) -> dict[str, str]:
    """``headers`` whose CSP also lets the page connect to ``sources`` (the desk's SIP WebSocket)."""
    if not sources:
        return headers
    csp = headers["Content-Security-Policy"].replace("connect-src 'self'", "connect-src 'self' " + " ".join(sources))
    return {**headers, "Content-Security-Policy": csp}


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who the page is for (from the sign-in cookie); the page's modules re-check with the API."""

    username: str
    role: str
    timezone: str | None = None  # the user's own zone (issue 15 item 9); None: the centre's


@lru_cache(maxsize=16)
def _template(name: str) -> Template:
    return Template((TEMPLATE_DIR / f"{name}.html").read_text(encoding="utf-8"))


def _nav(viewer: Viewer | None, current: str) -> str:
    if viewer is None:
        return ""
    links = [("desk", "/", "Desktop")]
    if viewer.role in ("supervisor", "admin"):
        links.append(("supervisor", "/supervisor", "Supervisor"))
    if viewer.role == "admin":
        links.append(("admin", "/admin", "Admin"))
    current_attr = ' aria-current="page"'
    items = "".join(f'<a href="{href}"{current_attr if key == current else ""}>{html.escape(label)}</a>'
                    for key, href, label in links)
    if viewer.role in ("supervisor", "admin"):  # the open escalations, filled in by lib/escalation_count.js
        items += ('<a href="/supervisor#escalations-card" id="esc-link">Escalations '
                  '<span class="badge" id="esc-count" data-count="0">0</span></a>')
    return (f'<nav aria-label="Main">{items}</nav>'
            f'<span class="who">{html.escape(viewer.username)} · {html.escape(viewer.role)}</span>'
            '<button type="button" id="sign-out" class="link">Sign out</button>')


def render_page(page: str, title: str, viewer: Viewer | None, **data: str) -> str:
    """The ``base`` shell around the ``page`` body; ``data`` becomes ``data-*`` on ``<body>``."""
    body = _template(page).substitute()
    attrs = {"page": page, **data}
    if viewer is not None:
        attrs.update(username=viewer.username, role=viewer.role)
    data_attrs = " ".join(f'data-{k.replace("_", "-")}="{html.escape(v)}"' for k, v in attrs.items())
    return _template("base").substitute(
        title=html.escape(title), page=html.escape(page), data_attrs=data_attrs,
        nav=_nav(viewer, page), body=body)
