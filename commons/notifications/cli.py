"""`flask notifications send-digest`: the daily email for members who chose a digest."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from . import services

notifications_cli = AppGroup("notifications", help="Notifications and their emails.")


@notifications_cli.command("send-digest")
def send_digest() -> None:
    """Email each member who chose the daily digest what they have not been emailed yet.
    Run it once a day, for example from cron."""
    sent = services.send_digest()
    click.echo(f"Sent {sent} digest email{'' if sent == 1 else 's'}.")
