"""Automated accessibility checks (issue 8): axe-core on every main page, for every role.

Each (role, page) is its own test. The page is opened as that role would reach it, axe-core
is injected and run with the WCAG 2.0/2.1/2.2 A and AA rules plus axe's best-practice rules
(heading order, landmarks, ...), and the test fails on any violation of impact "serious" or
"critical". Every result, moderate and minor included, and what axe could not decide
("incomplete", to check by hand) is written to test-artifacts/accessibility/<role>-<page>-<width>.json.

axe-core comes from the npm registry through scripts/fetch-axe.sh (a pinned version under
.venv/axe/); if it is missing the tests fail, they do not skip. See docs/accessibility.md.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.browser.conftest import ARTIFACTS, DEMO_PASSWORD, sign_in
from tests.support.sessions import make_session
from training.auth.accounts import NewUser, create_user
from training.content import current_content
from training.demo import DEMO_CLASS_NAME, simulate_learning
from training.extensions import db
from training.models import Certificate, Cohort, Job, QuizAttempt, Reminder, User

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
#: The rule sets checked: WCAG 2.0, 2.1 and 2.2 at levels A and AA (axe has no wcag22a rules),
#: and axe's best-practice rules, which are not WCAG failures but catch heading and landmark slips.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING = ("critical", "serious")
REPORTS = ARTIFACTS.parent / "accessibility"
COURSE = "counter-staff"

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


# ---- who: one signed-in browser context per (persona, viewport), shared by the module ----

@dataclass(frozen=True)
class Persona:
    """A role as a person: a demo login, or a fresh trainee made for one state of the course."""

    login_id: str | None          # None: not signed in
    fresh: str | None = None      # "new": nothing done yet; "finishing": all done but the post-survey


PERSONAS = {
    "anonymous": Persona(None),
    "trainee": Persona("demo-counter"),               # counter-staff course completed, with its 修了証
    "trainee-new": Persona("a11y-new", fresh="new"),
    "trainee-finishing": Persona("a11y-finishing", fresh="finishing"),
    "instructor": Persona("demo-instructor"),
    "personnel": Persona("demo-personnel"),
    "admin": Persona("demo-admin"),
}
FRESH_PASSWORD = "a11y-check-pass-1"


def _make_fresh_trainee(app, login_id: str, state: str) -> None:
    """A counter-staff trainee with no progress, or with everything but the post-survey."""
    with app.app_context():
        user = create_user(NewUser(login_id=login_id, display_name="確認用 受講者", password=FRESH_PASSWORD,
                                   roles=("trainee",), audience="counter_staff"))
        if state == "finishing":
            content = current_content()
            simulate_learning(user, content.course(COURSE), content, post=False)
        db.session.commit()


@pytest.fixture(scope="module")
def signed_in(browser, live_server):
    """signed_in(persona, viewport) -> a page in its own context, signed in once and reused."""
    opened = {}

    def get(persona_name: str, viewport: dict):
        key = (persona_name, viewport["width"])
        if key not in opened:
            phone = viewport["width"] < 600
            context = browser.new_context(locale="ja-JP", viewport=viewport, bypass_csp=True,
                                          **(dict(device_scale_factor=2, is_mobile=True, has_touch=True)
                                             if phone else {}))
            page = context.new_page()
            persona = PERSONAS[persona_name]
            if persona.fresh:
                login_id = f"{persona.login_id}-{viewport['width']}"
                _make_fresh_trainee(live_server.app, login_id, persona.fresh)
                sign_in(page, live_server, login_id, FRESH_PASSWORD)
            elif persona.login_id:
                sign_in(page, live_server, persona.login_id, DEMO_PASSWORD)
            if persona.login_id:
                assert page.url == f"{live_server}/", f"{persona_name} could not sign in"
            opened[key] = (context, page)
        return opened[key][1]

    yield get
    for context, _page in opened.values():
        context.close()


@pytest.fixture(scope="module")
def ids(live_server):
    """Real ids from the demo data: class, certificate, attempts, a user, the course's content."""
    with live_server.app.app_context():
        cohort_id = db.session.scalar(select(Cohort.id).where(Cohort.name == DEMO_CLASS_NAME))
    session_id = make_session(live_server.app, "demo-instructor", cohort_id=cohort_id,
                              title="アクセシビリティ確認用の集合研修")
    with live_server.app.app_context():
        counter = db.session.scalar(select(User).where(User.login_id == "demo-counter"))
        certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == counter.id,
                                                                  Certificate.course_id == COURSE))
        attempt = {kind: db.session.scalar(select(QuizAttempt.id).where(
            QuizAttempt.user_id == counter.id, QuizAttempt.course_id == COURSE, QuizAttempt.kind == kind)
            .order_by(QuizAttempt.id).limit(1)) for kind in ("quiz", "scenario")}
        # A retention run stopped part-way (issue 18): the job page of a kind without a file.
        admin = db.session.scalar(select(User).where(User.login_id == "demo-admin"))
        retention_job = Job(kind="retention", owner_id=admin.id, title="保存期間（5年）を過ぎた個人情報の削除（3人）",
                            status="cancelled", params={"years": 5, "as_of": "2026-12-01T00:00:00+00:00"},
                            result={"erased": 2, "due": 3})
        db.session.add(retention_job)
        db.session.commit()
        content = current_content()
        course = content.course(COURSE)
        first = content.module(course.modules[0])
        sections = first.sections_for(course.audience)
        return {
            "session": session_id,
            "course": COURSE,
            "module": first.id,
            "section_first": sections[0].id,
            "section_last": sections[-1].id,
            "scenario": course.scenarios[0],
            "cohort": cohort_id,
            "user": counter.id,
            "certificate": certificate.id,
            "code": certificate.verification_code,
            "quiz_attempt": attempt["quiz"],
            "scenario_attempt": attempt["scenario"],
            "retention_job": retention_job.id,
        }


