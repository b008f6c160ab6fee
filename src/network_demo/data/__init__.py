"""Demo network data, generated in code from a seed (no data files): three members with
libraries, staff, patrons, a shared catalogue, linked accounts and activity."""

from network_demo.data.network import (
    DEFAULT_SEED,
    DemoNetwork,
    FeaturedPatron,
    MemberData,
    build_network,
)

__all__ = ["DEFAULT_SEED", "DemoNetwork", "FeaturedPatron", "MemberData", "build_network"]
