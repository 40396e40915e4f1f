"""``zyklus run``: the scheduler wiring and the long-running service."""
