"""Keeping the linked-account index fresh: full syncs and the members' change feeds.

- **Full sync** (``sync_index``, ``sync_member``): a member's whole ``linkedAccounts`` list
  replaces its index rows; the list's first page says the member's change-feed cursor at
  that moment (``changeCursor``), from which the feed continues.
- **Change feed** (``poll_member``, ``poll_feeds``): ``linkChanges`` after the cursor, applied
  in order (LINKED: record, UNLINKED: forget). A member never synced, or whose feed says
  ``resync``, gets a full sync instead. The hub polls every HUB_LINK_FEED_SECONDS
  (``FeedPoller``, one loop per member); the periodic full sync (HUB_INDEX_SYNC_SECONDS,
  ``jobs.py``) stays as the safety net.

Every attempt updates the member's freshness (``index_state.py``); the member's lock keeps
its full sync and feed polls apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from network_common.vocabulary import LinkChangeKind

from ..members.client import MemberClient
from ..members.failures import MemberFailure
from ..store import index

if TYPE_CHECKING:
    from ..runtime import HubRuntime

log = logging.getLogger("network_hub.index")

PAGE_SIZE = 500
FEED_PAGE_SIZE = 500
#: Feed pages read in one poll of one member before the next poll continues.
MAX_FEED_PAGES = 20
LINKED_ACCOUNTS_QUERY = """
query HubLinkedAccounts($after: Int, $first: Int) {
  linkedAccounts(after: $after, first: $first) {
    accounts { localPrimaryId homeInstitution homeUserId networkLinkId }
    nextAfter
    changeCursor
  }
}
"""
LINK_CHANGES_QUERY = """
query HubLinkChanges($after: Int!, $first: Int) {
  linkChanges(after: $after, first: $first) {
    changes { seq kind localPrimaryId homeInstitution homeUserId networkLinkId }
    cursor
    more
    resync
  }
}
"""
#: With the feeds off, how soon a replica's first sync of a member that did not answer is
#: tried again (the scheduled sync's own retry, jobs.RETRY_SECONDS).
FIRST_SYNC_RETRY_SECONDS = 30.0
#: What a member answering off the contract raises while its answer is read.
_OFF_CONTRACT = (KeyError, TypeError, ValueError)


def _entry(code: str, item: dict[str, Any]) -> index.IndexEntry:
    return index.IndexEntry(
        member_code=code,
        home_institution=str(item["homeInstitution"]),
        home_user_id=str(item["homeUserId"]),
        network_link_id=str(item["networkLinkId"]),
        local_primary_id=str(item["localPrimaryId"]),
    )


async def _member_entries(client: MemberClient) -> tuple[list[index.IndexEntry], int]:
    """The member's whole list, and its change-feed cursor read before the first page."""
    entries: list[index.IndexEntry] = []
    after: int | None = None
    cursor: int | None = None
    while True:
        data = await client.query(LINKED_ACCOUNTS_QUERY, {"after": after, "first": PAGE_SIZE})
        page: dict[str, Any] = data["linkedAccounts"]
        if cursor is None:
            cursor = int(page["changeCursor"])
        entries += [_entry(client.member.code, item) for item in page["accounts"]]
        after = page.get("nextAfter")
        if after is None or not page["accounts"]:
            return entries, cursor


async def sync_member(*, runtime: HubRuntime, client: MemberClient) -> int | None:
    """Full sync of one member: its rows replaced by its list. The rows it holds, or None
    when it did not answer (its rows are kept; it becomes STALE or stays NOT_READY)."""
    state = runtime.index_state
    code = client.member.code
    async with state.member(code).lock:
        try:
            entries, cursor = await _member_entries(client)
        except (MemberFailure, *_OFF_CONTRACT) as failure:
            log.warning("index sync: %s did not answer (%r)", code, failure)
            state.failed(code)
            return None
        await runtime.links.replace_member(code, entries)
        state.synced(code, cursor=cursor)
    runtime.getit_cache.invalidate(code)
    return len(entries)


