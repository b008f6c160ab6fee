"""``limit_user_search_by_library_scope`` applies to looking a patron up by id too (issue 11,
enforcement 3): a library-scoped operator's ``user(primaryId)`` of a patron outside the
limit answers exactly like a missing id, as search already finds nothing."""

from __future__ import annotations

import pytest

from tests.conftest import NodeFactory
from tests.support.builders import api_key, patron, two_library_institution
from tests.support.nodes import GraphQLErrors, NodeHarness

USER = "query($id: String!) { user(primaryId: $id) { primaryId firstName email } }"
SEARCH = "query($t: String!) { searchUsers(text: $t, limit: 10) { primaryId } }"


def _data(limit: bool) -> dict[str, object]:
    data = two_library_institution("UNIA", limit_user_search_by_library_scope=limit)
    data["users"] += [patron("MAINER", library="MAIN"), patron("LAWYER", library="LAW")]  # type: ignore[operator]
    return data


async def _errors(node: NodeHarness, token: str, primary_id: str) -> list[dict[str, object]]:
    with pytest.raises(GraphQLErrors) as caught:
        await node.gql(USER, {"id": primary_id}, token=token)
    return [{k: e.get(k) for k in ("message", "extensions")} for e in caught.value.errors]


async def test_lookup_by_id_follows_the_search_limit(
    node_factory: NodeFactory, db_url: str
) -> None:
    node = await node_factory(_data(limit=True), db_url=db_url)
    main_op = await node.token(api_key("unia-main-op"))
    found = (await node.gql(SEARCH, {"t": "er"}, token=main_op))["searchUsers"]
    assert [u["primaryId"] for u in found] == ["MAINER"]
    assert (await node.gql(USER, {"id": "MAINER"}, token=main_op))["user"]["primaryId"] == "MAINER"
    missing = await _errors(node, main_op, "NOBODY")
    assert missing[0]["extensions"] == {"code": "NOT_FOUND"}
    # LAW's patron, an institution-wide patron and a staff record: the same answer as missing.
    for hidden in ("LAWYER", "P1", "unia-law-op"):
        assert await _errors(node, main_op, hidden) == missing, hidden
    admin = await node.token(api_key("unia-admin"))  # institution-wide: not limited
    assert (await node.gql(USER, {"id": "LAWYER"}, token=admin))["user"]["primaryId"] == "LAWYER"


async def test_without_the_setting_lookup_is_not_limited(node_factory: NodeFactory) -> None:
    node = await node_factory(_data(limit=False))
    main_op = await node.token(api_key("unia-main-op"))
    assert (await node.gql(USER, {"id": "LAWYER"}, token=main_op))["user"]["primaryId"] == "LAWYER"