# ---- where: the pages, and how a person gets to the states that only a click shows ----

def _submit_empty_login(page, base, ids):
    page.goto(f"{base}/login")
    page.get_by_role("button", name="ログイン").click()


def _wrong_join_code(page, base, ids):
    page.goto(f"{base}/join")
    page.get_by_label(re.compile("参加コード")).fill("ZZZZ-ZZZZ")
    page.get_by_role("button", name="次へ").click()


def _scenario_decision(page, base, ids):
    """The first moment of the scenario, waiting for a choice (a fresh run each time)."""
    page.goto(f"{base}/learn/{ids['course']}/scenarios/{ids['scenario']}")
    start = page.get_by_role("button", name=re.compile("^(はじめる|もう一度取り組む)$"))
    if start.count():
        start.click()
    else:
        page.get_by_role("button", name="はじめからやり直す").click()
    page.wait_for_load_state()


def _scenario_feedback(page, base, ids):
    """The person's reaction and the coach's comment after a choice."""
    _scenario_decision(page, base, ids)
    page.locator('input[name="choice"]').first.check()
    page.get_by_role("button", name="これにする").click()
    page.wait_for_load_state()


def _quiz_unanswered(page, base, ids):
    """The quiz sent with no answers: every question marked, nothing recorded."""
    page.goto(f"{base}/learn/{ids['course']}/m/{ids['module']}/quiz")
    page.get_by_role("button", name="解答する").click()
    page.wait_for_load_state()


def _quiz_result_with_slips(page, base, ids):
    """A new attempt answered with the first option shown everywhere (some wrong): the result
    tells the trainee's answer and the right one apart in words. demo-counter has passed
    already, so the extra attempt changes no status."""
    page.goto(f"{base}/learn/{ids['course']}/m/{ids['module']}/quiz")
    for fieldset in page.locator("fieldset.question").all():
        choices = fieldset.locator("input")
        if choices.count():
            choices.first.check()
        for number, select in enumerate(fieldset.locator("select").all(), start=1):
            # Ranks 1, 2, … in the order shown; the first option of every match.
            ranking = select.evaluate("e => e.closest('.rank-row') !== null")
            select.select_option(index=number if ranking else 1)
    page.get_by_role("button", name="解答する").click()
    page.wait_for_load_state()


