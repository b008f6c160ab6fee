"""Resource sharing (DOMAIN §8): partners and rotas, borrowing and lending requests.

- ``partners.py``, ``rotas.py`` — the directory (network members from the hub, outside
  partners and brokers typed in by staff) and ordered partner lists;
- ``lending.py`` / ``lending_loans.py`` — the supplier side: a partner's request from
  NEW to COMPLETED (``domain/lending.py`` is its table);
- ``borrowing.py`` / ``borrowing_loans.py`` — the requester side: temporary records, the
  rota, the patron's loan through the ordinary desk (``domain/borrowing.py``);
- ``recalls.py`` — a copy lent to a broker is recalled when a local request waits for it;
- ``annotations.py`` — notes, general messages both ways, assignment, alerts;
- ``messages.py`` / ``outgoing.py`` — what goes to a partner, in protocol-neutral words,
  through the outbox (a protocol's sender renders it);
- ``views.py`` — staff lists with facets and keyset paging, one request with history;
- ``patron.py`` — a patron's own request at home, through the hub (idempotent).

Protocol modules (``institution_node/iso18626``, NCIP) parse their messages and call these
functions with an ``Actor`` naming the partner; staff resolvers call them with the
operator. Step functions flush but never commit: the caller commits, so a protocol keeps
its deduplication in the same transaction as the state change.
"""
