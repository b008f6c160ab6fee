"""The visibility policy (domain/visibility.py) for requests, as one SQL ``WHERE`` clause.

Lists (requests monitor, pick-from-shelf, a patron's requests) are filtered in the
database: the grounds of ``POLICY`` become column tests, so paging and counts only ever
see visible rows.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.orm import aliased

from network_common.scope import Scope
from network_common.vocabulary import IndependenceModel

from ...domain.requests import ACTIVE, CLOSED, RequestKind
from ...domain.visibility import Ground, Kind, grounds
from ...store.models import Item, Request


def _ground_clause(ground: Ground, libraries: frozenset[int]) -> ColumnElement[bool]:
    libs = sorted(libraries)
    if ground is Ground.ANY:
        return true()
    if ground is Ground.CANDIDATE_OWNER:
        # Itemized: only the chosen item's owner. Title level, not itemized yet: any library
        # owning a requestable copy of the record.
        # An alias, correlated to the request only: list queries also join ``item``.
        copy = aliased(Item)
        candidate = exists(
            select(copy.id)
            .where(
                copy.bib_id == Request.bib_id,
                copy.library_id.in_(libs),
                copy.requestable.is_(True),
            )
            .correlate(Request)
        )
        return or_(
            Request.item_library_id.in_(libs),
            and_(Request.item_library_id.is_(None), candidate),
        )
    if ground is Ground.PICKUP_LIBRARY:
        return Request.pickup_library_id.in_(libs)
    if ground is Ground.MANAGING_LIBRARY:
        return Request.managing_library_id.in_(libs)
    # Other grounds (loan desk, own session...) say nothing about requests.
    return false()


def _kind_clause(model: IndependenceModel, kind: Kind, scope: Scope) -> ColumnElement[bool]:
    return or_(*(_ground_clause(g, scope.libraries) for g in grounds(model, kind, scope)))


def visible_requests(model: IndependenceModel, scope: Scope) -> ColumnElement[bool]:
    """Rows of ``request`` that ``scope`` may see under ``model``."""
    if model is IndependenceModel.NONE or scope.institution:
        return true()
    patron = Request.kind == RequestKind.PATRON.value
    return or_(
        and_(~patron, _kind_clause(model, Kind.NON_PATRON_REQUEST, scope)),
        and_(
            patron,
            Request.status.in_([s.value for s in ACTIVE]),
            _kind_clause(model, Kind.ACTIVE_REQUEST, scope),
        ),
        and_(
            patron,
            Request.status.in_([s.value for s in CLOSED]),
            _kind_clause(model, Kind.CLOSED_REQUEST, scope),
        ),
    )
