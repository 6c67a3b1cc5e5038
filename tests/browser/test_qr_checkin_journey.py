"""QR check-in on phones (390 px): the instructor shows the code, the test reads the QR image
(zbarimg on a screenshot of it), a participant's phone opens that URL, signs in, confirms; the
roll call shows 出席 (issue 17)."""
import datetime as dt
import shutil
import subprocess

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, DEMO_PASSWORD, sign_in
from tests.browser.test_accessibility import BLOCKING, describe, run_axe
from tests.support.sessions import make_session
from training.auth.accounts import NewUser, create_user
from training.dates import JST
from training.extensions import db
from training.models import SessionParticipant

pytestmark = pytest.mark.browser


def _phone(browser):
    return browser.new_context(locale="ja-JP", viewport={"width": 390, "height": 844}, device_scale_factor=2,
                               is_mobile=True, has_touch=True, bypass_csp=True)


def test_qr_checkin_on_phones(browser, live_server, screenshot):
    assert shutil.which("zbarimg"), "zbarimg (Debian zbar-tools) is needed: make system-test"
    app = live_server.app
    with app.app_context():
        member_id = create_user(NewUser(login_id="qr-journey-1", display_name="受付 確認子", password="qr-journey-pass-7",
                                        roles=("trainee",), audience="counter_staff", employee_no="QR0001")).id
        db.session.commit()
    session_id = make_session(app, "demo-instructor", title="窓口職員向け 集合研修（QR受付）")
    with app.app_context():
        db.session.add(SessionParticipant(session_id=session_id, user_id=member_id, via="csv", roleplay=[]))
        db.session.commit()
    app.config["FROZEN_NOW"] = dt.datetime(2026, 11, 20, 13, 55, 10, tzinfo=JST)  # make_session: 14:00-16:00
    screen, phone, office = _phone(browser), _phone(browser), browser.new_context(locale="ja-JP")
    try:
        clerk = office.new_page()  # the personnel clerk's dashboard counts the person once checked in
        sign_in(clerk, live_server, "demo-personnel", DEMO_PASSWORD)
        in_person = clerk.locator('#kind-table tr[data-kind="in_person"] td').first

        def counted() -> int:
            clerk.goto(f"{live_server}/records/?year=2026")
            return int(in_person.inner_text().rstrip("人"))

        before = counted()
        instructor = screen.new_page()
        sign_in(instructor, live_server, "demo-instructor", DEMO_PASSWORD)
        instructor.goto(f"{live_server}/teach/sessions/{session_id}")
        instructor.get_by_role("link", name="QRコードで受付").first.click()
        expect(instructor.get_by_text("受付済み 0人 ／ 参加者 1人")).to_be_visible()
        qr = instructor.locator("#checkin-qr svg")
        box = qr.bounding_box()
        assert box["width"] >= 300, box  # large on the screen
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        image = ARTIFACTS / "qr-checkin-code.png"
        qr.screenshot(path=str(image))
        screenshot(instructor, "instructor-qr-checkin-390")
        read = subprocess.run(["zbarimg", "--raw", "-q", str(image)], capture_output=True, text=True, timeout=20)
        url = read.stdout.strip()
        assert read.returncode == 0 and url.startswith(f"{live_server}/checkin/{session_id}-"), (read, url)

        person = phone.new_page()
        person.goto(url)
        person.get_by_label("ログインID").fill("qr-journey-1")
        person.get_by_label("パスワード").fill("qr-journey-pass-7")
        person.get_by_role("button", name="ログイン").click()
        expect(person.get_by_role("heading", name="窓口職員向け 集合研修（QR受付）")).to_be_visible()
        blocking = [v for v in run_axe(person)["violations"] if v["impact"] in BLOCKING]
        assert not blocking, describe(blocking)
        width = person.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the confirm page is {width} px wide on a 390 px screen"
        screenshot(person, "participant-qr-confirm-390")
        person.get_by_role("button", name="受付する").click()
        expect(person.get_by_text("受付が完了しました（出席を記録しました）。")).to_be_visible()

        instructor.goto(f"{live_server}/teach/sessions/{session_id}/roll-call")
        expect(instructor.locator(f"#p{member_id}").get_by_text("いまの記録：出席")).to_be_visible()
        assert counted() == before + 1  # the session completes the course: 集合研修 on the dashboard
    finally:
        app.config.pop("FROZEN_NOW", None)
        screen.close()
        phone.close()
        office.close()
