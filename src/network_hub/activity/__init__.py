"""Network Activity (DOMAIN §4): who may ask, and merging the members' answers."""
