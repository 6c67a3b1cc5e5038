"""A high-school student on a phone answers the check-in 「いまの気持ちは？」 at the end of the
module about their own SOS with a low level: the youth lines come first, the pause and the way
on are both there; axe-core on the check-in and on the answer."""
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.test_accessibility import BLOCKING, describe, run_axe
from training.auth.accounts import NewUser, create_user
from training.extensions import db
from training.models import SurveyResponse

PASSWORD = "checkin-journey-pass-1"


def _axe_clean(page) -> None:
    blocking = [v for v in run_axe(page)["violations"] if v["impact"] in BLOCKING]
    assert not blocking, describe(blocking)


def test_student_taps_a_low_level_on_a_phone(browser, live_server, screenshot):
    with live_server.app.app_context():
        user = create_user(NewUser(login_id="checkin-student", display_name="確認用 高校生", password=PASSWORD,
                                   roles=("trainee",), audience="high_school"))
        db.session.add(SurveyResponse(user_id=user.id, course_id="high-school", phase="pre", answers={},
                                      content_version="x"))
        db.session.commit()
    context = browser.new_context(locale="ja-JP", viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, bypass_csp=True)
    page = context.new_page()
    try:
        sign_in(page, live_server, "checkin-student", PASSWORD)
        page.goto(f"{live_server}/learn/high-school/m/hs-own-sos/s/tonight")
        checkin = page.get_by_role("group", name="いまの気持ちは？")
        expect(checkin).to_be_visible()
        expect(checkin.get_by_role("button")).to_have_count(4)
        expect(page.get_by_role("button", name="確認クイズへ →")).to_be_visible()  # skipping is always possible
        checkin.screenshot(path=str(ARTIFACTS / "phone-checkin-form.png"))
        _axe_clean(page)
        checkin.get_by_role("button", name="すごくつらい").tap()

        panel = page.locator(".help-offer")
        expect(page.get_by_role("heading", name="つらいときは、一人でがまんしなくていい")).to_be_visible()
        expect(panel.locator(".contact-card__name").first).to_have_text("24時間子供SOSダイヤル")
        expect(panel.get_by_text("よりそいホットライン")).to_have_count(0)
        expect(page.get_by_role("link", name="ここで休む（続きはいつでも再開できます）")).to_be_visible()
        go_on = page.get_by_role("link", name="続ける →")
        expect(go_on).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(page, "phone-checkin-low")
        _axe_clean(page)
        go_on.click()
        expect(page).to_have_url(f"{live_server}/learn/high-school/m/hs-own-sos/quiz")
    finally:
        context.close()
