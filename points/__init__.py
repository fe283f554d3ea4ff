"""The Flask application: ``create_app(config=None)`` wires extensions, blueprints,
error handlers and CLI commands."""
import logging
import os
from pathlib import Path

from flask import Flask, request, session as http_session
from flask_login import current_user
from werkzeug.routing import IntegerConverter

import ledger
from points.config import ROOT, Config
from points.extensions import babel, csrf, db, limiter, login_manager, migrate
from points.ids import MAX_ID


def create_app(config=None):
    app = Flask(__name__, template_folder=str(ROOT / "templates"),
                static_folder=str(ROOT / "static"), instance_relative_config=False)
    app.config.from_object(config or Config())
    app.url_map.converters["int"] = IdConverter  # before any route is added
    Path(app.config["INSTANCE_PATH"]).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO)
    _init_extensions(app)
    _register_blueprints(app)
    from points import cli, errors, security, serving

    errors.register(app)
    cli.register(app)
    security.init_app(app)
    serving.init_app(app)  # gzip, static ?v= URLs and cache headers
    if os.environ.get("JIFEN_BENCH_ENDPOINTS") == "1":  # bench/http.py's baselines only
        from bench import endpoints

        endpoints.register(app)
    return app


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: ids are INTEGER columns, so a larger number names no
    row (404) instead of a query the database refuses (a 500)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits, min, max, signed)


def _init_extensions(app):
    import points.models  # noqa: F401  (every table on the one metadata)
    from points.auth import passwords
    from points.i18n import compile_catalogues

    db.init_app(app)
    with app.app_context():
        ledger.install(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    compile_catalogues(app.config["BABEL_TRANSLATION_DIRECTORIES"])
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "web.sign_in"
    login_manager.login_message = None
    passwords.configure(app.config["PASSWORD_TIME_COST"], app.config["PASSWORD_MEMORY_COST"])
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.policies["ext.i18n.trimmed"] = True


def _register_blueprints(app):
    from points import api
    from points.web import template_globals
    from points.web.views import bp as web_bp
    from points.health import bp as health_bp
    from points.residents.views import bp as residents_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(web_bp)
    app.register_blueprint(residents_bp)
    from points.audit.views import bp as audit_bp

    app.register_blueprint(audit_bp)
    from points.notifications import views as notifications

    app.register_blueprint(notifications.bp)
    from points.activities import checkin_views, views as activities
    from points.claims import views as claims
    from points.earning import views as earning
    from points.inspections import views as inspections

    from points.gamification import me_views, staff_views, views as gamification
    from points.tasks import views as tasks
    from points.reports import dashboard, views as reports

    for feature in (earning, activities, checkin_views, claims, inspections, gamification,
                    me_views, staff_views, tasks, dashboard, reports):
        app.register_blueprint(feature.bp)
    from merchants.views import bp as merchants_bp

    app.register_blueprint(merchants_bp)
    from merchants.views_devices import bp as devices_bp

    app.register_blueprint(devices_bp)
    app.context_processor(notifications.template_globals)
    api.register(app)
    for blueprint in app.blueprints.values():
        if blueprint.name.startswith("api_"):
            csrf.exempt(blueprint)
    app.context_processor(template_globals)


def select_locale():
    """Pages: the language the person chose (cookie), else Chinese. API: Accept-Language."""
    languages = ("zh_Hans_CN", "en")
    if request.path.startswith("/api/"):
        best = request.accept_languages.best_match(["zh", "zh-CN", "en"])
        return "en" if best == "en" else "zh_Hans_CN"
    chosen = request.cookies.get("lang") or http_session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and getattr(current_user, "language", None) in languages:
        return current_user.language
    return "zh_Hans_CN"
