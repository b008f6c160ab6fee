"""The node's ``/ncip`` responder, assembled from its parts (``app.py`` mounts it)."""

from __future__ import annotations

from ..runtime import NodeRuntime
from .accept import ItemAcceptance
from .borrowed import BorrowedItems
from .directory import BrokerDirectory
from .endpoint import NcipEndpoint
from .handlers import LendingHandlers
from .lookup import UserLookup


def build_responder(runtime: NodeRuntime) -> NcipEndpoint:
    """The broker services (docs/NCIP.md): lending, the user lookup, AcceptItem and the
    broker's later word on what it had us borrow (CheckInItem, DeleteItem)."""
    handlers = LendingHandlers(runtime.sessions).table()
    borrowed = BorrowedItems(runtime.sessions, lending_check_in=handlers["CheckInItem"])
    handlers["CheckInItem"] = borrowed.check_in_item
    handlers["DeleteItem"] = borrowed.delete_item
    handlers["LookupUser"] = UserLookup(runtime.read_sessions or runtime.sessions)
    handlers["AcceptItem"] = ItemAcceptance(runtime.sessions)
    return NcipEndpoint(
        directory=BrokerDirectory(runtime.read_sessions or runtime.sessions),
        handlers=handlers,
        metrics=runtime.ncip_metrics,
        max_bytes=runtime.settings.ncip_max_bytes,
    )
