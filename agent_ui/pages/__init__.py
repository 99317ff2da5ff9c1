"""The browser pages: server-rendered shells (agent desktop, supervisor, admin, sign-in) and their
static ES modules and CSS. ``app.include_router(build_pages_router())`` serves them."""

from agent_ui.pages.router import build_pages_router

__all__ = ["build_pages_router"]
