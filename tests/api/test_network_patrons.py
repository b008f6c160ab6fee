"""Only DOMAIN §1's limited patron information crosses the network API."""

from __future__ import annotations

from graphql import GraphQLInputObjectType, GraphQLObjectType
from graphql import build_schema as parse_sdl

from institution_node.api.network.schema import build_schema
from tests.conftest import NodeFactory
from tests.support.builders import patron
from tests.support.network_data import member_with_linked_patrons
from tests.support.service_tokens import hub_key, hub_settings, service_token

NETWORK = "/network/graphql"
KEY = hub_key()
HOME_PATRONS = """
query Home($ids: [String!]!) {
  homePatrons(primaryIds: $ids) {
    homeInstitution homeUserId firstName lastName email userGroup expiryDate
    isLinkedAccount sourceInstitution sourceUserId networkLinkId
  }
}
"""
FORBIDDEN = (
    "note",
    "block",
    "address",
    "statcategor",
    "statistic",
    "phone",
    "birth",
    "attachment",
    "notification",
)


def test_network_schema_has_no_private_patron_fields() -> None:
    schema = parse_sdl(build_schema().as_str())
    names = [
        (type_name, field_name)
        for type_name, gql_type in schema.type_map.items()
        if not type_name.startswith("__")
        and isinstance(gql_type, (GraphQLObjectType, GraphQLInputObjectType))
        for field_name in gql_type.fields
    ]
    assert ("NetworkPatron", "email") in names  # the walk sees the patron type
    leaks = [(t, f) for t, f in names if any(word in f.lower() for word in FORBIDDEN)]
    assert leaks == []


async def test_home_patrons_give_limited_information(node_factory: NodeFactory) -> None:
    data = member_with_linked_patrons("UNIB", patrons=1)
    data["users"].append(
        patron(
            "P9",
            address="9 Private Road",
            notes=[{"text": "owes a book"}],
            blocks=[{"description": "stolen card"}],
            stat_categories=[{"category": "DEPT", "value": "HISTORY"}],
            expiry_date="2027-01-31",
        )
    )
    node = await node_factory(data, **hub_settings(KEY))
    body = await node.gql_raw(
        HOME_PATRONS,
        {"ids": ["P9", "UNIA:L1", "unib-admin", "NOBODY"]},
        token=service_token(KEY, "UNIB"),
        path=NETWORK,
    )

    mine, linked = body["data"]["homePatrons"]
    assert mine == {
        "homeInstitution": "UNIB",
        "homeUserId": "P9",
        "firstName": "P9",
        "lastName": "Reader",
        "email": "p9@example.edu",
        "userGroup": "UNDERGRAD",
        "expiryDate": "2027-01-31",
        "isLinkedAccount": False,
        "sourceInstitution": None,
        "sourceUserId": None,
        "networkLinkId": None,
    }
    assert linked["homeUserId"] == "UNIA:L1"
    assert (linked["isLinkedAccount"], linked["sourceInstitution"], linked["sourceUserId"]) == (
        True,
        "UNIA",
        "L1",
    )
    for secret in ("Private Road", "owes a book", "stolen card", "HISTORY"):
        assert secret not in str(body)
