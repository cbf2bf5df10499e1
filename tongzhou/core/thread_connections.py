"""A server thread's database connection closes when the thread ends.

Django keeps one connection per thread and closes it at the end of a request only once it
is older than CONN_MAX_AGE. The production server's request threads come and go: granian
ends a thread that has been idle for a while (30 s) and starts a new one when requests come
again. The ended thread's connection wrapper is then garbage, but held in reference cycles,
so only a full run of the garbage collector, which a server with frozen start-up objects
seldom makes, would close its connection; until then PostgreSQL keeps the session, and
after a few quiet spells the server's sessions fill its connection slots.

So a thread that opens a connection it owns gets a small object in a thread-local, in no
cycle: when the thread ends its thread-locals go, the object with them, and its finaliser
closes the connection the wrapper still holds. A wrapper shared with other threads (a test's
live server) belongs to the thread that made it and is left alone.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

_local = threading.local()


class _ClosesWithThread:
    def __init__(self, wrapper: Any) -> None:
        self.wrapper = weakref.ref(wrapper)

    def __del__(self) -> None:
        wrapper = self.wrapper()
        raw = getattr(wrapper, "connection", None)
        if raw is not None:
            raw.close()  # the driver's own close: the thread that could ask Django is gone


def close_with_thread(sender: Any, connection: Any, **kwargs: Any) -> None:
    """`connection_created`: tie a new connection to the lifetime of the thread owning it."""
    if connection._thread_ident != threading.get_ident():
        return
    # By wrapper: a reconnect of the same wrapper keeps its closer, and a second wrapper
    # (a test's override) gets its own rather than closing the first one's connection.
    closers: dict[int, _ClosesWithThread] = _local.__dict__.setdefault("closers", {})
    closer = closers.get(id(connection))
    if closer is None or closer.wrapper() is not connection:
        closers[id(connection)] = _ClosesWithThread(connection)
