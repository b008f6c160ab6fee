"""Talking to member nodes: service tokens, per-member clients, breakers, batching."""
