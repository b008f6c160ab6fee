"""Loading an institution's data from a JSON file (``institution-node load``)."""
