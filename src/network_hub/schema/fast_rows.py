"""The hub's shortcuts through graphql-core (``network_common/fast_rows.py``): which of its
types are flat rows and which are walked as plain trees."""

from __future__ import annotations

from typing import ClassVar

from network_common.fast_rows import FastRowsExecutionContext


class HubRowsExecutionContext(FastRowsExecutionContext):
    flat_row_types: ClassVar[frozenset[str]] = frozenset(
        {
            "NetworkLoan",
            "NetworkRequest",
            "NetworkFee",
            # Get It (issue 5): projected when only their scalar fields are selected (a BRIEF
            # page's sections); a selection with holdings/terms takes the generic path.
            "GetItSection",
            "GetItItem",
            "GetItPickupPoint",
            "GetItFee",
        }
    )
    #: The Network Activity answer: every field under it is a plain attribute (a test keeps
    #: it so).
    plain_trees: ClassVar[frozenset[str]] = frozenset({"NetworkActivity"})
