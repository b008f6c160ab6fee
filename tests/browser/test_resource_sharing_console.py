"""The console's resource sharing page in a real browser, two real nodes and the real ISO 18626
wire between them: UNIA's operator creates a borrowing request for a patron and sends it to
UNIB; UNIB's operator finds it on the lending side, supplies and ships it (a wrong desk is
refused with the node's sentence, and nothing moves); UNIA's operator receives it with the
keyboard only, loans it to the patron and takes it back at a desk and ships it back; UNIB
checks it in, and both requests are completed. Each step is one of the request's
``availableActions``; the messages go between the nodes by their outbox jobs (run by hand,
so nothing waits on a timer).

An operator scoped to another library sees none of it (UNIA keeps its libraries independent,
DOMAIN §7), and one
without a resource sharing role is told so instead of an empty list."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from institution_node.store.models import BorrowingRequest, LendingRequest, Partner
from network_hub.resource_sharing.partners_sync import sync_partners
from tests.browser.conftest import SCREENSHOTS
from tests.browser.support import (
    OfflineContext,
    axe_violations,
    check_page,
    offline_context,
    sign_in,
)
from tests.support.builders import api_key, holding, record
from tests.support.network import LiveNetwork, start_network
from tests.support.resource_sharing import rs_institution, settle

pytestmark = [pytest.mark.network, pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

TITLE = "Lent Through The Console"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def net(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LiveNetwork]:
    lender = rs_institution("UNIB")
    lender["records"].append(record("rs-console", title=TITLE, holdings=[holding("MAIN", "B-C1")]))
    network = await start_network(
        tmp_path_factory.mktemp("rs-console"),
        [rs_institution("UNIA", fulfillment_independence_model="FULL"), lender],
        node_settings={"jobs_enabled": False},
    )
    await sync_partners(runtime=network.hub_runtime)  # the members become partners
    yield network
    await network.close()


async def _page(ctx: OfflineContext, net: LiveNetwork, code: str, who: str) -> Page:
    page = await ctx.page()
    await sign_in(page, net.hub_url, code, api_key=api_key(f"{code.lower()}-{who}"))
    await page.goto(f"{net.hub_url}/staff/resource-sharing")
    await expect(page.locator("#list-caption")).to_contain_text("Borrowing requests")
    return page


async def _status(net: LiveNetwork, code: str, model: type) -> list[tuple[str, str]]:
    async with net.nodes[code].runtime.sessions() as session:
        rows = await session.execute(select(model.title, model.status))
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def _step(page: Page, summary: str, **fields: str) -> None:
    """Open a step's form, fill it and send it."""
    await page.click(f"#actions summary:has-text('{summary}')")
    form = page.locator("#actions details[open] form")
    for name, value in fields.items():
        await form.locator(f"[name={name}]").fill(value)
    await form.locator("button").click()


async def test_borrow_lend_ship_and_receive_through_the_console(
    net: LiveNetwork, ctx: OfflineContext, browser: Browser
) -> None:
    lender = await offline_context(browser)  # UNIB's operator, in a browser of their own
    try:
        await _story(net, ctx, lender)
    finally:
        await lender.context.close()
    assert lender.outside == []
    assert lender.failures == []


