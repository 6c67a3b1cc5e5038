"""Requests to talk in Chromium (issue 15): a high-school student on a phone asks from the
post-survey's distress check; the teacher on a desktop sees it on the home page and records the
follow-up. axe-core on the consent page, the received state, the teacher's home page and the
follow-up page."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import sign_in
from tests.browser.test_accessibility import BLOCKING, describe, keep_report, run_axe
from training.auth.accounts import NewUser, create_user
from training.content import current_content
from training.demo import simulate_learning
from training.extensions import db
from training.models import Cohort, CohortMember, CohortOwner, TalkRequest

pytestmark = pytest.mark.browser

PASSWORD = "talk-journey-pass-1"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def school(live_server):
    """A teacher's high-school class with two students at the post-survey; the second one has
    already asked to talk (for the teacher's journey, independent of the student's)."""
    with live_server.app.app_context():
        teacher = create_user(NewUser(login_id="talk-teacher", display_name="鈴木 一郎", password=PASSWORD,
                                      roles=("instructor",), audience=None))
        students = [create_user(NewUser(login_id=f"talk-student-{n}", display_name=f"生徒 {n}", password=PASSWORD,
                                        roles=("trainee",), audience="high_school")) for n in (1, 2)]
        cohort = Cohort(name="1年2組（講座）", audience="high_school", fiscal_year=2026)
        db.session.add(cohort)
        db.session.flush()
        db.session.add(CohortOwner(cohort_id=cohort.id, user_id=teacher.id))
        content = current_content()
        for student in students:
            db.session.add(CohortMember(cohort_id=cohort.id, user_id=student.id))
            simulate_learning(student, content.course("high-school"), content, post=False)
        db.session.add(TalkRequest(user_id=students[1].id, cohort_id=cohort.id, course_id="high-school",
                                   origin="checkin", open_slot=True))
        db.session.commit()
        return {"cohort": cohort.id, "asked": students[1].id}


def _axe(page, name):
    results = run_axe(page)
    keep_report(f"talk-{name}", page.url, results)
    blocking = [v for v in results["violations"] if v["impact"] in BLOCKING]
    assert not blocking, f"{page.url}:\n{describe(blocking)}"


def test_a_student_on_a_phone_asks_to_talk_after_the_distress_check(browser, live_server, school, screenshot):
    context = browser.new_context(locale="ja-JP", viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, bypass_csp=True)
    page = context.new_page()
    try:
        sign_in(page, live_server, "talk-student-1", PASSWORD)
        page.goto(f"{live_server}/learn/high-school/survey/post")
        survey = live_server.app.extensions["content"].survey.for_audience("high_school")
        expect(page.get_by_text(survey.distress_text)).to_be_visible()
        for item in survey.efficacy:
            page.locator(f'input[name="eff-{item.id}"][value="3"]').check()
        for item in survey.knowledge:
            page.locator(f'input[name="kn-{item.id}"][value="unknown"]').check()
        with_help = next(o for o in survey.distress_options if o.show_help)
        page.get_by_label(with_help.text).check()
        page.get_by_role("button", name="回答して修了する").click()
        expect(page.get_by_text(survey.distress_help)).to_be_visible()

        page.get_by_role("link", name="担当者から声をかけてほしい").click()
        expect(page.get_by_text("この講座を実施している学校の先生（鈴木 一郎 先生）").first).to_be_visible()
        expect(page.get_by_role("heading", name="これは緊急の連絡先ではありません")).to_be_visible()
        _axe(page, "consent-390")
        screenshot(page, "talk-consent-phone")

        page.get_by_role("button", name="声をかけてほしいと依頼する").click()
        expect(page.get_by_role("heading", name="受け付けました", exact=False)).to_be_visible()
        assert page.get_by_role("button", name="声をかけてほしいと依頼する").count() == 0
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        _axe(page, "received-390")
        screenshot(page, "talk-received-phone")
    finally:
        context.close()


def test_the_teacher_sees_the_request_on_the_home_page_and_records_the_follow_up(browser, live_server, school,
                                                                                 screenshot):
    context = browser.new_context(locale="ja-JP", viewport=DESKTOP, bypass_csp=True)  # axe is injected
    try:
        _teacher_journey(context.new_page(), live_server, school, screenshot)
    finally:
        context.close()


def _teacher_journey(page, live_server, school, screenshot):
    sign_in(page, live_server, "talk-teacher", PASSWORD)
    section = page.get_by_role("region", name="声をかけてほしいという依頼", exact=False)
    expect(section).to_be_visible()
    expect(section.get_by_text("1年2組（講座）").first).to_be_visible()
    _axe(page, "teacher-home-1280")
    screenshot(page, "talk-teacher-home")

    section.get_by_role("link", name="生徒 2 さん").click()
    expect(page.get_by_role("button", name="対応を記録して閉じる")).to_be_visible()
    _axe(page, "follow-up-1280")
    page.get_by_label("メモ", exact=False).fill("放課後に話を聴いた")
    page.get_by_role("button", name="対応を記録して閉じる").click()
    expect(page.get_by_text("対応を記録しました", exact=False)).to_be_visible()
    with live_server.app.app_context():
        closed = db.session.scalar(select(TalkRequest).where(TalkRequest.user_id == school["asked"]))
        assert closed.open_slot is None and closed.follow_up_note == "放課後に話を聴いた"
    assert page.get_by_role("link", name="生徒 2 さん").count() == 0
