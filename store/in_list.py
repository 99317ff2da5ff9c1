"""``column IN (the values of one parameter)``, bound as one array on PostgreSQL.

An expanding parameter (``column.in_(bindparam(..., expanding=True))``) is rendered again at every
execution, one placeholder and one type cast per value: for a page of 50 call ids that costs more
CPU than running the query (``bench/call_log.py``: about 0.3 ms per list). On PostgreSQL this
construct is ``column = ANY($1)`` with the list as one array parameter, so the statement's text is
compiled once and cached; elsewhere (SQLite) it is the expanding ``IN``. Either way the statement
can be built once at import and run with ``{name: [values]}``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal


class InList(ColumnElement[bool]):
    """``column`` is one of the values bound to ``name`` at run time (never an empty list)."""

    __visit_name__ = "in_list"
    inherit_cache = True
    type = Boolean()
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement), ("name", InternalTraversal.dp_string)]

    def __init__(self, column: ColumnElement[Any], name: str) -> None:
        self.column = column
        self.name = name


def in_list(column: Any, name: str) -> InList:
    """``column IN :name`` (see the module docstring): ``name`` is bound to a list when the statement runs."""
    return InList(column, name)


@compiles(InList, "postgresql")
def _as_array(element: InList, compiler: SQLCompiler, **kw: Any) -> str:
    array = bindparam(element.name, type_=ARRAY(element.column.type))
    return compiler.process(element.column == any_(array), **kw)


@compiles(InList)
def _as_expanding(element: InList, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column.in_(bindparam(element.name, expanding=True)), **kw)
