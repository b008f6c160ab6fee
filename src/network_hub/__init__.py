"""The network hub: member registry, caller trust, fan-out to member nodes, merged answers."""
