"""At the door on a phone (390 px): the instructor takes the roll call of an in-person session,
registers a walk-in and records role-play items; the completion is recorded (issue 17)."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import DEMO_PASSWORD, sign_in
from tests.browser.test_accessibility import BLOCKING, describe, run_axe
from tests.support.classes import make_class
from tests.support.sessions import make_session
from training.auth.accounts import NewUser, create_user
from training.extensions import db
from training.models import CourseCompletion

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="ja-JP", viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, bypass_csp=True)
    yield context.new_page()
    context.close()


def test_roll_call_on_a_phone(phone, live_server, screenshot):
    app = live_server.app
    with app.app_context():
        # A person of its own, so that the journeys after this one see the demo data unchanged.
        member_id = create_user(NewUser(login_id="session-journey-1", display_name="集合 研修子",
                                        password="session-journey-pass-7",
                                        roles=("trainee",), audience="counter_staff", employee_no="SJ0001")).id
        db.session.commit()
    cohort_id = make_class(app, "demo-instructor", name="集合研修の確認クラス", member_ids=[member_id])
    session_id = make_session(app, "demo-instructor", cohort_id=cohort_id, title="窓口職員向け 集合研修（電話で出欠）")
    sign_in(phone, live_server, "demo-instructor", DEMO_PASSWORD)
    phone.goto(f"{live_server}/teach/sessions/{session_id}/roll-call")
    row = phone.locator(f"#p{member_id}")
    expect(row.get_by_text("いまの記録：未記録")).to_be_visible()
    # Touch targets: every status button is at least 44 px high.
    for box in (b.bounding_box() for b in row.get_by_role("button").all()):
        assert box["height"] >= 44, box
    row.get_by_label("声かけ（気づいて声をかける）").check()
    row.get_by_role("button", name="出席").click()
    expect(phone.get_by_text("出席を記録しました。修了を記録し、修了証を発行しました。")).to_be_visible()
    row = phone.locator(f"#p{member_id}")
    expect(row.get_by_text("いまの記録：出席")).to_be_visible()
    expect(row.get_by_role("button", name="出席")).to_have_attribute("aria-pressed", "true")
    expect(row.get_by_label("声かけ（気づいて声をかける）")).to_be_checked()
    # A resident at the door, by name only.
    phone.get_by_label("区民（氏名のみ）").check()
    phone.get_by_label("氏名", exact=True).fill("当日 参加者")
    phone.get_by_role("button", name="当日参加として登録").click()
    expect(phone.get_by_text("当日 参加者 さんを当日参加として登録しました（新しい受講者として登録）。")).to_be_visible()
    expect(phone.get_by_text("当日 参加者", exact=True).first).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the roll call is {width} px wide on a 390 px screen"
    blocking = [v for v in run_axe(phone)["violations"] if v["impact"] in BLOCKING]
    assert not blocking, describe(blocking)
    screenshot(phone, "instructor-roll-call-390")
    with app.app_context():
        kinds = db.session.scalars(select(CourseCompletion.kind).where(CourseCompletion.user_id == member_id,
                                                                      CourseCompletion.kind == "in_person")).all()
    assert kinds == ["in_person"]
