"""The dashboard's figures against Elm Street (tests/dashboard/conftest.py), worked out by hand,
for both windows; a community with nothing in it; durations in words; the chart layout."""

from __future__ import annotations

from datetime import timedelta

import pytest

from commons.dashboard import charts, services
from commons.dashboard.services import CategoryCount, NeedsMet
from commons.extensions import db
from commons.mentorship.models import Mentorship
from tests.dashboard.conftest import NOW, at


def test_open_offers_and_needs_by_category_now(elm_street):
    # Open now: P3 (tools offer), P5 (languages need), P6 (tutoring need, a claim pending),
    # P7 (food offer, places left), P11 (household offer, ongoing), P12 (food need).
    # Not open: P1, P4, P8 (fulfilled), P9 (closed), P10 (hidden), P2 (its expiry passed at
    # d-30, though nobody ran `flask posts expire`), nor Oak Road's need.
    # In the category list's order: tools, food, tutoring, languages, household.
    assert services.open_by_category(elm_street.community, NOW) == [
        CategoryCount("tools", offers=1, needs=0),
        CategoryCount("food", offers=1, needs=1),
        CategoryCount("tutoring", offers=0, needs=1),
        CategoryCount("languages", offers=0, needs=1),
        CategoryCount("household", offers=1, needs=0),
    ]
    board = services.dashboard(elm_street.community, 4, NOW)
    assert (board.open_offers, board.open_needs) == (3, 3)


def test_the_last_four_weeks(elm_street):
    window = services.window(elm_street.community, 4, NOW)
    assert (window.since, window.until) == (at(28), NOW)

    # Needs posted since d-28: P9 (d-28 to the second: the window includes its start),
    # P4 (d-20), P5 (d-15), P6 (d-10), P8 (d-2), P12 (d-1); P10 is hidden.
    # Met: P4 (completed) and P8 (accepted): 2 of 6 = 33.3% -> 33%.
    assert window.needs == NeedsMet(posted=6, met=2)
    assert window.needs.percent == 33

    # Posts of the window with a claim, posting -> first claim: P8 30 min, P6 6 h,
    # P7 2 days 2 h (d-5 -> Dee's d-3 +2h; Cora's d-2 +3h came later), P4 3 days.
    # Median of four: (6 h + 50 h) / 2 = 28 h.
    assert window.first_answer.value == timedelta(hours=28)
    assert window.first_answer.count == 4
    assert window.first_answer.words == "1 day 4 hours"
    # With a completed claim: P7 4 days (d-5 -> Dee's d-1; Cora's d-1 +12h came later),
    # P4 10 days. Median: 7 days.
    assert window.completion.value == timedelta(days=7)
    assert window.completion.count == 2
    assert window.completion.words == "7 days"

    # Weeks from d-28: [d-28, d-21), [d-21, d-14), [d-14, d-7), [d-7, now).
    # New posts: P9 | P4, P5 | P6 (P10 hidden) | P7, P8, P12.
    # Claims: none (P11's at d-30 is earlier) | Ben's on P3 d-19, P4's d-17
    #         | P6's d-10 +6h (P10's is hidden) | Dee's and Cora's on P7, Ben's on P8.
    # New members: none | Ben, at d-21 to the second: the second week's first moment | none
    #              | Dee d-3.
    assert [week.start for week in window.weekly] == [at(28), at(21), at(14), at(7)]
    assert [week.posts for week in window.weekly] == [1, 2, 1, 3]
    assert [week.claims for week in window.weekly] == [0, 2, 1, 3]
    assert [week.members for week in window.weekly] == [0, 1, 0, 1]
    assert (window.new_posts, window.claims, window.new_members) == (7, 6, 2)

    # Time bank: T8 (asked at d-29, confirmed at d-20) 30 + T2 (confirmed at d-9) 120 + T3 60
    # = 210 minutes. Not T1 (d-47), T4 and its reversal (a mistake put right), T5 (Oak
    # Road's), T6 (not confirmed), T7 (refused).
    assert window.minutes_exchanged == 210
    assert (window.hours_exchanged, window.hours_exchanged_words) == ("3.5", "3½ h")
    # No mentorships in Elm Street's story: see test_active_mentorships.
    assert window.active_mentorships == 0