def _survey_unanswered(page, base, ids):
    page.goto(f"{base}/learn/{ids['course']}/survey/pre")
    page.get_by_role("button", name="回答して学習をはじめる").click()
    page.wait_for_load_state()


def _survey_thanks_with_help(page, base, ids):
    """The post-survey answered with the distress option that shows help: the help offer page."""
    content = base.app.extensions["content"]
    page.goto(f"{base}/learn/{ids['course']}/survey/post")
    survey = content.survey.for_audience(content.course(ids["course"]).audience)
    for item in survey.efficacy:
        page.locator(f'input[name="eff-{item.id}"][value="3"]').check()
    for item in survey.knowledge:
        page.locator(f'input[name="kn-{item.id}"][value="unknown"]').check()
    with_help = next(o for o in content.survey.distress_options if o.show_help)
    page.locator(f'input[name="distress"][value="{with_help.id}"]').check()
    page.get_by_role("button", name="回答して修了する").click()
    page.wait_for_load_state()


def _roster_preview(page, base, ids):
    """A roster file with one good row and one row with an error, checked but not imported."""
    page.goto(f"{base}/teach/classes/{ids['cohort']}/roster")
    rows = "職員番号,氏名,ふりがな,所属,メールアドレス,受講区分\r\n009001,確認 一郎,,税務課,,\r\n009002,,,税務課,,\r\n"
    page.get_by_label("名簿ファイル").set_input_files(
        files=[{"name": "roster.csv", "mimeType": "text/csv", "buffer": rows.encode("cp932")}])
    page.get_by_role("button", name="確認する").click()
    page.wait_for_load_state()


def _unfinished_outbox(page, base, ids):
    """The department 未修了者 page with one reminder the personnel clerk queued (in its outbox)."""
    page.goto(f"{base}/records/unfinished?status=unfinished")
    cohort_id, target_key, user_id = page.locator('input[name="row"]').first.get_attribute("value").split(":")
    with base.app.app_context():
        clerk = db.session.scalar(select(User.id).where(User.login_id == "demo-personnel"))
        if not db.session.scalar(select(Reminder.id).where(Reminder.batch_key == "axe-outbox-0000000")):
            db.session.add(Reminder(cohort_id=int(cohort_id), user_id=int(user_id), sent_by_id=clerk,
                                    batch_key="axe-outbox-0000000", email="axe@example.jp", channel="outbox",
                                    status="queued", subject="受講のお願い", body="受講をお願いします。",
                                    target_key=target_key))
            db.session.commit()
    page.goto(f"{base}/records/unfinished?status=unfinished")


def _unfinished_confirm(page, base, ids):
    """The same person chosen again: the 24-hour confirmation."""
    _unfinished_outbox(page, base, ids)
    page.locator('input[name="row"]').first.check()
    page.get_by_role("button", name="選んだ方に受講のお願いを送る").click()
    page.wait_for_load_state()


