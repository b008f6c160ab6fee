"""Validate a whole load file, then write it in one transaction (all or nothing)."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..auth import apikeys
from ..domain.errors import DomainError
from ..domain.money import parse_amount, to_minor
from ..domain.vocabulary import LinkOrigin, UserKind
from ..store.models import (
    ApiKey,
    BibRecord,
    Block,
    Desk,
    Fee,
    Holding,
    Institution,
    Item,
    Library,
    Loan,
    Note,
    PatronRole,
    StaffRole,
    StaffRoleLibrary,
    StatCategory,
    User,
)
from .schema import LoadFile


class LoadError(Exception):
    """The file was refused; ``problems`` lists every one with its location."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the load file")
        self.problems = problems


@dataclass
class LoadReport:
    counts: dict[str, int] = field(default_factory=dict)


def _loc(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(file)"


def parse(raw: str | bytes) -> LoadFile:
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise LoadError([f"(file): not valid JSON: {exc}"]) from exc
    try:
        return LoadFile.model_validate(data)
    except ValidationError as exc:
        raise LoadError([f"{_loc(e['loc'])}: {e['msg']}" for e in exc.errors()]) from exc


def _dupes(values: Iterable[str]) -> set[str]:
    return {v for v, n in Counter(values).items() if n > 1}


async def _check(session: AsyncSession, f: LoadFile) -> list[str]:
    problems: list[str] = []
    existing_inst = await session.scalar(select(Institution))
    if existing_inst is None and f.institution is None:
        problems.append("institution: required on the first load")
    if existing_inst and f.institution and existing_inst.code != f.institution.code:
        problems.append(
            f"institution.code: this node holds {existing_inst.code}, not {f.institution.code}"
        )
    currency = (
        f.institution.currency
        if f.institution
        else (existing_inst.currency if existing_inst else "USD")
    )

    db_libs = set((await session.scalars(select(Library.code))).all())
    db_desks = set((await session.scalars(select(Desk.code))).all())
    db_users = {row[0]: row[1] for row in await session.execute(select(User.primary_id, User.kind))}
    db_barcodes = set((await session.scalars(select(Item.barcode))).all())
    db_records = set((await session.scalars(select(BibRecord.network_record_id))).all())

    lib_codes = [lib.code for lib in f.libraries]
    for i, lib in enumerate(f.libraries):
        if lib.code in db_libs:
            problems.append(f"libraries[{i}].code: library {lib.code} already exists")
        if lib.registration_fee is not None:
            try:
                parse_amount(lib.registration_fee, currency, field="registration_fee")
            except DomainError as exc:
                problems.append(f"libraries[{i}].registration_fee: {exc.message}")
    for code in _dupes(lib_codes):
        problems.append(f"libraries: library code {code} appears more than once")
    desk_codes = [d.code for lib in f.libraries for d in lib.desks]
    for code in _dupes(desk_codes) | (set(desk_codes) & db_desks):
        problems.append(f"libraries: desk code {code} is not unique")
    libs = set(lib_codes) | db_libs
    desks = set(desk_codes) | db_desks

    def need_lib(where: str, code: str | None) -> None:
        if code is not None and code not in libs:
            problems.append(f"{where}: unknown library {code}")

    if f.institution:
        for code in f.institution.settings.pickup_anywhere:
            if not code.strip():
                problems.append("institution.settings.pickup_anywhere: empty member code")

    ids = [u.primary_id for u in f.users]
    for pid in _dupes(ids):
        problems.append(f"users: primary_id {pid} appears more than once")
    keys = [k.key for u in f.users for k in u.api_keys] + [c.key for c in f.clients]
    if _dupes(keys):
        problems.append("users/clients: the same API key is given more than once")
    for i, u in enumerate(f.users):
        where = f"users[{i}]"
        if u.primary_id in db_users:
            problems.append(f"{where}.primary_id: user {u.primary_id} already exists")
        if u.kind is UserKind.PATRON and u.staff_roles:
            problems.append(f"{where}.staff_roles: patrons cannot hold staff roles")
        if u.kind is UserKind.STAFF and u.linked:
            problems.append(f"{where}.linked: staff users cannot be linked accounts")
        for j, r in enumerate(u.patron_roles):
            need_lib(f"{where}.patron_roles[{j}].library", r.library)
        for j, s in enumerate(u.staff_roles):
            for lib_code in s.libraries or []:
                need_lib(f"{where}.staff_roles[{j}].libraries", lib_code)
            if s.libraries is not None and not s.libraries:
                problems.append(
                    f"{where}.staff_roles[{j}].libraries: empty (use null for institution-wide)"
                )
        for j, key_in in enumerate(u.api_keys):
            try:
                apikeys.split(key_in.key)
            except DomainError:
                problems.append(f"{where}.api_keys[{j}].key: not of the form lfn_<id>_<secret>")
        for name, owned in (
            ("blocks", u.blocks),
            ("notes", u.notes),
            ("stat_categories", u.stat_categories),
        ):
            for j, o in enumerate(owned):
                need_lib(f"{where}.{name}[{j}].owner", o.owner)
    for i, c in enumerate(f.clients):
        try:
            apikeys.split(c.key)
        except DomainError:
            problems.append(f"clients[{i}].key: not of the form lfn_<id>_<secret>")

    barcodes: dict[str, bool] = {}
    rec_ids = [r.network_record_id for r in f.records]
    for rid in _dupes(rec_ids) | (set(rec_ids) & db_records):
        problems.append(f"records: network_record_id {rid} is not unique")
    for i, rec in enumerate(f.records):
        for j, h in enumerate(rec.holdings):
            need_lib(f"records[{i}].holdings[{j}].library", h.library)
            for k, item in enumerate(h.items):
                if item.barcode in barcodes or item.barcode in db_barcodes:
                    problems.append(
                        f"records[{i}].holdings[{j}].items[{k}].barcode: "
                        f"{item.barcode} is not unique"
                    )
                barcodes[item.barcode] = item.loanable

    patrons = {u.primary_id for u in f.users if u.kind is UserKind.PATRON} | {
        pid for pid, kind in db_users.items() if kind == UserKind.PATRON
    }
    loaned: set[str] = set()
    for i, loan in enumerate(f.loans):
        where = f"loans[{i}]"
        if loan.barcode not in barcodes:
            problems.append(
                f"{where}.barcode: unknown item {loan.barcode} (items must be in this file)"
            )
        elif not barcodes[loan.barcode]:
            problems.append(f"{where}.barcode: item {loan.barcode} is not loanable")
        if loan.barcode in loaned:
            problems.append(f"{where}.barcode: item {loan.barcode} is loaned twice")
        loaned.add(loan.barcode)
        if loan.patron not in patrons:
            problems.append(f"{where}.patron: unknown patron {loan.patron}")
        if loan.desk not in desks:
            problems.append(f"{where}.desk: unknown desk {loan.desk}")
        if loan.due_at <= loan.loaned_at:
            problems.append(f"{where}.due_at: must be after loaned_at")
    for i, fee in enumerate(f.fees):
        where = f"fees[{i}]"
        if fee.patron not in patrons:
            problems.append(f"{where}.patron: unknown patron {fee.patron}")
        need_lib(f"{where}.owner", fee.owner)
        try:
            amount = parse_amount(fee.amount, currency)
            if fee.balance is not None:
                balance = parse_amount(fee.balance, currency, field="balance")
                if balance > amount:
                    problems.append(f"{where}.balance: larger than the amount")
        except DomainError as exc:
            problems.append(f"{where}: {exc.message}")
    return problems


async def load(session: AsyncSession, raw: str | bytes) -> LoadReport:
    """Validate everything, then write everything in the session's transaction and commit."""
    f = parse(raw)
    problems = await _check(session, f)
    if problems:
        raise LoadError(problems)
    report = LoadReport()
    try:
        await _write(session, f, report)
        await session.commit()
    except Exception:
        await session.rollback()
        raise
    return report


async def _write(session: AsyncSession, f: LoadFile, report: LoadReport) -> None:
    inst = await session.scalar(select(Institution))
    if f.institution:
        s = f.institution.settings
        if inst is None:
            inst = Institution(code=f.institution.code)
            session.add(inst)
        inst.name = f.institution.name
        inst.currency = f.institution.currency
        inst.reply_to_email = f.institution.reply_to_email
        for name, value in s.model_dump(mode="json").items():
            setattr(inst, name, value)
    assert inst is not None
    currency = inst.currency

    libs = {lib.code: lib for lib in (await session.scalars(select(Library))).all()}
    for lib_in in f.libraries:
        fee = lib_in.registration_fee
        lib = Library(
            code=lib_in.code,
            name=lib_in.name,
            reply_to_email=lib_in.reply_to_email,
            registration_fee_minor=to_minor(parse_amount(fee, currency), currency) if fee else None,
        )
        session.add(lib)
        libs[lib.code] = lib
    await session.flush()
    desks = {d.code: d for d in (await session.scalars(select(Desk))).all()}
    for lib_in in f.libraries:
        for d in lib_in.desks:
            desk = Desk(
                code=d.code,
                name=d.name,
                library_id=libs[lib_in.code].id,
                is_pickup_point=d.pickup_point,
            )
            session.add(desk)
            desks[d.code] = desk

    def lib_id(code: str | None) -> int | None:
        return None if code is None else libs[code].id

    users: dict[str, User] = {}
    for u in f.users:
        user = User(
            primary_id=u.primary_id,
            kind=u.kind.value,
            first_name=u.first_name,
            last_name=u.last_name,
            email=u.email,
            user_group=u.user_group,
            expiry_date=u.expiry_date,
            address=u.address,
        )
        if u.linked:
            user.source_institution_code = u.linked.source_institution
            user.source_user_id = u.linked.source_user_id
            user.network_link_id = u.linked.network_link_id or uuid.uuid4().hex
            user.link_origin = LinkOrigin.REGISTER.value
        session.add(user)
        users[u.primary_id] = user
    await session.flush()
    for u in f.users:
        user = users[u.primary_id]
        for r in u.patron_roles:
            session.add(
                PatronRole(user_id=user.id, library_id=lib_id(r.library), expiry_date=r.expiry_date)
            )
        for s_in in u.staff_roles:
            role = StaffRole(
                user_id=user.id,
                role=s_in.role.value,
                institution_wide=s_in.libraries is None,
                consortial_services=s_in.consortial_services,
                libraries=[StaffRoleLibrary(library_id=libs[c].id) for c in s_in.libraries or []],
            )
            session.add(role)
        for k in u.api_keys:
            key_id, secret = apikeys.split(k.key)
            session.add(
                ApiKey(
                    key_id=key_id,
                    key_hash=apikeys.digest(secret),
                    kind="STAFF",
                    user_id=user.id,
                    label=k.label,
                )
            )
        for b in u.blocks:
            session.add(
                Block(
                    user_id=user.id,
                    owner_library_id=lib_id(b.owner),
                    block_type=b.block_type,
                    description=b.description,
                    expiry_date=b.expiry_date,
                )
            )
        for n in u.notes:
            session.add(Note(user_id=user.id, owner_library_id=lib_id(n.owner), text=n.text))
        for c in u.stat_categories:
            session.add(
                StatCategory(
                    user_id=user.id,
                    owner_library_id=lib_id(c.owner),
                    category=c.category,
                    value=c.value,
                )
            )
    for client in f.clients:
        key_id, secret = apikeys.split(client.key)
        session.add(
            ApiKey(
                key_id=key_id, key_hash=apikeys.digest(secret), kind="DISCOVERY", label=client.label
            )
        )

    items: dict[str, Item] = {}
    for rec in f.records:
        bib = BibRecord(network_record_id=rec.network_record_id, title=rec.title, author=rec.author)
        session.add(bib)
        await session.flush()
        for h in rec.holdings:
            holding = Holding(
                bib_id=bib.id,
                library_id=libs[h.library].id,
                location=h.location,
                call_number=h.call_number,
            )
            session.add(holding)
            await session.flush()
            for it in h.items:
                item = Item(
                    barcode=it.barcode,
                    bib_id=bib.id,
                    holding_id=holding.id,
                    library_id=holding.library_id,
                    location=h.location,
                    loanable=it.loanable,
                    requestable=it.requestable,
                    loan_period_days=it.loan_period_days,
                    renewals_allowed=it.renewals_allowed,
                )
                session.add(item)
                items[it.barcode] = item
    await session.flush()

    if f.loans or f.fees:
        patron_rows = {
            u.primary_id: u
            for u in (
                await session.scalars(
                    select(User).where(
                        User.primary_id.in_(
                            {x.patron for x in f.loans} | {x.patron for x in f.fees}
                        )
                    )
                )
            ).all()
        }
        for loan in f.loans:
            item = items[loan.barcode]
            desk = desks[loan.desk]
            item.status = "ON_LOAN"
            session.add(
                Loan(
                    item_id=item.id,
                    user_id=patron_rows[loan.patron].id,
                    owning_library_id=item.library_id,
                    loan_desk_id=desk.id,
                    loan_library_id=desk.library_id,
                    loaned_at=loan.loaned_at,
                    due_at=loan.due_at,
                    renewals=loan.renewals,
                )
            )
        for fee_in in f.fees:
            amount = to_minor(parse_amount(fee_in.amount, currency), currency)
            balance = (
                amount
                if fee_in.balance is None
                else to_minor(parse_amount(fee_in.balance, currency), currency)
            )
            session.add(
                Fee(
                    user_id=patron_rows[fee_in.patron].id,
                    fee_type=fee_in.type.value,
                    owner_library_id=lib_id(fee_in.owner),
                    currency=currency,
                    original_minor=amount,
                    balance_minor=balance,
                    comment=fee_in.comment,
                )
            )
    await session.flush()
    report.counts = {
        "libraries": len(f.libraries),
        "desks": sum(len(lib.desks) for lib in f.libraries),
        "users": len(f.users),
        "records": len(f.records),
        "items": len(items),
        "loans": len(f.loans),
        "fees": len(f.fees),
    }


def read_file(path: Path) -> bytes:
    return path.read_bytes()
