"""Checking a load file: every problem, with its location, before anything is written."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import DomainError

from ..auth import apikeys
from ..domain.money import parse_amount, parse_optional_fee
from ..domain.vocabulary import UserKind
from ..services.fulfilment.rules import RuleSpec, spec_values
from ..store.models import (
    ApiKey,
    BibRecord,
    Desk,
    Institution,
    Item,
    Library,
    User,
)
from .schema import LoadFile, RuleIn

#: ``ApiKey.key_id`` holds at most this many characters.
KEY_ID_MAX = 32


def _dupes(values: Iterable[str]) -> set[str]:
    return {v for v, n in Counter(values).items() if n > 1}


def _dupes_pairs(values: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    return {v for v, n in Counter(values).items() if n > 1}


KEY_FORM = f"not of the form lfn_<id>_<secret> (an id of at most {KEY_ID_MAX} characters)"


def _key_id(key: str) -> str | None:
    """The id part of an API key, or None if the key is malformed or its id too long."""
    try:
        key_id, _ = apikeys.split(key)
    except DomainError:
        return None
    return key_id if len(key_id) <= KEY_ID_MAX else None


async def find_problems(session: AsyncSession, f: LoadFile) -> list[str]:
    """Every problem of the file, each with its location (cross references included, also
    against what the database already holds)."""
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
    db_key_ids = set((await session.scalars(select(ApiKey.key_id))).all())
    db_sources = {
        (row[0], row[1])
        for row in await session.execute(
            select(User.source_institution_code, User.source_user_id).where(
                User.source_institution_code.is_not(None)
            )
        )
    }
    db_link_ids = set(
        (
            await session.scalars(
                select(User.network_link_id).where(User.network_link_id.is_not(None))
            )
        ).all()
    )

    lib_codes = [lib.code for lib in f.libraries]
    for i, lib in enumerate(f.libraries):
        if lib.code in db_libs:
            problems.append(f"libraries[{i}].code: library {lib.code} already exists")
        if lib.registration_fee is not None:
            try:
                parse_optional_fee(lib.registration_fee, currency, field="registration_fee")
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
    key_ids = [_key_id(k) for k in keys]
    if _dupes(k for k in key_ids if k) or db_key_ids & set(key_ids):
        problems.append("users/clients: an API key id is not unique (give each key its own id)")
    sources = [(u.linked.source_institution, u.linked.source_user_id) for u in f.users if u.linked]
    for inst, uid in _dupes_pairs(sources) | (set(sources) & db_sources):
        problems.append(f"users: more than one linked account for {inst} user {uid}")
    link_ids = [u.linked.network_link_id for u in f.users if u.linked and u.linked.network_link_id]
    for link_id in _dupes(link_ids) | (set(link_ids) & db_link_ids):
        problems.append(f"users: network_link_id {link_id} is not unique")
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
            if _key_id(key_in.key) is None:
                problems.append(f"{where}.api_keys[{j}].key: {KEY_FORM}")
        for name, owned in (
            ("blocks", u.blocks),
            ("notes", u.notes),
            ("stat_categories", u.stat_categories),
        ):
            for j, o in enumerate(owned):
                need_lib(f"{where}.{name}[{j}].owner", o.owner)
    for i, c in enumerate(f.clients):
        if _key_id(c.key) is None:
            problems.append(f"clients[{i}].key: {KEY_FORM}")

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
    placeholder = {code: n for n, code in enumerate(sorted(libs), start=1)}
    for i, rule in enumerate(f.fulfilment_rules):
        try:
            spec_values(rule_spec(rule), currency=currency, libraries=placeholder)
        except DomainError as exc:
            problems.append(f"fulfilment_rules[{i}]: {exc.message}")
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


def rule_spec(rule: RuleIn) -> RuleSpec:
    """The load file's rule as the staff API's rule spec (one validation for both)."""
    return RuleSpec(
        name=rule.name,
        owner_library_code=rule.owner,
        position=rule.position,
        user_groups=rule.user_groups,
        network_patrons=rule.network_patrons,
        stat_categories=[(s.category, s.value) for s in rule.stat_categories],
        library_codes=rule.libraries,
        locations=rule.locations,
        item_policies=rule.item_policies,
        loanable=rule.loanable,
        loan_period_days=rule.loan_period_days,
        renewals_allowed=rule.renewals_allowed,
        renewal_period_days=rule.renewal_period_days,
        requestable=rule.requestable,
        pickup_allowed=rule.pickup_allowed,
        hold_shelf_days=rule.hold_shelf_days,
        fine_per_day=rule.fine_per_day,
        fine_grace_days=rule.fine_grace_days,
        fine_maximum=rule.fine_maximum,
        lost_after_days_overdue=rule.lost_after_days_overdue,
        lost_replacement_fee=rule.lost_replacement_fee,
        lost_processing_fee=rule.lost_processing_fee,
        lost_fee_refunded=rule.lost_fee_refunded,
    )
