"""Resource sharing partners (DOMAIN §8): who they are, how we talk to them, how they prove
who they are.

A partner is a member of the network (its record comes from the hub's member list and is
kept in step with it: nobody retypes it) or a library outside the network typed in by
staff. Each speaks one protocol: ISO 18626 with peers, NCIP with a broker.

How a partner authenticates its messages to us (``PartnerAuth``):

- ``NETWORK_TOKEN``: members sign a short-lived token with their own node key (the keys
  they publish at ``/.well-known/jwks.json``, the same trust the hub uses); the partner
  record knows where those keys are.
- ``SHARED_SECRET``: an outside partner presents a secret we gave it (we keep only its
  SHA-256 digest); when we send to it we present the secret it gave us.
"""

from __future__ import annotations

from enum import StrEnum

#: The agency id scheme of network members in ISO 18626 headers: ``NETWORK:<member code>``.
NETWORK_AGENCY_TYPE = "NETWORK"


class PartnerProtocol(StrEnum):
    ISO18626 = "ISO18626"
    NCIP = "NCIP"


class PartnerAuth(StrEnum):
    NETWORK_TOKEN = "NETWORK_TOKEN"
    SHARED_SECRET = "SHARED_SECRET"


class PartnerOrigin(StrEnum):
    NETWORK = "NETWORK"  # a network member, from the hub's member list
    LOCAL = "LOCAL"  # typed in by staff (libraries outside the network, brokers)


def partner_user_id(partner_code: str) -> str:
    """The primary id of the patron record that stands for a partner's institution: what
    we lend to it is loaned to this record (seed 003: the item is loaned to the partner)."""
    return f"rs-partner:{partner_code}"
