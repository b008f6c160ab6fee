"""The hub's own database: the linked-account index and idempotency records."""
