"""The demo network: the hub and three sample members in one process.

The only package allowed to import both `network_hub` and `institution_node`.
"""