async def _story(net: LiveNetwork, ctx: OfflineContext, lender: OfflineContext) -> None:
    a = await _page(ctx, net, "UNIA", "rs-manager")
    await expect(a.locator("#list-caption")).to_contain_text("0 of 0")
    assert await a.locator("#empty").is_visible()

    # A new request: nothing typed is refused in the page, then one sent to UNIB.
    await a.click("#new-borrowing")
    await expect(a.locator("#create-heading")).to_be_focused()
    await a.click("text=Create the request")
    await expect(a.locator("#create-result")).to_have_text("Give the patron ID and title first.")
    assert await _status(net, "UNIA", BorrowingRequest) == []
    await a.fill("#create-patron", "P1")
    await a.select_option("#create-pickup", label="Law Library")
    await a.fill("#create-title", TITLE)
    await a.fill("#create-record", "rs-console")
    await a.select_option("#create-ask", label="Only University UNIB")
    await a.click("text=Create the request")
    outcome = a.locator("#step-outcome")
    await expect(outcome).to_have_text(
        "Created and sent to University UNIB. Now sent to the partner."
    )
    await expect(outcome).to_be_focused()
    assert await a.locator("#create-form").is_hidden()
    await expect(a.locator("#rs-rows tbody tr")).to_have_count(1)
    row = await a.locator("#rs-rows tbody tr td").all_inner_texts()
    assert row[:5] == [
        TITLE,
        "P1 Reader (P1)",
        "University UNIB",
        "Sent to the partner",
        "Law Library",
    ]
    assert await _status(net, "UNIA", BorrowingRequest) == [(TITLE, "REQUEST_SENT")]
    await settle(net)

    # UNIB's operator: the lending side has it as new.
    b = await _page(lender, net, "UNIB", "rs-manager")
    await b.click("[data-side=lending]")
    await expect(b.locator("#list-caption")).to_contain_text("Lending requests")
    await expect(b.locator("#rs-rows tbody tr")).to_have_count(1)
    await b.click(f"#rs-rows button:has-text('{TITLE}')")
    await expect(b.locator("#detail-heading")).to_have_text(f"{TITLE} · New")
    await expect(b.locator("#detail-heading")).to_be_focused()
    assert "Partner\nUniversity UNIA (their request" in await b.inner_text("#detail-fields")
    summaries = await b.locator("#actions summary").all_inner_texts()
    assert {"Will supply", "Supply on conditions", "Reject (unfilled)"} <= set(summaries)
    await check_page(b)

    await _step(b, "Will supply", barcode="B-C1")
    await expect(b.locator("#step-outcome")).to_have_text("Will supply: done. Now will supply.")
    await _step(b, "Ship to the partner", deskCode="NO-SUCH-DESK")
    refused = b.locator("#step-outcome.error")
    await expect(refused).to_be_visible()
    await expect(refused).to_be_focused()
    assert "NO-SUCH-DESK" in await refused.inner_text()
    assert await _status(net, "UNIB", LendingRequest) == [(TITLE, "WILL_SUPPLY")]
    await b.fill("#step-ship-deskCode", "MAIN-DESK")
    await b.click("#actions details[open] button")
    await expect(b.locator("#step-outcome")).to_have_text("Ship to the partner: done. Now shipped.")
    history = await b.locator("#history li").all_inner_texts()
    assert any("Will supply → Shipped" in h for h in history), history
    assert await _status(net, "UNIB", LendingRequest) == [(TITLE, "SHIPPED")]
    await _step(b, "Assign")  # to the operator themself, as offered
    await expect(b.locator("#step-outcome")).to_have_text("Assign: done. Now shipped.")
    assert "Assigned to\nunib-rs-manager" in await b.inner_text("#detail-fields")
    await settle(net)

    # Back at UNIA: shipped; received at the desk with the keyboard alone.
    await a.reload()
    await a.click(f"#rs-rows button:has-text('{TITLE}')")
    await expect(a.locator("#detail-heading")).to_have_text(f"{TITLE} · Shipped")
    receive = a.locator("#actions summary:has-text('Receive it at a desk')")
    await receive.focus()
    await a.keyboard.press("Enter")
    await a.keyboard.press("Tab")
    await expect(a.locator("#step-receive-deskCode")).to_be_focused()
    await a.keyboard.type("LAW-DESK")
    await a.keyboard.press("Enter")
    await expect(a.locator("#step-outcome")).to_have_text(
        "Receive it at a desk: done. Now received."
    )
    assert await _status(net, "UNIA", BorrowingRequest) == [(TITLE, "RECEIVED")]
    history = await a.locator("#history li").all_inner_texts()
    assert [h.split(" · ")[2] for h in history if " · Status · " in h] == [
        "Created, ready to send",
        "Ready to send → Sent to the partner",
        "Sent to the partner → Will supply",
        "Will supply → Shipped",
        "Shipped → Received",
    ]
    assert await axe_violations(a) == []
    await a.screenshot(path=str(SCREENSHOTS / "console-resource-sharing.png"), full_page=True)

    # The status facet narrows the list; its counts are the node's.
    options = await a.locator("#status-filter option").all_inner_texts()
    assert options == ["All statuses", "Received (1)"]
    await a.check("#notes-filter")
    await expect(a.locator("#empty")).to_be_visible()
    await a.uncheck("#notes-filter")
    await expect(a.locator("#rs-rows tbody tr")).to_have_count(1)

    # The patron's loan and return at the desk, shipped back, checked in at UNIB: both closed.
    for summary, now in (
        ("Loan it to the patron at a desk", "loaned to the patron"),
        ("The patron returned it at a desk", "returned by the patron"),
    ):
        await _step(a, summary, deskCode="LAW-DESK")
        await expect(a.locator("#step-outcome")).to_have_text(f"{summary}: done. Now {now}.")
    await _step(a, "Ship it back to the partner")
    await expect(a.locator("#step-outcome")).to_have_text(
        "Ship it back to the partner: done. Now shipped back."
    )
    await settle(net)
    await b.reload()
    await b.click("[data-side=lending]")
    await b.click(f"#rs-rows button:has-text('{TITLE}')")
    await expect(b.locator("#detail-heading")).to_have_text(f"{TITLE} · Returned by the borrower")
    await _step(b, "Check it in (back from the partner)", deskCode="MAIN-DESK")
    await expect(b.locator("#step-outcome")).to_have_text(
        "Check it in (back from the partner): done. Now completed."
    )
    await settle(net)
    await a.reload()
    await a.click(f"#rs-rows button:has-text('{TITLE}')")
    await expect(a.locator("#detail-heading")).to_have_text(f"{TITLE} · Completed")
    assert await _status(net, "UNIA", BorrowingRequest) == [(TITLE, "COMPLETED")]
    assert await _status(net, "UNIB", LendingRequest) == [(TITLE, "COMPLETED")]


