"""Network API documents the hub sends for resource sharing (docs/RESOURCE_SHARING.md)."""

from __future__ import annotations

REQUEST = """
mutation HubResourceSharingRequest($user: String!, $request: PatronResourceSharingInput!,
                                   $key: String!) {
  request: requestResourceSharing(homeUserId: $user, request: $request, idempotencyKey: $key) {
    id status title pickupLibraryCode pickupLibraryName neededBy
  }
}
"""
PATRON_REQUESTS = """
query HubPatronBorrowingRequests($user: String!) {
  requests: patronBorrowingRequests(homeUserId: $user) {
    id status title pickupLibraryCode pickupLibraryName neededBy
  }
}
"""
SYNC_PARTNERS = """
mutation HubSyncPartners($members: [NetworkPartnerInput!]!) {
  report: syncResourceSharingPartners(members: $members) { added updated deactivated }
}
"""
RECORD_TITLE = """
query HubRecordTitle($ids: [String!]!) {
  availability(recordIds: $ids, detail: BRIEF) { records { recordId found title } }
}
"""
NETWORK_ROTA = """
query HubNetworkRota($ids: [String!]!) {
  availability(recordIds: $ids, detail: BRIEF) {
    records { recordId found totalItems availableItems }
  }
}
"""
