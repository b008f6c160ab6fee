"""Letter templates (Fulfillment Administrators): how each owner words its letters."""

from __future__ import annotations

from datetime import datetime

import strawberry

from ...domain.letters import Letter
from ...mail.templates import PLACEHOLDERS
from ...services.letters import templates as service
from ...services.letters.templates import TemplateView
from ..context import StaffInfo

strawberry.enum(Letter, name="LetterType", description="The patron letters (DOMAIN §7).")


@strawberry.type(description="A placeholder a letter template may use, e.g. $patron_name.")
class LetterPlaceholder:
    name: str
    meaning: str


@strawberry.type(
    description="How one owner words one letter: the library's own, or the institution's "
    "(libraryCode null; used by libraries without their own)."
)
class LetterTemplate:
    letter: Letter
    library_code: str | None
    subject: str
    body: str
    updated_at: datetime

    @classmethod
    def from_domain(cls, v: TemplateView) -> LetterTemplate:
        return cls(
            letter=v.letter,
            library_code=v.library_code,
            subject=v.subject,
            body=v.body,
            updated_at=v.updated_at,
        )


@strawberry.type
class LetterQuery:
    @strawberry.field(description="The templates of the institution and your libraries.")
    async def letter_templates(self, info: StaffInfo) -> list[LetterTemplate]:
        actor = info.context.staff()
        async with info.context.session() as session:
            views = await service.list_templates(session, actor=actor)
        return [LetterTemplate.from_domain(v) for v in views]

    @strawberry.field(description="What letter templates may use.")
    def letter_placeholders(self) -> list[LetterPlaceholder]:
        return [LetterPlaceholder(name=k, meaning=v) for k, v in PLACEHOLDERS.items()]


@strawberry.type
class LetterMutation:
    @strawberry.mutation(
        description="Create or replace a letter template ($placeholders, $$ for a dollar)."
    )
    async def set_letter_template(
        self,
        info: StaffInfo,
        letter: Letter,
        subject: str,
        body: str,
        library_code: str | None = None,
    ) -> LetterTemplate:
        actor = info.context.staff()
        async with info.context.session() as session:
            view = await service.set_template(
                session,
                actor=actor,
                letter=letter,
                library_code=library_code,
                subject=subject,
                body=body,
            )
        return LetterTemplate.from_domain(view)

    @strawberry.mutation(description="Remove a letter template; false when there was none.")
    async def remove_letter_template(
        self, info: StaffInfo, letter: Letter, library_code: str | None = None
    ) -> bool:
        actor = info.context.staff()
        async with info.context.session() as session:
            return await service.remove_template(
                session, actor=actor, letter=letter, library_code=library_code
            )
