"""Letter templates: ``$placeholders`` (Python's ``string.Template``; ``$$`` is a dollar).

A template can only name the values below, never code or attributes, so what a library
administrator types cannot reach anything else. Unknown names are refused when saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from string import Template

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import InvalidInput

from ..domain.letters import Letter
from ..store.models import LetterTemplate

#: What a template may use.
PLACEHOLDERS: dict[str, str] = {
    "patron_name": "the patron's first and last name",
    "patron_first_name": "the patron's first name",
    "letter": "the letter type, e.g. On Hold Shelf",
    "subject": "the letter's own subject line (e.g. the title it is about)",
    "body": "the letter's own text (what happened, titles, dates)",
    "owner_name": "the owning library's name (or the institution's)",
    "institution_name": "this institution's name",
    "reply_to": "the owner's reply-to address",
}

DEFAULT_SUBJECT = "$subject"
DEFAULT_BODY = "Dear $patron_name,\n\n$body\n\n-- \n$owner_name\nReplies to: $reply_to\n"
SUBJECT_MAX = 512  # LetterTemplate.subject


@dataclass(frozen=True, slots=True)
class Wording:
    subject: str
    body: str
    #: Where the wording came from: the owner library's code, "INSTITUTION" or "DEFAULT".
    source: str


def check_template(text: str, *, field: str) -> None:
    """Refuse a template with bad syntax or a placeholder that does not exist."""
    try:
        names = set(Template(text).get_identifiers())
        if not Template(text).is_valid():
            raise ValueError
    except ValueError as exc:
        raise InvalidInput(
            f"{field}: a $ must start a placeholder such as $patron_name (write $$ for $)"
        ) from exc
    unknown = sorted(names - PLACEHOLDERS.keys())
    if unknown:
        raise InvalidInput(
            f"{field}: unknown placeholder(s) {', '.join('$' + n for n in unknown)}; "
            f"known: {', '.join('$' + n for n in PLACEHOLDERS)}"
        )


def render(text: str, values: Mapping[str, str]) -> str:
    """The template with its placeholders filled (templates are checked when saved)."""
    return Template(text).safe_substitute({k: values.get(k, "") for k in PLACEHOLDERS})


async def wording_for(
    session: AsyncSession, *, letter: Letter, owner_library_id: int | None, owner_code: str | None
) -> Wording:
    """The owner's template for ``letter``, else the institution's, else the default."""
    rows = (
        await session.execute(
            select(LetterTemplate.owner_library_id, LetterTemplate.subject, LetterTemplate.body)
            .where(LetterTemplate.letter == letter.value)
            .where(
                LetterTemplate.owner_library_id.is_(None)
                if owner_library_id is None
                else (LetterTemplate.owner_library_id == owner_library_id)
                | LetterTemplate.owner_library_id.is_(None)
            )
        )
    ).all()
    own = next((r for r in rows if r.owner_library_id is not None), None)
    if own is not None:
        return Wording(own.subject, own.body, owner_code or "LIBRARY")
    shared = next((r for r in rows if r.owner_library_id is None), None)
    if shared is not None:
        return Wording(shared.subject, shared.body, "INSTITUTION")
    return Wording(DEFAULT_SUBJECT, DEFAULT_BODY, "DEFAULT")
