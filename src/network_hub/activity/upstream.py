"""The member call behind Network Activity: one ``networkActivity`` document per member,
carrying every identity that member is asked about in this request."""

from __future__ import annotations

from typing import Any

from network_common.vocabulary import FeeType, RequestStatus

from ..members.client import MemberClient

Identity = tuple[str, str]  # (home institution, home user id)

NETWORK_ACTIVITY_QUERY = """
query HubNetworkActivity($patrons: [NetworkIdentityInput!]!) {
  networkActivity(patrons: $patrons) {
    homeInstitution homeUserId found
    loans { title author barcode loanDate dueDate renewals loanInstitution loanLocation
            owningLibrary }
    requests { title author status pickupInstitution pickupLocation placedDate
               managingLibrary owningLibrary holdShelfExpiry }
    fees { type original balance currency owner }
  }
}
"""


async def fetch_activity(client: MemberClient, identities: list[Any]) -> dict[Any, Any]:
    """identity -> the member's PatronActivity answer (a dict as sent, its closed sets
    decoded). A value outside a closed set raises ValueError: the member is named as
    MEMBER_ERROR (members/batching.py) instead of breaking the whole answer."""
    patrons = [{"homeInstitution": h, "homeUserId": u} for h, u in identities]
    data = await client.query(NETWORK_ACTIVITY_QUERY, {"patrons": patrons})
    answers = data["networkActivity"]
    for answer in answers:
        for request in answer.get("requests") or ():
            request["status"] = RequestStatus(request["status"])
        for fee in answer.get("fees") or ():
            fee["type"] = FeeType(fee["type"])
    return {(a["homeInstitution"], a["homeUserId"]): a for a in answers}
