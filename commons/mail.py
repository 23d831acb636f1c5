"""Outgoing email. Development writes messages to the log, tests capture them in memory.

Email that tells of a change waits for that change's commit (`send_after_commit`): a change
that rolls back (a lost race, a refused step) must not have told anyone it happened.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from .extensions import db

logger = logging.getLogger("commons.mail")


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str


_PENDING = "commons.mail.pending"


def init_app(app: Flask) -> None:
    app.extensions["mail_outbox"] = []
    if not event.contains(db.session, "after_commit", _send_pending):
        event.listen(db.session, "after_commit", _send_pending)
        event.listen(db.session, "after_rollback", _drop_pending)


def outbox() -> list[Email]:
    """Messages sent so far by the memory backend (tests read this)."""
    return current_app.extensions["mail_outbox"]


def send_after_commit(to: str, subject: str, body: str) -> None:
    """Send once the current transaction commits; never, if it rolls back."""
    db.session.info.setdefault(_PENDING, []).append(Email(to=to, subject=subject, body=body))


def _send_pending(session: Session) -> None:
    for message in session.info.pop(_PENDING, []):
        try:
            send_email(message.to, message.subject, message.body)
        except OSError:
            # The change is saved; a mail server being down must not turn it into an error
            # page. The notification is in the member's list whatever happens here.
            logger.exception("could not send email to %s", message.to)


def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def send_email(to: str, subject: str, body: str) -> None:
    message = Email(to=to, subject=subject, body=body)
    backend = current_app.config["MAIL_BACKEND"]
    if backend == "memory":
        outbox().append(message)
    elif backend == "log":
        logger.info("email (not sent in development)\nTo: %s\nSubject: %s\n\n%s", to, subject, body)
    else:
        _send_smtp(message)


def _send_smtp(message: Email) -> None:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_SENDER"]
    email["To"] = message.to
    email["Subject"] = message.subject
    email.set_content(message.body)
    with smtplib.SMTP(current_app.config["MAIL_SERVER"], current_app.config["MAIL_PORT"]) as smtp:
        smtp.send_message(email)
