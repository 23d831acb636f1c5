"""Outgoing email. Development writes messages to the log, tests capture them in memory."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from flask import Flask, current_app

logger = logging.getLogger("commons.mail")


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str


def init_app(app: Flask) -> None:
    app.extensions["mail_outbox"] = []


def outbox() -> list[Email]:
    """Messages sent so far by the memory backend (tests read this)."""
    return current_app.extensions["mail_outbox"]


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
