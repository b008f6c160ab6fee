"""Helpers for ISO 18626 tests: outside partners with secrets, posting, reading answers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from lxml import etree
from sqlalchemy import func, select

from institution_node.iso18626 import wire
from institution_node.runtime import NodeRuntime
from institution_node.services.resource_sharing import partners
from institution_node.store.models import History, LendingRequest
from tests.support.resource_sharing import staff_principal
from tests.support.shared import interop


def samples() -> list[Path]:
    """The public sample messages in shared/interop/iso18626/messages."""
    return sorted(interop("iso18626", "messages").iterdir())


async def outside_partner(
    runtime: NodeRuntime,
    own: str,
    *,
    code: str,
    agency: tuple[str, str],
    endpoint_url: str = "http://partner.invalid/iso18626",
) -> str:
    """Add an outside ISO 18626 partner; answers the secret it presents to us."""
    async with runtime.sessions() as session:
        _, secret = await partners.create_partner(
            session,
            actor=staff_principal(own),
            spec=partners.PartnerSpec(
                code=code,
                name=f"Library {code}",
                agency_type=agency[0],
                agency_value=agency[1],
                endpoint_url=endpoint_url,
            ),
        )
    return secret


@dataclass
class Answer:
    status: int
    kind: str
    message_status: str
    error_type: str | None
    error_value: str | None
    root: Any


def read_answer(response: httpx.Response) -> Answer:
    assert response.headers["content-type"].startswith("application/xml"), response.text
    root = etree.fromstring(response.content)
    assert wire.schema_errors(root) == [], response.text
    confirmation = next(iter(root))
    return Answer(
        status=response.status_code,
        kind=wire.local(confirmation),
        message_status=wire.find_text(confirmation, "confirmationHeader", "messageStatus") or "",
        error_type=wire.find_text(confirmation, "errorData", "errorType"),
        error_value=wire.find_text(confirmation, "errorData", "errorValue"),
        root=root,
    )


async def post(
    client: httpx.AsyncClient, body: bytes, *, secret: str | None = None, url: str = "/iso18626"
) -> Answer:
    headers = {"content-type": "application/xml"}
    if secret:
        headers["authorization"] = f"Bearer {secret}"
    return read_answer(await client.post(url, content=body, headers=headers))


async def counts(runtime: NodeRuntime) -> tuple[int, int]:
    """(lending requests, history lines) at the node."""
    async with runtime.sessions() as session:
        lending = await session.scalar(select(func.count()).select_from(LendingRequest))
        history = await session.scalar(select(func.count()).select_from(History))
    return int(lending or 0), int(history or 0)
