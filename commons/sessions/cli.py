"""`flask sessions send-reminders`: tell both people of a confirmed session the day before."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from . import services

sessions_cli = AppGroup("sessions", help="Mentoring sessions.")


@sessions_cli.command("send-reminders")
def send_reminders() -> None:
    """Remind both members of each confirmed session starting in the next 24 hours, once.
    Run it every few minutes, for example from cron; runs that overlap send each reminder once."""
    sent = services.send_reminders()
    click.echo(f"Reminded {sent} session{'' if sent == 1 else 's'}.")
