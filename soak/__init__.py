"""``make soak``: the full crash and failure campaign of issue 13 item 7 (not in ``make test``).

Everything is real: ``zyklus`` as subprocesses (``run`` killed with SIGKILL, ``tick`` with
``--now``), an aiosmtpd sink on 127.0.0.1 (``tests.smtp_sink``), a SQLite file, and PostgreSQL
when ``$ZYKLUS_TEST_POSTGRES_URL`` names a server. The workspace is the shipped config with a few
hundred generated pairings (``bench.fixtures``), so the outbox holds a few hundred messages.

Scenarios (each checks its properties and raises ``support.Violation`` when one breaks):

- ``kills``: ``zyklus run`` killed 20 times at random moments while the sink answers end-of-DATA
  late, restarted after each (``soak.kills``);
- ``outage``: three simulated days with the SMTP port closed, then a 451 storm (``soak.outage``);
- ``two``: two ``zyklus run`` on one database drain one outbox (``soak.concurrent``);
- ``postgres``: ``kills`` and ``two`` again on PostgreSQL.

Run ``python -m soak --help`` for the options; the figures end as a Markdown table on stdout.
"""