def test_the_last_twelve_weeks(elm_street):
    window = services.window(elm_street.community, 12, NOW)
    assert window.since == at(84)

    # Add P1 (d-70; closed since, but met: its claim was completed) and P2 (d-60, its only
    # claim declined): 3 of 8 = 37.5%, rounded half up to 38%.
    assert window.needs == NeedsMet(posted=8, met=3)
    assert window.needs.percent == 38

    # First claims, adding P3 1 h, P1 5 h and P2 2 days: 30 min, 1 h, 5 h, 6 h, 2 days,
    # 2 days 2 h, 3 days (P3's first claim is Ann's; Ben's at d-19 came later). Median of
    # seven: the fourth, 6 hours. (P11, posted at d-90, is out.)
    assert window.first_answer.value == timedelta(hours=6)
    assert window.first_answer.count == 7
    assert window.first_answer.words == "6 hours"
    # Completions, adding P1 2 days 5 h (d-70 -> d-68 +5h) and P3 3 days 1 h: 53 h, 73 h,
    # 96 h, 240 h. Median: (73 + 96) / 2 = 84.5 h = 3 days 12 hours (and 30 minutes).
    assert window.completion.value == timedelta(hours=84, minutes=30)
    assert window.completion.count == 4
    assert window.completion.words == "3 days 12 hours"

    # Week n covers [d-84 + 7n, d-77 + 7n); an event at d-x +h falls in week
    # floor((84 - x + h/24) / 7). Posts: P1 d-70 -> 2, P2 d-60 -> 3, P3 d-50 -> 4,
    # P9 d-28 -> 8, P4 d-20 and P5 d-15 -> 9, P6 d-10 -> 10, P7, P8, P12 -> 11.
    assert [week.posts for week in window.weekly] == [0, 0, 1, 1, 1, 0, 0, 0, 1, 2, 1, 3]
    # Claims: P1's d-70 +5h -> 2, P2's d-58 -> 3, Ann's on P3 d-50 +1h -> 4, P11's d-30 -> 7,
    # Ben's on P3 d-19 and P4's d-17 -> 9, P6's d-10 +6h -> 10, two on P7 and P8's -> 11.
    assert [week.claims for week in window.weekly] == [0, 0, 1, 1, 1, 0, 0, 1, 0, 2, 1, 3]
    # Members: Ann d-80 -> 0, Ben d-21 -> 9 exactly, Dee d-3 -> 11 (Cora, d-100, is before).
    assert [week.members for week in window.weekly] == [1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1]
    assert (window.new_posts, window.claims, window.new_members) == (10, 10, 3)
    # Time bank: T1 90 more: 300 minutes.
    assert window.minutes_exchanged == 300
    assert (window.hours_exchanged, window.hours_exchanged_words) == ("5", "5 h")


def test_the_windows_differ_as_expected(elm_street):
    four = services.window(elm_street.community, 4, NOW)
    twelve = services.window(elm_street.community, 12, NOW)
    # The 12-week window holds everything the 4-week one does, and more.
    assert twelve.needs.posted > four.needs.posted
    assert twelve.new_posts > four.new_posts
    # Its last four weeks are the 4-week window's weeks, to the second.
    assert twelve.weekly[-4:] == four.weekly
    # Open posts do not depend on the window.
    assert (
        services.dashboard(elm_street.community, 4, NOW).open_by_category
        == services.dashboard(elm_street.community, 12, NOW).open_by_category
    )


def test_oak_road_counts_only_its_own(elm_street):
    # Olly's need (d-10, met at d-7), Ann's claim on it (d-8), and Olly (d-40) and Ann (d-9)
    # joining: nothing of Elm Street's.
    window = services.window(elm_street.neighbour, 12, NOW)
    assert window.needs == NeedsMet(posted=1, met=1)
    assert (window.new_posts, window.claims, window.new_members) == (1, 1, 2)
    assert window.first_answer.value == timedelta(days=2)
    assert window.completion.value is None
    assert window.minutes_exchanged == 30  # T5, between two of its members
    assert services.open_by_category(elm_street.neighbour, NOW) == []


def test_an_empty_community_divides_by_nothing(world):
    """Southside has members but no posts: no needs, no answers, nothing open."""
    board = services.dashboard(world.away, 4)
    window = board.window
    assert window.needs == NeedsMet(0, 0) and window.needs.percent is None
    assert window.first_answer.value is None and window.first_answer.words is None
    assert window.completion.value is None and window.completion.hours is None
    assert window.minutes_exchanged == 0 and window.hours_exchanged_words == "0 h"
    assert board.open_by_category == []
    assert [week.posts for week in window.weekly] == [0, 0, 0, 0]
    # Axel founded Southside and Wes joined it just now: both in this week.
    assert [week.members for week in window.weekly] == [0, 0, 0, 2]


@pytest.mark.parametrize("weeks", [0, 1, 5, 52])
def test_only_four_or_twelve_weeks(world, weeks):
    with pytest.raises(services.UnknownWindow):
        services.window(world.home, weeks)


