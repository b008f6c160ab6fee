"""A patron's resource sharing request at their home institution, through the hub."""
