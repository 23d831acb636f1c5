"""The exchanges hub costs a fixed number of SQL statements however many swaps, circles and
paid lessons the member has, in every state (no N+1 queries)."""

from __future__ import annotations

from commons.exchanges import services as exchanges
from tests.conftest import log_in, text
from tests.exchanges.conftest import add_third
from tests.posts.test_queries import counted_statements


def grow(world, make_user, start: int, stop: int) -> None:
    """For each n: a swap Otto is asked about, a circle with a new neighbour that is under
    way, and a paid lesson that was declined; all Mia's."""
    for n in range(start, stop):
        neighbour = add_third(world, make_user)
        exchanges.propose_swap(
            world.member, world.other_member, i_teach=f"Guitar {n}", they_teach=f"Bread {n}"
        )
        ring = exchanges.propose_circle(
            world.member,
            [
                (world.member.id, world.other_member.id, f"Welsh {n}"),
                (world.other_member.id, neighbour.id, f"Knitting {n}"),
                (neighbour.id, world.member.id, f"Chess {n}"),
            ],
        )
        exchanges.accept(world.other_member, ring)
        exchanges.accept(neighbour, ring)
        paid = exchanges.propose_paid(
            world.member, neighbour, i_teach=True, skill=f"Maths {n}", minutes=60
        )
        exchanges.decline(neighbour, paid)


def statements_for(client, url: str) -> int:
    with counted_statements() as statements:
        response = client.get(url)
    assert response.status_code == 200, text(response)[:300]
    return len(statements)


def test_the_hub_costs_the_same_for_two_exchanges_or_twenty(client, world, make_user):
    log_in(client, world.member)
    grow(world, make_user, 0, 1)
    few = statements_for(client, "/exchanges")
    grow(world, make_user, 1, 7)
    page = text(client.get("/exchanges"))
    assert "Guitar 6" in page and "Chess 6" in page and "Maths 0" in page
    assert statements_for(client, "/exchanges") == few
