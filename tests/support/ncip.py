"""NCIP test helpers: broker partners, the broker's messages, answers read and checked."""

from __future__ import annotations

from typing import Any

import httpx
from lxml import etree
from sqlalchemy import func, select

from institution_node.domain.partners import PartnerProtocol
from institution_node.ncip import wire
from institution_node.runtime import NodeRuntime
from institution_node.services.resource_sharing import partners
from institution_node.store.models import (
    History,
    IncomingMessage,
    Item,
    LendingRequest,
    Loan,
    OutboxMessage,
    Request,
)
from tests.support.resource_sharing import staff_principal
from tests.support.shared import interop

NS = wire.NS


def shared_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(interop("ncip", "xsd", "ncip_v2_02.xsd"))))


async def add_broker(
    runtime: NodeRuntime,
    own: str,
    *,
    code: str = "BROKER",
    agency: str = "BROKER",
    url: str = "http://broker.test/ncip",
    outbound_secret: str | None = "node-to-broker",
    profile: str | None = None,
) -> str:
    """A broker partner in the directory; the secret it presents to us."""
    async with runtime.sessions() as session:
        _, secret = await partners.create_partner(
            session,
            actor=staff_principal(own),
            spec=partners.PartnerSpec(
                code=code,
                name=f"Broker {code}",
                protocol=PartnerProtocol.NCIP,
                agency_type="NCIP",
                agency_value=agency,
                endpoint_url=url,
                outbound_secret=outbound_secret,
                ncip_application_profile=profile,
            ),
        )
    return secret


def _header(agency: str | None, to: str, auth: str | None) -> str:
    frm = f"<FromAgencyId><AgencyId>{agency}</AgencyId></FromAgencyId>" if agency else ""
    secret = f"<FromAgencyAuthentication>{auth}</FromAgencyAuthentication>" if auth else ""
    return (
        f"<InitiationHeader>{frm}{secret}<ToAgencyId><AgencyId>{to}</AgencyId></ToAgencyId>"
        "</InitiationHeader>"
    )


def message(
    service: str,
    body: str,
    *,
    agency: str | None = "BROKER",
    to: str = "UNIB",
    auth: str | None = None,
) -> bytes:
    return (
        f'<NCIPMessage xmlns="{NS}" xmlns:n="{NS}" n:version="{wire.VERSION}">'
        f"<{service}>{_header(agency, to, auth)}{body}</{service}></NCIPMessage>"
    ).encode()


def user_xml(user: str) -> str:
    return f"<UserId><UserIdentifierValue>{user}</UserIdentifierValue></UserId>"


def item_xml(barcode: str) -> str:
    return f"<ItemId><ItemIdentifierValue>{barcode}</ItemIdentifierValue></ItemId>"


def request_xml(request_id: str, agency: str = "BROKER") -> str:
    return (
        f"<RequestId><AgencyId>{agency}</AgencyId>"
        f"<RequestIdentifierValue>{request_id}</RequestIdentifierValue></RequestId>"
    )


def request_item(request_id: str, barcode: str, *, user: str = "BRK-77", **kw: Any) -> bytes:
    body = (
        f"{user_xml(user)}{item_xml(barcode)}{request_xml(request_id)}"
        "<RequestType>Loan</RequestType><RequestScopeType>Item</RequestScopeType>"
    )
    return message("RequestItem", body, **kw)


def check_out_item(
    barcode: str, *, request_id: str | None = None, user: str = "BRK-77", **kw: Any
) -> bytes:
    rid = request_xml(request_id) if request_id else ""
    return message("CheckOutItem", f"{user_xml(user)}{item_xml(barcode)}{rid}", **kw)


def check_in_item(barcode: str, **kw: Any) -> bytes:
    return message("CheckInItem", item_xml(barcode), **kw)


def cancel_request_item(request_id: str, *, user: str = "BRK-77", **kw: Any) -> bytes:
    return message(
        "CancelRequestItem",
        f"{user_xml(user)}{request_xml(request_id)}<RequestType>Loan</RequestType>",
        **kw,
    )


def renew_item(barcode: str, *, desired: str | None = None, **kw: Any) -> bytes:
    due = f"<DesiredDateDue>{desired}</DesiredDateDue>" if desired else ""
    return message("RenewItem", f"{user_xml('BRK-77')}{item_xml(barcode)}{due}", **kw)


def accept_item(
    request_id: str,
    *,
    user: str = "P1",
    pickup: str | None = "MAIN",
    due: str = "2031-01-31T23:00:00Z",
    **kw: Any,
) -> bytes:
    body = (
        f"{request_xml(request_id)}<RequestedActionType>Hold For Pickup</RequestedActionType>"
        f"{user_xml(user)}{item_xml('LENDER-9')}<DateForReturn>{due}</DateForReturn>"
        "<ItemOptionalFields><BibliographicDescription><Author>Ann Author</Author>"
        "<Title>Borrowed Title</Title></BibliographicDescription></ItemOptionalFields>"
        + (f"<PickupLocation>{pickup}</PickupLocation>" if pickup else "")
    )
    return message("AcceptItem", body, **kw)


def lookup_user(user: str, **kw: Any) -> bytes:
    return message(
        "LookupUser",
        f"{user_xml(user)}<UserElementType>Name Information</UserElementType>",
        **kw,
    )


def q(name: str) -> str:
    return wire.q(name)


def read(response: httpx.Response) -> Any:
    """The answer's root, after checking it is NCIP XML that validates against the XSD."""
    assert response.headers["content-type"].startswith("application/xml"), response.text
    root = etree.fromstring(response.content)
    schema = shared_schema()
    assert schema.validate(root), (schema.error_log, response.text)
    return root


def problem_type(root: Any) -> str | None:
    found = root.find(f".//{q('ProblemType')}")
    return None if found is None else str(found.text)


def text(root: Any, path: str) -> str | None:
    found = root.find(".//" + "/".join(q(p) for p in path.split("/")))
    return None if found is None else str(found.text)


async def post(client: httpx.AsyncClient, body: bytes, *, bearer: str | None = None) -> Any:
    headers = {"content-type": "application/xml"}
    if bearer:
        headers["authorization"] = f"Bearer {bearer}"
    response = await client.post("/ncip", content=body, headers=headers)
    assert response.status_code == 200, response.text
    return read(response)


async def snapshot(runtime: NodeRuntime) -> dict[str, Any]:
    """What a refused message must not change."""
    async with runtime.sessions() as session:
        counts = {
            model.__name__: await session.scalar(select(func.count()).select_from(model))
            for model in (
                LendingRequest,
                Loan,
                Request,
                History,
                OutboxMessage,
                IncomingMessage,
            )
        }
        counts["lending"] = sorted(
            (r.id, r.status, r.version)
            for r in (await session.execute(select(LendingRequest))).scalars()
        )
        counts["items"] = sorted(
            (r.barcode, r.status) for r in (await session.execute(select(Item))).scalars()
        )
        counts["loans"] = sorted(
            (r.id, r.status, r.due_at.isoformat())
            for r in (await session.execute(select(Loan))).scalars()
        )
    return counts
