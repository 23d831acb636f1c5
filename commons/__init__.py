"""Commons: neighbours sharing resources and learning from each other."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: object | str | None = None) -> Flask:
    """Build the app. `config` is a config name, a config object, or None for COMMONS_ENV.

    Flask is imported here, not at the top: `commons.matching` runs from files and
    benchmarks without the web app, and importing the package must not load it."""
    from flask import Flask
    from werkzeug.middleware.proxy_fix import ProxyFix

    import config as app_config

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_object(
        app_config.load(config) if config is None or isinstance(config, str) else config
    )
    register_logging(app)
    register_extensions(app)
    register_url_converters(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_security(app)
    register_template_helpers(app)
    register_commands(app)
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    return app


def register_logging(app: Flask) -> None:
    from .observability import init_request_logging

    init_request_logging(app)


def register_extensions(app: Flask) -> None:
    from . import mail
    from .database import configure_sqlite
    from .extensions import csrf, db, htmx, limiter, login_manager, migrate

    Path(app.instance_path).mkdir(exist_ok=True)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    mail.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)


def register_url_converters(app: Flask) -> None:
    from .web import RowIdConverter

    # Before the blueprints: every `<int:...>` in a route is a row id, so a number no row can
    # have (PostgreSQL refuses those with an error) is a 404 like any unknown id.
    app.url_map.converters["int"] = RowIdConverter


def register_blueprints(app: Flask) -> None:
    from .accounts.views import bp as accounts_bp
    from .announcements.views import bp as announcements_bp
    from .claims.views import bp as claims_bp
    from .communities.views import bp as communities_bp
    from .dashboard.views import bp as dashboard_bp
    from .exchanges.views import bp as exchanges_bp
    from .imports.views import bp as imports_bp
    from .links.views import bp as links_bp
    from .main.views import bp as main_bp
    from .mentorship.views import bp as mentorship_bp
    from .moderation.views import bp as moderation_bp
    from .notifications.views import bp as notifications_bp
    from .posts.views import bp as posts_bp
    from .profiles.views import bp as profiles_bp
    from .sessions.views import bp as sessions_bp
    from .suggestions.views import bp as suggestions_bp
    from .timebank.views import bp as timebank_bp

    for bp in (
        main_bp,
        accounts_bp,
        profiles_bp,
        communities_bp,
        links_bp,
        dashboard_bp,
        posts_bp,
        notifications_bp,
        moderation_bp,
        announcements_bp,
        claims_bp,
        suggestions_bp,
        timebank_bp,
        mentorship_bp,
        sessions_bp,
        exchanges_bp,
        imports_bp,
    ):
        app.register_blueprint(bp)


def register_error_handlers(app: Flask) -> None:
    from .errors import init_error_handlers

    init_error_handlers(app)


def register_security(app: Flask) -> None:
    from .security import init_security_headers

    init_security_headers(app)


def register_template_helpers(app: Flask) -> None:
    from .web import init_template_helpers

    init_template_helpers(app)


def register_commands(app: Flask) -> None:
    from .cli import init_commands

    init_commands(app)
