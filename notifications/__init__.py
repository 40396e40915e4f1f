"""E-mail notifications: content, iCalendar, transports and the delivery loop.

Knows nothing of ``cycle`` or ``workflows``. Import from the modules (kept light on purpose, so
``import notifications`` costs nothing at CLI start-up):

- ``notifications.message``: ``OutgoingEmail``, ``Attachment``, ``message_id_for``,
  ``clean_header``, ``parse_address``, ``domain_of``, ``to_mime``, ``to_payload``/``from_payload``
- ``notifications.render``: ``Renderer(override_dir)``, ``.render(kind, ctx)``,
  ``.bundle(parts, ctx)``, ``Rendered``, ``KINDS`` (context contract in the module docstring)
- ``notifications.ics``: ``invitation(...)``, ``export(entries, name, now=...)``,
  ``CalendarEntry``
- ``notifications.transports``: ``Transport``, ``SendResult``, ``DeliveryError``,
  ``SmtpTransport``, ``MaildirTransport``, ``RecordingTransport``
- ``notifications.delivery``: ``OutboxPort`` (``UngewissPort``, ``BatchPort``), ``Pending``,
  ``backoff``, ``outage_backoff``, ``send_deadline``, ``drain``, ``DeliveryReport``
"""
