"""Administering letter templates (staff API and load file).

Fulfillment Administrators change templates of libraries in their scope; the institution's
templates (used by libraries without their own, and for institution-owned letters) need an
institution-wide administrator (DOMAIN §7: library-scoped administrators change only
configuration that affects their libraries). Placeholders are checked when saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import Forbidden, InvalidInput, NotFound
from network_common.scope import Scope
from network_common.tokens import Principal
from network_common.vocabulary import StaffRoleType

from ...domain.letters import Letter
from ...mail.templates import SUBJECT_MAX, check_template
from ...store.models import Institution, LetterTemplate, Library
from ..circulation.common import now

_ADMIN = frozenset({StaffRoleType.FULFILLMENT_ADMINISTRATOR})
_BODY_MAX = 20_000


@dataclass(frozen=True, slots=True)
class TemplateView:
    letter: Letter
    library_code: str | None  # None: the institution's
    subject: str
    body: str
    updated_at: datetime


def _admin_scope(actor: Principal) -> Scope:
    if not actor.has_any_role(_ADMIN):
        raise Forbidden("Only a Fulfillment Administrator changes letter templates")
    return actor.scope(_ADMIN)


async def _owner(session: AsyncSession, scope: Scope, library_code: str | None) -> int | None:
    if library_code is None:
        if not scope.institution:
            raise Forbidden(
                "Only an institution-wide Fulfillment Administrator changes the "
                "institution's letter templates"
            )
        return None
    library_id = await session.scalar(select(Library.id).where(Library.code == library_code))
    if library_id is None or not scope.covers(library_id):
        # Same answer as a missing library: nothing is learned about libraries out of scope.
        raise NotFound("No such library")
    return library_id


def check_wording(subject: str, body: str) -> None:
    """Refuse empty, oversized or badly formed templates."""
    if not subject.strip() or not body.strip():
        raise InvalidInput("A letter template needs a subject and a body")
    if len(subject) > SUBJECT_MAX or len(body) > _BODY_MAX:
        raise InvalidInput(f"subject is at most {SUBJECT_MAX} and body {_BODY_MAX} characters")
    if "\n" in subject or "\r" in subject:
        raise InvalidInput("subject must be one line")
    check_template(subject, field="subject")
    check_template(body, field="body")


async def list_templates(session: AsyncSession, *, actor: Principal) -> list[TemplateView]:
    """The institution's templates and those of the administrator's libraries."""
    scope = _admin_scope(actor)
    rows = await session.execute(
        select(LetterTemplate, Library.code)
        .outerjoin(Library, Library.id == LetterTemplate.owner_library_id)
        .order_by(Library.code.is_not(None), Library.code, LetterTemplate.letter)
    )
    return [
        _view(row, code)
        for row, code in rows
        if row.owner_library_id is None or scope.covers(row.owner_library_id)
    ]


async def set_template(
    session: AsyncSession,
    *,
    actor: Principal,
    letter: Letter,
    library_code: str | None,
    subject: str,
    body: str,
) -> TemplateView:
    """Create or replace one template; commits."""
    scope = _admin_scope(actor)
    check_wording(subject, body)
    # One writer at a time per institution (the institution row's lock): the institution's
    # own templates have no library id, so the unique constraint cannot keep them single.
    await session.scalar(select(Institution.id).with_for_update())
    owner = await _owner(session, scope, library_code)
    row = await session.scalar(
        select(LetterTemplate).where(
            LetterTemplate.letter == letter.value,
            LetterTemplate.owner_library_id.is_(None)
            if owner is None
            else LetterTemplate.owner_library_id == owner,
        )
    )
    if row is None:
        row = LetterTemplate(owner_library_id=owner, letter=letter.value, subject="", body="")
        session.add(row)
    row.subject, row.body, row.updated_at = subject, body, now()
    await session.commit()
    return _view(row, library_code)


async def remove_template(
    session: AsyncSession, *, actor: Principal, letter: Letter, library_code: str | None
) -> bool:
    """Remove one template (the next one down applies again); commits. False if none."""
    scope = _admin_scope(actor)
    owner = await _owner(session, scope, library_code)
    result = await session.execute(
        delete(LetterTemplate).where(
            LetterTemplate.letter == letter.value,
            LetterTemplate.owner_library_id.is_(None)
            if owner is None
            else LetterTemplate.owner_library_id == owner,
        )
    )
    await session.commit()
    return bool(getattr(result, "rowcount", 0))


def _view(row: LetterTemplate, code: str | None) -> TemplateView:
    return TemplateView(
        letter=Letter(row.letter),
        library_code=code,
        subject=row.subject,
        body=row.body,
        updated_at=row.updated_at,
    )