async def sync_index(*, runtime: HubRuntime) -> dict[str, int | None]:
    """Full sync of every member at once. Returns member code -> rows (None when it did not
    answer: it keeps its rows)."""
    clients = list(runtime.registry)
    counts = await asyncio.gather(*(sync_member(runtime=runtime, client=c) for c in clients))
    return {c.member.code: n for c, n in zip(clients, counts, strict=True)}


async def poll_member(*, runtime: HubRuntime, client: MemberClient) -> bool:
    """Bring one member's rows up to date from its change feed (a full sync when it was
    never synced or its feed asks for one). Whether the member answered."""
    state = runtime.index_state
    code = client.member.code
    if state.member(code).cursor is None:
        if state.member(code).lock.locked():
            return False  # a full sync of it is under way: the feed continues from it
        return await sync_member(runtime=runtime, client=client) is not None
    changed = False
    async with state.member(code).lock:
        cursor = state.member(code).cursor
        if cursor is None:  # a full sync failed meanwhile
            return False
        try:
            for _ in range(MAX_FEED_PAGES):
                data = await client.query(
                    LINK_CHANGES_QUERY, {"after": cursor, "first": FEED_PAGE_SIZE}
                )
                page: dict[str, Any] = data["linkChanges"]
                if page["resync"]:
                    state.member(code).cursor = None
                    break
                changes = page["changes"]
                if changes:
                    await _apply(runtime=runtime, code=code, changes=changes)
                    changed = True
                cursor = int(page["cursor"])
                if not page["more"]:
                    break
        except (MemberFailure, *_OFF_CONTRACT) as failure:
            log.info("index feed: %s did not answer (%r)", code, failure)
            state.failed(code)
            return False
        resync = state.member(code).cursor is None
        if not resync:
            state.synced(code, cursor=cursor)
    if changed:
        runtime.getit_cache.invalidate(code)
    if resync:
        log.info("index feed: %s asks for a full sync", code)
        return await sync_member(runtime=runtime, client=client) is not None
    return True


async def _apply(*, runtime: HubRuntime, code: str, changes: list[dict[str, Any]]) -> None:
    """The changes of one feed page, in ``seq`` order, in one transaction."""
    await runtime.links.apply_changes(
        [
            (LinkChangeKind(change["kind"]) is LinkChangeKind.LINKED, _entry(code, change))
            for change in changes
        ]
    )


async def poll_feeds(*, runtime: HubRuntime) -> dict[str, bool]:
    """One poll of every member's feed at once: member code -> whether it answered."""
    clients = list(runtime.registry)
    answered = await asyncio.gather(*(poll_member(runtime=runtime, client=c) for c in clients))
    return {c.member.code: ok for c, ok in zip(clients, answered, strict=True)}


class FeedPoller:
    """Polls every member's change feed every ``seconds`` in this hub process, one loop per
    member (a slow or silent member delays no one else's freshness). Each replica polls for
    itself: applying a change twice leaves the index as it is.

    With the feeds off (``seconds`` 0) and ``first_sync_seconds`` set, each loop only makes
    its member's first full sync, tried again every ``first_sync_seconds`` until it works:
    a replica that did not run the scheduled start-up sync gets ready too."""

    def __init__(
        self, runtime: HubRuntime, *, seconds: float, first_sync_seconds: float = 0.0
    ) -> None:
        self._runtime = runtime
        self._seconds = seconds
        self._first_sync_seconds = first_sync_seconds
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        if self._tasks or (self._seconds <= 0 and self._first_sync_seconds <= 0):
            return
        for client in self._runtime.registry:
            name = f"index-feed:{client.member.code}"
            self._tasks.append(asyncio.create_task(self._loop(client), name=name))

    async def _loop(self, client: MemberClient) -> None:
        state = self._runtime.index_state.member(client.member.code)

        def done() -> bool:  # feeds off: only the first sync is this loop's
            return self._seconds <= 0 and state.cursor is not None

        while not done():
            try:
                await poll_member(runtime=self._runtime, client=client)
            except Exception:  # the hub's own database failed: try again next round
                log.exception("index feed poll of %s failed", client.member.code)
            if done():
                return
            await asyncio.sleep(self._seconds if self._seconds > 0 else self._first_sync_seconds)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
