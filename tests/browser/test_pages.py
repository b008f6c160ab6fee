"""The pages people use, in a real browser (issue 14): the staff console (Network Activity,
the pickup desk, walk-in registration, refusals), the Get It widget and the patron's network
account embedded in a discovery page on another origin, GraphiQL offline.

One network (and one browser) serves the module; tests use their own patrons and items, and
the member is stopped only in the last test.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from openpyxl import load_workbook
from playwright.async_api import Browser, Frame, Page, expect

from institution_node.services.staff_access.users import set_password
from network_demo.discovery import SamplePatron
from tests.browser.conftest import SCREENSHOTS
from tests.browser.data import PASSWORD, members
from tests.browser.support import (
    OfflineContext,
    axe_violations,
    check_page,
    offline_context,
    serve_discovery,
    sign_in,
    widget_frame,
)
from tests.network.test_getit import patron_token
from tests.support.builders import api_key
from tests.support.network import LiveNetwork, start_network
from tests.support.pickup_network import request_for_c

pytestmark = [pytest.mark.network, pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def net(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LiveNetwork]:
    network = await start_network(
        tmp_path_factory.mktemp("browser"), members(), hub_settings={"member_timeout_seconds": 5.0}
    )
    async with network.nodes["UNIA"].runtime.sessions() as session:
        await set_password(session, primary_id="unia-admin", password=PASSWORD)
    await serve_discovery(
        network,
        patrons=[SamplePatron("UNIA", "P2", "P2 Reader"), SamplePatron("UNIA", "L1", "L1 Linked")],
        records=[("rec-1", "Title rec-1")],
    )
    yield network
    await network.close()


def discovery_url(net: LiveNetwork) -> str:
    return net.extra_servers[0].url


async def counter(page: Page, which: str) -> int:
    return int(await page.inner_text(f"#{which}-count"))


async def rows(page: Page) -> list[list[str]]:
    return [
        [c.strip() for c in await r.locator("td").all_inner_texts()]
        for r in await page.locator("#rows tbody tr").all()
    ]


async def test_network_activity_filter_export_and_sign_out(
    net: LiveNetwork, ctx: OfflineContext
) -> None:
    page = await ctx.page()
    await page.goto(f"{net.hub_url}/")
    await check_page(page)
    await page.goto(f"{net.hub_url}/staff/")
    await expect(page).to_have_url(re.compile(r"/staff/sign-in$"))
    await check_page(page)
    await sign_in(page, net.hub_url, "UNIA", username="unia-admin", password=PASSWORD)
    await expect(page).to_have_url(re.compile(r"/staff/activity$"))

    await page.fill("#patron-id", "L1")
    await page.press("#patron-id", "Enter")
    await expect(page.locator("#loan-count")).to_have_text("5")
    assert await page.inner_text("#indicator") == "Has activity at other institutions"
    assert [r[0] for r in await rows(page)] == ["University UNIB"] * 2 + ["University UNIC"] * 3
    assert "5.00 USD" in await page.inner_text("#balances")  # 2.50 at each member
    await check_page(page)
    await page.screenshot(path=str(SCREENSHOTS / "console-network-activity.png"))
    # The privacy ledger: this very view is in it, one entry per member that answered.
    await page.click("#show-ledger")
    await expect(page.locator("#ledger-rows")).to_be_visible()
    ledger = await page.locator("#ledger-rows tbody tr").all_inner_texts()
    viewed = [r for r in ledger if "Network Activity viewed" in r and "unia-admin" in r]
    assert {("University UNIB" in r, "University UNIC" in r) for r in viewed} >= {
        (True, False),
        (False, True),
    }, ledger
    await check_page(page)
    await page.locator("#ledger").screenshot(path=str(SCREENSHOTS / "console-privacy-ledger.png"))

    # Sortable: "Due" descending puts the latest due date first.
    await page.click("th button[data-key=dueDate]")
    await page.click("th button[data-key=dueDate]")
    assert await page.get_attribute("th:has(button[data-key=dueDate])", "aria-sort") == "descending"
    assert (await rows(page))[0][5][:10] == "2026-02-03"

    # Filter to one institution: rows and counters follow it.
    await page.select_option("#institution-filter", "UNIB")
    await expect(page.locator("#loan-count")).to_have_text("2")
    assert {r[0] for r in await rows(page)} == {"University UNIB"}
    assert await page.inner_text("#indicator") == "Has activity at other institutions"

    # Export the current view: the downloaded file's rows equal the counter.
    async with page.expect_download() as info:
        await page.click("#export-csv")
    data = (await (await info.value).path()).read_text(encoding="utf-8-sig")
    exported = list(csv.reader(io.StringIO(data)))[1:]
    assert len(exported) == await counter(page, "loan") == 2
    assert {r[0] for r in exported} == {"University UNIB"}
    async with page.expect_download() as info:
        await page.click("#export-xlsx")
    download = await info.value
    assert download.suggested_filename == "network-activity-loans.xlsx"
    sheet = load_workbook(io.BytesIO((await download.path()).read_bytes())).active
    assert sheet.max_row - 1 == 2

    await page.click("button[data-view=fees]")
    assert [r[0] for r in await rows(page)] == ["University UNIB"]
    assert await page.is_hidden("#exports")

    await page.click("text=Sign out")
    await expect(page.locator(".notice")).to_have_text("You are signed out.")
    await page.goto(f"{net.hub_url}/staff/activity")
    await expect(page).to_have_url(re.compile(r"/staff/sign-in"))
    answer = await page.request.post(
        f"{net.hub_url}/staff/api/graphql", data={"query": "{ members { code } }"}
    )
    assert answer.status == 401


async def test_a_refused_operator_sees_the_sentence_and_no_patron_data(
    net: LiveNetwork, ctx: OfflineContext
) -> None:
    page = await ctx.page()
    await sign_in(page, net.hub_url, "UNIA", api_key=api_key("unia-main-op"))
    await page.fill("#patron-id", "L1")
    await page.press("#patron-id", "Enter")
    refusal = page.locator("#refusal")
    await expect(refusal).to_be_visible()
    text = await refusal.inner_text()
    assert "consortial services privilege" in text
    assert text.endswith(".")
    assert await page.is_hidden("#activity")
    assert await page.locator("#rows tbody tr").count() == 0
    assert "Borrowed at" not in await page.inner_text("body")
    assert await axe_violations(page) == []


async def _desk(page: Page, net: LiveNetwork, code: str, who: str) -> None:
    await page.bring_to_front()
    await sign_in(page, net.hub_url, code, api_key=api_key(f"{code.lower()}-{who}"))
    await page.goto(f"{net.hub_url}/staff/desk")


async def _scan(page: Page, barcode: str) -> str:
    """Type like a scanner into the focused barcode field and press Enter."""
    await page.bring_to_front()  # two desks (pages) take turns at the keyboard
    answered = await page.locator("#log li").count()
    await page.keyboard.type(barcode)
    await page.keyboard.press("Enter")
    await expect(page.locator("#log li")).to_have_count(answered + 1)
    # Ready for the next scan: the barcode field has the focus again.
    assert await page.evaluate("document.activeElement.id") == "barcode"
    return await page.inner_text("#result")


async def test_the_pickup_anywhere_desk_story_with_the_keyboard_only(
    net: LiveNetwork, browser: Browser
) -> None:
    # P1 of UNIA registers at UNIB (MANUAL), then asks for its S-1, pickup at UNIC.
    await net.hub_gql(
        'mutation { registerAtMember(member: "UNIB") { networkLinkId } }',
        token=await patron_token(net, "P1"),
    )
    await request_for_c(net, "S-1")
    owner = await offline_context(browser)
    pickup = await offline_context(browser)
    b, c = await owner.page(), await pickup.page()
    try:
        # B (owner) scans it in at its own desk, owner = itself: in transit to C.
        await _desk(b, net, "UNIB", "main-op")
        assert await b.evaluate("document.activeElement.id") == "desk-code"
        await b.keyboard.type("MAIN-DESK")
        await b.keyboard.press("Tab")  # owner: UNIB (own institution) is selected
        await b.keyboard.press("Tab")  # step: Scan in
        await b.keyboard.press("Tab")  # barcode
        said = await _scan(b, "S-1")
        assert "in transit to Main Library, University UNIC" in said

        # C (pickup member): owner UNIB selected; scan in, loan to P1 of UNIA, return.
        await _desk(c, net, "UNIC", "main-op")
        await c.keyboard.type("MAIN-DESK")
        await c.keyboard.press("Tab")
        await c.keyboard.press("ArrowDown")  # UNIA
        await c.keyboard.press("ArrowDown")  # UNIB
        assert await c.input_value("#owner") == "UNIB"
        await c.keyboard.press("Tab")
        await c.keyboard.press("Tab")
        said = await _scan(c, "S-1")
        assert "on the hold shelf at Main Library for P1 Reader" in said
        assert "The patron is told." in said

        await c.keyboard.press("Shift+Tab")  # back to the step
        await c.keyboard.press("ArrowRight")  # Loan
        await c.keyboard.press("Tab")  # patron's institution (UNIC preselected)
        await c.keyboard.press("ArrowUp")
        await c.keyboard.press("ArrowUp")
        assert await c.input_value("#patron-home") == "UNIA"
        await c.keyboard.press("Tab")
        await c.keyboard.type("P1")
        await c.keyboard.press("Tab")
        said = await _scan(c, "S-1")
        assert "Loaned “Travelling S-1” to P1 Reader, due " in said
        assert "The loan is University UNIB\u2019s" in said
        await check_page(c)
        await c.screenshot(path=str(SCREENSHOTS / "console-pickup-desk.png"))

        await c.focus("#barcode")
        for _ in range(3):  # barcode ← patron ← patron's institution ← step
            await c.keyboard.press("Shift+Tab")
        await c.keyboard.press("ArrowRight")  # Return
        await c.keyboard.press("Tab")
        said = await _scan(c, "S-1")
        assert said.startswith("Returned for University UNIB.")
        assert "in transit to Main Library, University UNIB" in said

        # Back home at B: reshelved.
        said = await _scan(b, "S-1")
        assert "back on the shelf" in said
    finally:
        await owner.context.close()
        await pickup.context.close()
    for context in (owner, pickup):
        assert context.outside == []
        assert context.failures == []


async def test_walk_in_registration_then_loan(net: LiveNetwork, ctx: OfflineContext) -> None:
    page = await ctx.page()
    await sign_in(page, net.hub_url, "UNIB", api_key=api_key("unib-admin"))
    await page.goto(f"{net.hub_url}/staff/walk-in")
    await check_page(page)
    assert await page.input_value("#home") == "UNIA"
    await page.fill("#walk-in-desk", "MAIN-DESK")
    await page.fill("#home-id", "P3")
    await page.fill("#home-last-name", "reader")  # matched at home, case aside
    await page.press("#home-id", "Enter")
    await expect(page.locator("#register-result")).to_contain_text(
        "Registered P3 Reader of University UNIA here as UNIA:P3"
    )
    await page.fill("#walk-in-barcode", "W-1")
    await page.press("#walk-in-barcode", "Enter")
    await expect(page.locator("#loan-result")).to_contain_text("Loaned “Walk-in W-1” to P3 Reader")
    await page.fill("#home-id", "NOBODY")
    await page.press("#home-id", "Enter")
    await expect(page.locator("#register-result .error")).to_be_visible()


async def _widget(page: Page, *, signed_in: bool) -> Frame:
    frame = await widget_frame(page, "/widget/getit", signed_in=signed_in)
    await expect(frame.locator("#others-section")).to_be_visible()
    return frame


async def _sections(frame: Frame) -> dict[str, dict[str, Any]]:
    out = {}
    for box in await frame.locator("#others-section .member").all():
        out[await box.get_attribute("data-member") or ""] = {
            "access": await box.get_attribute("data-access"),
            "register": await box.locator("button.register").count(),
            "request": await box.locator("form.request").count(),
        }
    return out


async def test_get_it_widget_anonymous_manual_register_and_auto(
    net: LiveNetwork, ctx: OfflineContext
) -> None:
    page = await ctx.page()
    await page.goto(discovery_url(net))
    await page.select_option("#viewer", "anon:UNIA")
    frame = await _widget(page, signed_in=False)
    assert await _sections(frame) == {
        "UNIB": {"access": "ANONYMOUS", "register": 0, "request": 0},
        "UNIC": {"access": "ANONYMOUS", "register": 0, "request": 0},
    }
    assert await axe_violations(page, frame=frame) == []

    await page.select_option("#viewer", "UNIA:P2")
    await expect(page.locator("#who")).to_contain_text("Signed in")
    frame = await _widget(page, signed_in=True)
    await expect(frame.locator("[data-member=UNIC] form.request")).to_be_visible()
    # MANUAL (UNIB): the anonymous view plus Register; AUTO (UNIC): personal at once.
    assert await _sections(frame) == {
        "UNIB": {"access": "ANONYMOUS", "register": 1, "request": 0},
        "UNIC": {"access": "PERSONAL", "register": 0, "request": 1},
    }
    assert "-day loan" in await frame.inner_text("[data-member=UNIC]")
    await frame.click("[data-member=UNIB] button.register")
    await expect(frame.locator("[data-member=UNIB] form.request")).to_be_visible()
    assert (await _sections(frame))["UNIB"] == {"access": "PERSONAL", "register": 0, "request": 1}
    await expect(frame.locator("[data-member=UNIB] .outcome")).to_have_text(
        "You are registered at University UNIB."
    )
    # Request for pickup anywhere: at a library of UNIA (UNIB's pickup-anywhere list).
    await frame.select_option("#pickup-UNIB", label="Main Library, University UNIA")
    await frame.click("[data-member=UNIB] form.request button")
    await expect(frame.locator("[data-member=UNIB] .outcome")).to_contain_text(
        "pick it up at Main Library, University UNIA"
    )
    assert await axe_violations(page, frame=frame) == []
    assert await axe_violations(page) == []
    await frame.locator("#getit").screenshot(path=str(SCREENSHOTS / "widget-get-it.png"))

    # The patron's own network account shows the request, naming the institution.
    await page.goto(discovery_url(net))
    await page.select_option("#viewer", "UNIA:P2")
    account = await widget_frame(page, "/widget/account", signed_in=True)
    await expect(account.locator("#requests-section table")).to_be_visible()
    text = await account.inner_text("#requests-section")
    assert "University UNIB" in text
    assert "Title rec-1" in text
    # ... and who saw their information: the registration and the request at UNIB.
    await expect(account.locator("#ledger-section table")).to_be_visible()
    ledger = await account.locator("#ledger-section tbody tr").all_inner_texts()
    assert any("You registered" in r and "University UNIB" in r for r in ledger), ledger
    assert any("network request" in r for r in ledger), ledger
    assert await axe_violations(page, frame=account) == []


async def test_a_patrons_own_network_account(net: LiveNetwork, ctx: OfflineContext) -> None:
    page = await ctx.page()
    await page.goto(discovery_url(net))
    await page.select_option("#viewer", "UNIA:L1")
    account = await widget_frame(page, "/widget/account", signed_in=True)
    await expect(account.locator("#loans-section table")).to_be_visible()
    loans = await account.locator("#loans-section tbody tr").all_inner_texts()
    assert len(loans) == 5
    assert sum("University UNIB" in r for r in loans) == 2
    assert sum("University UNIC" in r for r in loans) == 3
    assert "5.00 USD" in await account.inner_text("#fees-section")
    assert "P2" not in await account.inner_text("body")
    assert await axe_violations(page, frame=account) == []
    await account.locator("#account").screenshot(path=str(SCREENSHOTS / "widget-account.png"))


async def test_the_widget_page_explains_embedding(net: LiveNetwork, ctx: OfflineContext) -> None:
    page = await ctx.page()
    await page.goto(f"{net.hub_url}/widget/")
    await expect(page.locator("h1")).to_have_text("Get It widget")
    text = await page.inner_text("main")
    assert 'data-lfn-getit="nr-00011"' in text
    assert "ask their own library to borrow the record for them" in text
    await check_page(page)


async def test_graphiql_loads_offline_on_the_hub_and_a_node(
    net: LiveNetwork, ctx: OfflineContext
) -> None:
    page = await ctx.page()
    for url in (net.hub_url, net.nodes["UNIA"].url):
        await page.goto(f"{url}/graphql")
        await expect(page.locator(".graphiql-editors").first).to_be_visible()


async def test_a_member_stopped_mid_session_is_named_and_the_rest_shown(
    net: LiveNetwork, ctx: OfflineContext
) -> None:
    page = await ctx.page()
    await sign_in(page, net.hub_url, "UNIA", username="unia-admin", password=PASSWORD)
    await page.fill("#patron-id", "L1")
    await page.press("#patron-id", "Enter")
    await expect(page.locator("#loan-count")).to_have_text("5")
    assert await page.is_hidden("#notice")

    await net.nodes["UNIC"].stop()  # last test of the module: the member stays down
    await page.press("#patron-id", "Enter")
    await expect(page.locator("#notice")).to_be_visible()
    assert "University UNIC" in await page.inner_text("#notice")
    await expect(page.locator("#loan-count")).to_have_text("2")
    assert {r[0] for r in await rows(page)} == {"University UNIB"}
    assert await axe_violations(page) == []
