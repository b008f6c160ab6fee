"""Get It across the network (issue 5): availability fan-out, shaping, registration, cache."""
