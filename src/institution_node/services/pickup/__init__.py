"""Pickup anywhere, return anywhere and walk-ins across members (DOMAIN §6, issue 6).

The owner B keeps the request and the loan; the hub acts on B's item for the pickup or
returning member C, naming C's institution and library (``Acting``). Every write is keyed
(``services/idempotency.run_idempotent``) and is the only write of the workflow step.
"""
