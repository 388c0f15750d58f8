"""What the product writes to people by e-mail, and how it gets there.

- ``message.py`` — each kind of message as an ``email.message.EmailMessage`` in the
  recipient's language: plain text and HTML, and an iCalendar event where it has one.
- ``notices.py`` — which group event makes which message to whom, and the reminders due
  from a group's planned sessions: records for the outbox, idempotent by their ids.
- ``smtp.py`` — the SMTP server of ``SMTP_URL``: smtplib in a thread, its replies read
  as sent, to retry or refused for good.
- ``worker.py`` — the task in the server's lifespan that plans reminders and drains the
  outbox: a lease per message, retries with back-off.

Nothing here runs in a request's turn but the enqueueing: sending never makes a page or
the room wait for an SMTP server.
"""
