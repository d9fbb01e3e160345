"""PostgreSQL COPY for the benchmark seed: rows as text, keys reserved up front (BENCHMARK ONLY).

`copy_rows` writes tuples of Python values with one `COPY … FROM STDIN` (text format) on the connection's own
psycopg2 cursor, inside whatever transaction Django has open. `reserve_ids` takes n values of a table's id
sequence, so rows of several tables can reference each other before any of them is written.
"""

import datetime
import io
import time

from django.db import connection

# COPY's text format: backslash, tab, newline and carriage return are escaped; NULL is \N.
NULL = "\\N"
SPENT: dict[str, float] = {}  # seconds of COPY per table in this process (the seed prints them)


def text(value) -> str:
    """One value in COPY text format."""
    if value is None:
        return NULL
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()  # aware datetimes carry their offset: exact whatever the session's time zone
    return str(value)


# Fast path: a row's values are joined with separators that generated data never contains, the whole batch is
# escaped with str.replace (much faster than translate on CJK text), then the separators become tab / newline and the NULL mark becomes \N.
_SEP, _EOL, _NUL = "\x1f", "\x1e", "\x1d"


def copy_rows(table: str, columns: list[str], rows) -> int:
    """COPY `rows` (tuples in `columns` order) into `table`; returns how many were written."""
    body, n = format_rows(rows)
    return copy_text(table, columns, body, n) if n else 0


def format_rows(rows) -> tuple[str, int]:
    """Rows in COPY text format, and how many. Values: str, None, int, bool (True/False are valid boolean input),
    date, aware datetime (str() carries the offset), or a str of JSON for a json column."""
    sep, nul, lines = _SEP, _NUL, []
    append = lines.append
    for row in rows:
        append(sep.join([nul if v is None else v if v.__class__ is str else str(v) for v in row]))
    if not lines:
        return "", 0
    body = _EOL.join(lines) + _EOL
    body = (body.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
            .replace(_SEP, "\t").replace(_EOL, "\n").replace(_NUL, NULL))
    return body, len(lines)


def copy_text(table: str, columns: list[str], body: str, n: int) -> int:
    """COPY lines already formatted (`format_rows`)."""
    buf = io.StringIO(body)
    qn = connection.ops.quote_name
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY {qn(table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN", buf,
                                  # in one read: from the writer thread, each read waits for the GIL
                                  size=max(8192, len(body)))
    SPENT[table] = SPENT.get(table, 0.0) + time.perf_counter() - t0
    return n


def reserve_ids(table: str, n: int) -> list[int]:
    """n fresh primary keys of `table` from its sequence (ascending)."""
    if n <= 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, n])
        return sorted(r[0] for r in cursor.fetchall())
