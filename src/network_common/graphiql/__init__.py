"""GraphiQL served by the apps themselves, so it works on a network without internet.

Strawberry's own GraphiQL page loads React and GraphiQL from a public CDN and shows a blank
"Loading..." offline. Both apps serve this page instead: the same GraphiQL (3.8.3, with the
explorer plugin) from files vendored from the npm registry (``static/vendor/MANIFEST.json``
names packages, versions, digests and licences; ``tools/vendor_assets.py`` refreshes them).
The page has no inline script, so a ``script-src 'self'`` Content-Security-Policy holds.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from starlette.responses import HTMLResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
#: Where the apps mount :data:`STATIC_DIR`.
STATIC_PREFIX = "/static/graphiql"
#: GraphiQL evaluates nothing dynamic; styles are inline in its React components.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


def page(*, title: str) -> str:
    """The GraphiQL page for the endpoint it is served at (it posts to its own URL)."""
    p = STATIC_PREFIX
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<link rel="stylesheet" href="{p}/vendor/graphiql.min.css">
<link rel="stylesheet" href="{p}/vendor/graphiql-plugin-explorer.css">
<link rel="stylesheet" href="{p}/graphiql-page.css">
</head>
<body>
<div id="graphiql" class="graphiql-container">Loading GraphiQL…</div>
<script src="{p}/vendor/react.production.min.js"></script>
<script src="{p}/vendor/react-dom.production.min.js"></script>
<script src="{p}/vendor/graphiql.min.js"></script>
<script src="{p}/vendor/graphiql-plugin-explorer.umd.js"></script>
<script src="{p}/graphiql-init.js"></script>
</body>
</html>
"""


def response(*, title: str) -> HTMLResponse:
    """The page as a response, with its Content-Security-Policy."""
    return HTMLResponse(
        page(title=title), headers={"content-security-policy": CONTENT_SECURITY_POLICY}
    )


def static_mount() -> Mount:
    """The route serving GraphiQL's files (mount it in the app's routes)."""
    return Mount(STATIC_PREFIX, app=StaticFiles(directory=STATIC_DIR), name="graphiql-static")


__all__ = [
    "CONTENT_SECURITY_POLICY",
    "STATIC_DIR",
    "STATIC_PREFIX",
    "page",
    "response",
    "static_mount",
]
