"""Read models: status overview, audit log, outbox, reports, calendar. They never write."""
