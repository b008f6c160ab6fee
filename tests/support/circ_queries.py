"""GraphQL documents for the circulation tests (staff API)."""

from __future__ import annotations

LOAN_FIELDS = (
    "id status itemBarcode title patronPrimaryId owningLibraryCode loanDeskCode "
    "loanLibraryCode dueAt renewals renewalsAllowed returnDeskCode returnLibraryCode"
)
FEE_FIELDS = (
    "id type ownerLibraryCode currency originalAmount balance status "
    "transactions { kind amount deskCode note }"
)

LOAN = f"""
mutation($desk: String!, $patron: String!, $barcode: String!) {{
  loan(desk: $desk, patron: $patron, barcode: $barcode) {{ {LOAN_FIELDS} }}
}}"""

RENEW = f"mutation($id: ID!) {{ renew(loanId: $id) {{ {LOAN_FIELDS} }} }}"

RETURN = f"""
mutation($desk: String!, $barcode: String!) {{
  return(desk: $desk, barcode: $barcode) {{
    nextStep destinationLibraryCode destinationLibraryName loan {{ {LOAN_FIELDS} }}
  }}
}}"""

ITEM = f"""
query($barcode: String!) {{
  item(barcode: $barcode) {{
    barcode title status owningLibraryCode location loanable loanPeriodDays
    renewalsAllowed dueAt loan {{ {LOAN_FIELDS} }}
  }}
}}"""

USER_LOANS = f"""
query($id: String!) {{ user(primaryId: $id) {{ loans {{ {LOAN_FIELDS} }} }} }}"""

USER_FEES = f"""
query($id: String!) {{ user(primaryId: $id) {{ fees {{ {FEE_FIELDS} }} }} }}"""

USER_RECORD = f"""
query($id: String!) {{
  user(primaryId: $id) {{
    primaryId firstName lastName email expiryDate
    loans {{ {LOAN_FIELDS} }}
    loanHistory {{ {LOAN_FIELDS} }}
    fees {{ {FEE_FIELDS} }}
    feeBalance {{ amount currency }}
    blocks {{ id ownerLibraryCode description }}
    notes {{ id ownerLibraryCode text }}
    statCategories {{ id ownerLibraryCode category value }}
    notifications {{ id ownerLibraryCode letter replyTo subject }}
    attachments {{ id ownerLibraryCode name notificationId }}
    patronRoles {{ id libraryCode expiryDate }}
  }}
}}"""

SEARCH_USERS = """
query($text: String!, $limit: Int!) {
  searchUsers(text: $text, limit: $limit) { primaryId kind firstName lastName }
}"""

CREATE_FEE = f"""
mutation($patron: String!, $type: FeeType!, $amount: String!, $owner: String) {{
  createFee(patron: $patron, type: $type, amount: $amount, ownerLibrary: $owner) {{
    {FEE_FIELDS}
  }}
}}"""

PAY_FEE = f"""
mutation($id: ID!, $amount: String!, $desk: String!) {{
  payFee(feeId: $id, amount: $amount, desk: $desk) {{ {FEE_FIELDS} }}
}}"""

WAIVE_FEE = f"""
mutation($id: ID!, $amount: String, $reason: String) {{
  waiveFee(feeId: $id, amount: $amount, reason: $reason) {{ {FEE_FIELDS} }}
}}"""

ADD_BLOCK = """
mutation($patron: String!, $description: String!, $owner: String) {
  addBlock(patron: $patron, description: $description, ownerLibrary: $owner) {
    id ownerLibraryCode description
  }
}"""

REMOVE_BLOCK = "mutation($id: ID!) { removeBlock(id: $id) }"

ADD_NOTE = """
mutation($patron: String!, $text: String!, $owner: String) {
  addNote(patron: $patron, text: $text, ownerLibrary: $owner) { id ownerLibraryCode text }
}"""

REMOVE_NOTE = "mutation($id: ID!) { removeNote(id: $id) }"

ADD_STAT = """
mutation($patron: String!, $category: String!, $value: String!, $owner: String) {
  addStatCategory(patron: $patron, category: $category, value: $value, ownerLibrary: $owner) {
    id ownerLibraryCode category value
  }
}"""

REMOVE_STAT = "mutation($id: ID!) { removeStatCategory(id: $id) }"

REGISTER = """
mutation($desk: String!, $patron: PatronRegistrationInput!) {
  registerPatron(desk: $desk, patron: $patron) {
    primaryId expiryDate patronRoles { id libraryCode expiryDate }
    fees { type ownerLibraryCode originalAmount }
    notifications { letter ownerLibraryCode replyTo }
  }
}"""

RENEW_ROLE = """
mutation($id: ID!, $expiry: Date) {
  renewPatronRole(roleId: $id, newExpiry: $expiry) { id libraryCode expiryDate }
}"""
