"""A trainee takes a whole course in Chromium, scenarios included, on a phone.

The desktop run of the counter-staff course is test_journeys.py's class journey (joins with a
code, takes the course, downloads the certificate); it is not run twice.
"""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from training.auth.accounts import NewUser, create_user
from training.content.model import Scenario
from training.extensions import db

pytestmark = pytest.mark.browser


def answer_quiz(page, quiz):
    """Fill in the quiz form with the right answers, using the keyboard-friendly controls.

    Options are shown in an order drawn for the attempt and post display positions, so each
    is found as a person finds it: by its label, within its question's fieldset."""
    for q in quiz.questions:
        fieldset = page.locator(f"fieldset#q-{q.id}")
        if not fieldset.count():
            continue  # a pool: not asked this time
        text = {c.id: c.text for c in q.choices}
        if q.kind == "single":
            fieldset.get_by_label(text[q.answer], exact=True).check()
        elif q.kind == "multiple":
            for cid in q.answer:
                fieldset.get_by_label(text[cid], exact=True).check()
        elif q.kind == "ordering":
            for rank, cid in enumerate(q.answer, start=1):
                fieldset.get_by_label(text[cid], exact=True).select_option(str(rank))
        else:
            options = {o.id: o.text for o in q.options}
            for item in q.items:
                fieldset.get_by_label(item.text, exact=True).select_option(label=options[q.answer_map[item.id]])


def fill_survey(page, content, audience, post=False):
    survey = content.survey.for_audience(audience)  # the page asks the course's audience its own items
    for item in survey.efficacy:
        page.locator(f'input[name="eff-{item.id}"][value="4"]').check()
    for item in survey.knowledge:
        page.locator(f'input[name="kn-{item.id}"][value="{"true" if item.answer else "false"}"]').check()
    if post:
        page.locator(f'input[name="distress"][value="{content.survey.distress_options[0].id}"]').check()


def play_scenario(page, scenario: Scenario, shot, prefix):
    page.get_by_role("button", name="はじめる").click()
    page.wait_for_load_state()  # the loop below counts inputs: read the new page, not a half-loaded one
    first = True
    # Options are shown in an order drawn for the run and post a position: pick them by label.
    while page.locator('input[name="node"]').count():
        node = scenario.node(page.locator('input[name="node"]').get_attribute("value"))
        lines = [node.line] + [v.value for name, vs in node.variants if name == "line" for v in vs]
        assert any(page.get_by_text(line, exact=False).first.is_visible() for line in lines)
        best = max(node.choices, key=lambda c: c.score)
        if first:
            # Try a slip first, read the coach, then take the moment again.
            slip = min(node.choices, key=lambda c: c.score)
            page.get_by_label(slip.text, exact=True).check()
            page.get_by_role("button", name="これにする").click()
            expect(page.get_by_text(slip.feedback)).to_be_visible()
            shot(page, f"{prefix}-scenario-feedback")
            page.get_by_role("button", name="この場面をやり直す").click()
            first = False
        page.get_by_label(best.text, exact=True).check()
        page.get_by_role("button", name="これにする").click()
        expect(page.get_by_text(best.feedback)).to_be_visible()
        page.get_by_role("button", name="→").click()
        page.wait_for_load_state()
    expect(page.get_by_role("heading", name="よかった場面")).to_be_visible()
    shot(page, f"{prefix}-scenario-ending")
    page.get_by_role("link", name="次へ進む →").click()


def take_course(page, base, content, course_id, shot, prefix):
    course = content.course(course_id)
    page.goto(f"{base}/")
    page.get_by_role("link", name="学習をはじめる").first.click()
    expect(page.get_by_role("heading", name="受講にあたってのお願い")).to_be_visible()
    shot(page, f"{prefix}-content-note")
    fill_survey(page, content, course.audience)
    page.get_by_role("button", name="回答して学習をはじめる").click()
    for number, module_id in enumerate(course.modules, start=1):
        module = content.module(module_id)
        sections = module.sections_for(course.audience)
        for index, section in enumerate(sections):
            expect(page.get_by_role("heading", name=section.title, level=1)).to_be_visible()
            if number == 1 and index == 0:
                shot(page, f"{prefix}-lesson")
            if index + 1 == len(sections):
                expect(page.get_by_role("heading", name="このモジュールのポイント")).to_be_visible()
                page.get_by_role("button", name="確認クイズへ →").click()
            else:
                page.get_by_role("button", name="次へ →").click()
        quiz = content.quiz(module.quiz)
        answer_quiz(page, quiz)
        # Chosen answers (a long option in a select) must not widen the page past the screen.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), module_id
        if number == 1:
            shot(page, f"{prefix}-quiz")
        page.get_by_role("button", name="解答する").click()
        expect(page.get_by_text("合格です")).to_be_visible()
        if number == 1:
            shot(page, f"{prefix}-quiz-result")
        page.get_by_role("link", name="次へ進む →").click()
    for scenario_id in course.scenarios:
        play_scenario(page, content.quiz(scenario_id), shot, prefix)
    expect(page.get_by_role("heading", name="事後アンケート")).to_be_visible()
    fill_survey(page, content, course.audience, post=True)
    page.get_by_role("button", name="回答して修了する").click()
    expect(page.get_by_text(f"{course.title}を修了しました")).to_be_visible()
    shot(page, f"{prefix}-completed")
    page.get_by_role("link", name="学習の記録を見る").click()
    shot(page, f"{prefix}-progress")


def test_anyone_verifies_the_demo_certificate(page, live_server, screenshot):
    from sqlalchemy import select

    from training.models import Certificate

    with live_server.app.app_context():
        code = db.session.scalar(select(Certificate.verification_code).order_by(Certificate.id).limit(1))
    page.goto(f"{live_server}/verify")
    page.get_by_label("確認コード").fill(code.lower())
    page.get_by_role("button", name="確認する").click()
    expect(page.get_by_text("有効", exact=True)).to_be_visible()
    expect(page.get_by_text("光＊＊ ＊")).to_be_visible()
    screenshot(page, "verify-valid")


def test_student_completes_the_course_on_a_phone(phone_page, live_server, screenshot):
    app = live_server.app
    with app.app_context():
        create_user(NewUser(login_id="phone-student", display_name="スマホ 受講者", password="phone-pass-123",
                            roles=("trainee",), audience="high_school"))
        db.session.commit()
    content = app.extensions["content"]
    sign_in(phone_page, live_server, "phone-student", "phone-pass-123")
    take_course(phone_page, live_server, content, "high-school", screenshot, "phone")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375
