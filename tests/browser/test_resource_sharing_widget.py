"""Get It's resource sharing form in a real browser: home UNIA shows other members as
availability only, so its signed-in patron asks their own library for a record only UNIB
holds (``requestResourceSharing``); the request lands in UNIA's borrowing list and shows in
the patron's network account (``myResourceSharingRequests``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from playwright.async_api import expect
from sqlalchemy import select

from institution_node.store.models import BorrowingRequest
from network_demo.discovery import SamplePatron
from tests.browser.conftest import SCREENSHOTS
from tests.browser.support import OfflineContext, axe_violations, serve_discovery, widget_frame
from tests.support.builders import holding, record, two_library_institution
from tests.support.network import LiveNetwork, start_network
from tests.support.resource_sharing import rs_institution

pytestmark = [pytest.mark.network, pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def net(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LiveNetwork]:
    home = rs_institution("UNIA", network_availability_display="AVAILABILITY_ONLY")
    other = two_library_institution("UNIB")
    other["records"].append(record("only-b", title="Only At B", holdings=[holding("MAIN", "B-9")]))
    network = await start_network(
        tmp_path_factory.mktemp("rs-widget"),
        [home, other],
        hub_settings={"member_timeout_seconds": 5.0},
    )
    await serve_discovery(
        network,
        patrons=[SamplePatron("UNIA", "P1", "P1 Reader")],
        records=[("only-b", "Only At B")],
    )
    yield network
    await network.close()


async def _borrowing(net: LiveNetwork) -> list[tuple[str, str | None, str]]:
    async with net.nodes["UNIA"].runtime.sessions() as session:
        rows = await session.execute(
            select(BorrowingRequest.title, BorrowingRequest.record_id, BorrowingRequest.status)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_a_patron_asks_their_library_to_borrow_what_only_another_holds(
    net: LiveNetwork, ctx: OfflineContext
) -> None:
    page = await ctx.page()
    await page.goto(net.extra_servers[0].url)
    # Anonymous: availability only, and no form (nobody to ask for).
    await page.select_option("#viewer", "anon:UNIA")
    frame = await widget_frame(page, "/widget/getit", signed_in=False)
    await expect(frame.locator("[data-member=UNIB]")).to_have_attribute(
        "data-access", "AVAILABILITY_ONLY"
    )
    assert await frame.locator("#rs-section").is_hidden()

    await page.select_option("#viewer", "UNIA:P1")
    frame = await widget_frame(page, "/widget/getit", signed_in=True)
    form = frame.locator("#rs-section form")
    await expect(form).to_be_visible()
    assert "Ask your library for it through resource sharing" in await frame.inner_text(
        "[data-member=UNIB]"
    )
    assert await axe_violations(page, frame=frame) == []
    # The keyboard alone: pick the law library, then send.
    await frame.focus("#rs-pickup")
    await frame.select_option("#rs-pickup", label="Law Library")
    await frame.press("#rs-pickup", "Tab")
    await page.keyboard.press("Enter")
    outcome = frame.locator("#rs-section .outcome")
    await expect(outcome).to_contain_text("Your library has your request for “Only At B”")
    await expect(outcome).to_contain_text("Pick it up at Law Library")
    await expect(outcome).to_be_focused()
    assert await form.count() == 0  # asked once: no second request from this view
    assert await _borrowing(net) == [("Only At B", "only-b", "READY_TO_SEND")]
    assert await axe_violations(page, frame=frame) == []
    await frame.locator("#getit").screenshot(
        path=str(SCREENSHOTS / "widget-get-it-resource-sharing.png")
    )

    # The patron's network account lists what their library borrows for them.
    await page.goto(net.extra_servers[0].url)
    await page.select_option("#viewer", "UNIA:P1")
    account = await widget_frame(page, "/widget/account", signed_in=True)
    await expect(account.locator("#rs-section table")).to_be_visible()
    rows = await account.locator("#rs-section tbody tr").all_inner_texts()
    assert [r.split("\t")[:3] for r in rows] == [
        ["Only At B", "your library is asking", "Law Library"]
    ]
    assert await axe_violations(page, frame=account) == []
