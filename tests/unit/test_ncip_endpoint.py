"""The /ncip responder's order of checks and its answers, with a scripted directory and
handlers (no database): size cap, syntax, service, agency, fields, errors, metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from lxml import etree
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.routing import Route

from institution_node.ncip import responses, wire
from institution_node.ncip.endpoint import Caller, Exchange, NcipEndpoint, NcipMetrics
from institution_node.ncip.messages import CheckInItem, Header
from institution_node.ncip.problems import NcipProblem, ProblemType
from network_common.errors import Conflict, ErrorCode
from tests.unit.test_ncip_codec import BILLION_LAUGHS, shared_schema

SECRET = "broker-secret"


class Directory:
    async def authenticate(self, header: Header, bearer: str | None) -> Caller:
        if header.from_agency != "BROKER":
            raise NcipProblem(ProblemType.UNKNOWN_AGENCY, "unknown", value=header.from_agency)
        if SECRET not in (header.authentication, bearer):
            raise NcipProblem(ProblemType.AGENCY_AUTHENTICATION_FAILED, "no")
        return Caller(partner_id=1, code="BROKER", agency_id="BROKER", ours="NODE")


calls: list[CheckInItem] = []


async def check_in(exchange: Exchange) -> bytes:
    message = exchange.message
    assert isinstance(message, CheckInItem)
    calls.append(message)
    if message.item_id.value == "conflict":
        raise Conflict("internal words", code=ErrorCode.ITEM_NOT_ON_LOAN)
    if message.item_id.value == "crash":
        raise RuntimeError("secret internals /var/lib/x")
    return wire.serialize(
        responses.check_in_item(exchange.parties, item_id=message.item_id, user_id=None)
    )


@pytest.fixture
async def client() -> AsyncIterator[tuple[httpx.AsyncClient, CollectorRegistry]]:
    registry = CollectorRegistry()
    endpoint = NcipEndpoint(
        directory=Directory(),
        handlers={"CheckInItem": check_in},
        metrics=NcipMetrics(registry),
        max_bytes=64 * 1024,
    )
    app = Starlette(routes=[Route("/ncip", endpoint.handle, methods=["POST"])])
    calls.clear()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://node") as http:
        yield http, registry


def check_in_body(item: str, *, agency: str = "BROKER", auth: str | None = SECRET) -> bytes:
    authentication = f"<FromAgencyAuthentication>{auth}</FromAgencyAuthentication>" if auth else ""
    return (
        f"<NCIPMessage version='x'><CheckInItem><InitiationHeader>"
        f"<FromAgencyId><AgencyId>{agency}</AgencyId></FromAgencyId>{authentication}"
        f"<ToAgencyId><AgencyId>NODE</AgencyId></ToAgencyId></InitiationHeader>"
        f"<ItemId><ItemIdentifierValue>{item}</ItemIdentifierValue></ItemId>"
        f"</CheckInItem></NCIPMessage>"
    ).encode()


def answer(response: httpx.Response) -> Any:
    assert response.headers["content-type"].startswith("application/xml")
    root = etree.fromstring(response.content)
    assert shared_schema().validate(root), shared_schema().error_log
    return root


def problem_type(root: Any) -> str | None:
    found = root.find(f".//{wire.q('ProblemType')}")
    return None if found is None else str(found.text)


async def test_a_good_message_is_served(
    client: tuple[httpx.AsyncClient, CollectorRegistry],
) -> None:
    http, registry = client
    root = answer(await http.post("/ncip", content=check_in_body("b1")))
    assert problem_type(root) is None
    assert root[0].tag == wire.q("CheckInItemResponse")
    header = root[0].find(wire.q("ResponseHeader"))
    assert header.findtext(f"{wire.q('FromAgencyId')}/{wire.q('AgencyId')}") == "NODE"
    assert header.findtext(f"{wire.q('ToAgencyId')}/{wire.q('AgencyId')}") == "BROKER"
    assert [c.item_id.value for c in calls] == ["b1"]
    assert (
        registry.get_sample_value(
            "ncip_messages_total", {"direction": "in", "service": "CheckInItem", "outcome": "ok"}
        )
        == 1
    )


async def test_the_secret_may_come_as_a_bearer_header(
    client: tuple[httpx.AsyncClient, CollectorRegistry],
) -> None:
    http, _ = client
    response = await http.post(
        "/ncip",
        content=check_in_body("b1", auth=None),
        headers={"authorization": f"Bearer {SECRET}"},
    )
    assert problem_type(answer(response)) is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"hello", "Invalid Message Syntax Error"),
        (BILLION_LAUGHS, "Invalid Message Syntax Error"),
        (
            b"<NCIPMessage xmlns='http://www.niso.org/2008/ncip'><Frob/></NCIPMessage>",
            "Unknown Service",
        ),
        (check_in_body("b1", agency="STRANGER"), "Unknown Agency"),
        (check_in_body("b1", auth="wrong"), "Agency Authentication Failed"),
        (check_in_body("b1", auth=None), "Agency Authentication Failed"),
        (check_in_body("conflict"), "Item Not Checked Out"),
        (check_in_body("crash"), "Temporary Processing Failure"),
    ],
)
async def test_refusals_are_problems(
    client: tuple[httpx.AsyncClient, CollectorRegistry], body: bytes, expected: str
) -> None:
    http, _ = client
    response = await http.post("/ncip", content=body)
    assert response.status_code == 200
    root = answer(response)
    assert problem_type(root) == expected
    assert b"internal" not in response.content
    assert b"Traceback" not in response.content
    assert b"/var/lib" not in response.content


async def test_unauthenticated_callers_change_nothing_and_learn_no_field_problems(
    client: tuple[httpx.AsyncClient, CollectorRegistry],
) -> None:
    http, _ = client
    body = (
        b"<NCIPMessage><CheckInItem><InitiationHeader><FromAgencyId><AgencyId>STRANGER"
        b"</AgencyId></FromAgencyId><ToAgencyId><AgencyId>NODE</AgencyId></ToAgencyId>"
        b"</InitiationHeader></CheckInItem></NCIPMessage>"
    )
    assert problem_type(answer(await http.post("/ncip", content=body))) == "Unknown Agency"
    assert calls == []


async def test_a_known_service_without_handler_is_unsupported(
    client: tuple[httpx.AsyncClient, CollectorRegistry],
) -> None:
    http, _ = client
    body = check_in_body("b1").replace(b"CheckInItem", b"RenewItem")
    assert problem_type(answer(await http.post("/ncip", content=body))) == "Unsupported Service"


async def test_missing_fields_after_authentication(
    client: tuple[httpx.AsyncClient, CollectorRegistry],
) -> None:
    http, _ = client
    body = check_in_body("b1").replace(
        b"<ItemId><ItemIdentifierValue>b1</ItemIdentifierValue></ItemId>", b""
    )
    root = answer(await http.post("/ncip", content=body))
    assert problem_type(root) == "Needed Data Missing"
    assert root.findtext(f".//{wire.q('ProblemElement')}") == "ItemId"


async def test_a_body_over_the_cap_is_refused_unread(
    client: tuple[httpx.AsyncClient, CollectorRegistry],
) -> None:
    http, registry = client
    body = check_in_body("b" * 10) + b" " * (10 * 1024 * 1024)
    response = await http.post("/ncip", content=body)
    assert response.status_code == 413
    assert problem_type(answer(response)) == "Invalid Message Syntax Error"

    async def chunks() -> AsyncIterator[bytes]:  # no content-length: counted while read
        for _ in range(100):
            yield b" " * 4096

    response = await http.post("/ncip", content=chunks())
    assert response.status_code == 413
    assert calls == []
    assert (
        registry.get_sample_value(
            "ncip_messages_total",
            {
                "direction": "in",
                "service": "unreadable",
                "outcome": "invalid_message_syntax",
            },
        )
        == 2
    )
