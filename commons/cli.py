"""Command-line tasks: `flask seed-demo`, `flask users create-admin`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from . import demo
from .accounts import services as accounts
from .accounts.models import User
from .database import write_transaction
from .extensions import db
from .jobs import jobs_cli
from .notifications.cli import notifications_cli
from .posts.cli import posts_cli
from .sessions.cli import sessions_cli
from .suggestions.cli import matching_cli

users = AppGroup("users", help="Manage members.")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has members.")
@click.option("--members", type=click.IntRange(min=0), default=0, help="Extra bulk members.")
@click.option("--posts", type=click.IntRange(min=0), default=0, help="Extra bulk posts.")
def seed_demo(if_empty: bool, members: int, posts: int) -> None:
    """Create the demo neighbourhood and print its logins; add bulk members for benchmarks."""
    if demo.is_empty():
        logins = demo.seed_neighbourhood()
        click.echo("Demo neighbourhood ready. Log in at http://127.0.0.1:5000/login with:")
        for login in logins:
            click.echo(f"  {login.email:28} {login.role:28} password: {demo.DEMO_PASSWORD}")
    elif if_empty and not (members or posts):
        click.echo("The database already has members; not seeding the demo.")
        return
    if members:
        with click.progressbar(length=members, label=f"Adding {members} members") as bar:
            for added in demo.bulk_members(members):
                bar.update(added)
    if posts:
        with click.progressbar(length=posts, label=f"Adding {posts} posts") as bar:
            for added in demo.bulk_posts(posts):
                bar.update(added)
    if members or posts:
        demo.refresh_planner_statistics()


@users.command("create-admin")
@click.argument("email")
@click.password_option(help="Password for a new account (asked for if not given).")
@click.option("--name", default="Site admin", help="Display name for a new account.")
def create_admin(email: str, password: str, name: str) -> None:
    """Make EMAIL a site admin, creating the account when there is none."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        if len(password) < 10:
            raise click.BadParameter("A password needs at least 10 characters.")
        user = accounts.register(email, name, password)
    with write_transaction():
        user.is_admin = True
    click.echo(f"{user.email} is now a site admin.")


def init_commands(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(users)
    app.cli.add_command(posts_cli)
    app.cli.add_command(notifications_cli)
    app.cli.add_command(matching_cli)
    app.cli.add_command(sessions_cli)
    app.cli.add_command(jobs_cli)
