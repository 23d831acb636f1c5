"""The time-bank pages as each role meets them: who gets what (and that a refused request
changes nothing), statements that stay private, bad input answered 422 with the input kept,
the floor answered 409, htmx partials, the CSV download, and a coordinator's floor page."""

from __future__ import annotations

import csv
import io
import re

import pytest
from markupsafe import escape

from commons.communities.models import Community
from commons.notifications.models import Notification
from commons.timebank import services as timebank
from commons.timebank.models import HourTransfer
from tests.conftest import HX, ROLES, act_as, assert_status, log_in, post, text
from tests.timebank.conftest import all_balances, fresh, set_floor, transfer_count

HOUR = 60


def expect(default, **by_role):
    return {role: by_role.get(role, default) for role in ROLES} | {"visitor": "login"}


# --- who gets what -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_everyone_logged_in_has_their_own_time_bank(client, world, role):
    timebank.send_hours(world.member, world.other_member, 90, "Mia to Otto")
    timebank.send_hours(world.away_member, world.away_coordinator, 30, "Southside secret")
    me = act_as(client, world, role)
    response = client.get("/timebank")
    assert_status(response, expect(200)[role])
    if me is None:
        return
    page = text(response)
    assert "Your balance" in page
    mine = {"member": "−1½ h", "other_member": "1½ h", "away_member": "−½ h"}
    balance = mine.get(role, "½ h" if role == "away_coordinator" else "0 h")
    assert f'<strong id="my-balance">{balance}</strong>' in page
    assert ("Mia to Otto" in page) == (role in ("member", "other_member"))
    assert ("Southside secret" in page) == (role in ("away_member", "away_coordinator"))


@pytest.mark.parametrize("role", ROLES)
def test_the_csv_statement_is_always_ones_own(client, world, role):
    timebank.send_hours(world.member, world.other_member, 90, "Mia to Otto")
    timebank.send_hours(world.away_member, world.away_coordinator, 30, "Southside secret")
    act_as(client, world, role)
    response = client.get("/timebank/statement.csv")
    assert_status(response, expect(200)[role])
    if role == "visitor":
        return
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert "no-store" in response.headers["Cache-Control"]
    body = text(response)
    assert body.startswith("Date (UTC),Transfer,With,")
    assert ("Mia to Otto" in body) == (role in ("member", "other_member"))
    assert ("Southside secret" in body) == (role in ("away_member", "away_coordinator"))


def test_no_address_shows_another_members_statement(client, world):
    timebank.send_hours(world.member, world.other_member, 90, "Mia to Otto")
    log_in(client, world.coordinator)
    for url in (
        f"/timebank?member={world.member.id}",
        f"/timebank?user_id={world.member.id}",
        f"/timebank/statement.csv?member={world.member.id}",
    ):
        page = text(client.get(url))
        assert "Mia to Otto" not in page
    assert client.get(f"/timebank/{world.member.id}").status_code == 404
    assert client.get(f"/timebank/statement/{world.member.id}.csv").status_code == 404


# A transfer's page: its two people, and admins (who may reverse for a member).
SHOW = expect(404, member=200, other_member=200, admin=200)


@pytest.mark.parametrize("role", ROLES)
def test_a_transfer_is_seen_by_its_two_people_and_admins(client, world, role):
    sent = timebank.send_hours(world.member, world.other_member, 90, "Mia to Otto")
    act_as(client, world, role)
    response = client.get(f"/timebank/transfers/{sent.id}")
    assert_status(response, SHOW[role])
    assert ("Mia to Otto" in text(response)) == (SHOW[role] == 200)


def test_a_transfer_that_does_not_exist_is_404(client, world):
    log_in(client, world.admin)
    assert client.get("/timebank/transfers/999999").status_code == 404
    assert post(client, "/timebank/transfers/999999/confirm").status_code == 404


