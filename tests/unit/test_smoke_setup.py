from __future__ import annotations

from tests.conftest import NodeFactory
from tests.support.builders import api_key, two_library_institution

INSTITUTION = """{ institution { code fulfillmentIndependenceModel } libraries { code } }"""


async def test_node_serves_institution_to_an_operator(node_factory, db_url) -> None:
    node = await node_factory(two_library_institution(), db_url=db_url)
    token = await node.token(api_key("unia-admin"))
    data = await node.gql(INSTITUTION, token=token)
    assert data["institution"]["code"] == "UNIA"
    assert [lib["code"] for lib in data["libraries"]] == ["LAW", "MAIN"]


async def test_metrics_labels_stay_bounded(node_factory: NodeFactory) -> None:
    """Made-up paths and methods are counted as "other", never as new label values."""
    node = await node_factory(two_library_institution())
    for i in range(3):
        await node.client.request(f"BREW{i}", f"/graphql/secret-{i}")
    metrics = (await node.client.get("/metrics")).text
    assert "BREW" not in metrics
    assert "secret" not in metrics
    assert 'method="other",path="other"' in metrics
