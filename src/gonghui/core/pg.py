"""PostgreSQL fast paths shared by the set-based engines (pricing, statistics).

Django's cursor sends parameters as text and prints lists into the statement. For statements that
carry tens of thousands of values (``= ANY(%s)``, ``unnest(%s, %s, …)``) these helpers bind them
server-side in binary on Django's own connection, so they run in the caller's transaction.
"""

from __future__ import annotations

from django.db import connection


def on_postgresql(statements: str):
    """A migration's RunPython function that runs ``statements`` on PostgreSQL only (triggers and
    other server-side guards SQLite has no counterpart for)."""
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statements, params=None)  # no placeholders: RAISE uses %
    return apply


def cursor():
    """A psycopg cursor on Django's connection (same transaction) that binds parameters in binary."""
    import psycopg

    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


def rows(sql: str, params: list | None = None) -> list[tuple]:
    """Run ``sql`` (``%s`` placeholders, sent as binary parameters) and return its rows."""
    with cursor() as c:
        c.execute(sql.replace("%s", "%b"), params)
        return c.fetchall()


def execute(sql: str, params: list | None = None) -> int:
    """Run ``sql`` as :func:`rows` does; return the row count."""
    with cursor() as c:
        c.execute(sql.replace("%s", "%b"), params)
        return c.rowcount


def binary_copy_data(c, types, rows) -> bytes:
    """The binary COPY data of ``rows`` (header and trailer included), built without a round trip:
    a thread can build it while another sends the previous block on the connection of ``c``
    (``copy_binary(..., data=...)``)."""
    import io

    from psycopg.copy import Copy, FileWriter

    out = io.BytesIO()
    with Copy(c, binary=True, writer=FileWriter(out)) as copy:
        _write_rows(copy, types, rows)
    return out.getvalue()


def copy_binary(c, table: str, columns, types=None, rows=None, *, data: bytes | None = None) -> None:
    """Binary COPY into ``table`` on the psycopg cursor ``c``: of ``rows``, with declared column
    types (no text escaping of byte strings, no type guessing), or of ``data`` already built by
    ``binary_copy_data``."""
    with c.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
        if data is not None:
            copy.write(data)
        else:
            _write_rows(copy, types, rows)


def _write_rows(copy, types, rows) -> None:
    copy.set_types(types)
    for row in rows:
        copy.write_row(row)