L = f"/learn/{COURSE}"
#: (role, page name, path with {ids} or a function that gets there). The trainee is demo-counter.
PAGES: list[tuple[str, str, str | Callable]] = [
    ("anonymous", "login", "/login"),
    ("anonymous", "login-errors", _submit_empty_login),
    ("anonymous", "help", "/help"),
    ("anonymous", "verify-form", "/verify"),
    ("anonymous", "verify-result", "/verify/{code}"),
    ("anonymous", "verify-unknown", "/verify/ABCD-EFGH-JKMN-PQRS-TVWX"),
    ("anonymous", "join", "/join"),
    ("anonymous", "join-wrong-code", _wrong_join_code),
    ("anonymous", "error-404", "/no-such-page"),
    ("trainee", "home", "/"),
    ("trainee", "course", L),
    ("trainee", "section-first", L + "/m/{module}/s/{section_first}"),
    ("trainee", "section-last", L + "/m/{module}/s/{section_last}"),
    ("trainee", "quiz", L + "/m/{module}/quiz"),
    ("trainee", "quiz-unanswered", _quiz_unanswered),
    ("trainee", "quiz-result", L + "/attempts/{quiz_attempt}"),
    ("trainee", "quiz-result-slips", _quiz_result_with_slips),
    ("trainee", "scenario-intro", L + "/scenarios/{scenario}"),
    ("trainee", "scenario-decision", _scenario_decision),
    ("trainee", "scenario-feedback", _scenario_feedback),
    ("trainee", "scenario-ending", L + "/attempts/{scenario_attempt}"),
    ("trainee", "survey-answered", L + "/survey/pre"),
    ("trainee", "my-progress", L + "/progress"),
    ("trainee", "certificate-verify", "/verify/{code}"),
    ("trainee", "password", "/account/password"),
    ("trainee", "error-403", "/admin/users"),
    ("trainee-new", "home", "/"),
    ("trainee-new", "course", L),
    ("trainee-new", "survey-pre", L + "/survey/pre"),
    ("trainee-new", "survey-pre-unanswered", _survey_unanswered),
    ("trainee-finishing", "survey-post", L + "/survey/post"),
    ("trainee-finishing", "survey-thanks-help", _survey_thanks_with_help),
    ("instructor", "classes", "/teach/"),
    ("instructor", "class", "/teach/classes/{cohort}"),
    ("instructor", "class-edit", "/teach/classes/{cohort}/edit"),
    ("instructor", "class-member", "/teach/classes/{cohort}/members/{user}"),
    ("instructor", "class-copy", "/teach/classes/{cohort}/copy"),
    ("instructor", "class-delete", "/teach/classes/{cohort}/delete"),
    ("instructor", "progress-matrix", "/teach/classes/{cohort}/progress"),
    ("instructor", "analysis", "/teach/classes/{cohort}/analysis"),
    ("instructor", "reminders", "/teach/classes/{cohort}/reminders?status=unfinished"),  # the list with its checkboxes
    ("instructor", "new-class", "/teach/classes/new"),
    ("instructor", "roster-upload", "/teach/classes/{cohort}/roster"),
    ("instructor", "roster-preview", _roster_preview),
    ("instructor", "sessions", "/teach/sessions"),
    ("instructor", "session", "/teach/sessions/{session}"),
    ("instructor", "session-edit", "/teach/sessions/{session}/edit"),
    ("instructor", "roll-call", "/teach/sessions/{session}/roll-call"),  # used at the door on a phone: also at 375 px
    ("personnel", "dashboard", "/records/"),
    ("personnel", "export", "/records/export"),
    ("personnel", "yearly-report", "/records/report"),
    ("personnel", "unfinished", _unfinished_outbox),  # checkboxes, the note, the preview, the outbox
    ("personnel", "unfinished-confirm", _unfinished_confirm),
    ("personnel", "person-history", "/records/people?q=ﾋｶﾘｶﾞｵｶ"),
    ("personnel", "person", "/records/people/{user}"),
    ("instructor", "member-search", "/teach/people?q=000301"),
    ("instructor", "member", "/teach/people/{user}"),
    ("personnel", "api-tokens", "/records/tokens"),
    ("personnel", "api-help", "/records/api-help"),
    ("personnel", "certificates", "/admin/certificates"),
    ("personnel", "certificate", "/admin/certificates/{certificate}"),
    ("admin", "users", "/admin/users"),
    ("admin", "user", "/admin/users/{user}"),
    ("admin", "new-user", "/admin/users/new"),
    ("admin", "settings", "/admin/settings"),
    ("admin", "retention", "/admin/retention"),
    ("admin", "job-without-file", "/jobs/{retention_job}"),
    ("admin", "audit-log", "/admin/audit"),
    ("admin", "help-contacts", "/admin/contacts"),
    ("admin", "help-contact-edit", "/admin/contacts/yorisoi"),
    ("admin", "directory", "/admin/directory"),
    ("admin", "directory-edit", "/admin/directory/renkei-suishin-tanto"),
    ("admin", "directory-history", "/admin/directory/renkei-suishin-tanto/history"),
    ("admin", "help-contact-new", "/admin/contacts/new"),
    ("admin", "departments", "/admin/departments"),
    ("admin", "department-mapping", "/admin/departments/mapping"),
]
#: Pages that are error pages on purpose; every other direct visit must answer 200.
EXPECTED_STATUS = {"error-404": 404, "error-403": 403, "verify-unknown": 404}
#: Checked again at 375 px: what trainees (often on a phone) and the public see, and the roll call.
PHONE_PAGES = [p for p in PAGES if p[0].startswith("trainee") or p[1] in ("login", "help", "verify-result", "roll-call")]