# Sending to, or asking of, Otto (other_member). Those with no community in common with him
# are told so on the form (422): it is a choice to correct, not a page they may not open.
MOVE = expect(422, member=303, coordinator=303)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url", ["/timebank/transfers", "/timebank/requests"])
def test_who_can_send_or_ask_otto_for_hours(client, world, role, url):
    act_as(client, world, role)
    data = {"member": world.other_member.id, "hours": "1.5", "memo": "Lift to the station"}
    prefix = "send" if url.endswith("transfers") else "ask"
    response = post(client, url, {f"{prefix}-{k}": v for k, v in data.items()})
    assert_status(response, MOVE[role])
    if MOVE[role] == 303:
        assert response.headers["Location"] == "/timebank"
        [transfer] = [fresh(HourTransfer, t) for t in _ids()]
        me = getattr(world, role)
        if prefix == "send":
            assert (transfer.payer_id, transfer.payee_id, transfer.state) == (
                me.id,
                world.other_member.id,
                "direct",
            )
            assert "Sent 1½ h to Otto Other" in text(client.get("/timebank"))
        else:
            assert (transfer.payer_id, transfer.payee_id, transfer.state) == (
                world.other_member.id,
                me.id,
                "recorded",
            )
            assert "Asked Otto Other to confirm 1½ h" in text(client.get("/timebank"))
    else:
        assert transfer_count() == 0
        if role != "visitor":
            reason = "yourself" if role == "other_member" else "shares a community with you"
            assert reason in text(response)
            assert 'value="Lift to the station"' in text(response)  # the input is kept


def _ids() -> list[int]:
    from sqlalchemy import select

    from commons.extensions import db

    db.session.rollback()
    return list(db.session.scalars(select(HourTransfer.id).order_by(HourTransfer.id)))


# Settling Otto's request of Mia: only Mia (the payer) may; Otto and admins see it but may not.
SETTLE = expect(404, member=303, other_member=403, admin=403)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ["confirm", "refuse"])
def test_only_the_payer_settles_a_request(client, world, role, action):
    request = timebank.request_hours(world.other_member, world.member, 60, "Lift")
    act_as(client, world, role)
    response = post(client, f"/timebank/transfers/{request.id}/{action}")
    assert_status(response, SETTLE[role])
    state = fresh(HourTransfer, request.id).state
    if SETTLE[role] == 303:
        assert state == {"confirm": "confirmed", "refuse": "refused"}[action]
    else:
        assert state == "recorded"
        assert "Lift" not in text(response) or SETTLE[role] == 403


# Reversing Mia's transfer to Otto: Otto (who received it) or an admin.
REVERSE = expect(404, other_member=303, admin=303, member=403)


@pytest.mark.parametrize("role", ROLES)
def test_only_the_payee_or_an_admin_gives_hours_back(client, world, role):
    sent = timebank.send_hours(world.member, world.other_member, 60, "Oops")
    act_as(client, world, role)
    response = post(client, f"/timebank/transfers/{sent.id}/reverse", {"memo": "Not for me"})
    assert_status(response, REVERSE[role])
    if REVERSE[role] == 303:
        assert response.headers["Location"] == "/timebank"
        assert transfer_count() == 2
        assert all_balances()[world.member.id] == 0
    else:
        assert transfer_count() == 1


# A community's floor page: its coordinators and admins.
FLOOR = expect(403, coordinator=200, admin=200)


@pytest.mark.parametrize("role", ROLES)
def test_who_sets_northsides_floor(client, world, role):
    act_as(client, world, role)
    page = client.get("/communities/northside/timebank")
    assert_status(page, FLOOR[role])
    if FLOOR[role] == 200:
        assert "The floor now: −10 h" in text(page)
        assert 'value="10"' in text(page)
    response = post(client, "/communities/northside/timebank", {"hours_below_zero": "4.5"})
    assert_status(response, 303 if FLOOR[role] == 200 else FLOOR[role])
    expected = -270 if FLOOR[role] == 200 else -600
    assert fresh(Community, world.home.id).hour_floor_minutes == expected


def test_an_unknown_community_has_no_floor_page(client, world):
    log_in(client, world.admin)
    assert client.get("/communities/nowhere/timebank").status_code == 404


@pytest.mark.parametrize(
    "value, message",
    [
        ("", "Please give a number of hours"),
        ("-5", "positive number"),
        ("abc", "like 1.5"),
        ("0.1", "quarter hours"),
        ("501", "at most 500 hours below zero"),
        ("1" * 40, "like 1.5"),
    ],
)
def test_a_bad_floor_is_shown_again_with_422(client, world, value, message):
    log_in(client, world.coordinator)
    response = post(client, "/communities/northside/timebank", {"hours_below_zero": value})
    assert_status(response, 422)
    assert message in text(response)
    assert fresh(Community, world.home.id).hour_floor_minutes == -600


def test_a_floor_of_zero_is_allowed(client, world):
    log_in(client, world.coordinator)
    response = post(client, "/communities/northside/timebank", {"hours_below_zero": "0"})
    assert_status(response, 303)
    assert fresh(Community, world.home.id).hour_floor_minutes == 0


