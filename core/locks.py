"""One node at a time (docs/deploy.md, "more than one app server").

`single_node(name)` holds a PostgreSQL session-level advisory lock for the duration of the block and says whether it
got it: on two app servers whose timers fire together, one sweep runs and the other returns at once. The lock
belongs to the database session, so a node that crashes mid-run releases it with its connection. On SQLite (one
machine, development) writers are serialised by the database itself and the block always runs.
"""

import contextlib
import hashlib

from django.db import DatabaseError, connection


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (advisory locks are numbered, not named)."""
    return int.from_bytes(hashlib.sha256(f"jiaxiang:{name}".encode()).digest()[:8], "big", signed=True)


@contextlib.contextmanager
def single_node(name: str):
    if connection.vendor != "postgresql":
        yield True
        return
    key = lock_key(name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
            except DatabaseError:
                # An aborted transaction cannot run the unlock: ending the session releases the lock instead, so
                # a long-lived process (a job worker) never keeps the other nodes out.
                connection.close()
