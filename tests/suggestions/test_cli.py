"""`flask matching round <slug> --dry-run`: the pairs a round would propose, best first with
their reasons, printed; nothing saved and nobody told. Anything else is a usage error (exit
status 2), as click reports them."""

from __future__ import annotations

import re

import pytest

from commons.suggestions import services
from tests.suggestions.conftest import all_rounds, notes_for, proposal_states

PAIR_LINE = re.compile(r"^(\d\.\d\d)  need #(\d+) “(.+)”  <-  offer #(\d+) “(.+)”$")


@pytest.fixture
def tiny_world(world, make_post, bob, carl):
    """Three needs that plainly fit three offers, and piano lessons nobody asked for."""
    make_post("bike need")
    make_post("dog need", author=world.other_member)
    make_post("ladder need", author=world.other_member)
    make_post("bike offer", author=bob)
    make_post("dog offer", author=carl)
    make_post("ladder offer", author=bob)
    make_post("piano offer", author=carl)
    return world


def dry_run(runner, slug: str = "northside"):
    return runner.invoke(args=["matching", "round", slug, "--dry-run"])


def test_a_dry_run_prints_the_pairs_best_first_with_reasons(runner, tiny_world):
    result = dry_run(runner)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "3 pairs from 3 open needs and 4 open offers."
    pairs = [(i, PAIR_LINE.match(line)) for i, line in enumerate(lines) if PAIR_LINE.match(line)]
    assert {(m.group(3), m.group(5)) for _, m in pairs} == {
        ("Bicycle repair needed", "I can fix bikes"),
        ("Someone to walk my dog", "Dog walking in the park"),
        ("Ladder to clear my gutters", "Tall ladder to lend"),
    }
    scores = [float(m.group(1)) for _, m in pairs]
    assert scores == sorted(scores, reverse=True) and all(0.5 <= s <= 1 for s in scores)
    # Under each pair, its reasons, indented: at least one, in words.
    for (i, _), (j, _) in zip(pairs, [*pairs[1:], (len(lines), None)], strict=True):
        reasons = lines[i + 1 : j]
        assert reasons and all(line.startswith("        ") and line.strip() for line in reasons)
    assert "Piano" not in result.stdout
    # The progress goes to stderr, so stdout is only the proposals.
    assert "Matching" in result.stderr and "Matching" not in result.stdout


def test_a_dry_run_saves_and_tells_nothing(runner, tiny_world):
    assert dry_run(runner).exit_code == 0
    assert all_rounds() == []
    for person in (tiny_world.member, tiny_world.other_member):
        assert notes_for(person) == []


def test_a_dry_run_prints_what_a_round_on_the_page_would_propose(runner, tiny_world):
    printed = {
        (int(m.group(2)), int(m.group(4)))
        for line in dry_run(runner).stdout.splitlines()
        if (m := PAIR_LINE.match(line))
    }
    matching_round = services.run_round(tiny_world.coordinator, tiny_world.home)
    assert printed == set(proposal_states(matching_round.id)) and len(printed) == 3


def test_a_dry_run_with_nothing_to_pair(runner, world):
    result = dry_run(runner)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["0 pairs from 0 open needs and 0 open offers."]


def test_without_dry_run_it_is_a_usage_error_and_nothing_is_done(runner, tiny_world):
    result = runner.invoke(args=["matching", "round", "northside"])
    assert result.exit_code == 2
    assert "Only --dry-run is supported here" in result.output
    assert "3 pairs" not in result.output
    assert all_rounds() == []


@pytest.mark.parametrize(
    "args, message",
    [
        (["matching", "round", "nowhere", "--dry-run"], "no community with the address 'nowhere'"),
        (["matching", "round", "--dry-run"], "Missing argument 'SLUG'"),
    ],
)
def test_an_unknown_or_missing_community_is_a_usage_error(runner, world, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code == 2
    assert message in result.output
    assert result.stdout == ""
