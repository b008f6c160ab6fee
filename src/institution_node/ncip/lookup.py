"""``LookupUser``: the limited patron information of DOMAIN §1, to the brokers that may
know the patron.

A broker may know the patron records its own requests are about: the record standing for
the broker partner (what we lend through it is loaned to that record) and our patrons
whose borrowing requests it carries. Anybody else is Unknown User, exactly as a patron
who does not exist: a broker cannot probe our patron list. The answer holds only name,
e-mail, user group and expiry (and the id asked by); never notes, blocks, addresses,
statistics or activity. A lookup that tries to prove the patron with a PIN or password is
refused (User Authentication Failed): this node does not check patron secrets for
brokers. Nothing is written.
"""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..domain.vocabulary import UserKind
from ..store.models import BorrowingRequest, Partner, User
from .endpoint import Exchange
from .messages import Ident
from .messages import LookupUser as LookupUserMessage
from .problems import NcipProblem, ProblemType
from .responses import LimitedUser, lookup_user
from .wire import serialize


def _unknown(value: str) -> NcipProblem:
    return NcipProblem(
        ProblemType.UNKNOWN_USER,
        "No user of this library answers to that identifier",
        element="UserId/UserIdentifierValue",
        value=value,
    )


class UserLookup:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def __call__(self, exchange: Exchange) -> bytes:
        m = exchange.message
        assert isinstance(m, LookupUserMessage)
        wanted = m.user.ident.value
        if m.user.has_secret:
            raise NcipProblem(
                ProblemType.USER_AUTHENTICATION_FAILED,
                "This library does not authenticate users for brokers",
                element="AuthenticationInput",
            )
        async with self.sessions() as session:
            partner = await session.get_one(Partner, exchange.caller.partner_id)
            user = await session.scalar(
                select(User).where(User.primary_id == wanted, User.kind == UserKind.PATRON.value)
            )
            if user is None or not await _may_know(session, partner, user):
                raise _unknown(wanted)
            limited = LimitedUser(
                user_id=Ident(user.primary_id, agency=exchange.caller.ours or None),
                first_name=user.first_name,
                last_name=user.last_name,
                email=user.email,
                user_group=user.user_group,
                expiry=user.expiry_date,
            )
        return serialize(lookup_user(exchange.parties, limited))


async def _may_know(session: AsyncSession, partner: Partner, user: User) -> bool:
    if partner.user_id == user.id:
        return True
    carried = await session.scalar(
        select(
            exists().where(
                BorrowingRequest.user_id == user.id, BorrowingRequest.partner_id == partner.id
            )
        )
    )
    return bool(carried)
