"""Repositories: the queries behind the API, the CLI, the importer and the CTI screen-pop.

Each repository wraps one ``AsyncSession`` (a unit of work from ``Database.session()``); they
flush but never commit, so the caller's ``session()`` block decides the transaction.
"""
