"""`flask posts expire`: run daily (cron or a job queue) to close what has run out."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from . import services

posts_cli = AppGroup("posts", help="Offers and needs.")


@posts_cli.command("expire")
def expire() -> None:
    """Mark every post past its expiry date as expired (standing posts never expire), and tell
    authors whose posts end within three days."""
    count = services.expire_posts()
    click.echo(f"{count} post{'' if count == 1 else 's'} expired.")
    warned = services.warn_expiring()
    click.echo(f"{warned} author{'' if warned == 1 else 's'} told their post ends soon.")
