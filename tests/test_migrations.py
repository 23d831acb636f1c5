"""The migrations build exactly the models' schema, and take it down again."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from commons.extensions import db
from commons.posts.models import described_by_models
from tests.conftest import _make_app, _postgres_database


@pytest.fixture
def empty_database(tmp_path) -> Iterator[str]:
    server = os.environ.get("TEST_DATABASE_URL")
    if server:
        yield from _postgres_database(server)
    else:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"


def test_upgrade_gives_the_models_schema_and_downgrade_removes_it(empty_database):
    app = _make_app(empty_database)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={"include_name": lambda name, kind, parents: described_by_models(name)},
            )
            differences = compare_metadata(context, db.metadata)
        assert differences == []

        downgrade(revision="base")
        with db.engine.connect() as connection:
            left = set(inspect(connection).get_table_names()) - {"alembic_version"}
        assert left == set()
        db.engine.dispose()
