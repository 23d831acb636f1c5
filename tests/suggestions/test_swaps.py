"""Skill swaps on /exchanges: from what members share and want to learn, the direct swaps and
circles of three a member could make with neighbours in one of their communities."""

from __future__ import annotations

import re

import pytest

from commons.extensions import db
from commons.moderation import services as moderation
from commons.profiles.models import MemberSkill
from commons.suggestions import services as suggestions
from tests.conftest import HX, act_as, assert_status, log_in, text


def skills(member, share: list[str], learn: list[str]) -> None:
    member.skills = [MemberSkill(kind="share", name=s) for s in share] + [
        MemberSkill(kind="learn", name=s) for s in learn
    ]
    db.session.commit()


def described(swap) -> list[tuple[str, str, str]]:
    return [(s.giver.display_name, s.taker.display_name, s.skill) for s in swap.steps]


def test_a_direct_swap_in_other_words(world):
    skills(world.member, share=["Guitar"], learn=["Bicycle maintenance"])
    skills(world.other_member, share=["bike repair"], learn=["guitar lessons"])
    [swap] = suggestions.swaps_for(world.member)
    assert described(swap) == [
        (world.member.display_name, world.other_member.display_name, "Guitar"),
        (world.other_member.display_name, world.member.display_name, "bike repair"),
    ]
    assert swap.community == world.home


def test_a_circle_of_three_starts_with_the_member(world):
    skills(world.member, share=["Spanish"], learn=["Cooking"])
    skills(world.other_member, share=["Knitting"], learn=["Spanish conversation"])
    skills(world.coordinator, share=["Home cooking"], learn=["knitting"])
    [circle] = suggestions.swaps_for(world.member)
    assert [step.giver for step in circle.steps] == [
        world.member,
        world.other_member,
        world.coordinator,
    ]
    assert [step.skill for step in circle.steps] == ["Spanish", "Knitting", "Home cooking"]


def test_direct_swaps_come_before_circles(world):
    skills(world.member, share=["Spanish", "Guitar"], learn=["Cooking", "Gardening"])
    skills(world.other_member, share=["Gardening", "Knitting"], learn=["Guitar"])
    skills(world.coordinator, share=["Cooking"], learn=["Knitting"])
    found = suggestions.swaps_for(world.member)
    assert [len(swap.steps) for swap in found] == [2, 3]


def test_no_swap_with_a_blocked_member(world):
    skills(world.member, share=["Guitar"], learn=["Bike repair"])
    skills(world.other_member, share=["Bike repair"], learn=["Guitar"])
    moderation.block(world.member, world.other_member)
    assert suggestions.swaps_for(world.member) == []


def test_no_swap_across_communities(world):
    skills(world.member, share=["Guitar"], learn=["Bike repair"])
    skills(world.away_member, share=["Bike repair"], learn=["Guitar"])
    assert suggestions.swaps_for(world.member) == []


def test_nothing_without_skills(world):
    skills(world.other_member, share=["Bike repair"], learn=["Guitar"])
    assert suggestions.swaps_for(world.member) == []


@pytest.mark.parametrize(
    "role, expected",
    [
        ("visitor", "login"),
        ("member", 200),
        ("other_member", 200),
        ("coordinator", 200),
        ("away_coordinator", 200),
        ("admin", 200),
        ("stranger", 200),
    ],
)
def test_the_exchanges_page_for_every_role(client, world, role, expected):
    act_as(client, world, role)
    assert_status(client.get("/exchanges"), expected)


def test_the_exchanges_page_names_the_swap(client, world):
    skills(world.member, share=["Guitar"], learn=["Bike repair"])
    skills(world.other_member, share=["Bike repair"], learn=["Guitar"])
    log_in(client, world.member)
    page = text(client.get("/exchanges"))
    assert "A direct swap" in page
    assert re.search(r"You teach <a [^>]+>Otto Other</a> <strong>Guitar</strong>", page)
    assert re.search(r"<a [^>]+>Otto Other</a> teaches you <strong>Bike repair</strong>", page)
    partial = text(client.get("/exchanges", headers=HX))
    assert partial.lstrip().startswith('<section id="swaps"')


def test_a_member_without_skills_is_told_how_to_get_swaps(client, world):
    log_in(client, world.member)
    assert "Add what you can share and what you'd like to learn" in text(client.get("/exchanges"))
