"""`flask matching round <slug> --dry-run`: the proposals a round would make, in the terminal,
for a coordinator with a large community or a spreadsheet to compare against."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from ..communities import services as communities
from . import services

matching_cli = AppGroup("matching", help="Matching offers to needs.")


@matching_cli.command("round")
@click.argument("slug")
@click.option("--dry-run", is_flag=True, help="Print the proposals; save and send nothing.")
def round_command(slug: str, dry_run: bool) -> None:
    """Print the pairs a matching round of community SLUG would propose, best first."""
    if not dry_run:
        raise click.UsageError(
            "Only --dry-run is supported here: run real rounds from the community's matching "
            "page, where a coordinator reviews the pairs before anyone is told."
        )
    community = communities.get_by_slug(slug)
    if community is None:
        raise click.BadParameter(f"no community with the address {slug!r}", param_hint="SLUG")
    # The bar goes to stderr, so stdout holds only the proposals. (`click.get_text_stream` is
    # deprecated (Click 9 removes it), and a DeprecationWarning is an error under the tests.)
    with click.progressbar(length=3, label="Matching", file=sys.stderr) as bar:

        def step(message: str) -> None:
            bar.label = message
            bar.update(1)

        pairs, needs, offers = services.propose_pairs(community, progress=step)
        bar.update(1)
    click.echo(
        f"{len(pairs)} pair{'' if len(pairs) == 1 else 's'} from {needs} open needs and "
        f"{offers} open offers."
    )
    for pair in pairs:
        click.echo(
            f"{pair.score:.2f}  need #{pair.need.id} “{pair.need.title}”  <-  "
            f"offer #{pair.offer.id} “{pair.offer.title}”"
        )
        for reason in pair.reasons:
            click.echo(f"        {reason}")
