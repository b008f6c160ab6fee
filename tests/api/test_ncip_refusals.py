"""Bad input at /ncip: each gets an NCIP Problem (or the size refusal), changes nothing in
the database, and the node keeps serving."""

from __future__ import annotations

import pytest

from tests.conftest import NodeFactory
from tests.support import ncip
from tests.support.resource_sharing import rs_institution
from tests.unit.test_ncip_codec import BILLION_LAUGHS, EXTERNAL_ENTITY


def cases(secret: str) -> list[tuple[str, bytes, dict[str, str], str]]:
    """(name, body, headers, the problem type answered)."""
    bearer = {"authorization": f"Bearer {secret}"}
    return [
        ("not xml", b"this is not XML", bearer, "Invalid Message Syntax Error"),
        ("json", b'{"CheckInItem": 1}', bearer, "Invalid Message Syntax Error"),
        ("billion laughs", BILLION_LAUGHS, bearer, "Invalid Message Syntax Error"),
        ("external entity", EXTERNAL_ENTITY, bearer, "Invalid Message Syntax Error"),
        (
            "unknown service",
            ncip.message("FetchEverything", "", auth=secret),
            {},
            "Unknown Service",
        ),
        (
            "unsupported service",
            ncip.message("LookupItem", ncip.item_xml("UNIB-R1"), auth=secret),
            {},
            "Unsupported Service",
        ),
        (
            "accept item without a request id",
            ncip.message("AcceptItem", ncip.user_xml("P1"), auth=secret),
            {},
            "Needed Data Missing",
        ),
        (
            "accept item for nobody",
            ncip.accept_item("BRK-A1", user="nobody", auth=secret),
            {},
            "Unknown User",
        ),
        (
            "missing item",
            ncip.message("CheckOutItem", ncip.user_xml("BRK-77"), auth=secret),
            {},
            "Needed Data Missing",
        ),
        ("unknown item", ncip.check_out_item("NO-SUCH", auth=secret), {}, "Unknown Item"),
        (
            "item lent to nobody",
            ncip.check_in_item("UNIB-R2", auth=secret),
            {},
            "Item Not Checked Out",
        ),
        ("unknown user", ncip.lookup_user("nobody", auth=secret), {}, "Unknown User"),
        ("our patron", ncip.lookup_user("P1", auth=secret), {}, "Unknown User"),
        (
            "unknown agency",
            ncip.check_in_item("UNIB-R1", agency="STRANGER", auth=secret),
            {},
            "Unknown Agency",
        ),
        (
            "wrong secret",
            ncip.check_in_item("UNIB-R1", auth="lfnrs_wrong"),
            {},
            "Agency Authentication Failed",
        ),
        ("no secret", ncip.check_in_item("UNIB-R1"), {}, "Agency Authentication Failed"),
        (
            "no agency, no secret",
            ncip.check_in_item("UNIB-R1", agency=None),
            {},
            "Unknown Agency",
        ),
        (
            "bad date",
            ncip.renew_item("UNIB-R1", desired="next tuesday", auth=secret),
            {},
            "Invalid Date",
        ),
        (
            "renewal to an earlier date",
            ncip.renew_item("UNIB-R1", desired="2001-01-01T00:00:00Z", auth=secret),
            {},
            "Element Rule Violated",
        ),
        (
            "cancel after shipping",
            ncip.cancel_request_item("BRK-1", auth=secret),
            {},
            "Request Already Processed",
        ),
        (
            "unknown request",
            ncip.cancel_request_item("BRK-404", auth=secret),
            {},
            "Unknown Request",
        ),
        (
            "a request for a copy already lent",
            ncip.request_item("BRK-9", "UNIB-R1", auth=secret),
            {},
            "Item Not Available By Need Before Date",
        ),
    ]


async def test_bad_input_is_refused_and_changes_nothing(
    node_factory: NodeFactory, db_url: str
) -> None:
    node = await node_factory(rs_institution("UNIB"), db_url=db_url)
    secret = await ncip.add_broker(node.runtime, "UNIB")
    # Something to protect: a request shipped to the broker.
    await ncip.post(node.client, ncip.request_item("BRK-1", "UNIB-R1", auth=secret))
    await ncip.post(node.client, ncip.check_out_item("UNIB-R1", request_id="BRK-1", auth=secret))
    before = await ncip.snapshot(node.runtime)

    seen = []
    for name, body, headers, _expected in cases(secret):
        response = await node.client.post(
            "/ncip", content=body, headers={"content-type": "application/xml", **headers}
        )
        assert response.status_code == 200, name
        root = ncip.read(response)
        seen.append((name, ncip.problem_type(root)))
        assert b"Traceback" not in response.content
        assert await ncip.snapshot(node.runtime) == before, name
    assert seen == [(name, expected) for name, _, _, expected in cases(secret)]

    huge = b"<NCIPMessage>" + b" " * (10 * 1024 * 1024) + b"</NCIPMessage>"
    response = await node.client.post("/ncip", content=huge)
    assert response.status_code == 413
    assert ncip.problem_type(ncip.read(response)) == "Invalid Message Syntax Error"
    assert await ncip.snapshot(node.runtime) == before

    assert (await node.client.get("/healthz")).status_code == 200
    answer = await ncip.post(node.client, ncip.check_in_item("UNIB-R1", auth=secret))
    assert ncip.problem_type(answer) is None


async def test_another_application_profile_is_refused(
    node_factory: NodeFactory, sqlite_url: str
) -> None:
    node = await node_factory(rs_institution("UNIB"), db_url=sqlite_url)
    secret = await ncip.add_broker(node.runtime, "UNIB", profile="ALMA-BROKER")
    header = "<ApplicationProfileType>OTHER</ApplicationProfileType>"
    body = ncip.check_out_item("UNIB-R2", auth=secret).replace(
        b"</InitiationHeader>", header.encode() + b"</InitiationHeader>"
    )
    before = await ncip.snapshot(node.runtime)
    answer = await ncip.post(node.client, body)
    assert ncip.problem_type(answer) == "Unauthorized Service For Agency"
    assert await ncip.snapshot(node.runtime) == before


@pytest.mark.parametrize("service", ["CheckOutItem", "RequestItem"])
async def test_a_broker_cannot_touch_another_partners_request(
    node_factory: NodeFactory, sqlite_url: str, service: str
) -> None:
    node = await node_factory(rs_institution("UNIB"), db_url=sqlite_url)
    mine = await ncip.add_broker(node.runtime, "UNIB")
    other = await ncip.add_broker(node.runtime, "UNIB", code="OTHER", agency="OTHER")
    await ncip.post(node.client, ncip.request_item("BRK-1", "UNIB-R1", auth=mine))
    before = await ncip.snapshot(node.runtime)
    body = (
        ncip.check_out_item("UNIB-R1", request_id="UNIB-L1", agency="OTHER", auth=other)
        if service == "CheckOutItem"
        else ncip.request_item("BRK-1", "UNIB-R1", agency="OTHER", auth=other)
    )
    answer = await ncip.post(node.client, body)
    assert ncip.problem_type(answer) is not None
    assert await ncip.snapshot(node.runtime) == before
