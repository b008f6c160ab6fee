"""An institution node: one member institution's circulation service."""