def test_coordinators_find_their_floor_pages_from_the_time_bank(client, world):
    log_in(client, world.coordinator)
    page = text(client.get("/timebank"))
    assert 'href="/communities/northside/timebank"' in page
    log_in(client, world.member)
    assert "/communities/northside/timebank" not in text(client.get("/timebank"))


# --- sending and asking through the forms ------------------------------------------------------


def send(client, **fields):
    return post(client, "/timebank/transfers", {f"send-{k}": v for k, v in fields.items()})


@pytest.mark.parametrize(
    "hours, minutes",
    [("2", 120), ("1.5", 90), ("1,75", 105), ("0.25", 15), ("1:30", 90), ("2¼", 135), ("3 h", 180)],
)
def test_hours_can_be_written_as_people_write_them(client, world, hours, minutes):
    log_in(client, world.member)
    response = send(client, member=world.other_member.id, hours=hours, memo="Help")
    assert_status(response, 303)
    [transfer_id] = _ids()
    assert fresh(HourTransfer, transfer_id).minutes == minutes


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"hours": "-1"}, "hours", "positive number of hours"),
        ({"hours": "−1"}, "hours", "positive number of hours"),
        ({"hours": "0"}, "hours", "at least a quarter"),
        ({"hours": "0.1"}, "hours", "quarter hours"),
        ({"hours": "1.33"}, "hours", "quarter hours"),
        ({"hours": "101"}, "hours", "At most 100 h"),
        ({"hours": "9" * 30}, "hours", "like 1.5"),
        ({"hours": "1e9"}, "hours", "like 1.5"),
        ({"hours": "NaN"}, "hours", "like 1.5"),
        ({"hours": "Infinity"}, "hours", "like 1.5"),
        ({"hours": ""}, "hours", "Please give a number of hours"),
        ({"hours": "\x00"}, "hours", "Please give a number of hours"),
        ({"memo": ""}, "memo", "what the hours are for"),
        ({"memo": "   "}, "memo", "what the hours are for"),
        ({"memo": "x" * 201}, "memo", "under 200"),
        ({"member": ""}, "member", "choose a neighbour"),
        ({"member": "abc"}, "member", "choose a neighbour"),
        ({"member": "999999"}, "member", "from the list"),
        ({"member": "-1"}, "member", "from the list"),
        ({"claim": "999999"}, "claim", "one of your exchanges"),
    ],
    ids=repr,
)
def test_bad_input_is_shown_again_with_422_and_nothing_moves(client, world, fields, field, message):
    log_in(client, world.member)
    data = {"member": world.other_member.id, "hours": "1", "memo": "Gardening help"} | fields
    response = send(client, **data)
    assert_status(response, 422)
    page = text(response)
    assert re.search(rf'id="send-{field}-error"[^>]*>[^<]*{re.escape(message)}', page), page[-3000:]
    assert 'aria-invalid="true"' in page
    if "memo" not in fields:
        assert 'value="Gardening help"' in page  # the input is kept
    assert transfer_count() == 0


def test_a_nul_in_the_memo_is_dropped_not_a_500(client, world):
    log_in(client, world.member)
    response = send(client, member=world.other_member.id, hours="1", memo="Tea\x00 time")
    assert_status(response, 303)
    [transfer_id] = _ids()
    assert fresh(HourTransfer, transfer_id).memo == "Tea time"


def test_spending_past_the_floor_answers_409_and_keeps_the_input(client, world):
    log_in(client, world.member)
    response = send(client, member=world.other_member.id, hours="10.25", memo="Too much")
    assert_status(response, 409)
    page = text(response)
    assert "Your balance is 0 h and can go down to −10 h, so 10¼ h can&#39;t leave it now." in page
    assert 'value="10.25"' in page
    assert transfer_count() == 0


def test_an_htmx_send_redirects_the_whole_page_and_an_error_swaps_only_the_form(client, world):
    log_in(client, world.member)
    data = {"send-member": world.other_member.id, "send-hours": "1", "send-memo": "Thanks"}
    ok = post(client, "/timebank/transfers", data, headers=HX)
    assert_status(ok, 200)
    assert ok.headers["HX-Redirect"] == "/timebank"
    bad = post(client, "/timebank/transfers", data | {"send-hours": "0.1"}, headers=HX)
    assert_status(bad, 422)
    body = text(bad)
    assert body.lstrip().startswith('<section id="sending"')
    assert "<html" not in body and 'id="flashes"' in body  # flashes travel out of band


