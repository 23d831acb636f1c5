"""The exchange pages as each role meets them: the hub, proposing a swap or a paid lesson,
one exchange's page and its answers (participants only; admins may look), thanks, the hub's
"Propose this swap" button, bad input answered 422 with the input kept, and 409s."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from commons.exchanges import services as exchanges
from commons.exchanges.models import SkillExchange
from commons.extensions import db
from commons.profiles.models import MemberSkill
from tests.conftest import HX, act_as, assert_status, log_in, post, text
from tests.exchanges.conftest import (
    HOUR,
    circle,
    exchange_count,
    fresh_exchange,
    started,
    swap,
    transfers_of,
)
from tests.timebank.conftest import balance_of, set_floor

ROLES = ["visitor", "member", "other_member", "coordinator", "away_coordinator", "admin"]


def expect(default, **by_role):
    return {role: by_role.get(role, default) for role in ROLES} | {"visitor": "login"}


def skills(member, share: list[str], learn: list[str]) -> None:
    member.skills = [MemberSkill(kind="share", name=s) for s in share] + [
        MemberSkill(kind="learn", name=s) for s in learn
    ]
    db.session.commit()


# --- the hub -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_hub_shows_each_member_their_own_exchanges(client, world, role):
    swap(world)
    act_as(client, world, role)
    response = client.get("/exchanges")
    assert_status(response, expect(200)[role])
    if role == "visitor":
        return
    page = text(response)
    assert "Skill exchanges" in page and "Propose a direct swap" in page
    involved = role in ("member", "other_member")
    assert ("Bike repair" in page) == involved
    if role == "other_member":
        assert re.search(r"Waiting for your answer \(1\)", page)
    if role == "member":
        assert "Waiting for the others (1)" in page


def test_the_hub_proposes_a_suggested_swap_with_one_button(client, world):
    skills(world.member, share=["Guitar"], learn=["Bike repair"])
    skills(world.other_member, share=["Bike repair"], learn=["Guitar"])
    log_in(client, world.member)
    page = text(client.get("/exchanges"))
    assert "Propose this swap" in page
    circle_value = html.unescape(re.search(r"name=\"circle\" value='([^']+)'", page).group(1))
    response = post(client, "/exchanges/suggested", {"circle": circle_value})
    assert response.status_code == 303
    exchange = db.session.scalar(select(SkillExchange))
    assert response.headers["Location"].endswith(f"/exchanges/{exchange.id}")
    assert {(ls.teacher_id, ls.skill) for ls in exchange.lessons} == {
        (world.member.id, "Guitar"),
        (world.other_member.id, "Bike repair"),
    }
    # Pressed again: the same exchange is already waiting.
    again = post(client, "/exchanges/suggested", {"circle": circle_value})
    assert again.status_code == 409
    assert "already proposed" in text(again)
    assert exchange_count() == 1


@pytest.mark.parametrize(
    "value, status",
    [
        ("", 400),
        ("not json", 422),
        ("[]", 422),
        ('[[1, 2, "A"]]', 422),
        ('[["a", "b", "A"], ["b", "a", "B"]]', 422),
        ('{"a": 1}', 422),
        ("[" * 100_000, 422),  # nested deeper than the JSON reader goes
        ('[[1, 2, "' + "A" * 100_000 + '"]]', 422),
    ],
)
def test_a_tampered_suggestion_is_a_4xx(client, world, value, status):
    log_in(client, world.member)
    response = post(client, "/exchanges/suggested", {"circle": value})
    assert response.status_code in (400, 422)
    assert exchange_count() == 0


def test_a_suggestion_with_someone_out_of_reach_is_refused(client, world):
    log_in(client, world.member)
    mia, wes = world.member.id, world.away_member.id
    value = f'[[{mia}, {wes}, "A"], [{wes}, {mia}, "B"]]'
    response = post(client, "/exchanges/suggested", {"circle": value})
    assert response.status_code == 422
    assert "linked with yours" in text(response)
    assert exchange_count() == 0


def test_the_hub_htmx_partial_is_the_suggestions(client, world):
    log_in(client, world.member)
    partial = text(client.get("/exchanges", headers=HX))
    assert partial.lstrip().startswith('<section id="swaps"')


# --- proposing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["swap", "paid"])
@pytest.mark.parametrize("role", ROLES)
def test_the_proposal_forms(client, world, role, kind):
    act_as(client, world, role)
    response = client.get(f"/exchanges/new?kind={kind}&with={world.other_member.id}")
    assert_status(response, expect(200)[role])
    if role != "visitor":
        page = text(response)
        assert "What you teach them" in page if kind == "swap" else "Who teaches" in page
        chosen = f'<option selected value="{world.other_member.id}">Otto Other</option>'
        # Only someone the member may exchange with: never oneself, nobody out of reach.
        assert (chosen in page) == (role in ("member", "coordinator"))


def test_the_form_shows_no_name_it_should_not(client, world, linked):
    log_in(client, world.member)
    page = text(client.get(f"/exchanges/new?kind=swap&with={world.stranger.id}"))
    assert "Sid Stranger" not in page
    page = text(client.get(f"/exchanges/new?kind=swap&with={world.away_member.id}"))
    assert f'<option selected value="{world.away_member.id}">Wes Away</option>' in page


def test_an_unknown_kind_is_a_400(client, world):
    log_in(client, world.member)
    assert client.get("/exchanges/new?kind=barter").status_code == 400
    assert post(client, "/exchanges/new?kind=barter", {}).status_code == 400


SWAP = {"i_teach": "Guitar", "they_teach": "Bike repair", "hours": "1.5", "record_hours": "y"}

# Proposing a swap with Otto: his neighbours can; others are told why on the form (422).
PROPOSE = expect(422, member=303, coordinator=303, admin=422)


@pytest.mark.parametrize("role", ROLES)
def test_who_can_propose_a_swap_with_otto(client, world, role):
    act_as(client, world, role)
    response = post(client, "/exchanges/new?kind=swap", SWAP | {"member": world.other_member.id})
    assert_status(response, {**PROPOSE, "other_member": 422}[role])
    made = exchange_count()
    assert made == (1 if role in ("member", "coordinator") else 0)
    if made:
        exchange = db.session.scalar(select(SkillExchange))
        assert response.headers["Location"].endswith(f"/exchanges/{exchange.id}")
        assert (exchange.minutes, exchange.record_hours, exchange.kind) == (90, True, "swap")


def test_a_paid_lesson_through_the_form(client, world):
    log_in(client, world.member)
    data = {
        "member": world.other_member.id,
        "direction": "them",
        "skill": "Sourdough",
        "hours": "2",
        "message": "Saturday morning?",
    }
    response = post(client, "/exchanges/new?kind=paid", data)
    assert response.status_code == 303
    exchange = db.session.scalar(select(SkillExchange))
    assert (exchange.kind, exchange.minutes, exchange.record_hours) == ("paid", 120, False)
    [lesson] = exchange.lessons
    assert (lesson.teacher_id, lesson.learner_id) == (world.other_member.id, world.member.id)


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"i_teach": ""}, "i_teach", "what will be taught"),
        ({"they_teach": "x" * 61}, "they_teach", "60 characters"),
        ({"hours": "0"}, "hours", "quarter of an hour"),
        ({"hours": "1.1"}, "hours", "quarter hours"),
        ({"hours": "abc"}, "hours", "like 1.5"),
        ({"member": ""}, "member", "choose a member"),
        ({"member": "999999"}, "member", "choose a member"),
        ({"message": "x" * 1001}, "message", "under 1000"),
    ],
    ids=repr,
)
def test_bad_input_is_shown_again_with_422(client, world, fields, field, message):
    log_in(client, world.member)
    data = SWAP | {"member": world.other_member.id} | fields
    response = post(client, "/exchanges/new?kind=swap", data)
    assert_status(response, 422)
    page = text(response)
    assert re.search(rf'id="{field}-error"[^>]*>[^<]*{re.escape(message)}', page), page[-2000:]
    if field != "i_teach":
        assert 'value="Guitar"' in page  # the input is kept
    assert exchange_count() == 0


def test_a_duplicate_proposal_is_409_on_the_form(client, world):
    log_in(client, world.member)
    data = SWAP | {"member": world.other_member.id}
    assert post(client, "/exchanges/new?kind=swap", data).status_code == 303
    response = post(client, "/exchanges/new?kind=swap", data, headers=HX)
    assert response.status_code == 409
    assert text(response).lstrip().startswith('<section id="exchange-form"')
    assert "already proposed" in text(response)


# --- one exchange ------------------------------------------------------------------------------

SHOW = expect(404, member=200, other_member=200, admin=200)


@pytest.mark.parametrize("role", ROLES)
def test_an_exchange_is_seen_by_its_people_and_admins(client, world, role):
    exchange = swap(world, message="Tuesdays?")
    act_as(client, world, role)
    response = client.get(f"/exchanges/{exchange.id}")
    assert_status(response, SHOW[role])
    assert ("Tuesdays?" in text(response)) == (SHOW[role] == 200)


def test_an_exchange_that_does_not_exist_is_404(client, world):
    log_in(client, world.admin)
    assert client.get("/exchanges/999999").status_code == 404
    assert post(client, "/exchanges/999999/accept").status_code == 404


# Otto accepting Mia's swap: only he can; the people outside it don't learn it exists (404);
# an admin may look but not answer for him (403).
ACCEPT = expect(404, member=409, other_member=303, admin=403)


@pytest.mark.parametrize("role", ROLES)
def test_who_can_accept(client, world, role):
    exchange = swap(world)
    act_as(client, world, role)
    response = post(client, f"/exchanges/{exchange.id}/accept")
    assert_status(response, ACCEPT[role])
    assert fresh_exchange(exchange.id).state == ("active" if role == "other_member" else "proposed")


DECLINE = expect(404, member=303, other_member=303, admin=403)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action, after", [("decline", "declined"), ("cancel", "cancelled")])
def test_who_can_decline_or_cancel(client, world, role, action, after):
    exchange = swap(world)
    act_as(client, world, role)
    response = post(client, f"/exchanges/{exchange.id}/{action}")
    assert_status(response, DECLINE[role])
    moved = DECLINE[role] == 303
    assert fresh_exchange(exchange.id).state == (after if moved else "proposed")


DONE = expect(404, member=303, other_member=303, admin=403)


@pytest.mark.parametrize("role", ROLES)
def test_who_can_mark_done(client, world, role):
    exchange = started(swap(world), world.other_member)
    act_as(client, world, role)
    response = post(client, f"/exchanges/{exchange.id}/done")
    assert_status(response, DONE[role])
    marked = {p.user_id for p in fresh_exchange(exchange.id).participants if p.done_at}
    me = getattr(world, role, None)
    assert marked == ({me.id} if DONE[role] == 303 else set())


def test_the_page_offers_each_person_their_answers(client, world):
    exchange = swap(world)
    log_in(client, world.other_member)
    page = text(client.get(f"/exchanges/{exchange.id}"))
    assert f'action="/exchanges/{exchange.id}/accept"' in page
    assert f'action="/exchanges/{exchange.id}/decline"' in page
    assert "Waiting for everyone to accept: 1 of 2 have." in page
    log_in(client, world.member)
    page = text(client.get(f"/exchanges/{exchange.id}"))
    assert f'action="/exchanges/{exchange.id}/accept"' not in page
    assert f'action="/exchanges/{exchange.id}/cancel"' in page
    log_in(client, world.admin)
    page = text(client.get(f"/exchanges/{exchange.id}"))
    assert f'action="/exchanges/{exchange.id}/' not in page  # an admin looks, no buttons


def test_a_whole_circle_through_the_pages(client, world, third):
    exchange = circle(world, third)
    for person in (world.other_member, third):
        log_in(client, person)
        assert post(client, f"/exchanges/{exchange.id}/accept").status_code == 303
    log_in(client, world.member)
    page = text(client.get(f"/exchanges/{exchange.id}"))
    assert "Under way since" in page
    for person in (world.member, world.other_member, third):
        log_in(client, person)
        assert post(client, f"/exchanges/{exchange.id}/done").status_code == 303
    assert fresh_exchange(exchange.id).state == "completed"
    assert len(transfers_of(exchange.id)) == 3
    log_in(client, world.member)
    page = text(client.get(f"/exchanges/{exchange.id}"))
    assert "Completed on" in page and "Hours recorded" in page
    assert "Thank Tess Third" in page
    response = post(client, f"/exchanges/{exchange.id}/thanks", {"note": "Diolch yn fawr"})
    assert response.status_code == 303
    page = text(client.get(f"/exchanges/{exchange.id}"))
    assert "Diolch yn fawr" in page and "Thank Tess Third" not in page
    again = post(client, f"/exchanges/{exchange.id}/thanks", {"note": "Again"})
    assert again.status_code == 409


def test_thanks_need_words_and_a_participant(client, world, third):
    exchange = started(swap(world), world.other_member)
    log_in(client, world.member)
    early = post(client, f"/exchanges/{exchange.id}/thanks", {"note": "Thanks"})
    assert early.status_code == 409
    for person in (world.member, world.other_member):
        exchanges.mark_done(person, fresh_exchange(exchange.id))
    response = post(client, f"/exchanges/{exchange.id}/thanks", {"note": ""}, headers=HX)
    assert response.status_code == 422
    assert 'id="note-error"' in text(response)
    log_in(client, world.coordinator)
    assert post(client, f"/exchanges/{exchange.id}/thanks", {"note": "Hi"}).status_code == 404
    log_in(client, world.admin)
    assert post(client, f"/exchanges/{exchange.id}/thanks", {"note": "Hi"}).status_code == 403


def test_a_paid_lesson_below_the_floor_is_refused_with_409_and_why(client, world):
    set_floor(world.home, 0)
    exchange = exchanges.propose_paid(
        world.other_member, world.member, i_teach=True, skill="Sourdough", minutes=HOUR
    )
    exchange = started(exchange, world.member)
    exchanges.mark_done(world.member, exchange)
    log_in(client, world.other_member)
    response = post(client, f"/exchanges/{exchange.id}/done", headers=HX)
    assert response.status_code == 409
    body = text(response)
    assert body.lstrip().startswith('<section id="exchange"')
    assert "can&#39;t be completed yet" in body and "Mia Member&#39;s balance is 0 h" in body
    assert fresh_exchange(exchange.id).state == "active"
    assert balance_of(world.member) == 0


def test_a_completed_exchange_without_recorded_hours_offers_to_pay(client, world):
    exchange = exchanges.propose_paid(
        world.member,
        world.other_member,
        i_teach=False,
        skill="Sourdough",
        minutes=HOUR,
        record_hours=False,
    )
    exchange = started(exchange, world.other_member)
    for person in (world.member, world.other_member):
        exchanges.mark_done(person, fresh_exchange(exchange.id))
    log_in(client, world.member)
    page = text(client.get(f"/exchanges/{exchange.id}"))
    link = f"/timebank?to={world.other_member.id}&amp;exchange={exchange.id}"
    assert link in page
    log_in(client, world.other_member)
    assert link not in text(client.get(f"/exchanges/{exchange.id}"))  # the teacher isn't paying


def test_acting_twice_is_409_with_the_page(client, world):
    exchange = swap(world)
    log_in(client, world.other_member)
    assert post(client, f"/exchanges/{exchange.id}/decline").status_code == 303
    response = post(client, f"/exchanges/{exchange.id}/accept", headers=HX)
    assert response.status_code == 409
    assert "was declined" in text(response)


def test_an_htmx_action_redirects_with_hx_redirect(client, world):
    exchange = swap(world)
    log_in(client, world.other_member)
    response = post(client, f"/exchanges/{exchange.id}/accept", headers=HX)
    assert response.headers.get("HX-Redirect") == f"/exchanges/{exchange.id}"


# --- ids no database holds ---------------------------------------------------------------------

HUGE_IDS = ["2147483648", "9223372036854775808", "99999999999999999999"]


@pytest.mark.parametrize("huge", HUGE_IDS)
@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/exchanges/{}"),
        ("post", "/exchanges/{}/accept"),
        ("post", "/exchanges/{}/cancel"),
        ("post", "/exchanges/{}/thanks"),
    ],
)
def test_an_exchange_id_beyond_any_row_is_not_found(client, world, method, url, huge):
    log_in(client, world.admin)
    response = client.get(url.format(huge)) if method == "get" else post(client, url.format(huge))
    assert_status(response, 404)


@pytest.mark.parametrize("huge", HUGE_IDS)
def test_a_member_id_beyond_any_row_is_nobody_chosen(client, world, huge):
    log_in(client, world.member)
    assert_status(client.get(f"/exchanges/new?with={huge}"), 200)
    response = post(
        client,
        "/exchanges/new?kind=swap",
        {"member": huge, "i_teach": "Guitar", "they_teach": "Welsh", "hours": "1"},
    )
    assert_status(response, 422)
    assert "Please choose a member" in text(response)
    value = f'[[{world.member.id}, {huge}, "A"], [{huge}, {world.member.id}, "B"]]'
    assert post(client, "/exchanges/suggested", {"circle": value}).status_code == 422
    assert exchange_count() == 0