async def _partner(net: LiveNetwork, code: str) -> Partner | None:
    async with net.nodes["UNIA"].runtime.sessions() as session:
        found: Partner | None = await session.scalar(select(Partner).where(Partner.code == code))
        return found


async def test_partners_and_rotas(net: LiveNetwork, ctx: OfflineContext, browser: Browser) -> None:
    page = await _page(ctx, net, "UNIA", "rs-manager")
    await page.click("text=Partners and rotas")
    await expect(page.locator("#partners tbody tr[data-code=UNIB]")).to_contain_text(
        "Network member"
    )
    await check_page(page)

    # An outside partner: refused empty, then added; its secret is shown once, kept hashed.
    await page.click("text=Add the partner")
    await expect(page.locator("#said")).to_have_text("Give the code and name first.")
    await page.fill("#partner-code", "OUTSIDE")
    await page.fill("#partner-name", "Outside Library")
    await page.fill("#partner-url", "https://outside.example/iso18626")
    await page.click("text=Add the partner")
    secret = page.locator("#secret")
    await expect(secret).to_be_visible()
    shown = await secret.inner_text()
    partner = await _partner(net, "OUTSIDE")
    assert partner is not None
    assert partner.inbound_secret_hash not in (None, shown)
    row = page.locator("#partners tbody tr[data-code=OUTSIDE]")
    await expect(row).to_contain_text("Added here")
    await row.locator("button[data-rotate]").click()
    await expect(page.locator("#said")).to_contain_text("the old one no longer works")
    assert await page.locator("#secret").inner_text() != shown

    # A rota, the default: the new borrowing request form offers it.
    await page.fill("#rota-code", "FIRST")
    await page.fill("#rota-name", "Outside first")
    await page.fill("#rota-partners", "OUTSIDE, UNIB")
    await page.check("#rota-default")
    await page.click("text=Save the rota")
    await expect(page.locator("#said")).to_have_text(
        "Saved the rota FIRST: OUTSIDE, UNIB (the default)."
    )
    rota = await page.locator("#rotas tbody tr[data-code=FIRST] td").all_inner_texts()
    assert rota[:4] == ["FIRST", "Outside first", "OUTSIDE, UNIB", "Yes"]
    await page.screenshot(path=str(SCREENSHOTS / "console-rs-partners.png"), full_page=True)
    await page.click("text=Resource sharing")
    await page.click("#new-borrowing")
    asks = page.locator("#create-ask option")
    await expect(asks.nth(1)).to_have_text("Rota: Outside first")
    await expect(asks.nth(0)).to_have_text("The default rota")
    await page.go_back()

    # Deactivated: asked nothing; the rota removed.
    await page.locator("#partners tbody tr[data-code=OUTSIDE] button[data-active]").click()
    await expect(row).to_contain_text("No")
    partner = await _partner(net, "OUTSIDE")
    assert partner is not None
    assert not partner.active
    await page.click("text=Remove FIRST")
    await expect(page.locator("#said")).to_have_text("Removed the rota FIRST.")
    await expect(page.locator("#rotas tbody tr")).to_have_count(0)
    assert await axe_violations(page) == []

    # An operator of one library reads the directory; a change is the node's to refuse.
    other = await offline_context(browser)
    try:
        op = await _page(other, net, "UNIA", "rs-main")
        await op.goto(f"{net.hub_url}/staff/resource-sharing/partners")
        await expect(op.locator("#partners tbody tr[data-code=UNIB]")).to_be_visible()
        await op.fill("#partner-code", "SNEAKY")
        await op.fill("#partner-name", "Sneaky")
        await op.click("text=Add the partner")
        await expect(op.locator("#said.error")).to_be_visible()
        assert await _partner(net, "SNEAKY") is None
    finally:
        await other.context.close()
    assert other.outside == []
    assert other.failures == []


async def test_another_librarys_operator_sees_none_of_it(
    net: LiveNetwork, ctx: OfflineContext
) -> None:
    page = await _page(ctx, net, "UNIA", "rs-main")
    await expect(page.locator("#list-caption")).to_contain_text("0 of 0")
    assert await page.locator("#refusal").is_hidden()


async def test_an_operator_without_a_resource_sharing_role_is_told(
    net: LiveNetwork, ctx: OfflineContext
) -> None:
    page = await ctx.page()
    await page.goto(f"{net.hub_url}/staff/resource-sharing")  # no session yet: sign in first
    assert page.url == f"{net.hub_url}/staff/sign-in"
    await sign_in(page, net.hub_url, "UNIA", api_key=api_key("unia-law-op"))
    await page.goto(f"{net.hub_url}/staff/resource-sharing")
    refusal = page.locator("#refusal")
    await expect(refusal).to_be_visible()
    assert "resource sharing" in (await refusal.inner_text()).lower()
    assert await page.locator("#rs-rows tbody tr").count() == 0
