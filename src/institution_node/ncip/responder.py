"""The node's ``/ncip`` responder, assembled from its parts (``app.py`` mounts it)."""

from __future__ import annotations

from ..runtime import NodeRuntime
from .directory import BrokerDirectory
from .endpoint import NcipEndpoint
from .handlers import LendingHandlers
from .lookup import UserLookup


def build_responder(runtime: NodeRuntime) -> NcipEndpoint:
    """The broker lending services (docs/NCIP.md). AcceptItem is not offered: it answers
    Unsupported Service."""
    handlers = LendingHandlers(runtime.sessions).table()
    handlers["LookupUser"] = UserLookup(runtime.read_sessions or runtime.sessions)
    return NcipEndpoint(
        directory=BrokerDirectory(runtime.read_sessions or runtime.sessions),
        handlers=handlers,
        metrics=runtime.ncip_metrics,
        max_bytes=runtime.settings.ncip_max_bytes,
    )
