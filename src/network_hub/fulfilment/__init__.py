"""Pickup anywhere, return anywhere and walk-in registration across members (issue 6)."""
