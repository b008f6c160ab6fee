"""GraphQL documents for the request tests (staff API)."""

from __future__ import annotations

REQUEST_FIELDS = """
    id kind level status title itemBarcode owningLibraryCode pickupInstitution
    pickupLibraryCode managingLibraryCode patronPrimaryId holdShelfExpiry
    cancelReason cancelledBy allowedActions
"""

PLACE_REQUEST = f"""
mutation($input: PlaceRequestInput!) {{ placeRequest(input: $input) {{ {REQUEST_FIELDS} }} }}
"""

SCAN_IN = f"""
mutation($barcode: String!, $desk: String!) {{
  scanIn(barcode: $barcode, deskCode: $desk) {{
    nextStep destinationLibraryCode destinationInstitution request {{ {REQUEST_FIELDS} }}
  }}
}}
"""

CANCEL_REQUEST = f"""
mutation($id: ID!, $reason: String!) {{
  cancelRequest(id: $id, reason: $reason) {{ {REQUEST_FIELDS} }}
}}
"""

REQUEST = f"query($id: ID!) {{ request(id: $id) {{ {REQUEST_FIELDS} }} }}"

PICK_FROM_SHELF = f"""
query($lib: String!) {{ pickFromShelf(libraryCode: $lib) {{ {REQUEST_FIELDS} callNumber }} }}
"""

PICK_SLIP = "query($id: ID!) { pickSlip(id: $id) }"

MONITOR = f"""
query($status: [RequestStatus!], $pickup: String, $owner: String, $first: Int!, $after: String) {{
  requestsMonitor(status: $status, pickupLibraryCode: $pickup, owningLibraryCode: $owner,
                  first: $first, after: $after) {{
    totalCount endCursor hasNextPage nodes {{ {REQUEST_FIELDS} }}
  }}
}}
"""

PATRON_REQUESTS = """
query($patron: String!, $closed: Boolean!) {
  patronRequests(patronPrimaryId: $patron, closed: $closed) { id status }
}
"""

CREATE_WORK_ORDER = f"""
mutation($barcode: String!, $note: String!) {{
  createWorkOrder(barcode: $barcode, note: $note) {{ {REQUEST_FIELDS} }}
}}
"""
