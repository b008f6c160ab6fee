"""Writing a checked load file: institution, libraries, users, inventory, loans and fees."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.vocabulary import LinkChangeKind, LinkOrigin

from ..auth import apikeys
from ..domain.money import parse_amount, parse_optional_fee, to_minor
from ..services.fulfilment.rules import spec_values
from ..services.fulfilment.terms import item_facts, load_rule_book, patron_facts
from ..services.network import link_changes
from ..store.models import (
    ApiKey,
    BibRecord,
    Block,
    Desk,
    Fee,
    FulfilmentRule,
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
from .check import rule_spec
from .schema import LoadFile


async def write(session: AsyncSession, f: LoadFile) -> dict[str, int]:
    """Write a file that :func:`find_problems` accepted (no commit); returns counts."""
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
        fee = (
            None
            if lib_in.registration_fee is None
            else parse_optional_fee(lib_in.registration_fee, currency, field="registration_fee")
        )
        lib = Library(
            code=lib_in.code,
            name=lib_in.name,
            reply_to_email=lib_in.reply_to_email,
            registration_fee_minor=None if fee is None else to_minor(fee, currency),
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
    for user in users.values():
        if user.is_linked:  # the hub's change feed learns of loaded links too
            await link_changes.record(session, kind=LinkChangeKind.LINKED, user=user)
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
                    item_policy=it.policy,
                    loanable=it.loanable,
                    requestable=it.requestable,
                    loan_period_days=it.loan_period_days,
                    renewals_allowed=it.renewals_allowed,
                )
                session.add(item)
                items[it.barcode] = item
    await session.flush()

    library_ids = {code: lib.id for code, lib in libs.items()}
    for rule in f.fulfilment_rules:
        values = spec_values(rule_spec(rule), currency=currency, libraries=library_ids)
        session.add(FulfilmentRule(**values, version=1))
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
        # Loans in the file are made under the terms that apply now (the rules above).
        book = await load_rule_book(session)
        borrowers = await patron_facts(
            session, user_ids=[patron_rows[loan.patron].id for loan in f.loans]
        )
        for loan in f.loans:
            item = items[loan.barcode]
            desk = desks[loan.desk]
            item.status = "ON_LOAN"
            terms = book.terms(borrowers[patron_rows[loan.patron].id], item_facts(item))
            session.add(
                Loan(
                    rule_id=terms.rule_id,
                    terms=terms.to_dict(),
                    lost_at=terms.lost_at(loan.due_at),
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
    return {
        "libraries": len(f.libraries),
        "desks": sum(len(lib.desks) for lib in f.libraries),
        "users": len(f.users),
        "records": len(f.records),
        "items": len(items),
        "loans": len(f.loans),
        "fees": len(f.fees),
        "fulfilment rules": len(f.fulfilment_rules),
    }
