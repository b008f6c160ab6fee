"""The node's network API (``/network/graphql``): only the hub calls it (docs/NETWORK.md)."""
