"""Fulfillment library independence (DOMAIN §7) as a table.

Each record kind lists the *grounds* on which an operator scoped to some libraries may see
it. A ground names one library attribute of the record (its owner, the library it was
loaned at, ...); the record is visible when that attribute is one of the operator's
libraries. ``ANY`` means unrestricted; ``INSTITUTION_OWNED`` means the record belongs to
the institution rather than to a library. Operators scoped to the whole institution see
everything, and under the ``NONE`` model nobody is restricted.

The store layer translates the same table into SQL ``WHERE`` clauses
(``store/visibility_sql.py``), so lists are filtered in the database; :func:`is_visible`
evaluates it in Python for single records and tests.

"Loans performed in the current session" (FULL model): a *session* is one access token
obtained at ``POST /auth/token``; a loan made with that token carries its session id, and
the operator holding that token sees it (``OWN_SESSION``). A new token starts a new session.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from network_common.scope import Scope
from network_common.vocabulary import IndependenceModel


class Kind(StrEnum):
    LOAN = "LOAN"
    RETURNED_LOAN = "RETURNED_LOAN"
    ACTIVE_REQUEST = "ACTIVE_REQUEST"
    CLOSED_REQUEST = "CLOSED_REQUEST"
    NON_PATRON_REQUEST = "NON_PATRON_REQUEST"
    FEE = "FEE"
    BLOCK = "BLOCK"
    NOTE = "NOTE"
    STAT_CATEGORY = "STAT_CATEGORY"
    NOTIFICATION = "NOTIFICATION"
    ATTACHMENT = "ATTACHMENT"


class Ground(StrEnum):
    ANY = "ANY"
    OWNER = "OWNER"  # the item's owning library, or the record's owning library
    INSTITUTION_OWNED = "INSTITUTION_OWNED"  # owned by the institution, not a library
    LOAN_LIBRARY = "LOAN_LIBRARY"  # library of the desk the loan was made at
    RETURN_LIBRARY = "RETURN_LIBRARY"  # library of the desk the item was returned at
    OWN_SESSION = "OWN_SESSION"  # made in the operator's current session
    CANDIDATE_OWNER = (
        "CANDIDATE_OWNER"  # owns an item that may fulfil (the chosen one once itemized)
    )
    PICKUP_LIBRARY = "PICKUP_LIBRARY"
    MANAGING_LIBRARY = "MANAGING_LIBRARY"  # library managing the request right now


_OWNED = frozenset({Ground.OWNER, Ground.INSTITUTION_OWNED})

_FULL: dict[Kind, frozenset[Ground]] = {
    Kind.LOAN: frozenset({Ground.OWNER, Ground.OWN_SESSION}),
    Kind.RETURNED_LOAN: frozenset({Ground.OWNER, Ground.OWN_SESSION}),
    Kind.ACTIVE_REQUEST: frozenset(
        {Ground.CANDIDATE_OWNER, Ground.PICKUP_LIBRARY, Ground.MANAGING_LIBRARY}
    ),
    Kind.CLOSED_REQUEST: frozenset({Ground.CANDIDATE_OWNER}),
    Kind.NON_PATRON_REQUEST: frozenset({Ground.ANY}),
    Kind.FEE: _OWNED,
    Kind.BLOCK: _OWNED,
    Kind.NOTE: _OWNED,
    Kind.STAT_CATEGORY: _OWNED,
    Kind.NOTIFICATION: _OWNED,
    Kind.ATTACHMENT: _OWNED,
}

_PARTIAL: dict[Kind, frozenset[Ground]] = {
    **_FULL,
    Kind.LOAN: frozenset({Ground.OWNER, Ground.OWN_SESSION, Ground.LOAN_LIBRARY}),
    Kind.RETURNED_LOAN: frozenset({Ground.OWNER, Ground.OWN_SESSION, Ground.RETURN_LIBRARY}),
    Kind.CLOSED_REQUEST: frozenset({Ground.CANDIDATE_OWNER, Ground.PICKUP_LIBRARY}),
}

_NONE: dict[Kind, frozenset[Ground]] = {kind: frozenset({Ground.ANY}) for kind in Kind}

POLICY: Mapping[IndependenceModel, Mapping[Kind, frozenset[Ground]]] = {
    IndependenceModel.NONE: _NONE,
    IndependenceModel.FULL: _FULL,
    IndependenceModel.PARTIAL: _PARTIAL,
}


def grounds(model: IndependenceModel, kind: Kind, scope: Scope) -> frozenset[Ground]:
    """The grounds that make a record of ``kind`` visible to ``scope``."""
    if scope.institution:
        return frozenset({Ground.ANY})
    return POLICY[model][kind]


@dataclass(frozen=True, slots=True)
class Facts:
    """A record's library attributes: each ground maps to the libraries it names.

    ``INSTITUTION_OWNED`` and ``OWN_SESSION`` are answered by ``institution_owned`` and
    ``session_id``.
    """

    libraries: Mapping[Ground, Collection[int | None]] = field(default_factory=dict)
    institution_owned: bool = False
    session_id: str | None = None


def is_visible(model: IndependenceModel, kind: Kind, scope: Scope, facts: Facts) -> bool:
    """Evaluate the policy for one record."""
    for ground in grounds(model, kind, scope):
        if ground is Ground.ANY:
            return True
        if ground is Ground.INSTITUTION_OWNED:
            if facts.institution_owned:
                return True
        elif ground is Ground.OWN_SESSION:
            if scope.session_id is not None and facts.session_id == scope.session_id:
                return True
        elif any(lib in scope.libraries for lib in facts.libraries.get(ground, ())):
            return True
    return False


def may_act_on_owned(model: IndependenceModel, scope: Scope, owner_library_id: int | None) -> bool:
    """Paying/waiving a fee, removing a block/note: owned by the operator's libraries or the
    institution (the same rule as seeing it)."""
    if model is IndependenceModel.NONE or scope.institution:
        return True
    return owner_library_id is None or owner_library_id in scope.libraries


def may_manage_library(model: IndependenceModel, scope: Scope, library_id: int | None) -> bool:
    """Renewing a patron role or changing configuration that affects ``library_id``
    (``None`` = institution-wide): only within the operator's scope under FULL/PARTIAL."""
    if model is IndependenceModel.NONE:
        return True
    return scope.covers(library_id)
