"""Repositories: the queries behind the API, the CLI, the importer and the CTI screen-pop.

Each repository wraps one ``AsyncSession`` (a unit of work from ``Database.session()``); they
flush but never commit, so the caller's ``session()`` block decides the transaction. Those on the
ring's path (the call log, presence, webhook receipts) also run :class:`store.hot.HotStatement`
objects, each its own round trip outside any unit of work; ``open_calls`` takes the ``Database``
(a failover's reconcile); ``work_summary`` keeps the work list's columns of a customer row (an
``after_flush`` hook that ``store.db`` registers).
"""
