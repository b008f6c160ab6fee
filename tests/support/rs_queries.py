"""Staff API documents for resource sharing tests (DOMAIN §8)."""

from __future__ import annotations

HISTORY = "history { category kind fromStatus toStatus partnerCode actor active delivery }"
BORROWING = f"""
    id status format title author recordId neededBy patronPrimaryId libraryCode
    pickupLibraryCode partnerCode rota itemBarcode dueAt renewals assignee activeNotes
    availableActions {HISTORY}
"""
LENDING = f"""
    id status partnerCode partnerRequestId title itemBarcode libraryCode dueAt assignee
    activeNotes alerts availableActions {HISTORY}
"""
FACETS = """
    facets {
      status { value count } partner { value count } pickupLocation { value count }
      assignee { value count } hasActiveNote { value count }
    }
"""

PARTNERS = """
query Partners($active: Boolean! = false) {
  resourceSharingPartners(activeOnly: $active) { code name origin protocol authKind active }
}
"""
CREATE_PARTNER = """
mutation CreatePartner($input: PartnerInput!) {
  createPartner(input: $input) { partner { code origin active } inboundSecret }
}
"""
DEACTIVATE_PARTNER = "mutation D($code: String!) { deactivatePartner(code: $code) { code active } }"
SAVE_ROTA = """
mutation SaveRota($input: RotaInput!) { saveRota(input: $input) { code isDefault partnerCodes } }
"""
ROTAS = "query { rotas { code isDefault partnerCodes } }"

CREATE = f"""
mutation Create($input: CreateBorrowingRequestInput!) {{
  createBorrowingRequest(input: $input) {{ {BORROWING} }}
}}
"""
BORROWING_LIST = f"""
query List($filter: BorrowingFilterInput, $first: Int! = 50, $after: String) {{
  borrowingRequests(filter: $filter, first: $first, after: $after) {{
    totalCount endCursor hasNextPage nodes {{ {BORROWING} }} {FACETS}
  }}
}}
"""
BORROWING_LIST_PLAIN = """
query List($first: Int! = 50, $after: String) {
  borrowingRequests(first: $first, after: $after) {
    totalCount endCursor hasNextPage nodes { id status title patronPrimaryId partnerCode }
  }
}
"""
BORROWING_ONE = f"query One($id: ID!) {{ borrowingRequest(id: $id) {{ {BORROWING} }} }}"
LENDING_LIST = f"""
query List($filter: LendingFilterInput, $first: Int! = 50, $after: String) {{
  lendingRequests(filter: $filter, first: $first, after: $after) {{
    totalCount endCursor hasNextPage nodes {{ {LENDING} }} {FACETS}
  }}
}}
"""
LENDING_ONE = f"query One($id: ID!) {{ lendingRequest(id: $id) {{ {LENDING} }} }}"


def borrowing_step(field: str, arguments: str = "", variables: str = "") -> str:
    """A one-step mutation on a borrowing request: ``field(id: $id, <arguments>)``."""
    args = f"id: $id, {arguments}" if arguments else "id: $id"
    return f"mutation Step($id: ID!{variables}) {{ {field}({args}) {{ {BORROWING} }} }}"


def lending_step(field: str, arguments: str = "", variables: str = "") -> str:
    args = f"id: $id, {arguments}" if arguments else "id: $id"
    return f"mutation Step($id: ID!{variables}) {{ {field}({args}) {{ {LENDING} }} }}"
