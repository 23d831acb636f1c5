"""What hours pay for, beyond claims: a mentorship session or a skill exchange between the two
people (checked, stored, shown with a link, in the CSV and the export), which may cross an
active link between their communities; one thing at most."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from commons.accounts.export import export_member_data
from commons.database import now_utc
from commons.exchanges import services as exchanges
from commons.extensions import db
from commons.mentorship.models import Mentorship, MentorshipSession
from commons.timebank import services as timebank
from commons.timebank.models import HourTransfer
from tests.conftest import log_in, post, text
from tests.exchanges.conftest import add_third, fresh_exchange, link_home_and_away
from tests.timebank.conftest import fresh, transfer_count

HOUR = 60


@pytest.fixture
def third(world, make_user):
    return add_third(world, make_user)


@pytest.fixture
def linked(world):
    return link_home_and_away(world)


def make_session(mentor, learner, state: str = "confirmed") -> MentorshipSession:
    mentorship = Mentorship(
        mentor_id=mentor.id, learner_id=learner.id, topic="Bookkeeping", status="active"
    )
    db.session.add(mentorship)
    db.session.flush()
    session = MentorshipSession(
        mentorship_id=mentorship.id,
        proposed_by_id=mentor.id,
        starts_at=now_utc() - timedelta(days=1),
        state=state,
    )
    db.session.add(session)
    db.session.commit()
    return session


def active_swap(world, other=None):
    exchange = exchanges.propose_swap(
        world.member, other or world.other_member, i_teach="Guitar", they_teach="Welsh"
    )
    exchanges.accept(other or world.other_member, exchange)
    return fresh_exchange(exchange.id)


# --- the service -------------------------------------------------------------------------------


def test_hours_for_a_session_between_the_two_are_stored_with_it(world):
    session = make_session(world.other_member, world.member)
    sent = timebank.send_hours(world.member, world.other_member, HOUR, "Lesson", session=session)
    stored = fresh(HourTransfer, sent.id)
    assert (stored.session_id, stored.claim_id, stored.exchange_id) == (session.id, None, None)
    asked = timebank.request_hours(
        world.other_member, world.member, 30, "Prep", session=fresh(MentorshipSession, session.id)
    )
    assert fresh(HourTransfer, asked.id).session_id == session.id
    assert [s.id for s, other in timebank.sessions_between(world.member)] == [session.id]
    assert timebank.sessions_between(world.member)[0][1].id == world.other_member.id


def test_hours_for_a_session_between_other_people_are_refused(world):
    session = make_session(world.other_member, world.coordinator)
    with pytest.raises(timebank.WrongExchange, match="session is not between"):
        timebank.send_hours(world.member, world.other_member, HOUR, "Lesson", session=session)
    with pytest.raises(timebank.WrongExchange):
        timebank.request_hours(world.other_member, world.member, HOUR, "Lesson", session=session)
    assert transfer_count() == 0


@pytest.mark.parametrize("state", ["proposed", "cancelled"])
def test_a_session_never_agreed_is_not_paid_for(world, state):
    session = make_session(world.other_member, world.member, state="proposed")
    if state == "cancelled":
        session.state, session.cancelled_at = "cancelled", now_utc()
        db.session.commit()
    with pytest.raises(timebank.WrongExchange, match="agreed"):
        timebank.send_hours(world.member, world.other_member, HOUR, "Lesson", session=session)
    with pytest.raises(timebank.WrongExchange, match="agreed"):
        timebank.request_hours(world.other_member, world.member, HOUR, "Lesson", session=session)
    assert transfer_count() == 0


def test_hours_for_an_exchange_between_its_participants(world, third):
    exchange = active_swap(world)
    sent = timebank.send_hours(world.member, world.other_member, HOUR, "Extra", exchange=exchange)
    assert fresh(HourTransfer, sent.id).exchange_id == exchange.id
    assert [(e.id, o.id) for e, o in timebank.exchanges_between(world.member)] == [
        (exchange.id, world.other_member.id)
    ]
    with pytest.raises(timebank.WrongExchange, match="skill exchange is not between"):
        timebank.send_hours(world.member, third, HOUR, "Extra", exchange=exchange)
    with pytest.raises(timebank.WrongExchange, match="skill exchange is not between"):
        timebank.send_hours(world.coordinator, world.other_member, HOUR, "X", exchange=exchange)


def test_an_exchange_that_has_not_started_is_refused(world):
    exchange = exchanges.propose_swap(
        world.member, world.other_member, i_teach="Guitar", they_teach="Welsh"
    )
    with pytest.raises(timebank.WrongExchange, match="has not started"):
        timebank.send_hours(world.member, world.other_member, HOUR, "Early", exchange=exchange)


def test_hours_pay_for_one_thing_at_most(world):
    session = make_session(world.other_member, world.member)
    exchange = active_swap(world)
    with pytest.raises(timebank.WrongExchange, match="one thing"):
        timebank.send_hours(
            world.member, world.other_member, HOUR, "Both", session=session, exchange=exchange
        )


def test_a_session_or_exchange_may_cross_an_active_link_other_hours_may_not(world, linked):
    exchange = active_swap(world, world.away_member)
    with pytest.raises(timebank.CannotTransfer, match="shares a community"):
        timebank.send_hours(world.member, world.away_member, HOUR, "Plain")
    sent = timebank.send_hours(world.member, world.away_member, HOUR, "Swap", exchange=exchange)
    assert fresh(HourTransfer, sent.id).exchange_id == exchange.id
    asked = timebank.request_hours(
        world.away_member, world.member, 30, "More", exchange=fresh_exchange(exchange.id)
    )
    timebank.confirm(world.member, fresh(HourTransfer, asked.id))
    back = timebank.reverse(world.away_member, fresh(HourTransfer, sent.id))
    assert fresh(HourTransfer, back.id).exchange_id == exchange.id  # a reversal keeps the link


def test_settling_legs_together_checks_the_net(world, third):
    """The legs of a circle: each member pays and is paid 2 h, so a floor of 0 holds."""
    from commons.database import write_transaction

    world.home.hour_floor_minutes = 0
    db.session.commit()
    a, b, c = world.member, world.other_member, third
    legs = [
        timebank.Leg(a, b, 2 * HOUR, "A to B"),
        timebank.Leg(b, c, 2 * HOUR, "B to C"),
        timebank.Leg(c, a, 2 * HOUR, "C to A"),
    ]
    with write_transaction():
        timebank.settle_together(legs, created_by=a)
    assert transfer_count() == 3
    one_way = [timebank.Leg(a, b, 2 * HOUR, "A to B")]
    with (
        pytest.raises(timebank.InsufficientHours, match="Mia Member's balance"),
        write_transaction(),
    ):
        timebank.settle_together(one_way, created_by=b)
    assert transfer_count() == 3


# --- what it pays for, shown -------------------------------------------------------------------


def test_the_transfer_page_and_statement_link_to_what_it_paid_for(client, world):
    session = make_session(world.other_member, world.member)
    exchange = active_swap(world)
    for_session = timebank.send_hours(
        world.member, world.other_member, HOUR, "Session", session=session
    )
    for_exchange = timebank.send_hours(
        world.member, world.other_member, 30, "Swap", exchange=exchange
    )
    log_in(client, world.member)
    page = text(client.get(f"/timebank/transfers/{for_session.id}"))
    assert f'href="/sessions/{session.id}"' in page and "Bookkeeping" in page
    page = text(client.get(f"/timebank/transfers/{for_exchange.id}"))
    assert f'href="/exchanges/{exchange.id}"' in page and "Guitar, Welsh" in page
    statement = text(client.get("/timebank"))
    assert f'href="/sessions/{session.id}"' in statement
    assert f'href="/exchanges/{exchange.id}"' in statement


def test_the_csv_and_export_say_what_it_paid_for(world):
    session = make_session(world.other_member, world.member)
    exchange = active_swap(world)
    a = timebank.send_hours(world.member, world.other_member, HOUR, "S", session=session)
    b = timebank.send_hours(world.member, world.other_member, 30, "E", exchange=exchange)
    timebank.send_hours(world.member, world.other_member, 15, "Plain")
    rows = list(csv.reader(io.StringIO(timebank.csv_statement(world.member))))
    assert rows[0][-1] == "Pays for"
    assert [row[-1] for row in rows[1:]] == [f"session {session.id}", f"exchange {exchange.id}", ""]
    data = export_member_data(world.member)["hour_transfers"]["transfers"]
    assert [(t["id"], t["session"], t["exchange"]) for t in data] == [
        (a.id, session.id, None),
        (b.id, None, exchange.id),
        (data[2]["id"], None, None),
    ]


def test_the_forms_pre_choose_a_session_or_exchange(client, world):
    session = make_session(world.other_member, world.member)
    exchange = active_swap(world)
    log_in(client, world.member)
    page = text(client.get(f"/timebank?to={world.other_member.id}&session={session.id}"))
    assert f'<option selected value="{session.id}">' in page
    page = text(client.get(f"/timebank?to={world.other_member.id}&exchange={exchange.id}"))
    assert f'<option selected value="{exchange.id}">' in page
    assert "Guitar, Welsh with Otto Other" in page


def test_sending_for_an_exchange_through_the_form(client, world, third):
    exchange = active_swap(world)
    log_in(client, world.member)
    data = {"send-member": world.other_member.id, "send-hours": "1", "send-memo": "Swap"}
    response = post(client, "/timebank/transfers", data | {"send-exchange": exchange.id})
    assert response.status_code == 303
    db.session.rollback()
    assert db.session.query(HourTransfer).one().exchange_id == exchange.id
    # The same exchange, paid to someone outside it: refused under the list, with 422.
    response = post(
        client,
        "/timebank/transfers",
        data | {"send-member": third.id, "send-exchange": exchange.id},
    )
    assert response.status_code == 422
    assert 'id="send-exchange-error"' in text(response)
    response = post(client, "/timebank/transfers", data | {"send-session": "999999"})
    assert response.status_code == 422
    assert 'id="send-session-error"' in text(response)


def test_the_member_met_across_a_link_is_in_the_list(client, world, linked):
    exchange = active_swap(world, world.away_member)
    log_in(client, world.member)
    page = text(client.get(f"/timebank?to={world.away_member.id}&exchange={exchange.id}"))
    assert f'<option selected value="{world.away_member.id}">Wes Away</option>' in page


# --- "Pay in hours" on a completed claim ------------------------------------------------------


@pytest.mark.parametrize("kind", ["offer", "need"])
def test_a_completed_claim_offers_the_helped_member_to_pay_in_hours(client, world, kind):
    """On an offer the claimant was helped by the author; on a need, the other way round."""
    from commons.claims import services as claims
    from commons.posts.services import PostInput, create_post

    post_ = create_post(
        world.member,
        PostInput(
            kind=kind,
            title="Ladder",
            description="Tall.",
            category="tools",
            community_id=world.home.id,
        ),
    )
    claim = claims.accept(world.member, claims.make_claim(world.other_member, post_, "Me"))
    url = f"/claims/{claim.id}"
    helped, helper = (
        (world.other_member, world.member)
        if kind == "offer"
        else (world.member, world.other_member)
    )
    log_in(client, helped)
    assert 'id="pay-in-hours"' not in text(client.get(url))  # not done yet
    claims.complete(world.member, claim)
    page = text(client.get(url))
    assert f'href="/timebank?to={helper.id}&amp;claim={claim.id}"' in page
    assert f"Pay {helper.display_name} in hours" in page
    client.get("/logout")
    log_in(client, helper)
    assert 'id="pay-in-hours"' not in text(client.get(url))
    # Following it pre-chooses both.
    log_in(client, helped)
    form = text(client.get(f"/timebank?to={helper.id}&claim={claim.id}"))
    assert f'<option selected value="{claim.id}">' in form
