"""What the browser tests share: contexts that refuse the outside world, axe-core in the page,
a keyboard walk over every control, sign-in, the widget frames and the discovery page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import axe_playwright_python
from playwright.async_api import Browser, BrowserContext, Frame, Page, Route

from network_demo.discovery import DiscoveryMember, SamplePatron, create_discovery_app
from tests.support.builders import api_key
from tests.support.network import LiveNetwork, RunningServer, reserve_socket

AXE_JS = (
    __import__("pathlib").Path(axe_playwright_python.__file__).parent / "axe.min.js"
).read_text()
LOOPBACK = {"127.0.0.1", "localhost", "[::1]"}


class OfflineContext:
    """A browser context in which any request off loopback is refused and remembered."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.outside: list[str] = []
        self.failures: list[str] = []

    async def route(self, route: Route) -> None:
        url = route.request.url
        host = urlparse(url).hostname or ""
        if url.startswith(("data:", "blob:", "about:")) or host in LOOPBACK:
            await route.continue_()
        else:
            self.outside.append(url)
            await route.abort()

    async def page(self) -> Page:
        page = await self.context.new_page()
        page.on("pageerror", lambda e: self.failures.append(f"page error: {e}"))
        page.on(
            "response",
            lambda r: self.failures.append(f"{r.status} {r.url}") if r.status >= 500 else None,
        )
        return page


async def offline_context(browser: Browser, **options: Any) -> OfflineContext:
    context = await browser.new_context(
        accept_downloads=True, viewport={"width": 1280, "height": 900}, **options
    )
    wrapped = OfflineContext(context)
    await context.route("**/*", wrapped.route)
    return wrapped


async def axe_violations(page: Page, *, frame: Any = None) -> list[dict[str, Any]]:
    """axe-core (from the axe-playwright-python package) run in the page: serious or critical
    violations only, as (rule id, impact, targets)."""
    target = frame or page
    await target.evaluate(AXE_JS)
    result = await target.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


CONTROLS = (
    "a[href], button, input:not([type=hidden]), select, textarea, summary, "
    "[tabindex]:not([tabindex='-1'])"
)


async def unreachable_by_keyboard(page: Page, *, limit: int = 200) -> list[str]:
    """Visible, enabled controls that pressing Tab from the top never focuses."""
    await page.evaluate("document.activeElement && document.activeElement.blur()")
    await page.evaluate("window.scrollTo(0, 0)")
    await page.evaluate(
        """sel => { document.querySelectorAll(sel).forEach((e, i) => e.dataset.kbd = 'c' + i); }""",
        CONTROLS,
    )
    wanted = set(
        await page.evaluate(
            """sel => Array.from(document.querySelectorAll(sel))
                 .filter(e => !e.disabled && e.checkVisibility({visibilityProperty: true}))
                 .filter(e => !(e.type === 'radio' && !e.checked))
                 .map(e => e.dataset.kbd)""",
            CONTROLS,
        )
    )
    await page.focus("body")
    seen: set[str] = set()
    for _ in range(limit):
        await page.keyboard.press("Tab")
        focused = await page.evaluate(
            "document.activeElement && document.activeElement.dataset.kbd || null"
        )
        if focused:
            seen.add(focused)
        if wanted <= seen:
            break
    missing = wanted - seen
    return sorted(
        await page.evaluate(
            """ids => ids.map(id => document.querySelector(`[data-kbd="${id}"]`).outerHTML
                               .slice(0, 120))""",
            sorted(missing),
        )
    )


async def check_page(page: Page) -> None:
    """No serious/critical axe violation; every control reachable by keyboard."""
    violations = await axe_violations(page)
    assert not violations, (page.url, violations)
    missing = await unreachable_by_keyboard(page)
    assert not missing, (page.url, missing)


async def sign_in(
    page: Page,
    hub_url: str,
    institution: str,
    *,
    username: str = "",
    password: str = "",
    api_key: str = "",
) -> None:
    await page.goto(f"{hub_url}/staff/")
    if api_key:
        await page.click("summary")
        await page.select_option("#key-institution", institution)
        await page.fill("#api-key", api_key)
        await page.click("text=Sign in with the key")
    else:
        await page.select_option("#institution", institution)
        await page.fill("#username", username)
        await page.fill("#password", password)
        await page.press("#password", "Enter")
    await page.wait_for_load_state()


async def widget_frame(page: Page, path: str, *, signed_in: bool) -> Frame:
    """The widget frame whose URL contains ``path`` (for a signed-in viewer: the frame that
    was handed a token)."""
    wanted = f"iframe[src*='{path}']" + (
        "[src*='auth=1']" if signed_in else ":not([src*='auth=1'])"
    )
    handle = await page.wait_for_selector(wanted)
    frame = await handle.content_frame()
    assert frame is not None
    await frame.wait_for_load_state()
    return frame


async def serve_discovery(
    network: LiveNetwork, *, patrons: list[SamplePatron], records: list[tuple[str, str]]
) -> str:
    """The demo discovery page for ``network`` (each member's discovery key), served beside
    it (closed with it); its URL."""
    discovery = create_discovery_app(
        hub_url=network.hub_url,
        members=[
            DiscoveryMember(code, node.name, node.url, api_key(f"{code.lower()}-discovery"))
            for code, node in network.nodes.items()
        ],
        patrons=patrons,
        records=records,
    )
    server = RunningServer(sock=reserve_socket(), app=discovery)
    await server.start()
    network.extra_servers.append(server)
    return server.url
