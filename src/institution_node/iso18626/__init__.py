"""ISO 18626 (v1.2), the peer-to-peer resource sharing protocol, at the node (DOMAIN §8).

- ``wire.py`` — safe parsing and the fix-ups for what real peers send, the XSD, writing;
- ``codec.py`` — messages to and from the services' ``PartnerMessage``; confirmations;
- ``auth.py`` — which partner sent a message (member tokens, outside partners' secrets);
- ``handlers.py`` — the step a message asks for, deduplicated, in one transaction;
- ``endpoint.py`` — ``POST /iso18626``;
- ``sender.py`` — the outbox's channel ``iso18626`` (what we tell partners).

docs/RESOURCE_SHARING.md ("The ISO 18626 wire") describes authentication, errors and
deduplication for partners.
"""
