"""Patron letters by e-mail: the outbox's first channel (``email``).

- ``letters.py``: when a letter is recorded (``services/requests/letters.record_letter``,
  ``services/pickup/letters.send_member_letter``) and mail is on for the session
  (``NODE_SMTP_HOST`` set, see :func:`session_info`), the e-mail is rendered from the
  owner's template and enqueued in the same transaction; the notification keeps the
  outbox message id, so the staff record shows sent / failed / pending. A patron without
  an e-mail address gets the notification and no e-mail (``NOT_SENT``).
- ``templates.py``: per-library templates (``letter_template`` rows, administered through
  the staff API and the load file) with ``$placeholders``; the owner library's own, else the
  institution's, else the built-in wording.
- ``smtp.py``: the sender: a few kept SMTP connections (aiosmtplib), the owner's name in
  From (with the node's ``NODE_MAIL_FROM`` address) and the owner's reply-to in Reply-To.
"""

from .letters import MAIL_ENABLED, enqueue_letter_mail, mail_enabled, session_info
from .smtp import SmtpSender

__all__ = ["MAIL_ENABLED", "SmtpSender", "enqueue_letter_mail", "mail_enabled", "session_info"]
