"""The records API: bearer tokens, filters, pagination, 401s, audit."""
import datetime as dt
import re
from pathlib import Path

from sqlalchemy import func, select

from tests.support.learner import csrf
from training.content import load_checked
from training.dates import JST
from training.demo import simulate_learning
from training.extensions import db
from training.models import ApiToken, AuditEntry, CourseCompletion, LimitEvent, User

CONTENT = load_checked(Path(__file__).resolve().parents[2])


def _token(client) -> str:
    page = client.get("/records/tokens").get_data(as_text=True)
    html = client.post("/records/tokens", data={"csrf_token": csrf(page), "name": "人事給与システム"}).get_data(as_text=True)
    return re.search(r'<p class="mono token">([^<]+)</p>', html).group(1)


def _completions(app, create_user_factory, n):
    for i in range(n):
        uid, _ = create_user_factory("trainee", audience="counter_staff", employee_no=f"00{i:04d}",
                                     department="税務課" if i % 2 else "収納課")
        with app.test_request_context():
            simulate_learning(db.session.get(User, uid), CONTENT.course("counter-staff"), CONTENT)
            db.session.scalar(select(CourseCompletion).where(CourseCompletion.user_id == uid)).completed_at = \
                dt.datetime(2026, 5, 1 + i, 9, tzinfo=JST)
            db.session.commit()


def test_api_with_a_token(app, client, login_as, create_user_factory):
    _completions(app, create_user_factory, 5)
    login_as("personnel", audience=None)
    token = _token(client)
    with app.app_context():
        stored = db.session.scalar(select(ApiToken))
        assert stored.token_hash != token and token.startswith(stored.prefix)
    api = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    first = api.get("/api/v1/completions?fiscal_year=2026&per_page=2", headers=auth).get_json()
    assert first["total"] == 5 and len(first["data"]) == 2 and first["next_page"] == 2
    row = first["data"][0]
    assert row["employee_no"] == "000000" and row["completed_on"] == "2026-05-01"
    assert row["completed_on_wareki"] == "令和8年5月1日" and row["status"] == "有効"
    last = api.get("/api/v1/completions?fiscal_year=2026&per_page=2&page=3", headers=auth).get_json()
    assert len(last["data"]) == 1 and last["next_page"] is None
    filtered = api.get("/api/v1/completions?department=税務課", headers=auth).get_json()
    assert filtered["total"] == 2
    bad = api.get("/api/v1/completions?date_from=2026-12-01&date_to=2026-01-01", headers=auth)
    assert bad.status_code == 400 and "開始日" in bad.get_json()["message"]
    with app.app_context():
        calls = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "api.completions")).all()
        assert len(calls) == 3 and calls[0].detail["token"] == "人事給与システム"


def test_unknown_missing_and_revoked_tokens_get_401(app, client, login_as):
    login_as("personnel", audience=None)
    token = _token(client)
    api = app.test_client()
    for headers in ({}, {"Authorization": "Bearer gk_nope"}, {"Authorization": "Basic abc"}):
        response = api.get("/api/v1/completions", headers=headers)
        assert response.status_code == 401 and response.get_json() == {"error": "unauthorized"}
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    page = client.get("/records/tokens").get_data(as_text=True)
    client.post(f"/records/tokens/{token_id}/revoke", data={"csrf_token": csrf(page)})
    assert api.get("/api/v1/completions", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_api_is_rate_limited_per_token(app, client, login_as):
    login_as("personnel", audience=None)
    token = _token(client)
    api = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    responses = [api.get("/api/v1/completions?per_page=1", headers=auth) for _ in range(121)]
    assert [r.status_code for r in responses[:120]] == [200] * 120 and responses[120].status_code == 429
    refused = responses[120]
    assert refused.get_json()["error"] == "too_many_requests"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["Cache-Control"] == "no-store"
    with app.app_context():   # counted in the database, so every worker and server shares it
        assert db.session.scalar(select(func.count()).select_from(LimitEvent).where(LimitEvent.scope == "api")) == 120
