"""Fulfilment: the owner's terms of use and what follows from them (DOMAIN §1, §2, §7).

- ``terms.py`` — which rule applies: ``terms_for(session, *, patron_id, item_id)`` →
  ``domain.fulfilment.Terms`` (frozen), batch helpers, the terms a loan keeps;
- ``rules.py`` — administering rules on the staff API (fulfillment administrators);
- ``fines.py`` — overdue fines; job ``accrue_fines(sessions, *, now)``;
- ``notices.py`` — courtesy / overdue notices; job ``send_loan_notices(sessions, *, now)``;
- ``lost.py`` — lost loans (staff and job), found items and refunds; job
  ``declare_overdue_lost(sessions, *, now)``;
- ``jobs.py`` — ``run_overdue_and_lost(sessions, *, now)``: the three jobs in order.

Every job takes the node's ``async_sessionmaker`` and a keyword-only ``now`` (an explicit
clock, so tests and schedulers decide the moment) and is idempotent for a given ``now``.
"""
