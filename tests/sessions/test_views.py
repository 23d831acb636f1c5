"""The session pages as each role meets them: the two people act, an admin looks, everyone
else finds nothing (404), a visitor is sent to log in; refusals are 403 or 409 and change
nothing; bad input is 422 with the input kept; htmx gets the partial."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import render_template
from flask_login import login_user
from sqlalchemy import func, select

from commons.database import now_utc
from commons.extensions import db
from commons.mentorship.models import MentorshipSession
from commons.sessions import services as sessions
from commons.timezones import local
from tests.conftest import HX, act_as, assert_status, log_in, post, text
from tests.sessions.conftest import (
    confirmed,
    fresh,
    make_mentorship,
    proposed,
    soon,
    started,
)

# In `world`, Mia (member) mentors Otto (other_member).
ROLES = [
    "visitor",
    "member",
    "other_member",
    "coordinator",
    "away_coordinator",
    "away_member",
    "stranger",
    "admin",
]
NOBODY = {"coordinator": 404, "away_coordinator": 404, "away_member": 404, "stranger": 404}


def expect(**by_role):
    return {"visitor": "login", **NOBODY, **by_role}


def session_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(MentorshipSession)) or 0


def form_for(starts, **extra):
    wall = local(starts, None)
    return {
        "when": "other",
        "day": wall.strftime("%Y-%m-%d"),
        "at": wall.strftime("%H:%M"),
        "duration": "60",
        "place": "The library",
        "video_url": "",
        **extra,
    }


# --- the session page --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_session_page_is_for_the_two_people_and_admins(client, world, pair, role):
    session = proposed(pair, place="Corner cafe")
    sessions.save_note(pair.mentor, session, "Mia's own thoughts")
    me = act_as(client, world, role)
    response = client.get(f"/sessions/{session.id}")
    assert_status(response, expect(member=200, other_member=200, admin=200)[role])
    if response.status_code != 200:
        assert "Corner cafe" not in text(response)
        return
    page = text(response)
    assert "Corner cafe" in page and "guitar" in page
    assert ("Mia&#39;s own thoughts" in page) == (me.id == pair.mentor.id)
    assert ("Confirm this time" in page) == (role == "other_member")
    assert ("Propose another time" in page) == (role == "other_member")
    assert ("Cancel this session" in page) == (role in ("member", "other_member"))
    assert ("My private note" in page) == (role in ("member", "other_member"))


def test_an_unknown_session_is_not_found(client, world):
    log_in(client, world.admin)
    assert client.get("/sessions/999999").status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_the_proposal_page(client, world, pair, role):
    act_as(client, world, role)
    response = client.get(f"/mentorships/{pair.mentorship.id}/sessions/new")
    assert_status(response, expect(member=200, other_member=200, admin=403)[role])
    if response.status_code == 200:
        page = text(response)
        assert "Propose a session with" in page
        assert 'name="video_url"' in page and 'type="url"' in page


def test_no_proposals_outside_an_active_mentorship(client, world):
    ended = make_mentorship(world.member, world.other_member, status="ended")
    log_in(client, world.member)
    response = client.get(f"/mentorships/{ended.id}/sessions/new")
    assert response.status_code == 409
    assert "isn&#39;t active" in text(response)
    response = post(client, f"/mentorships/{ended.id}/sessions/new", form_for(soon()))
    assert response.status_code == 409
    assert session_count() == 0
    assert client.get("/mentorships/999999/sessions/new").status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_proposing(client, world, pair, role):
    me = act_as(client, world, role)
    response = post(client, f"/mentorships/{pair.mentorship.id}/sessions/new", form_for(soon()))
    assert_status(response, expect(member=303, other_member=303, admin=403)[role])
    if response.status_code == 303:
        session = db.session.scalar(select(MentorshipSession))
        assert response.headers["Location"].endswith(f"/sessions/{session.id}")
        assert session.proposed_by_id == me.id and session.starts_at == soon()
    else:
        assert session_count() == 0


def test_the_suggested_times_are_one_click_away(client, world, pair):
    from tests.sessions.conftest import available

    for person in (pair.mentor, pair.learner):
        for day in range(7):
            available(person, day, "18:00", "20:00")
    log_in(client, world.member)
    page = text(client.get(f"/mentorships/{pair.mentorship.id}/sessions/new"))
    picks = re.findall(r'name="when" value="(\d{4}-\d\d-\d\dT\d\d:\d\d)"', page)
    assert len(picks) == 3
    assert 'id="shared-windows"' in page and "18:00" in page
    response = post(
        client,
        f"/mentorships/{pair.mentorship.id}/sessions/new",
        {"when": picks[1], "duration": "60", "place": "The library"},
    )
    assert response.status_code == 303
    session = db.session.scalar(select(MentorshipSession))
    assert local(session.starts_at, pair.mentor).strftime("%Y-%m-%dT%H:%M") == picks[1]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"place": "", "video_url": ""}, "say where you&#39;ll meet"),
        ({"place": "", "video_url": "javascript:alert(1)"}, "starting with https://"),
        ({"day": "", "at": ""}, "Please choose a date."),
        ({"day": "not a date"}, "Not a valid date value."),
        ({"duration": "7"}, "Not a valid choice"),
    ],
)
def test_bad_input_is_422_with_the_input_kept(client, world, pair, changes, message):
    log_in(client, world.member)
    url = f"/mentorships/{pair.mentorship.id}/sessions/new"
    data = form_for(soon(), **{"place": "Kept place text"} | changes)
    for headers in ({}, HX):
        response = post(client, url, data, headers=headers)
        assert response.status_code == 422
        page = text(response)
        assert message in page
        if data["place"]:
            assert 'value="Kept place text"' in page
        assert ("<html" in page) == (headers == {})
    past = form_for(now_utc() - timedelta(days=2))
    response = post(client, url, past)
    assert response.status_code == 422 and "in the future" in text(response)
    assert session_count() == 0


# --- moves on a session ------------------------------------------------------------------------

MOVES = {
    "confirm": {},
    "done": {},
    "counter": "counter",
    "cancel": {"reason": "Something came up"},
    "note": {"body": "A note"},
    "thanks": {"note": "Thank you"},
}


def _move_data(move: str, session: MentorshipSession) -> dict:
    if move == "counter":
        return {f"counter-{k}": v for k, v in form_for(soon(6)).items()}
    return dict(MOVES[move])


@pytest.mark.parametrize("move", list(MOVES))
@pytest.mark.parametrize(
    "role", ["visitor", "coordinator", "away_coordinator", "stranger", "admin"]
)
def test_nobody_but_the_two_can_move_a_session(client, world, pair, move, role):
    session = confirmed(pair)
    if move in ("done", "thanks"):
        started(session)
    if move == "thanks":
        sessions.mark_done(pair.mentor, fresh(MentorshipSession, session.id))
    before = fresh(MentorshipSession, session.id)
    state, sequence = before.state, before.sequence
    act_as(client, world, role)
    response = post(client, f"/sessions/{session.id}/{move}", _move_data(move, session))
    assert_status(response, expect(admin=403)[role])
    after = fresh(MentorshipSession, session.id)
    assert (after.state, after.sequence) == (state, sequence)


def test_confirm_then_a_second_confirm_is_409(client, world, pair):
    session = proposed(pair)
    log_in(client, world.other_member)
    response = post(client, f"/sessions/{session.id}/confirm", {"sequence": "0"})
    assert response.status_code == 303
    assert fresh(MentorshipSession, session.id).state == "confirmed"
    for headers in ({}, HX):
        response = post(
            client, f"/sessions/{session.id}/confirm", {"sequence": "0"}, headers=headers
        )
        assert response.status_code == 409
        assert "can&#39;t be confirmed now" in text(response)
    assert fresh(MentorshipSession, session.id).sequence == 1


def test_the_proposer_cannot_confirm(client, world, pair):
    session = proposed(pair)
    log_in(client, world.member)
    assert post(client, f"/sessions/{session.id}/confirm").status_code == 403
    assert fresh(MentorshipSession, session.id).state == "proposed"


def test_htmx_confirm_answers_with_the_partial(client, world, pair):
    session = proposed(pair)
    log_in(client, world.other_member)
    response = post(client, f"/sessions/{session.id}/confirm", headers=HX)
    assert response.status_code == 200
    page = text(response)
    assert page.startswith('<section id="session"') and "Confirmed." in page
    assert 'hx-swap-oob="true"' in page  # the flash, into the page's live region


def test_counter_and_its_errors(client, world, pair):
    session = proposed(pair)
    log_in(client, world.other_member)
    data = {f"counter-{k}": v for k, v in form_for(soon(6), place="", video_url="ftp://x").items()}
    response = post(client, f"/sessions/{session.id}/counter", data)
    assert response.status_code == 422 and "starting with https://" in text(response)
    data["counter-video_url"] = "https://meet.example.org/otto"
    data["counter-sequence"] = "0"
    assert post(client, f"/sessions/{session.id}/counter", data).status_code == 303
    row = fresh(MentorshipSession, session.id)
    assert (row.proposed_by_id, row.starts_at, row.video_url) == (
        pair.learner.id,
        soon(6),
        "https://meet.example.org/otto",
    )
    # The same form again, from a page showing the old version: 409.
    response = post(client, f"/sessions/{session.id}/counter", data)
    assert response.status_code == 409 and "changed meanwhile" in text(response)


def test_cancel_needs_a_reason(client, world, pair):
    session = confirmed(pair)
    log_in(client, world.member)
    response = post(client, f"/sessions/{session.id}/cancel", {"reason": "  "})
    assert response.status_code == 422 and "Please say why" in text(response)
    assert post(client, f"/sessions/{session.id}/cancel", {"reason": "Flu"}).status_code == 303
    page = text(client.get(f"/sessions/{session.id}"))
    assert "Cancelled by you: “Flu”" in page
    assert post(client, f"/sessions/{session.id}/cancel", {"reason": "Flu"}).status_code == 409


def test_done_then_thanks_then_pay(client, world, pair):
    session = confirmed(pair)
    log_in(client, world.other_member)
    assert post(client, f"/sessions/{session.id}/done").status_code == 409  # not started yet
    assert post(client, f"/sessions/{session.id}/thanks", {"note": "Hi"}).status_code == 409
    started(session)
    assert post(client, f"/sessions/{session.id}/done").status_code == 303
    page = text(client.get(f"/sessions/{session.id}"))
    assert f'href="/timebank?to={pair.mentor.id}&amp;session={session.id}"' in page
    assert "Pay in hours" in page
    response = post(client, f"/sessions/{session.id}/thanks", {"note": ""})
    assert response.status_code == 422
    assert post(client, f"/sessions/{session.id}/thanks", {"note": "Lovely"}).status_code == 303
    assert post(client, f"/sessions/{session.id}/thanks", {"note": "Again"}).status_code == 409
    page = text(client.get(f"/sessions/{session.id}"))
    assert "Lovely" in page and "Thank Mia Member" not in page
    log_in(client, world.member)
    page = text(client.get(f"/sessions/{session.id}"))
    assert "Pay in hours" not in page and "Thank Otto Other" in page


def test_notes_are_private_and_saved_in_place(client, world, pair):
    session = proposed(pair)
    log_in(client, world.other_member)
    response = post(client, f"/sessions/{session.id}/note", {"body": "Otto's secret"}, headers=HX)
    assert response.status_code == 200
    assert text(response).startswith('<section id="my-note"') and "Otto&#39;s secret" in text(
        response
    )
    response = post(client, f"/sessions/{session.id}/note", {"body": "x" * 5001})
    assert response.status_code == 422
    for who in (world.member, world.admin):
        log_in(client, who)
        assert "Otto&#39;s secret" not in text(client.get(f"/sessions/{session.id}"))


# --- the mentorship page's part ----------------------------------------------------------------


@pytest.mark.parametrize("role", ["member", "other_member", "admin", "stranger", "coordinator"])
def test_the_mentorship_page_part(app, world, pair, role):
    upcoming = proposed(pair, starts_at=soon(2))
    viewer = getattr(world, role)
    with app.test_request_context("/"):
        login_user(viewer)
        html = render_template(
            "sessions/_for_mentorship.html", mentorship=pair.mentorship, current_user=viewer
        )
    if role in ("stranger", "coordinator"):
        assert html.strip() == ""
        return
    assert f'href="/sessions/{upcoming.id}"' in html
    assert ("Propose a time" in html) == (role != "admin")
    assert ("Your answer is needed" in html) == (role == "other_member")


# --- the calendar page -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_everyone_logged_in_has_their_own_calendar_link(app, client, world, role):
    me = act_as(client, world, role)
    response = client.get("/calendar")
    assert_status(response, "login" if me is None else 200)
    if me is None:
        return
    token = sessions.calendar_feed(me).token
    site = app.config["SITE_URL"].rstrip("/")
    page = text(response)
    assert f'value="{site}/calendar/{token}.ics"' in page
    assert f'href="webcal://{site.split("://", 1)[1]}/calendar/{token}.ics"' in page
    assert "private" in response.headers["Cache-Control"]
    assert len(token) >= 43


def test_a_new_link_replaces_the_old_one(client, world):
    log_in(client, world.member)
    client.get("/calendar")
    old = sessions.calendar_feed(world.member).token
    assert client.get(f"/calendar/{old}.ics").status_code == 200
    response = post(client, "/calendar/new-link")
    assert response.status_code == 303
    db.session.expire_all()
    new = sessions.calendar_feed(world.member).token
    assert new != old
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200
    assert new in text(client.get("/calendar"))


def test_a_new_link_needs_the_form(client, world):
    log_in(client, world.member)
    assert client.post("/calendar/new-link").status_code == 400  # no CSRF token
    client2 = client.application.test_client()
    assert_status(client2.post("/calendar/new-link"), 400)


@pytest.mark.parametrize(
    "url", ["/sessions/99999999999999999999", "/mentorships/99999999999999999999/sessions/new"]
)
def test_an_impossible_id_is_not_found(client, world, url):
    log_in(client, world.admin)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "zone, day, at",
    [
        ("America/New_York", "9999-12-31", "23:00"),  # in UTC that is the year 10000
        ("Pacific/Kiritimati", "0001-01-01", "00:30"),  # and that the year 0
        ("UTC", "9999-12-31", "23:59"),
    ],
)
def test_a_time_at_the_ends_of_the_calendar_is_refused_in_the_form(
    client, world, pair, zone, day, at
):
    pair.learner.timezone = zone
    db.session.commit()
    log_in(client, pair.learner)
    data = {**form_for(soon()), "day": day, "at": at}
    response = post(client, f"/mentorships/{pair.mentorship.id}/sessions/new", data)
    assert_status(response, 422)
    assert "Please choose a time" in text(response)
