"""Get It across the network and Register at a member (DOMAIN §3, §5).

``get_it`` asks every member once for the whole page (concurrently), auto-registers a
logged-in patron at AUTO members when the FULL view is opened, and shapes each section by
the home's display setting and the member's register setting. ``register_at_member`` makes
the linked account at a MANUAL/AUTO member and answers with that member's personal view.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from network_common.errors import DomainError, Forbidden, InvalidInput, NotFound, Unauthenticated
from network_common.tokens import Principal
from network_common.vocabulary import AvailabilityDisplay, LinkOrigin, PrincipalKind, RemoteRegister

from ..ledger.entries import Actor, ActorKind
from ..members.failures import MemberFailure
from . import linking, shaping
from .fetch import Ask, MemberAnswer, fan_out
from .shaping import GetItShape, ViewerKind

if TYPE_CHECKING:
    from ..runtime import HubRuntime

MAX_BRIEF = 100
MAX_FULL = 10
#: When the home member cannot tell its display setting, show the least (DOMAIN §5).
FALLBACK_DISPLAY = AvailabilityDisplay.AVAILABILITY_ONLY


@dataclass(frozen=True, slots=True)
class Viewer:
    home: str
    user_id: str | None  # None: anonymous

    @property
    def identity(self) -> dict[str, str] | None:
        if self.user_id is None:
            return None
        return {"homeInstitution": self.home, "homeUserId": self.user_id}


@dataclass
class GetItResult:
    shape: GetItShape
    home_institution: str
    availability_display: AvailabilityDisplay
    viewer: ViewerKind
    records: list[dict[str, Any]]
    unavailable: list[MemberFailure] = field(default_factory=list)


def resolve_viewer(
    *, runtime: HubRuntime, principal: Principal | None, home_institution: str | None
) -> Viewer:
    """A patron from their token, or anonymous for the given (or the token's) home."""
    if principal is not None:
        if home_institution and home_institution != principal.institution:
            raise InvalidInput("homeInstitution differs from the institution of your token")
        user = principal.primary_id if principal.kind == PrincipalKind.PATRON else None
        return Viewer(principal.institution, user)
    if not home_institution:
        raise InvalidInput("Give homeInstitution, or a patron token from the home institution")
    if home_institution not in runtime.registry:
        raise NotFound("No such member institution")
    return Viewer(home_institution, None)


def _clean(record_ids: Sequence[str], shape: GetItShape) -> list[str]:
    ids = list(dict.fromkeys(r.strip() for r in record_ids if r.strip()))
    limit = MAX_BRIEF if shape is GetItShape.BRIEF else MAX_FULL
    if not ids:
        raise InvalidInput("Give at least one record id")
    if len(ids) > limit:
        raise InvalidInput(f"A {shape} answer covers at most {limit} record ids")
    return ids


async def get_it(
    *, runtime: HubRuntime, viewer: Viewer, record_ids: Sequence[str], shape: GetItShape
) -> GetItResult:
    """Get It for a page (BRIEF) or a record's full view (FULL), across every member."""
    ids = _clean(record_ids, shape)
    ask = Ask(detail=shape, viewer=viewer.identity, home=viewer.home)
    clients = list(runtime.registry)
    ttl = runtime.settings.getit_cache_ttl
    answers, failures = await fan_out(clients, ids, ask, cache=runtime.getit_cache, ttl=ttl)
    display = _display(answers, viewer.home)
    full = shape is GetItShape.FULL
    if full and viewer.user_id is not None and display is AvailabilityDisplay.HOLDINGS:
        failures += await _auto_register(
            runtime=runtime, viewer=viewer, ids=ids, ask=ask, answers=answers
        )
    if viewer.user_id is not None:
        await _refresh_stale_links(runtime=runtime, viewer=viewer, answers=answers)
    return _result(shape, viewer, display, ids, answers, failures, [c.member.code for c in clients])


def _display(answers: dict[str, MemberAnswer], home: str) -> AvailabilityDisplay:
    answer = answers.get(home)
    return (answer.display if answer else None) or FALLBACK_DISPLAY


async def _auto_register(
    *,
    runtime: HubRuntime,
    viewer: Viewer,
    ids: list[str],
    ask: Ask,
    answers: dict[str, MemberAnswer],
) -> list[MemberFailure]:
    """AUTO members: a logged-in patron opening the full view gets the account (once)."""
    codes = [
        a.code
        for a in answers.values()
        if a.code != viewer.home and a.setting is RemoteRegister.AUTO and not a.viewer_linked
    ]
    if not codes or viewer.user_id is None:
        return []
    user_id = viewer.user_id
    try:
        record = await linking.home_record(runtime=runtime, home=viewer.home, user_id=user_id)
    except DomainError:
        return []  # the home cannot vouch for the patron now: they keep the anonymous view

    async def one(code: str) -> None:
        await linking.ensure_link(
            runtime=runtime,
            member=code,
            home=viewer.home,
            user_id=user_id,
            origin=LinkOrigin.AUTO,
            record=record,
            actor=Actor(ActorKind.PATRON, viewer.home, user_id),
        )

    outcomes = await asyncio.gather(*(one(c) for c in codes), return_exceptions=True)
    linked = [c for c, o in zip(codes, outcomes, strict=True) if o is None]
    clients = [c for c in (runtime.registry.get(code) for code in linked) if c is not None]
    # The refreshed answers are personal: never cached (ttl 0).
    fresh, failures = await fan_out(clients, ids, ask, cache=runtime.getit_cache, ttl=0)
    answers.update(fresh)
    return failures


async def _refresh_stale_links(
    *, runtime: HubRuntime, viewer: Viewer, answers: dict[str, MemberAnswer]
) -> None:
    """DOMAIN §3: the patron's linked accounts follow the home record when the patron next
    uses the network. Each answer carries the digest of the viewer's record there; only the
    members whose copy differs from the home's are refreshed (nothing is read or written
    when nothing changed). A failed refresh is retried on the next visit."""
    home = answers.get(viewer.home)
    if home is None or home.viewer_digest is None or viewer.user_id is None:
        return
    stale = [
        a.code
        for a in answers.values()
        if a.code != viewer.home
        and a.viewer_linked
        and a.viewer_digest not in (None, home.viewer_digest)
    ]
    if not stale:
        return
    user_id = viewer.user_id
    try:
        record = await linking.home_record(runtime=runtime, home=viewer.home, user_id=user_id)
    except DomainError:
        return
    await asyncio.gather(
        *(
            linking.refresh_link(
                runtime=runtime,
                member=code,
                home=viewer.home,
                user_id=user_id,
                record=record,
                actor=Actor(ActorKind.PATRON, viewer.home, user_id),
            )
            for code in stale
        ),
        return_exceptions=True,
    )


def _result(
    shape: GetItShape,
    viewer: Viewer,
    display: AvailabilityDisplay,
    ids: list[str],
    answers: dict[str, MemberAnswer],
    failures: list[MemberFailure],
    order: list[str],
) -> GetItResult:
    patron = viewer.user_id is not None
    home = answers.get(viewer.home)
    failed = {f.member_code for f in failures}
    remotes = [answers[c] for c in order if c != viewer.home and c in answers and c not in failed]
    home_shaper = None
    if home is not None:
        home_shaper = shaping.home_shaper(
            code=home.code, name=home.name, personalised=home.personalised
        )
    shapers = [
        (
            a.records,
            shaping.remote_shaper(
                code=a.code,
                name=a.name,
                setting=a.setting,
                display=display,
                patron=patron,
                personalised=a.personalised,
            ),
        )
        for a in remotes
    ]
    records = [
        {
            "recordId": rid,
            "home": None
            if home is None or home_shaper is None
            else home_shaper.section(home.records.get(rid)),
            "others": [shaper.section(found.get(rid)) for found, shaper in shapers],
        }
        for rid in ids
    ]
    return GetItResult(
        shape=shape,
        home_institution=viewer.home,
        availability_display=display,
        viewer=ViewerKind.PATRON if patron else ViewerKind.ANONYMOUS,
        records=records,
        unavailable=_unique(failures),
    )


def _unique(failures: list[MemberFailure]) -> list[MemberFailure]:
    seen: dict[str, MemberFailure] = {}
    for failure in failures:
        seen.setdefault(failure.member_code, failure)
    return list(seen.values())


@dataclass
class Registration:
    member: str
    member_name: str
    network_link_id: str
    get_it: GetItResult | None


async def register_at_member(
    *, runtime: HubRuntime, principal: Principal | None, member: str, record_ids: Sequence[str]
) -> Registration:
    """Register the calling patron at ``member``; idempotent (one linked account results)."""
    if principal is None:
        raise Unauthenticated("Log in at your home institution to register elsewhere")
    if principal.kind != PrincipalKind.PATRON:
        raise Forbidden("Only a patron registers at another institution")
    client = runtime.registry.get(member)
    if client is None:
        raise NotFound("No such member institution")
    if member == principal.institution:
        raise InvalidInput("A patron is already registered at their home institution")
    # Checked before anything is made: a refused call leaves no linked account behind.
    ids = _clean(record_ids, GetItShape.FULL) if record_ids else []
    home, user_id = principal.institution, principal.primary_id
    record = await linking.home_record(runtime=runtime, home=home, user_id=user_id)
    link = await linking.ensure_link(
        runtime=runtime,
        member=member,
        home=home,
        user_id=user_id,
        origin=LinkOrigin.REGISTER,
        record=record,
        actor=Actor.of(principal),
    )
    viewer = Viewer(home, user_id)
    answer = None
    if ids:
        ask = Ask(detail=GetItShape.FULL, viewer=viewer.identity, home=home)
        answers, failures = await fan_out([client], ids, ask, cache=runtime.getit_cache, ttl=0)
        status = await runtime.member_info.one(home)
        info = status.info if status is not None else None
        display = info.availability_display if info is not None else FALLBACK_DISPLAY
        answer = _result(GetItShape.FULL, viewer, display, ids, answers, failures, [member])
    return Registration(member, client.member.name, link.network_link_id, answer)
