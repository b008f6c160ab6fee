"""Full sync of the linked-account index from every member's ``linkedAccounts`` list."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from ..members.client import MemberClient
from ..members.failures import MemberFailure
from ..store import index

if TYPE_CHECKING:
    from ..runtime import HubRuntime

log = logging.getLogger("network_hub.index")

PAGE_SIZE = 500
LINKED_ACCOUNTS_QUERY = """
query HubLinkedAccounts($after: Int, $first: Int) {
  linkedAccounts(after: $after, first: $first) {
    accounts { localPrimaryId homeInstitution homeUserId networkLinkId }
    nextAfter
  }
}
"""


async def _member_entries(client: MemberClient) -> list[index.IndexEntry]:
    entries: list[index.IndexEntry] = []
    after: int | None = None
    while True:
        data = await client.query(LINKED_ACCOUNTS_QUERY, {"after": after, "first": PAGE_SIZE})
        page: dict[str, Any] = data["linkedAccounts"]
        for item in page["accounts"]:
            entries.append(
                index.IndexEntry(
                    member_code=client.member.code,
                    home_institution=item["homeInstitution"],
                    home_user_id=item["homeUserId"],
                    network_link_id=item["networkLinkId"],
                    local_primary_id=item["localPrimaryId"],
                )
            )
        after = page.get("nextAfter")
        if after is None or not page["accounts"]:
            return entries


async def sync_index(*, runtime: HubRuntime) -> dict[str, int | None]:
    """Replace each answering member's index rows with its current list; members that do
    not answer keep their rows. Returns member code -> rows (None when it did not answer)."""
    clients = list(runtime.registry)
    answers = await asyncio.gather(*(_member_entries(c) for c in clients), return_exceptions=True)
    counts: dict[str, int | None] = {}
    async with runtime.sessions() as session, session.begin():
        for client, answer in zip(clients, answers, strict=True):
            if isinstance(answer, MemberFailure | KeyError | TypeError):
                log.warning("index sync: %s did not answer (%r)", client.member.code, answer)
                counts[client.member.code] = None
                continue
            if isinstance(answer, BaseException):
                raise answer
            await index.replace_member(session, client.member.code, answer)
            counts[client.member.code] = len(answer)
    return counts
