from commons.posts.services import PostInput, create_post
from tests.conftest import log_in


def test_healthz_answers_without_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_reports_the_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["database"] == "ok"


def test_visitor_sees_the_landing_page(client, world):
    page = client.get("/").get_data(as_text=True)
    assert "Share what you have" in page
    assert "Northside" in page


def test_member_sees_their_communities_on_the_dashboard(client, world):
    log_in(client, world.member)
    page = client.get("/").get_data(as_text=True)
    assert "Hello, Mia Member" in page
    assert "Northside" in page
    assert "Southside" not in page


def test_every_response_carries_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Request-ID"]


def test_the_dashboard_lists_my_open_posts(client, world):
    create_post(
        world.member,
        PostInput(
            kind="need",
            title="Lift to the clinic",
            description="",
            category="transport",
            community_id=world.home.id,
        ),
    )
    log_in(client, world.member)
    page = client.get("/").get_data(as_text=True)
    assert "My open posts" in page and "Lift to the clinic" in page
    log_in(other := client.application.test_client(), world.other_member)
    assert "Lift to the clinic" not in other.get("/").get_data(as_text=True)
