"""Reading resource sharing requests: the staff lists (facets, keyset paging) and one request
with its history.

A page is a fixed handful of statements however long it is: the visibility clause
(``visibility.py``, DOMAIN §7) and the filters go into the ``WHERE`` of one column
``SELECT`` (no ORM entities), a count, the facets' grouped counts (one UNION ALL), the small
library and partner maps, and — when asked — one query for the history of every request on the page.
Facets are *disjunctive*: each counts what the other filters leave, so choosing a status
still shows how many requests the other statuses hold.

Pages run newest first (``id`` descending); the cursor is the last id of a page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from network_common.errors import InvalidInput, NotFound
from network_common.tokens import Principal

from ...domain import borrowing as btable
from ...domain import lending as ltable
from ...store.models import (
    BorrowingRequest,
    History,
    Item,
    LendingRequest,
    Library,
    OutboxMessage,
    Partner,
    Request,
    User,
)
from . import common
from .visibility import visible_borrowing, visible_lending

MAX_PAGE = 200
MAX_FILTER_VALUES = 50


class Facet:
    STATUS = "status"
    PARTNER = "partner"
    PICKUP = "pickupLocation"
    ASSIGNEE = "assignee"
    ACTIVE_NOTE = "hasActiveNote"


@dataclass(frozen=True, slots=True)
class FacetCount:
    value: str | None  # None: no partner / unassigned / no pickup location
    count: int


@dataclass(frozen=True, slots=True)
class Facets:
    status: list[FacetCount]
    partner: list[FacetCount]
    pickup_location: list[FacetCount]
    assignee: list[FacetCount]
    has_active_note: list[FacetCount]


@dataclass(frozen=True, slots=True)
class RequestFilter:
    """What a list is narrowed to; an empty list means no narrowing on that facet."""

    statuses: Sequence[str] = ()
    partner_codes: Sequence[str] = ()
    pickup_locations: Sequence[str] = ()  # borrowing: library codes; lending: as sent
    assignees: Sequence[str] = ()  # operator primary ids
    unassigned: bool = False  # with ``assignees``: those or nobody's
    has_active_note: bool | None = None
    patron_primary_id: str | None = None  # borrowing only


@dataclass(frozen=True, slots=True)
class HistoryLine:
    id: int
    category: str
    kind: str
    note: str | None
    from_status: str | None
    to_status: str | None
    partner_code: str | None
    actor: str | None
    active: bool
    delivery: str | None  # the outbox state of an outgoing message
    created_at: datetime


@dataclass(frozen=True, slots=True)
class BorrowingView:
    id: int
    status: str
    format: str
    title: str
    author: str | None
    isbn: str | None
    issn: str | None
    publication_date: str | None
    volume: str | None
    issue: str | None
    pages: str | None
    article_title: str | None
    article_author: str | None
    record_id: str | None
    needed_by: date | None
    note: str | None
    patron_primary_id: str
    patron_name: str
    library_code: str | None
    pickup_library_code: str | None
    partner_code: str | None
    rota: list[str]
    rota_position: int
    partner_request_id: str | None
    item_barcode: str | None
    shipped_at: datetime | None
    due_at: datetime | None
    renewals: int
    condition_code: str | None
    condition_note: str | None
    cancel_reason: str | None
    assignee: str | None
    active_notes: int
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    available_actions: list[str]
    history: list[HistoryLine] | None = None


@dataclass(frozen=True, slots=True)
class LendingView:
    id: int
    status: str
    partner_code: str
    partner_request_id: str
    service_type: str
    title: str
    author: str | None
    isbn: str | None
    issn: str | None
    publication_date: str | None
    volume: str | None
    issue: str | None
    pages: str | None
    article_title: str | None
    article_author: str | None
    record_id: str | None
    needed_by: date | None
    patron_reference: str | None
    patron_name: str | None
    pickup_location: str | None
    partner_note: str | None
    item_barcode: str | None
    item_library_code: str | None
    library_code: str | None
    move_request_status: str | None
    due_at: datetime | None
    renewals: int
    condition_code: str | None
    condition_note: str | None
    reply_by: datetime | None
    unfill_reason: str | None
    lost_fee_minor: int | None
    assignee: str | None
    active_notes: int
    alerts: int
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    available_actions: list[str]
    history: list[HistoryLine] | None = None


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    total_count: int
    nodes: list[T]
    end_cursor: str | None
    has_next_page: bool
    facets: Facets | None = None


def _page_size(first: int) -> int:
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInput(f"first must be between 1 and {MAX_PAGE}")
    return first


def _cursor(after: str | None) -> int | None:
    if after is None:
        return None
    try:
        cursor = int(after)
    except ValueError as exc:
        raise InvalidInput("after is not a cursor from this list") from exc
    if not 0 < cursor < 2**31:
        raise InvalidInput("after is not a cursor from this list")
    return cursor


def _values(values: Sequence[str], what: str) -> list[str]:
    if len(values) > MAX_FILTER_VALUES:
        raise InvalidInput(f"Give at most {MAX_FILTER_VALUES} values for {what}")
    return [v for v in values if v]


def _statuses(values: Sequence[str], allowed: type[Any]) -> list[str]:
    try:
        return [allowed(v).value for v in _values(values, "status")]
    except ValueError as exc:
        raise InvalidInput("status must be among " + ", ".join(s.value for s in allowed)) from exc


Assignee = aliased(User, name="assignee")
Patron = aliased(User, name="patron")


class _Facetted:
    """One side's table, columns and facet conditions."""

    def __init__(
        self,
        table: Any,
        visible: ColumnElement[bool],
        conditions: dict[str, ColumnElement[bool]],
        pickup_column: InstrumentedAttribute[Any],
    ) -> None:
        self.table = table
        self.visible = visible
        self.conditions = conditions
        self.pickup_column = pickup_column

    def where(self, *, without: str | None = None) -> list[ColumnElement[bool]]:
        return [self.visible, *(c for k, c in self.conditions.items() if k != without)]

    async def total(self, session: AsyncSession) -> int:
        query = select(func.count()).select_from(self.table).where(*self.where())
        return int(await session.scalar(query) or 0)

    async def facets(
        self, session: AsyncSession, libraries: dict[int, tuple[str, str]], pickup_is_library: bool
    ) -> Facets:
        """Every facet's counts in one statement (a UNION ALL of one grouped count each)."""
        t = self.table
        noted = case((t.active_notes > 0, "true"), else_="false")

        def part(key: str, column: Any, *joins: tuple[Any, Any]) -> Select[str, str, int]:
            query = select(
                literal(key, String).label("facet"),
                cast(column, String).label("value"),
                func.count().label("n"),
            ).select_from(t)
            for target, on in joins:
                query = query.outerjoin(target, on)
            return query.where(*self.where(without=key)).group_by(column)

        query = union_all(
            part(Facet.STATUS, t.status),
            part(Facet.PARTNER, Partner.code, (Partner, Partner.id == t.partner_id)),
            part(Facet.PICKUP, self.pickup_column),
            part(Facet.ASSIGNEE, Assignee.primary_id, (Assignee, Assignee.id == t.assignee_id)),
            part(Facet.ACTIVE_NOTE, noted),
        )
        counted: dict[str, list[FacetCount]] = {
            k: [] for k in (Facet.STATUS, Facet.PARTNER, Facet.PICKUP, Facet.ASSIGNEE)
        }
        counted[Facet.ACTIVE_NOTE] = []
        for row in await session.execute(query):
            value = row.value
            if row.facet == Facet.PICKUP and pickup_is_library and value is not None:
                value = libraries[int(value)][0]
            counted[row.facet].append(FacetCount(value=value, count=int(row.n)))
        for values in counted.values():
            values.sort(key=lambda f: (-f.count, "" if f.value is None else f.value))
        return Facets(
            status=counted[Facet.STATUS],
            partner=counted[Facet.PARTNER],
            pickup_location=counted[Facet.PICKUP],
            assignee=counted[Facet.ASSIGNEE],
            has_active_note=counted[Facet.ACTIVE_NOTE],
        )


