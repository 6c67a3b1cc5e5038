"""The database cannot be reached in the middle of a request: a Japanese 503, not a bare 500.

The real outage (PostgreSQL stopped with -m immediate under load, behind HAProxy) is run by
tests/load/test_scale_out.py; here the driver's error is raised where a query would be.
"""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from training.extensions import db


def test_unreachable_database_is_a_japanese_503(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/outage")
    def outage():
        db.session.execute(text("SELECT 1"))  # a transaction is open, as in any view
        raise OperationalError("SELECT 1", {}, ConnectionError("server closed the connection unexpectedly"))

    response = app.test_client().get("/outage")
    body = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "ただいまご利用いただけません" in body and "もう一度お試しください" in body
    # The session is usable again at once (the dropped connection is not handed back).
    with app.app_context():
        assert db.session.execute(text("SELECT 1")).scalar() == 1
