"""The patron's own network account (issue 14): a patron token reaches only its own data, and
the console gateway only with its session's CSRF token."""

from __future__ import annotations

import pytest

from tests.network.conftest import NetworkFactory
from tests.network.test_getit import patron_token
from tests.support.builders import api_key, patron, two_library_institution
from tests.support.network import LiveNetwork
from tests.support.network_data import member_with_linked_patrons
from tests.support.nodes import GraphQLErrors

pytestmark = pytest.mark.network

MINE = """
{ myNetworkAccount { patronId loanCount loans { institutionCode barcode }
    fees { institutionCode balance } requests { institutionCode holdShelfExpiry } } }
"""
STAFF_VIEW = "query ($p: String!) { networkActivity(patronId: $p) { loanCount } }"


@pytest.fixture
async def net(network_factory: NetworkFactory) -> LiveNetwork:
    home = two_library_institution("UNIA")
    home["users"] += [patron("L1"), patron("L2")]
    return await network_factory([home, member_with_linked_patrons("UNIB", patrons=2)])


async def test_a_patron_sees_only_their_own_network_account(net: LiveNetwork) -> None:
    l1 = (await net.hub_gql(MINE, token=await patron_token(net, "L1")))["myNetworkAccount"]
    assert (l1["patronId"], l1["loanCount"]) == ("L1", 1)
    assert l1["loans"] == [{"institutionCode": "UNIB", "barcode": "X-1"}]
    assert l1["fees"] == [{"institutionCode": "UNIB", "balance": "7.25"}]
    l2 = (await net.hub_gql(MINE, token=await patron_token(net, "L2")))["myNetworkAccount"]
    assert l2["loans"] == [{"institutionCode": "UNIB", "barcode": "X-2"}]
    # No patron argument exists; the staff field refuses a patron token, whoever it names.
    token = await patron_token(net, "L2")
    for patron_id in ("L1", "L2"):
        with pytest.raises(GraphQLErrors) as refused:
            await net.hub_gql(STAFF_VIEW, {"p": patron_id}, token=token)
        assert refused.value.codes == ["FORBIDDEN"]
    # A staff token gets no "own account".
    staff = await net.staff_token("UNIA", api_key("unia-admin"))
    with pytest.raises(GraphQLErrors) as refused:
        await net.hub_gql(MINE, token=staff)
    assert refused.value.codes == ["FORBIDDEN"]
    # Exports refuse patron tokens too.
    answer = await net.http.get(
        f"{net.hub_url}/export/network-activity.csv?patronId=L1&kind=loans",
        headers={"authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 403


async def test_the_console_gateway_wants_the_session_and_its_csrf_token(
    net: LiveNetwork,
) -> None:
    hub = net.hub_url
    query = {"query": "{ members { code } }"}
    assert (await net.http.post(f"{hub}/staff/api/graphql", json=query)).status_code == 401
    signed_in = await net.http.post(
        f"{hub}/staff/sign-in",
        content="method=api_key&institution=UNIA&api_key=" + api_key("unia-admin"),
        headers={"content-type": "application/x-www-form-urlencoded", "origin": hub},
    )
    assert signed_in.status_code == 303
    cookie = signed_in.cookies["lfn_staff"]
    set_cookie = signed_in.headers["set-cookie"].lower()
    assert "httponly" in set_cookie
    assert "samesite=strict" in set_cookie
    assert "path=/staff" in set_cookie
    assert cookie not in signed_in.headers["location"]
    jar = {"cookie": f"lfn_staff={cookie}"}
    # The session alone is not enough: a page of another site could send the cookie.
    answer = await net.http.post(f"{hub}/staff/api/graphql", json=query, headers=jar)
    assert answer.status_code == 403
    page = await net.http.get(f"{hub}/staff/activity", headers=jar)
    csrf = page.text.split('name="csrf-token" content="')[1].split('"')[0]
    assert cookie not in page.text  # the token never reaches the page
    answer = await net.http.post(
        f"{hub}/staff/api/graphql", json=query, headers={**jar, "x-csrf-token": csrf}
    )
    assert answer.json()["data"]["members"][0]["code"] == "UNIA"
    # A sign-in form posted from elsewhere is refused.
    foreign = await net.http.post(
        f"{hub}/staff/sign-in",
        content="method=api_key&institution=UNIA&api_key=" + api_key("unia-admin"),
        headers={"content-type": "application/x-www-form-urlencoded", "origin": "http://evil"},
    )
    assert foreign.status_code == 403
    wrong = await net.http.post(
        f"{hub}/staff/sign-in",
        content="method=api_key&institution=UNIA&api_key=lfn_nope_nope",
        headers={"content-type": "application/x-www-form-urlencoded", "origin": hub},
    )
    assert wrong.status_code == 401
    assert 'role="alert"' in wrong.text


async def test_a_member_the_hub_has_not_synced_is_named_not_left_out(
    network_factory: NetworkFactory,
) -> None:
    """Issue 10, item 2, for the patron's own view: a member down when the hub synced."""
    home = two_library_institution("UNIA")
    home["users"] += [patron("L1")]
    net = await network_factory(
        [home, member_with_linked_patrons("UNIB", patrons=1)], sync_index=False, down=["UNIB"]
    )
    await net.sync_index()
    query = "{ myNetworkAccount { loanCount unavailable { institutionCode code } } }"
    token = await patron_token(net, "L1")
    mine = (await net.hub_gql(query, token=token))["myNetworkAccount"]
    assert mine == {
        "loanCount": 0,
        "unavailable": [{"institutionCode": "UNIB", "code": "INDEX_NOT_READY"}],
    }
    await net.nodes["UNIB"].start()
    await net.sync_index()
    mine = (await net.hub_gql(query, token=token))["myNetworkAccount"]
    assert mine == {"loanCount": 1, "unavailable": []}
