"""DOMAIN §7 for borrowing and lending requests, as SQL ``WHERE`` clauses.

They are requests like any other (``domain/visibility.POLICY``, kinds ``ACTIVE_REQUEST``
and ``CLOSED_REQUEST``), with these library attributes:

- a borrowing request's *owner* and *managing* library is its resource sharing library
  (which owns the temporary item); its *pickup* library is where the patron collects;
- a lending request's *candidate owner* is the owner of the item chosen to supply it, or,
  before one is chosen, any library owning a requestable copy of the record asked for;
  its *managing* library is the library working it (the partner's lending library, or
  the chosen item's owner). It has no pickup library here.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.orm import aliased

from network_common.scope import Scope
from network_common.vocabulary import IndependenceModel

from ...domain import borrowing as b
from ...domain import lending as lnd
from ...domain.visibility import Ground, Kind, grounds
from ...store.models import BorrowingRequest, Item, LendingRequest


def _borrowing_ground(ground: Ground, libs: list[int]) -> ColumnElement[bool]:
    if ground is Ground.ANY:
        return true()
    if ground in (Ground.CANDIDATE_OWNER, Ground.MANAGING_LIBRARY, Ground.OWNER):
        return BorrowingRequest.library_id.in_(libs)
    if ground is Ground.PICKUP_LIBRARY:
        return BorrowingRequest.pickup_library_id.in_(libs)
    return false()


def _lending_ground(ground: Ground, libs: list[int]) -> ColumnElement[bool]:
    if ground is Ground.ANY:
        return true()
    if ground in (Ground.CANDIDATE_OWNER, Ground.OWNER):
        copy = aliased(Item)
        candidate = exists(
            select(copy.id)
            .where(
                copy.bib_id == LendingRequest.bib_id,
                copy.library_id.in_(libs),
                copy.requestable.is_(True),
            )
            .correlate(LendingRequest)
        )
        return or_(
            LendingRequest.item_library_id.in_(libs),
            and_(LendingRequest.item_library_id.is_(None), candidate),
        )
    if ground is Ground.MANAGING_LIBRARY:
        return LendingRequest.library_id.in_(libs)
    return false()


def visible_borrowing(model: IndependenceModel, scope: Scope) -> ColumnElement[bool]:
    """Borrowing requests ``scope`` may see under ``model``."""
    if model is IndependenceModel.NONE or scope.institution:
        return true()
    libs = sorted(scope.libraries)
    if not libs:
        return false()
    active = or_(*(_borrowing_ground(g, libs) for g in grounds(model, Kind.ACTIVE_REQUEST, scope)))
    closed = or_(*(_borrowing_ground(g, libs) for g in grounds(model, Kind.CLOSED_REQUEST, scope)))
    return or_(
        and_(BorrowingRequest.status.in_([s.value for s in b.ACTIVE]), active),
        and_(BorrowingRequest.status.in_([s.value for s in b.CLOSED]), closed),
    )


def visible_lending(model: IndependenceModel, scope: Scope) -> ColumnElement[bool]:
    """Lending requests ``scope`` may see under ``model``."""
    if model is IndependenceModel.NONE or scope.institution:
        return true()
    libs = sorted(scope.libraries)
    if not libs:
        return false()
    active = or_(*(_lending_ground(g, libs) for g in grounds(model, Kind.ACTIVE_REQUEST, scope)))
    closed = or_(*(_lending_ground(g, libs) for g in grounds(model, Kind.CLOSED_REQUEST, scope)))
    return or_(
        and_(LendingRequest.status.in_([s.value for s in lnd.ACTIVE]), active),
        and_(LendingRequest.status.in_([s.value for s in lnd.CLOSED]), closed),
    )