# ---- how: run axe, keep the report, fail on serious and critical ----

def run_axe(page) -> dict:
    """Inject axe-core into the page and run the rules in AXE_TAGS; return axe's results."""
    if not AXE_JS.is_file():
        pytest.fail(f"axe-core is not installed ({AXE_JS.relative_to(ROOT)} is missing): "
                    "run scripts/fetch-axe.sh (or make install-test)", pytrace=False)
    page.add_script_tag(path=str(AXE_JS))
    return page.evaluate("""tags => axe.run(document, {
        runOnly: {type: 'tag', values: tags},
        resultTypes: ['violations', 'incomplete'],
    })""", AXE_TAGS)


def describe(violations: list[dict]) -> str:
    """One paragraph per rule: id, impact, help text, the first few target selectors."""
    lines = []
    for v in violations:
        targets = [" >>> ".join(" ".join(t) if isinstance(t, list) else t for t in node["target"])
                   for node in v["nodes"][:4]]
        more = f" (+{len(v['nodes']) - 4} more)" if len(v["nodes"]) > 4 else ""
        lines.append(f"- {v['id']} [{v['impact']}] {v['help']} ({len(v['nodes'])} element(s))\n"
                     f"    {v['helpUrl']}\n    targets: {', '.join(targets)}{more}")
    return "\n".join(lines)


def _rules(items: list[dict]) -> list[dict]:
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"], "tags": v["tags"],
             "targets": [node["target"] for node in v["nodes"]]} for v in items]


def keep_report(name: str, url: str, results: dict) -> None:
    """Every violation (any impact) and every "incomplete" (needs a person) as JSON."""
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"{name}.json").write_text(json.dumps(
        {"url": url, "axe": results["testEngine"]["version"], "tags": AXE_TAGS,
         "violations": _rules(results["violations"]), "incomplete": _rules(results["incomplete"])},
        ensure_ascii=False, indent=1), encoding="utf-8")


def check_page(signed_in, live_server, ids, role, name, target, viewport):
    """Open the page as the role, run axe, keep the report; fail on serious/critical. Returns the page."""
    page = signed_in(role, viewport)
    if callable(target):
        target(page, live_server, ids)
    else:
        response = page.goto(live_server + target.format(**ids))
        # The page itself, not an error page by accident (a wrong id would give a tidy 404).
        expected = EXPECTED_STATUS.get(name, 200)
        assert response.status == expected, f"{target}: HTTP {response.status}, expected {expected}"
    page.wait_for_load_state()
    if PERSONAS[role].login_id:
        assert "/login" not in page.url, f"{role} was sent to the login page from {target}"
    results = run_axe(page)
    keep_report(f"{role}-{name}-{viewport['width']}", page.url, results)
    blocking = [v for v in results["violations"] if v["impact"] in BLOCKING]
    assert not blocking, (f"{len(blocking)} serious/critical accessibility violation(s) on {page.url} "
                          f"({role}, {viewport['width']} px):\n{describe(blocking)}")
    return page


@pytest.mark.parametrize(("role", "name", "target"), PAGES, ids=[f"{r}:{n}" for r, n, _ in PAGES])
def test_page_has_no_serious_accessibility_violations(signed_in, live_server, ids, role, name, target):
    check_page(signed_in, live_server, ids, role, name, target, DESKTOP)


@pytest.mark.parametrize(("role", "name", "target"), PHONE_PAGES, ids=[f"{r}:{n}@375" for r, n, _ in PHONE_PAGES])
def test_phone_page_has_no_serious_accessibility_violations(signed_in, live_server, ids, role, name, target):
    page = check_page(signed_in, live_server, ids, role, name, target, PHONE)
    # Reflow (WCAG 1.4.10): nothing makes the page scroll sideways; wide tables scroll in their own box.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide on a {PHONE['width']} px screen"
