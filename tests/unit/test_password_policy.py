"""OWASP ASVS 6.2.4 and 6.2.11: common passwords and words of the context are refused; the
passwords people and the test suite use stay accepted."""
import pytest
from flask import Flask

from tests.conftest import PASSWORD
from training.auth.passwords import password_problem


@pytest.mark.parametrize("password", [
    "password123", "Password1234", "qwertyuiop", "1234567890", "iloveyou12", "1qaz2wsx3edc",
    "P@ssw0rd2024", "sunshine2020", "letmein12345", "abcdefghij", "zaq12wsxcde",
])
def test_common_passwords_are_refused(password):
    problem = password_problem(password)
    assert problem and "よく使われるパスワード" in problem


@pytest.mark.parametrize("password", [
    "Nerima-Ward-1", "my-nerima-2026", "ＮＥＲＩＭＡ-park-7", "練馬の公園をゆっくり歩く", "gatekeeper-2026",
    "GateKeeper-river-3", "ゲートキーパー研修です", "NerimaKuyakusho",
])
def test_words_of_the_ward_and_the_service_are_refused(password):
    problem = password_problem(password)
    assert problem and "区やこの研修に関係する言葉" in problem


def test_the_configured_organisation_name_is_refused():
    app = Flask(__name__)
    app.config["ORGANISATION_NAME"] = "光が丘保健相談所"
    with app.app_context():
        assert "光が丘保健相談所" in password_problem("光が丘保健相談所の研修")
    assert password_problem("光が丘保健相談所の研修") is None  # outside the app only the fixed words


@pytest.mark.parametrize(("password", "login_id"), [
    ("kuyakusho.taro", "kuyakusho.taro"), ("xkuyakusho.taro!", "kuyakusho.taro"),
    ("river-hanako2026", "Hanako2026"), ("ＨＡＮＡＫＯ2026-river", "hanako2026"),
])
def test_the_login_id_is_refused_inside_the_password_too(password, login_id):
    assert "ログインID" in password_problem(password, login_id=login_id)


@pytest.mark.parametrize("password", [
    PASSWORD, "new-password-123", "temporary-pass-1", "demo-password-1", "student-pass-1",
    "phone-pass-123", "ten-chars!", "a-long-password", "browser-demo-pass", "load-trainee-password",
    "長いパスフレーズを使う", "kuyakusho-taro1", "yamada-taro-0101",
])
def test_passwords_people_and_the_suite_use_stay_accepted(password):
    assert password_problem(password, login_id="user1-trainee") is None


def test_a_very_long_password_is_checked_quickly():
    """zxcvbn scores only the first 72 characters (it refuses longer input)."""
    assert password_problem("river-stone-cloud-" * 14) is None