@pytest.mark.parametrize(
    ("value", "weeks"), [(None, 4), ("", 4), ("4", 4), ("12", 12), (" 12", 12)]
)
def test_the_weeks_asked_for(value, weeks):
    assert services.window_weeks(value) == weeks


@pytest.mark.parametrize("value", ["0", "7", "abc", "12.0", "-4", "4;drop", "１２"])
def test_weeks_that_are_not_a_window(value):
    with pytest.raises(services.UnknownWindow):
        services.window_weeks(value)


@pytest.mark.parametrize(
    ("duration", "words"),
    [
        (timedelta(seconds=59), "under a minute"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(minutes=30), "30 minutes"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(hours=5, minutes=20, seconds=59), "5 hours 20 minutes"),
        (timedelta(days=1), "1 day"),
        (timedelta(days=2, hours=3, minutes=59), "2 days 3 hours"),
        (timedelta(days=40, hours=1), "40 days 1 hour"),
    ],
)
def test_durations_in_plain_words(duration, words):
    assert services.in_words(duration) == words


@pytest.mark.parametrize(
    ("posted", "met", "percent"),
    [(0, 0, None), (1, 0, 0), (1, 1, 100), (3, 2, 67), (6, 2, 33), (8, 1, 13), (200, 1, 1)],
)
def test_share_met_rounds_half_up(posted, met, percent):
    # 1 of 8 is 12.5%: half up gives 13 (Python's round() would give 12).
    assert NeedsMet(posted, met).percent == percent


@pytest.mark.parametrize(
    ("peak", "top", "step"),
    [
        (0, 1, 1),
        (1, 1, 1),
        (5, 5, 1),
        (6, 6, 2),
        (9, 10, 2),
        (11, 15, 5),
        (37, 40, 10),
        (251, 300, 100),
    ],
)
def test_the_value_axis_has_at_most_five_plain_steps(peak, top, step):
    assert charts.nice_scale(peak) == (top, step)


def test_bars_are_as_long_as_their_values(elm_street):
    chart = charts.category_bars(services.open_by_category(elm_street.community, NOW))
    food = next(row for row in chart.rows if row.label == "Food")
    tools = next(row for row in chart.rows if row.label == "Tools & equipment")
    offer, need = food.bars
    assert (offer.text, need.text) == ("1 offer", "1 need")
    assert offer.width == need.width == tools.bars[0].width > 0
    assert tools.bars[1].width == 0 and tools.bars[1].text == "0 needs"
    # Every bar and its value fit in the picture.
    assert all(bar.text_x < chart.width - 100 for row in chart.rows for bar in row.bars)
    assert chart.height >= max(bar.y + bar.height for row in chart.rows for bar in row.bars)


def test_weekly_lines_put_more_higher(elm_street):
    window = services.window(elm_street.community, 12, NOW)
    chart = charts.weekly_lines(window.weekly)
    posts = next(line for line in chart.lines if line.key == "posts")
    # Week 12 had three new posts, week 1 none: higher on the page means a smaller y.
    assert posts.points[-1].value == 3 and posts.points[0].value == 0
    assert posts.points[-1].y == chart.top and posts.points[0].y == chart.bottom
    # Twelve dates would crowd a phone: every other one, ending with this week's.
    assert [label.text for label in chart.x_labels][-1] == window.weekly[-1].label
    assert len(chart.x_labels) == 6


def test_active_mentorships(elm_street, make_user):
    """Counted when active at some moment of the window, with a side in the community."""
    elm = elm_street.community
    outsider, other = make_user("Out Sider"), make_user("Other Person")

    def mentorship(mentor, learner, status, accepted=None, ended=None) -> None:
        db.session.add(
            Mentorship(
                mentor_id=mentor.id,
                learner_id=learner.id,
                topic="guitar",
                status=status,
                created_at=at(100),
                decided_at=None if accepted is None else at(accepted),
                ended_at=None if ended is None else at(ended),
            )
        )

    mentorship(elm_street.cora, elm_street.ann, "active", accepted=50)  # both windows
    mentorship(elm_street.ann, outsider, "completed", accepted=40, ended=14)  # both
    mentorship(outsider, elm_street.ben, "ended", accepted=60, ended=42)  # 12 weeks only
    mentorship(elm_street.cora, elm_street.ben, "completed", accepted=99, ended=90)  # neither
    mentorship(elm_street.dee, elm_street.ann, "declined", accepted=20)  # never active
    mentorship(elm_street.dee, elm_street.cora, "pending")  # not yet
    mentorship(outsider, other, "active", accepted=10)  # nobody from Elm Street
    db.session.commit()

    assert services.window(elm, 4, NOW).active_mentorships == 2
    assert services.window(elm, 12, NOW).active_mentorships == 3
