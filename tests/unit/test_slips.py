"""Slip passwords and the slip batch cipher (standard library only)."""
import re

import pytest
from flask import Flask

from training.teach import slips


@pytest.fixture
def context():
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "unit-secret"
    with app.app_context():
        yield app


def test_round_trip_and_tampering_is_refused(context):
    plain = "大泉 学,000401,ABCDE-FGHJK-MNPQR".encode() * 5
    blob = slips.encrypt(plain)
    assert plain not in blob and slips.decrypt(blob) == plain
    assert slips.encrypt(plain) != blob                     # a fresh nonce every time
    with pytest.raises(slips.SlipsGone):
        slips.decrypt(blob[:20] + bytes([blob[20] ^ 1]) + blob[21:])
    context.config["SECRET_KEY"] = "another-secret"
    with pytest.raises(slips.SlipsGone):
        slips.decrypt(blob)


def test_first_login_passwords_read_well_on_paper():
    passwords = {slips.first_login_password() for _ in range(200)}
    assert len(passwords) == 200
    assert all(re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){2}", p) for p in passwords)
