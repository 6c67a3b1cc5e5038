"""Behind a proxy (PROXY_FIX_HOPS) the client address comes from X-Forwarded-For. A proxy that
passes on what the client sent would let any text become the "address" stored with audit
entries and limit counters: too long for the column, or holding NUL, it was a 500 on PostgreSQL
(issue 12). Only a real IP address is kept."""
import pytest
from sqlalchemy import select

from tests.support.learner import csrf
from training.extensions import db
from training.models import AuditEntry


@pytest.fixture
def app_config(app_config):
    return dict(app_config, PROXY_FIX_HOPS=1)


@pytest.mark.parametrize("forwarded", ["x" * 300, "長" * 70, "1.2.3.4\x00", "not-an-address"])
def test_a_forwarded_address_that_is_no_ip_address_is_not_stored(app, client, create_user_factory, forwarded):
    _uid, login_id = create_user_factory("trainee")
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"csrf_token": csrf(page), "login_id": login_id,
                                           "password": "wrong-password-1"}, headers={"X-Forwarded-For": forwarded})
    assert response.status_code == 200
    assert client.get("/verify/ABCD-EFGH-JKMN-PQRS-TVWX", headers={"X-Forwarded-For": forwarded}).status_code == 404
    with app.app_context():
        addresses = set(db.session.scalars(select(AuditEntry.ip_address)))
    assert addresses <= {None}


def test_a_real_forwarded_address_is_kept(app, client, create_user_factory):
    _uid, login_id = create_user_factory("trainee")
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"csrf_token": csrf(page), "login_id": login_id, "password": "wrong-password-1"},
                headers={"X-Forwarded-For": "2001:db8::7"})
    with app.app_context():
        assert "2001:db8::7" in set(db.session.scalars(select(AuditEntry.ip_address)))