def _assignee_condition(column: Any, rf: RequestFilter) -> ColumnElement[bool] | None:
    wanted = _values(rf.assignees, "assignee")
    if not wanted and not rf.unassigned:
        return None
    parts: list[ColumnElement[bool]] = []
    if wanted:
        ids = select(User.id).where(User.primary_id.in_(wanted)).scalar_subquery()
        parts.append(column.in_(ids))
    if rf.unassigned:
        parts.append(column.is_(None))
    return or_(*parts)


async def _partner_map(session: AsyncSession) -> dict[int, str]:
    return {r.id: r.code for r in await session.execute(select(Partner.id, Partner.code))}


async def _library_map(session: AsyncSession) -> dict[int, tuple[str, str]]:
    return {
        r.id: (r.code, r.name)
        for r in await session.execute(select(Library.id, Library.code, Library.name))
    }


async def _history(
    session: AsyncSession, column: InstrumentedAttribute[Any], ids: list[int]
) -> dict[int, list[HistoryLine]]:
    """The history of every request in ``ids`` (one query), oldest line first."""
    found: dict[int, list[HistoryLine]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = await session.execute(
        select(
            column.label("owner"),
            History.id,
            History.category,
            History.kind,
            History.note,
            History.from_status,
            History.to_status,
            History.actor,
            History.active,
            History.created_at,
            Partner.code.label("partner_code"),
            OutboxMessage.status.label("delivery"),
        )
        .outerjoin(Partner, Partner.id == History.partner_id)
        .outerjoin(OutboxMessage, OutboxMessage.id == History.outbox_message_id)
        .where(column.in_(ids))
        .order_by(column, History.id)
    )
    for r in rows:
        found[r.owner].append(
            HistoryLine(
                id=r.id,
                category=r.category,
                kind=r.kind,
                note=r.note,
                from_status=r.from_status,
                to_status=r.to_status,
                partner_code=r.partner_code,
                actor=r.actor,
                active=bool(r.active),
                delivery=r.delivery,
                created_at=r.created_at,
            )
        )
    return found


# -- borrowing ---------------------------------------------------------------------------------

_B = BorrowingRequest


def _borrowing_select() -> Select[Any]:
    return (
        select(
            *BorrowingRequest.__table__.c,
            Patron.primary_id.label("patron_primary_id"),
            Patron.first_name.label("patron_first"),
            Patron.last_name.label("patron_last"),
            Partner.code.label("partner_code"),
            Assignee.primary_id.label("assignee"),
        )
        .join(Patron, Patron.id == _B.user_id)
        .outerjoin(Partner, Partner.id == _B.partner_id)
        .outerjoin(Assignee, Assignee.id == _B.assignee_id)
    )


def _borrowing_view(
    row: Any, libraries: dict[int, tuple[str, str]], partners: dict[int, str]
) -> BorrowingView:
    b = row

    def code(library_id: int | None) -> str | None:
        return libraries[library_id][0] if library_id in libraries else None

    return BorrowingView(
        id=b.id,
        status=b.status,
        format=b.format,
        title=b.title,
        author=b.author,
        isbn=b.isbn,
        issn=b.issn,
        publication_date=b.publication_date,
        volume=b.volume,
        issue=b.issue,
        pages=b.pages,
        article_title=b.article_title,
        article_author=b.article_author,
        record_id=b.record_id,
        needed_by=b.needed_by,
        note=b.patron_note,
        patron_primary_id=row.patron_primary_id,
        patron_name=f"{row.patron_first or ''} {row.patron_last or ''}".strip(),
        library_code=code(b.library_id),
        pickup_library_code=code(b.pickup_library_id),
        partner_code=row.partner_code,
        rota=[partners.get(pid, "?") for pid in (b.rota or [])],
        rota_position=b.rota_position,
        partner_request_id=b.partner_request_id,
        item_barcode=b.item_barcode,
        shipped_at=b.shipped_at,
        due_at=b.due_at,
        renewals=b.renewals,
        condition_code=b.condition_code,
        condition_note=b.condition_note,
        cancel_reason=b.cancel_reason,
        assignee=row.assignee,
        active_notes=b.active_notes or 0,
        created_at=b.created_at,
        updated_at=b.updated_at,
        closed_at=b.closed_at,
        available_actions=[
            a.value for a in btable.allowed_actions(btable.BorrowingStatus(b.status))
        ],
    )


def _borrowing_conditions(
    rf: RequestFilter, libraries: dict[int, tuple[str, str]]
) -> dict[str, ColumnElement[bool]]:
    conditions: dict[str, ColumnElement[bool]] = {}
    statuses = _statuses(rf.statuses, btable.BorrowingStatus)
    if statuses:
        conditions[Facet.STATUS] = _B.status.in_(statuses)
    partners = _values(rf.partner_codes, "partner")
    if partners:
        ids = select(Partner.id).where(Partner.code.in_(partners)).scalar_subquery()
        conditions[Facet.PARTNER] = _B.partner_id.in_(ids)
    pickups = _values(rf.pickup_locations, "pickupLocation")
    if pickups:
        by_code = {c: i for i, (c, _) in libraries.items()}
        conditions[Facet.PICKUP] = _B.pickup_library_id.in_(
            [by_code[c] for c in pickups if c in by_code]
        )
    assignee = _assignee_condition(_B.assignee_id, rf)
    if assignee is not None:
        conditions[Facet.ASSIGNEE] = assignee
    if rf.has_active_note is not None:
        conditions[Facet.ACTIVE_NOTE] = (
            _B.active_notes > 0 if rf.has_active_note else _B.active_notes == 0
        )
    if rf.patron_primary_id:
        patron = select(User.id).where(User.primary_id == rf.patron_primary_id).scalar_subquery()
        conditions["patron"] = _B.user_id == patron
    return conditions


async def borrowing_requests(
    session: AsyncSession,
    *,
    actor: Principal,
    request_filter: RequestFilter | None = None,
    first: int = 50,
    after: str | None = None,
    with_history: bool = False,
    with_facets: bool = True,
) -> Page[BorrowingView]:
    """The borrowing requests the operator may see, filtered, newest first."""
    scope = common.staff_scope(actor)
    size, cursor = _page_size(first), _cursor(after)
    model = await common.model(session)
    libraries = await _library_map(session)
    rf = request_filter or RequestFilter()
    side = _Facetted(
        _B,
        visible_borrowing(model, scope),
        _borrowing_conditions(rf, libraries),
        _B.pickup_library_id,
    )
    query = _borrowing_select().where(*side.where())
    if cursor is not None:
        query = query.where(_B.id < cursor)
    rows = (await session.execute(query.order_by(_B.id.desc()).limit(size + 1))).all()
    partners = await _partner_map(session)
    views = [_borrowing_view(r, libraries, partners) for r in rows[:size]]
    if with_history:
        lines = await _history(session, History.borrowing_request_id, [v.id for v in views])
        views = [_with_history(v, lines[v.id]) for v in views]
    return Page(
        total_count=await side.total(session),
        nodes=views,
        end_cursor=str(views[-1].id) if views else None,
        has_next_page=len(rows) > size,
        facets=await side.facets(session, libraries, True) if with_facets else None,
    )


async def borrowing_request(
    session: AsyncSession, *, actor: Principal | None, request_id: int, with_history: bool = True
) -> BorrowingView:
    """One borrowing request the operator may see (``actor=None``: the node itself, after
    an action the caller was allowed to take); NOT_FOUND otherwise."""
    query = _borrowing_select().where(_B.id == request_id)
    if actor is not None:
        scope = common.staff_scope(actor)
        query = query.where(visible_borrowing(await common.model(session), scope))
    row = (await session.execute(query)).first()
    if row is None:
        raise NotFound("No such borrowing request")
    view = _borrowing_view(row, await _library_map(session), await _partner_map(session))
    if with_history:
        view = _with_history(
            view, (await _history(session, History.borrowing_request_id, [view.id]))[view.id]
        )
    return view


# -- lending -----------------------------------------------------------------------------------

_L = LendingRequest
MoveRequest = aliased(Request, name="move_request")


def _lending_select() -> Select[Any]:
    return (
        select(
            *LendingRequest.__table__.c,
            Partner.code.label("partner_code"),
            Assignee.primary_id.label("assignee"),
            Item.barcode.label("item_barcode"),
            MoveRequest.status.label("move_status"),
        )
        .join(Partner, Partner.id == _L.partner_id)
        .outerjoin(Assignee, Assignee.id == _L.assignee_id)
        .outerjoin(Item, Item.id == _L.item_id)
        .outerjoin(MoveRequest, MoveRequest.id == _L.move_request_id)
    )


def _lending_view(row: Any, libraries: dict[int, tuple[str, str]]) -> LendingView:
    r = row

    def code(library_id: int | None) -> str | None:
        return libraries[library_id][0] if library_id in libraries else None

    return LendingView(
        id=r.id,
        status=r.status,
        partner_code=row.partner_code,
        partner_request_id=r.partner_request_id,
        service_type=r.service_type,
        title=r.title,
        author=r.author,
        isbn=r.isbn,
        issn=r.issn,
        publication_date=r.publication_date,
        volume=r.volume,
        issue=r.issue,
        pages=r.pages,
        article_title=r.article_title,
        article_author=r.article_author,
        record_id=r.record_id,
        needed_by=r.needed_by,
        patron_reference=r.patron_reference,
        patron_name=r.patron_name,
        pickup_location=r.pickup_location,
        partner_note=r.partner_note,
        item_barcode=row.item_barcode,
        item_library_code=code(r.item_library_id),
        library_code=code(r.library_id),
        move_request_status=row.move_status,
        due_at=r.due_at,
        renewals=r.renewals,
        condition_code=r.condition_code,
        condition_note=r.condition_note,
        reply_by=r.reply_by,
        unfill_reason=r.unfill_reason,
        lost_fee_minor=r.lost_fee_minor,
        assignee=row.assignee,
        active_notes=r.active_notes or 0,
        alerts=r.alerts or 0,
        created_at=r.created_at,
        updated_at=r.updated_at,
        closed_at=r.closed_at,
        available_actions=[a.value for a in ltable.allowed_actions(ltable.LendingStatus(r.status))],
    )


def _lending_conditions(rf: RequestFilter) -> dict[str, ColumnElement[bool]]:
    conditions: dict[str, ColumnElement[bool]] = {}
    statuses = _statuses(rf.statuses, ltable.LendingStatus)
    if statuses:
        conditions[Facet.STATUS] = _L.status.in_(statuses)
    partners = _values(rf.partner_codes, "partner")
    if partners:
        ids = select(Partner.id).where(Partner.code.in_(partners)).scalar_subquery()
        conditions[Facet.PARTNER] = _L.partner_id.in_(ids)
    pickups = _values(rf.pickup_locations, "pickupLocation")
    if pickups:
        conditions[Facet.PICKUP] = _L.pickup_location.in_(pickups)
    assignee = _assignee_condition(_L.assignee_id, rf)
    if assignee is not None:
        conditions[Facet.ASSIGNEE] = assignee
    if rf.has_active_note is not None:
        conditions[Facet.ACTIVE_NOTE] = (
            _L.active_notes > 0 if rf.has_active_note else _L.active_notes == 0
        )
    return conditions


async def lending_requests(
    session: AsyncSession,
    *,
    actor: Principal,
    request_filter: RequestFilter | None = None,
    first: int = 50,
    after: str | None = None,
    with_history: bool = False,
    with_facets: bool = True,
) -> Page[LendingView]:
    """The lending requests the operator may see, filtered, newest first."""
    scope = common.staff_scope(actor)
    size, cursor = _page_size(first), _cursor(after)
    model = await common.model(session)
    rf = request_filter or RequestFilter()
    side = _Facetted(
        _L,
        visible_lending(model, scope),
        _lending_conditions(rf),
        _L.pickup_location,
    )
    query = _lending_select().where(*side.where())
    if cursor is not None:
        query = query.where(_L.id < cursor)
    rows = (await session.execute(query.order_by(_L.id.desc()).limit(size + 1))).all()
    libraries = await _library_map(session)
    views = [_lending_view(r, libraries) for r in rows[:size]]
    if with_history:
        lines = await _history(session, History.lending_request_id, [v.id for v in views])
        views = [_with_history(v, lines[v.id]) for v in views]
    return Page(
        total_count=await side.total(session),
        nodes=views,
        end_cursor=str(views[-1].id) if views else None,
        has_next_page=len(rows) > size,
        facets=await side.facets(session, libraries, False) if with_facets else None,
    )


async def lending_request(
    session: AsyncSession, *, actor: Principal | None, request_id: int, with_history: bool = True
) -> LendingView:
    """One lending request the operator may see (``actor=None``: after an allowed action);
    NOT_FOUND otherwise."""
    query = _lending_select().where(_L.id == request_id)
    if actor is not None:
        scope = common.staff_scope(actor)
        query = query.where(visible_lending(await common.model(session), scope))
    row = (await session.execute(query)).first()
    if row is None:
        raise NotFound("No such lending request")
    view = _lending_view(row, await _library_map(session))
    if with_history:
        view = _with_history(
            view, (await _history(session, History.lending_request_id, [view.id]))[view.id]
        )
    return view


V = TypeVar("V", BorrowingView, LendingView)


def _with_history(view: V, lines: list[HistoryLine]) -> V:
    return replace(view, history=lines)
