"""Network API documents the hub sends for pickup anywhere (docs/NETWORK.md)."""

from __future__ import annotations

STEP = """
    ownerInstitution barcode title requestId requestStatus pickupInstitution
    pickupLibraryCode pickupLibraryName holdShelfExpiry loanStatus loanInstitution dueDate
    nextStep destinationInstitution destinationLibraryCode destinationLibraryName
    patronName homeInstitution homeUserId localPrimaryId networkLinkId
"""
DESK = """
query HubDesk($code: String!) {
  networkDesk(code: $code) {
    deskCode deskName libraryId libraryCode libraryName pickupPoint replyTo
  }
}
"""
PICKUP_LIBRARIES = "query HubPickupLibraries { pickupLibraries { code name } }"
PLACE = f"""
mutation HubPlace($patron: NetworkPatronInput!, $pickup: PickupInput!, $key: String!,
                  $record: String, $barcode: String) {{
  step: placeNetworkRequest(patron: $patron, pickup: $pickup, idempotencyKey: $key,
                            recordId: $record, barcode: $barcode) {{ {STEP} }}
}}
"""
CANCEL = f"""
mutation HubCancel($patron: NetworkIdentityInput!, $id: Int!, $reason: String!,
                   $key: String!) {{
  step: cancelNetworkRequest(patron: $patron, requestId: $id, reason: $reason,
                             idempotencyKey: $key) {{ {STEP} }}
}}
"""
RECEIVE = f"""
mutation HubReceive($acting: ActingInput!, $barcode: String!, $key: String!) {{
  step: receiveForPickup(acting: $acting, barcode: $barcode, idempotencyKey: $key) {{ {STEP} }}
}}
"""
LOAN = f"""
mutation HubLoan($acting: ActingInput!, $barcode: String!, $patron: NetworkIdentityInput!,
                 $key: String!, $record: NetworkPatronInput) {{
  step: loanForPickup(acting: $acting, barcode: $barcode, patron: $patron,
                      idempotencyKey: $key, homeRecord: $record) {{ {STEP} }}
}}
"""
RETURN = f"""
mutation HubReturn($acting: ActingInput!, $barcode: String!, $key: String!) {{
  step: returnForMember(acting: $acting, barcode: $barcode, idempotencyKey: $key) {{ {STEP} }}
}}
"""
ITEM = f"""
query HubOwnerItem($acting: ActingInput!, $barcode: String!) {{
  step: itemForMember(acting: $acting, barcode: $barcode) {{ {STEP} }}
}}
"""
ENSURE = """
mutation HubWalkIn($patron: NetworkPatronInput!, $key: String!, $desk: String!) {
  ensureLinkedAccount(patron: $patron, origin: WALK_IN, idempotencyKey: $key, deskCode: $desk) {
    localPrimaryId homeInstitution homeUserId networkLinkId firstName lastName email
    userGroup expiryDate origin
  }
}
"""
DESK_PATRON = """
query HubDeskPatron($id: String!, $lastName: String!) {
  deskPatron(primaryId: $id, lastName: $lastName) {
    homeInstitution homeUserId firstName lastName email userGroup expiryDate
  }
}
"""
