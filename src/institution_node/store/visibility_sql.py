"""The visibility policy (``domain/visibility.py``) as SQL ``WHERE`` clauses.

Each record kind names the columns that answer its grounds; :func:`visible_clause` turns
``POLICY[model][kind]`` into one boolean clause, so lists, counts and sums only ever touch
rows the operator may see (no Python filtering of all rows).

Column conventions for the ``columns`` mapping:

- a library ground (``OWNER``, ``LOAN_LIBRARY``, ``RETURN_LIBRARY``, ``PICKUP_LIBRARY``...)
  maps to a library id column, tested with ``IN (operator's libraries)``;
- ``INSTITUTION_OWNED`` maps to the owner column, tested with ``IS NULL``;
- ``OWN_SESSION`` maps to the session id column, tested against the token's ``sid``.

A ground the policy asks for but ``columns`` does not provide counts as "not visible on
this ground" (never as visible), so a forgotten column hides rather than leaks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, false, or_, true
from sqlalchemy.orm import QueryableAttribute

from network_common.scope import Scope
from network_common.vocabulary import IndependenceModel

from ..domain.visibility import Ground, Kind, grounds

#: A column or a mapped attribute (``Loan.owning_library_id``).
SqlColumn = ColumnElement[Any] | QueryableAttribute[Any]


def _ground_clause(
    ground: Ground, scope: Scope, columns: Mapping[Ground, SqlColumn]
) -> ColumnElement[bool]:
    if ground is Ground.ANY:
        return true()
    column = columns.get(ground)
    if column is None:
        return false()
    if ground is Ground.INSTITUTION_OWNED:
        return column.is_(None)
    if ground is Ground.OWN_SESSION:
        if not scope.session_id:
            return false()
        return column == scope.session_id
    if not scope.libraries:
        return false()
    return column.in_(sorted(scope.libraries))


def visible_clause(
    kind: Kind,
    model: IndependenceModel,
    scope: Scope,
    columns: Mapping[Ground, SqlColumn],
) -> ColumnElement[bool]:
    """Rows of ``kind`` that ``scope`` may see under ``model``, as one SQL condition."""
    allowed = grounds(model, kind, scope)
    if Ground.ANY in allowed:
        return true()
    return or_(false(), *(_ground_clause(g, scope, columns) for g in sorted(allowed)))


def owned_columns(owner_column: SqlColumn) -> dict[Ground, SqlColumn]:
    """The column map of records owned by a library or the institution (fees, blocks,
    notes, statistical categories, notifications, attachments)."""
    return {Ground.OWNER: owner_column, Ground.INSTITUTION_OWNED: owner_column}
