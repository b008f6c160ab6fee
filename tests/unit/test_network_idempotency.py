"""What counts as "the same request" for an idempotency key."""

from __future__ import annotations

from datetime import date

from institution_node.services.idempotency import payload_hash
from institution_node.services.network.linked_accounts import LinkedAccount


def test_key_order_does_not_matter_but_values_and_operation_do() -> None:
    a = payload_hash("ensureLinkedAccount", {"homeUserId": "ada", "origin": "AUTO"})
    assert a == payload_hash("ensureLinkedAccount", {"origin": "AUTO", "homeUserId": "ada"})
    assert a != payload_hash("ensureLinkedAccount", {"origin": "AUTO", "homeUserId": "bob"})
    assert a != payload_hash("placeRequest", {"origin": "AUTO", "homeUserId": "ada"})


def test_stored_linked_account_reads_back_identically() -> None:
    account = LinkedAccount(
        local_primary_id="UNIA:ada",
        home_institution="UNIA",
        home_user_id="ada",
        network_link_id="0" * 32,
        first_name="Ada",
        last_name="Lovelace",
        email=None,
        user_group="GRAD",
        expiry_date=date(2027, 6, 30),
        origin="AUTO",
    )
    assert LinkedAccount.from_dict(account.to_dict()) == account
