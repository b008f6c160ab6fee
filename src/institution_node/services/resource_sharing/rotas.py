"""Rotas: ordered partner lists asked in turn (DOMAIN §8), chosen per request or by default.

A request's rota is copied onto the request when it is created (later edits of the rota
do not reroute requests in flight). The *network rota* is built live instead: the members
holding an available copy of the record, as the hub finds them (``network_rota.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import Conflict, InvalidInput, NotFound
from network_common.tokens import Principal

from ...store.models import Partner, Rota, RotaEntry
from . import common

MAX_ENTRIES = 50


@dataclass(frozen=True, slots=True)
class RotaView:
    code: str
    name: str
    is_default: bool
    partners: list[str]


async def list_rotas(session: AsyncSession, *, actor: Principal) -> list[RotaView]:
    """Every rota with its partners in order (two queries)."""
    common.staff_scope(actor)
    rotas = (await session.scalars(select(Rota).order_by(Rota.code))).all()
    entries = await session.execute(
        select(RotaEntry.rota_id, Partner.code)
        .join(Partner, Partner.id == RotaEntry.partner_id)
        .order_by(RotaEntry.rota_id, RotaEntry.position)
    )
    by_rota: dict[int, list[str]] = {}
    for rota_id, code in entries:
        by_rota.setdefault(rota_id, []).append(code)
    return [RotaView(r.code, r.name, r.is_default, by_rota.get(r.id, [])) for r in rotas]


async def _partner_ids(session: AsyncSession, codes: Sequence[str]) -> list[int]:
    """Partner ids for ``codes`` in their order (duplicates dropped); NOT_FOUND for an
    unknown or inactive code."""
    wanted = list(dict.fromkeys(c.strip() for c in codes if c.strip()))
    if len(wanted) > MAX_ENTRIES:
        raise InvalidInput(f"A rota holds at most {MAX_ENTRIES} partners")
    rows = await session.execute(
        select(Partner.code, Partner.id).where(Partner.code.in_(wanted), Partner.active.is_(True))
    )
    found = dict(rows.all())
    missing = [c for c in wanted if c not in found]
    if missing:
        raise NotFound(f"No active partner {', '.join(missing)}")
    return [found[c] for c in wanted]


async def save_rota(
    session: AsyncSession,
    *,
    actor: Principal,
    code: str,
    name: str,
    partner_codes: Sequence[str],
    is_default: bool = False,
) -> RotaView:
    """Create or replace a rota; a default rota makes any other one non-default. Commits."""
    common.directory_keeper(actor)
    code = (code or "").strip()
    if not code or len(code) > 64:
        raise InvalidInput("A rota code is 1 to 64 characters")
    label = common.clean_text(name, field="name", limit=255) or code
    ids = await _partner_ids(session, partner_codes)
    if not ids:
        raise InvalidInput("A rota needs at least one partner")
    rota = await session.scalar(select(Rota).where(Rota.code == code).with_for_update())
    if rota is None:
        rota = Rota(code=code, name=label, is_default=is_default)
        session.add(rota)
        try:
            await session.flush()
        except IntegrityError as exc:  # created concurrently
            await session.rollback()
            raise Conflict("This rota was created at the same moment; try again") from exc
    else:
        rota.name, rota.is_default = label, is_default
        await session.execute(delete(RotaEntry).where(RotaEntry.rota_id == rota.id))
    if is_default:
        await session.execute(
            update(Rota)
            .where(Rota.id != rota.id, Rota.is_default.is_(True))
            .values(is_default=False)
        )
    session.add_all(
        RotaEntry(rota_id=rota.id, position=i, partner_id=pid) for i, pid in enumerate(ids)
    )
    await session.commit()
    codes = list(dict.fromkeys(c.strip() for c in partner_codes if c.strip()))
    return RotaView(rota.code, rota.name, rota.is_default, codes)


async def delete_rota(session: AsyncSession, *, actor: Principal, code: str) -> bool:
    """Remove a rota (requests keep their copy). Commits."""
    common.directory_keeper(actor)
    rota = await session.scalar(select(Rota).where(Rota.code == code))
    if rota is None:
        raise NotFound(f"No rota {code}")
    await session.execute(delete(RotaEntry).where(RotaEntry.rota_id == rota.id))
    await session.delete(rota)
    await session.commit()
    return True


async def rota_partner_ids(
    session: AsyncSession, *, rota_code: str | None, partner_codes: Sequence[str] | None
) -> list[int]:
    """The partners a new request asks, in order: the given partners, else the named rota,
    else the default rota (only active partners). Empty when none applies."""
    if partner_codes:
        return await _partner_ids(session, partner_codes)
    if rota_code:
        rota = await session.scalar(select(Rota).where(Rota.code == rota_code))
        if rota is None:
            raise NotFound(f"No rota {rota_code}")
    else:
        rota = await session.scalar(select(Rota).where(Rota.is_default.is_(True)))
        if rota is None:
            return []
    rows = await session.scalars(
        select(RotaEntry.partner_id)
        .join(Partner, Partner.id == RotaEntry.partner_id)
        .where(RotaEntry.rota_id == rota.id, Partner.active.is_(True))
        .order_by(RotaEntry.position)
    )
    return list(rows)
