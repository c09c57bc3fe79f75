"""Live progress: timelines and staff queues update by themselves over Server-Sent Events.

The timeline in the database is the source of truth. A committed timeline entry is announced
on the bus (``bus``: Litestar's channels, across worker processes); each process fans it out to
its open streams (``hub``), which read what changed from the database, so a stream that missed
an announcement, or reconnects with ``Last-Event-ID``, catches up from the database itself.
"""
