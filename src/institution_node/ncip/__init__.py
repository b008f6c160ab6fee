"""NCIP v2.02 at the node: broker-based resource sharing (DOMAIN §8, seed 004).

- ``wire``: safe parsing, FOLIO-style fix-ups, XSD checks, writing;
- ``messages``: the initiation messages served, decoded and checked per service;
- ``problems`` / ``problem_map``: NCIP problem types and domain refusals as problems;
- ``responses``: every answer and every message the node sends, XSD-valid;
- ``endpoint``: ``POST /ncip`` (size cap, authentication, dispatch, metrics);
- ``directory``: who may call (broker partners and their secrets);
- ``handlers`` (lending), ``lookup`` (LookupUser), ``accept`` (AcceptItem), with ``finding``
  (what a message names) and ``once`` (a retry answers the same, changes nothing);
- ``initiator`` / ``answers``: the outbox's ``ncip`` sender (RenewItem, RecallItem) and what
  the broker's answers do; ``responder`` assembles the endpoint for the app.

Protocol types stay here: handlers call the same service functions as the GraphQL APIs.
The profile (services, problem types, authentication, lookups) is in docs/NCIP.md.
"""
