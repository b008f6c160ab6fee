"""The member call behind Network Activity: one ``networkActivity`` document per member,
carrying every identity that member is asked about in this request."""

from __future__ import annotations

from typing import Any

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
    """identity -> the member's PatronActivity answer (a dict as sent)."""
    patrons = [{"homeInstitution": h, "homeUserId": u} for h, u in identities]
    data = await client.query(NETWORK_ACTIVITY_QUERY, {"patrons": patrons})
    return {(a["homeInstitution"], a["homeUserId"]): a for a in data["networkActivity"]}