def test_the_form_offers_only_people_one_can_trade_with(client, world):
    from tests.timebank.conftest import block

    block(world.coordinator, world.member)
    log_in(client, world.member)
    page = text(client.get("/timebank"))
    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', page)
    people = {name for _, name in options}
    assert "Otto Other" in people
    for absent in ("Mia Member", "Cora Coordinator", "Wes Away", "Ada Applicant", "Root Admin"):
        assert absent not in people


def test_someone_with_no_community_is_pointed_to_the_directory(client, world):
    log_in(client, world.stranger)
    page = text(client.get("/timebank"))
    assert "Find a community to join" in page
    assert 'id="sending"' not in page
    assert "You can't go below 0 h until you belong to a community." in page


def test_the_send_form_can_be_prefilled_from_a_link(client, world):
    log_in(client, world.member)
    page = text(client.get(f"/timebank?to={world.other_member.id}"))
    assert re.search(rf'<option selected value="{world.other_member.id}">Otto Other', page) or (
        re.search(rf'<option value="{world.other_member.id}" selected>', page)
    )


# --- requests and reversals through the pages --------------------------------------------------


def test_a_request_waits_on_the_payers_page_and_htmx_confirms_it_in_place(client, world):
    request = timebank.request_hours(world.other_member, world.member, 45, "Cat feeding")
    log_in(client, world.member)
    page = text(client.get("/timebank"))
    assert "Waiting for you to confirm (1)" in page
    assert "Confirm ¾ h to Otto Other" in page
    response = post(client, f"/timebank/transfers/{request.id}/confirm", headers=HX)
    assert_status(response, 200)
    body = text(response)
    assert body.lstrip().startswith('<div id="timebank-account">')
    assert '<strong id="my-balance">−¾ h</strong>' in body
    assert "Confirmed: ¾ h went to Otto Other." in body
    assert "Waiting for you to confirm (0)" in body
    # Otto's dashboard and time bank show it.
    log_in(client, world.other_member)
    assert "Your balance: <strong>¾ h</strong>" in text(client.get("/"))
    notes = [n.text for n in Notification.query.filter_by(user_id=world.other_member.id)]
    assert "Mia Member confirmed ¾ h for “Cat feeding”." in notes


def test_confirming_twice_answers_409_and_says_why(client, world):
    request = timebank.request_hours(world.other_member, world.member, 45, "Cat feeding")
    log_in(client, world.member)
    assert_status(post(client, f"/timebank/transfers/{request.id}/confirm"), 303)
    again = post(client, f"/timebank/transfers/{request.id}/confirm", headers=HX)
    assert_status(again, 409)
    assert "This request has already been confirmed." in text(again)
    assert all_balances()[world.member.id] == -45


def test_confirming_past_the_floor_answers_409(client, world):
    set_floor(world.home, 0)
    request = timebank.request_hours(world.other_member, world.member, 45, "Cat feeding")
    log_in(client, world.member)
    response = post(client, f"/timebank/transfers/{request.id}/confirm", headers=HX)
    assert_status(response, 409)
    assert "can&#39;t leave it now" in text(response)
    assert fresh(HourTransfer, request.id).state == "recorded"


def test_actions_on_the_transfer_page_come_back_to_it(client, world):
    request = timebank.request_hours(world.other_member, world.member, 45, "Cat feeding")
    log_in(client, world.member)
    url = f"/timebank/transfers/{request.id}"
    assert "Confirm ¾ h to Otto Other" in text(client.get(url))
    plain = post(client, f"{url}/refuse", {"from": "transfer"})
    assert_status(plain, 303)
    assert plain.headers["Location"] == url
    assert "refused on" in text(client.get(url))


def test_giving_back_from_the_transfer_page_with_htmx(client, world):
    sent = timebank.send_hours(world.member, world.other_member, 60, "Oops")
    log_in(client, world.other_member)
    url = f"/timebank/transfers/{sent.id}"
    assert "Give the hours back" in text(client.get(url))
    headers = HX | {"HX-Target": "transfer"}
    response = post(client, f"{url}/reverse", {"memo": "Wrong person"}, headers=headers)
    assert_status(response, 200)
    body = text(response)
    assert body.lstrip().startswith('<section id="transfer"')
    assert "Given back" in body and "Give the hours back" not in body
    again = post(client, f"{url}/reverse", {"memo": "Again"}, headers=headers)
    assert_status(again, 409)
    assert "already been given back" in text(again)
    assert transfer_count() == 2


