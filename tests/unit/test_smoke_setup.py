from __future__ import annotations

from tests.support.builders import api_key, two_library_institution

INSTITUTION = """{ institution { code fulfillmentIndependenceModel } libraries { code } }"""


async def test_node_serves_institution_to_an_operator(node_factory, db_url) -> None:
    node = await node_factory(two_library_institution(), db_url=db_url)
    token = await node.token(api_key("unia-admin"))
    data = await node.gql(INSTITUTION, token=token)
    assert data["institution"]["code"] == "UNIA"
    assert [lib["code"] for lib in data["libraries"]] == ["LAW", "MAIN"]
