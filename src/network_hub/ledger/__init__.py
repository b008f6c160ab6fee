"""The privacy ledger (DOMAIN §9, docs/PRIVACY_LEDGER.md): every crossing of a patron's
limited information over a member boundary, as the hub brokered it."""
