"""GraphQL documents for pickup anywhere (issue 6): the owner's network API and the hub."""

from __future__ import annotations

STEP = """
    ownerInstitution barcode title requestId requestStatus pickupInstitution
    pickupLibraryCode pickupLibraryName holdShelfExpiry loanStatus loanInstitution dueDate
    nextStep destinationInstitution destinationLibraryCode destinationLibraryName
    patronName homeInstitution homeUserId localPrimaryId networkLinkId
"""

NODE_PLACE = f"""
mutation($patron: NetworkPatronInput!, $pickup: PickupInput!, $key: String!,
         $record: String, $barcode: String) {{
  placeNetworkRequest(patron: $patron, pickup: $pickup, idempotencyKey: $key,
                      recordId: $record, barcode: $barcode) {{ {STEP} }}
}}
"""
NODE_RECEIVE = f"""
mutation($acting: ActingInput!, $barcode: String!, $key: String!) {{
  receiveForPickup(acting: $acting, barcode: $barcode, idempotencyKey: $key) {{ {STEP} }}
}}
"""
NODE_LOAN = f"""
mutation($acting: ActingInput!, $barcode: String!, $patron: NetworkIdentityInput!,
         $key: String!) {{
  loanForPickup(acting: $acting, barcode: $barcode, patron: $patron, idempotencyKey: $key) {{
    {STEP}
  }}
}}
"""
NODE_RETURN = f"""
mutation($acting: ActingInput!, $barcode: String!, $key: String!) {{
  returnForMember(acting: $acting, barcode: $barcode, idempotencyKey: $key) {{ {STEP} }}
}}
"""
NODE_CANCEL = f"""
mutation($patron: NetworkIdentityInput!, $id: Int!, $reason: String!, $key: String!) {{
  cancelNetworkRequest(patron: $patron, requestId: $id, reason: $reason,
                       idempotencyKey: $key) {{ {STEP} }}
}}
"""
NODE_ITEM = f"""
query($acting: ActingInput!, $barcode: String!) {{
  itemForMember(acting: $acting, barcode: $barcode) {{ {STEP} }}
}}
"""

HUB_STEP = """
    ownerInstitution barcode title requestId requestStatus pickupInstitution
    pickupLibraryCode pickupLibraryName holdShelfExpiry loanStatus loanInstitution dueDate
    nextStep destinationInstitution destinationLibraryCode destinationLibraryName
    patronName homeInstitution homeUserId
"""
HUB_REQUEST = f"""
mutation($owner: String!, $pi: String!, $pl: String!, $key: String!, $record: String,
         $barcode: String, $user: String) {{
  networkRequest(owner: $owner, pickupInstitution: $pi, pickupLibraryCode: $pl,
                 idempotencyKey: $key, recordId: $record, barcode: $barcode,
                 homeUserId: $user) {{ {HUB_STEP} }}
}}
"""
HUB_CANCEL = f"""
mutation($owner: String!, $id: Int!, $reason: String!, $key: String!) {{
  cancelNetworkRequest(owner: $owner, requestId: $id, reason: $reason,
                       idempotencyKey: $key) {{ {HUB_STEP} }}
}}
"""
HUB_RECEIVE = f"""
mutation($owner: String!, $barcode: String!, $desk: String!, $key: String!) {{
  receiveForOwner(owner: $owner, barcode: $barcode, deskCode: $desk,
                  idempotencyKey: $key) {{ {HUB_STEP} }}
}}
"""
HUB_LOAN = f"""
mutation($owner: String!, $barcode: String!, $desk: String!, $home: String!,
         $user: String!, $key: String!) {{
  loanForOwner(owner: $owner, barcode: $barcode, deskCode: $desk, homeInstitution: $home,
               homeUserId: $user, idempotencyKey: $key) {{ {HUB_STEP} }}
}}
"""
HUB_RETURN = f"""
mutation($owner: String!, $barcode: String!, $desk: String!, $key: String!) {{
  returnForOwner(owner: $owner, barcode: $barcode, deskCode: $desk,
                 idempotencyKey: $key) {{ {HUB_STEP} }}
}}
"""
HUB_OWNER_ITEM = f"""
query($owner: String!, $barcode: String!, $desk: String!) {{
  ownerItem(owner: $owner, barcode: $barcode, deskCode: $desk) {{ {HUB_STEP} }}
}}
"""
HUB_WALK_IN = """
mutation($home: String!, $user: String!, $key: String!, $desk: String! = "MAIN-DESK",
         $last: String! = "Reader") {
  walkInRegister(homeInstitution: $home, homeUserId: $user, lastName: $last, deskCode: $desk,
                 idempotencyKey: $key) {
    institutionCode localPrimaryId homeInstitution homeUserId networkLinkId firstName
  }
}
"""
HUB_ACTIVITY = """
query($patronId: String!) {
  networkActivity(patronId: $patronId) {
    loans { institutionCode barcode loanInstitution loanLocation }
    requests { institutionCode title status pickupInstitution pickupLocation }
    unavailable { institutionCode code }
  }
}
"""
STAFF_LOAN = """
mutation($desk: String!, $patron: String!, $barcode: String!) {
  loan(desk: $desk, patron: $patron, barcode: $barcode) { id status itemBarcode }
}
"""
