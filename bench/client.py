"""A logged-in test client for page benchmarks."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from commons.demo import DEMO_PASSWORD


def logged_in(app: Flask, email: str) -> FlaskClient:
    """A client logged in as the demo member `email`, as a browser would be."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(
        "/login", data={"csrf_token": token, "email": email, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 303, f"could not log in as {email}"
    return client
