"""Library independence (DOMAIN §7): the policy table in Python and as SQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql

from institution_node.domain.visibility import (
    Facts,
    Ground,
    Kind,
    is_visible,
    may_act_on_owned,
    may_manage_library,
)
from institution_node.store.models import Fee, Loan
from institution_node.store.visibility_sql import owned_columns, visible_clause
from network_common.scope import Scope
from network_common.vocabulary import IndependenceModel as M

MAIN, LAW = 1, 2
AT_LAW = Scope(institution=False, libraries=frozenset({LAW}), session_id="s-law")


def loan(owner: int, at: int, session: str | None = None) -> Facts:
    return Facts(libraries={Ground.OWNER: [owner], Ground.LOAN_LIBRARY: [at]}, session_id=session)


@pytest.mark.parametrize(
    ("model", "facts", "visible"),
    [
        (M.NONE, loan(MAIN, MAIN), True),
        (M.FULL, loan(MAIN, LAW), False),  # checked out at LAW, but not in LAW's session
        (M.FULL, loan(MAIN, LAW, "s-law"), True),  # ... performed in LAW's own session
        (M.FULL, loan(LAW, MAIN), True),  # LAW owns the item
        (M.PARTIAL, loan(MAIN, LAW), True),  # PARTIAL adds "checked out at"
        (M.PARTIAL, loan(MAIN, MAIN), False),
    ],
)
def test_loans(model: M, facts: Facts, visible: bool) -> None:
    assert is_visible(model, Kind.LOAN, AT_LAW, facts) is visible


@pytest.mark.parametrize("model", [M.FULL, M.PARTIAL])
def test_owned_records(model: M) -> None:
    for kind in (Kind.FEE, Kind.BLOCK, Kind.NOTE, Kind.STAT_CATEGORY, Kind.NOTIFICATION):
        assert is_visible(model, kind, AT_LAW, Facts(institution_owned=True))
        assert is_visible(model, kind, AT_LAW, Facts(libraries={Ground.OWNER: [LAW]}))
        assert not is_visible(model, kind, AT_LAW, Facts(libraries={Ground.OWNER: [MAIN]}))
    assert may_act_on_owned(model, AT_LAW, None)
    assert not may_act_on_owned(model, AT_LAW, MAIN)
    assert not may_manage_library(model, AT_LAW, MAIN)
    assert not may_manage_library(model, AT_LAW, None)  # institution-wide roles: not LAW's


def test_institution_scope_and_none_model_see_everything() -> None:
    whole = Scope.whole_institution()
    assert is_visible(M.FULL, Kind.FEE, whole, Facts(libraries={Ground.OWNER: [MAIN]}))
    assert may_manage_library(M.NONE, AT_LAW, MAIN)
    assert may_act_on_owned(M.NONE, AT_LAW, MAIN)


def _sql(clause: object) -> str:
    stmt = select(Fee.id).where(clause)  # type: ignore[arg-type]
    return str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def test_sql_clause_for_owned_records() -> None:
    sql = _sql(visible_clause(Kind.FEE, M.FULL, AT_LAW, owned_columns(Fee.owner_library_id)))
    assert "fee.owner_library_id IN (2)" in sql
    assert "fee.owner_library_id IS NULL" in sql
    assert "WHERE true" in _sql(
        visible_clause(Kind.FEE, M.NONE, AT_LAW, owned_columns(Fee.owner_library_id))
    )


def test_sql_clause_for_loans_uses_the_session_and_hides_missing_columns() -> None:
    full = _sql(
        visible_clause(
            Kind.LOAN,
            M.FULL,
            AT_LAW,
            {Ground.OWNER: Loan.owning_library_id, Ground.OWN_SESSION: Loan.session_id},
        )
    )
    assert "loan.owning_library_id IN (2)" in full
    assert "loan.session_id = 's-law'" in full
    # PARTIAL asks for LOAN_LIBRARY; without that column the ground cannot make rows visible.
    partial = _sql(
        visible_clause(Kind.LOAN, M.PARTIAL, AT_LAW, {Ground.OWNER: Loan.owning_library_id})
    )
    assert "loan_library_id" not in partial
    assert "loan.owning_library_id IN (2)" in partial
    nobody = Scope(institution=False)
    assert "false" in _sql(
        visible_clause(Kind.FEE, M.FULL, nobody, {Ground.OWNER: Fee.owner_library_id})
    )