def test_an_overlong_reversal_memo_is_422(client, world):
    sent = timebank.send_hours(world.member, world.other_member, 60, "Oops")
    log_in(client, world.other_member)
    response = post(client, f"/timebank/transfers/{sent.id}/reverse", {"memo": "x" * 201})
    assert_status(response, 422)
    assert "under 200" in text(response)
    assert transfer_count() == 1


XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</textarea><svg onload=alert(1)>",
]


@pytest.mark.parametrize("payload", XSS)
def test_what_members_write_is_shown_as_text(client, world, payload):
    world.other_member.display_name = payload[:80]
    from commons.extensions import db

    db.session.commit()
    sent = timebank.send_hours(world.member, world.other_member, 60, payload)
    asked = timebank.request_hours(world.other_member, world.member, 30, payload)
    log_in(client, world.member)
    pages = [
        text(client.get("/timebank")),
        text(client.get(f"/timebank/transfers/{sent.id}")),
        text(client.get(f"/timebank/transfers/{asked.id}")),
        text(send(client, member=world.other_member.id, hours="0.1", memo=payload)),
    ]
    for page in pages:
        assert "<script>alert" not in page
        assert "<img src=x" not in page and "<svg onload" not in page
        assert str(escape(payload)) in page


# --- statement paging, dashboard, navigation, export --------------------------------------------


def test_the_statement_pages_newest_first(client, world):
    for n in range(timebank.PER_PAGE + 2):
        timebank.send_hours(world.other_member, world.member, 15, f"Line {n:02d}")
    log_in(client, world.member)
    first = text(client.get("/timebank"))
    assert "Line 26" in first and "Line 01" not in first
    assert "Page 1 of 2" in first and 'rel="next"' in first
    second = text(client.get("/timebank?page=2"))
    assert "Line 01" in second and "Line 00" in second and "Line 26" not in second
    assert "Page 2 of 2" in second
    assert "Page 2 of 2" in text(client.get("/timebank?page=99"))
    assert client.get("/timebank?page=abc").status_code == 200


def test_the_nav_and_the_dashboard_lead_to_the_time_bank(client, world):
    request = timebank.request_hours(world.other_member, world.member, 45, "Cat feeding")
    assert request.id
    log_in(client, world.member)
    home = text(client.get("/"))
    assert '<a href="/timebank">Time bank</a>' in home
    assert "Your balance: <strong>0 h</strong>." in home
    assert "1 request for hours" in home and "waits for you to confirm" in home


def test_export_my_data_includes_my_hours(client, world):
    timebank.send_hours(world.member, world.other_member, 90, "Dog walking")
    log_in(client, world.member)
    data = client.get("/settings/account/export").get_json()
    assert data["hour_transfers"]["balance_hours"] == "-1.5"
    assert [t["memo"] for t in data["hour_transfers"]["transfers"]] == ["Dog walking"]


def test_the_csv_download_reads_back(client, world):
    timebank.send_hours(world.member, world.other_member, 90, "=1+1")
    log_in(client, world.member)
    rows = list(csv.reader(io.StringIO(text(client.get("/timebank/statement.csv")))))
    assert rows[1][2:7] == ["Otto Other", "'=1+1", "", "1.5", "-1.5"]


# --- ids no database holds ---------------------------------------------------------------------

HUGE_IDS = ["2147483648", "9223372036854775808", "99999999999999999999"]


@pytest.mark.parametrize("huge", HUGE_IDS)
def test_a_transfer_id_beyond_any_row_is_not_found(client, world, huge):
    log_in(client, world.admin)
    assert_status(client.get(f"/timebank/transfers/{huge}"), 404)
    assert_status(post(client, f"/timebank/transfers/{huge}/confirm"), 404)
    assert_status(post(client, f"/timebank/transfers/{huge}/reverse", {"memo": "x"}), 404)


@pytest.mark.parametrize("huge", HUGE_IDS)
@pytest.mark.parametrize("field", ["member", "claim", "session", "exchange"])
def test_a_chosen_id_beyond_any_row_is_answered_in_the_form(client, world, field, huge):
    """As for any id with no row behind it: choose from the list."""
    log_in(client, world.member)
    fields = {"member": world.other_member.id, "hours": "1", "memo": "Tea", field: huge}
    response = send(client, **fields)
    assert_status(response, 422)
    assert "from the list" in text(response)
    assert transfer_count() == 0
    assert client.get(f"/timebank?to={huge}&{field}={huge}").status_code == 200
