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
