"""Every route, every role: who may reach what.

A new route without a row here fails ``test_every_route_is_in_the_matrix``.
"""
import pytest

from tests.conftest import AuthActions

PUBLIC = "public"          # anyone, signed in or not
SIGNED_IN = "signed-in"    # any signed-in user, whatever their roles
ROLES = ("trainee", "instructor", "personnel", "admin")

#: (method, rule) -> who may use it
MATRIX = {
    ("GET", "/static/<path:filename>"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("GET", "/help"): PUBLIC,
    ("POST", "/logout"): SIGNED_IN,
    ("GET", "/"): SIGNED_IN,
    ("GET", "/account/password"): SIGNED_IN,
    ("POST", "/account/password"): SIGNED_IN,
    ("GET", "/learn/<course_id>"): {"trainee"},
    ("GET", "/learn/<course_id>/resume"): {"trainee"},
    ("GET", "/learn/<course_id>/survey/<phase>"): {"trainee"},
    ("POST", "/learn/<course_id>/survey/<phase>"): {"trainee"},
    ("GET", "/learn/<course_id>/m/<module_id>/s/<section_id>"): {"trainee"},
    ("POST", "/learn/<course_id>/m/<module_id>/s/<section_id>/next"): {"trainee"},
    ("GET", "/learn/<course_id>/m/<module_id>/quiz"): {"trainee"},
    ("POST", "/learn/<course_id>/m/<module_id>/quiz"): {"trainee"},
    ("GET", "/learn/<course_id>/attempts/<int:attempt_id>"): {"trainee"},
    ("GET", "/learn/<course_id>/progress"): {"trainee"},
    ("GET", "/learn/<course_id>/scenarios/<scenario_id>"): {"trainee"},
    ("POST", "/learn/<course_id>/scenarios/<scenario_id>/start"): {"trainee"},
    ("POST", "/learn/<course_id>/scenarios/<scenario_id>/choose"): {"trainee"},
    ("POST", "/learn/<course_id>/scenarios/<scenario_id>/retry"): {"trainee"},
    ("POST", "/learn/<course_id>/scenarios/<scenario_id>/next"): {"trainee"},
    ("POST", "/learn/<course_id>/checkin"): {"trainee"},  # then the course must be theirs (403) and the place valid (400)
    ("GET", "/certificates/<int:certificate_id>.pdf"): SIGNED_IN,  # then per record: own, class, all
    ("GET", "/verify"): PUBLIC,
    ("GET", "/verify/<code>"): PUBLIC,
    ("GET", "/admin/certificates"): {"admin", "personnel"},
    ("GET", "/admin/certificates/<int:certificate_id>"): {"admin", "personnel"},
    ("POST", "/admin/certificates/<int:certificate_id>/revoke"): {"admin"},
    ("POST", "/admin/certificates/<int:certificate_id>/reissue"): {"admin", "personnel"},
    ("GET", "/teach/"): {"instructor", "admin"},
    ("GET", "/teach/classes/<int:cohort_id>"): {"instructor", "admin"},
    ("GET", "/teach/classes/<int:cohort_id>/certificates.zip"): {"instructor", "admin"},
    ("POST", "/teach/classes/<int:cohort_id>/certificates-job"): {"instructor", "admin"},  # the ZIP as a job (issue 18)
    # Background jobs (issue 18): then the job's kind decides (a class ZIP: its owners and admins; others 404).
    ("GET", "/jobs/"): SIGNED_IN,
    ("GET", "/jobs/<int:job_id>"): SIGNED_IN,
    ("GET", "/jobs/<int:job_id>/status"): SIGNED_IN,
    ("POST", "/jobs/<int:job_id>/cancel"): SIGNED_IN,
    ("POST", "/jobs/<int:job_id>/retry"): SIGNED_IN,
    ("GET", "/jobs/<int:job_id>/download"): SIGNED_IN,
    ("GET", "/teach/classes/new"): {"instructor", "admin"},
    ("POST", "/teach/classes/new"): {"instructor", "admin"},
    ("GET", "/teach/classes/<int:cohort_id>/edit"): {"instructor", "admin"},
    ("POST", "/teach/classes/<int:cohort_id>/edit"): {"instructor", "admin"},
    ("POST", "/teach/classes/<int:cohort_id>/owners"): {"instructor", "admin"},
    ("POST", "/teach/classes/<int:cohort_id>/join-code"): {"instructor", "admin"},
    ("GET", "/teach/classes/<int:cohort_id>/roster"): {"instructor", "admin"},
    ("POST", "/teach/classes/<int:cohort_id>/roster"): {"instructor", "admin"},
    ("GET", "/teach/classes/<int:cohort_id>/roster/<int:upload_id>"): {"instructor", "admin"},
    ("POST", "/teach/classes/<int:cohort_id>/roster/<int:upload_id>/apply"): {"instructor", "admin"},
    ("GET", "/teach/classes/<int:cohort_id>/progress"): {"instructor", "admin"},
    ("GET", "/teach/classes/<int:cohort_id>/progress.csv"): {"instructor", "admin"},
    ("GET", "/teach/classes/<int:cohort_id>/analysis"): {"instructor", "admin"},
    ("GET", "/teach/classes/<int:cohort_id>/reminders"): {"instructor", "admin"},
    ("POST", "/teach/classes/<int:cohort_id>/reminders"): {"instructor", "admin"},
    ("GET", "/teach/classes/<int:cohort_id>/reminders.csv"): {"instructor", "admin"},
    # Who has not finished (issue 16): then the class must be theirs (404).
    ("GET", "/teach/classes/<int:cohort_id>/unfinished.xlsx"): {"instructor", "admin"},
    ("POST", "/teach/classes/<int:cohort_id>/outbox/sent"): {"instructor", "admin"},
    ("POST", "/teach/classes/<int:cohort_id>/assignments"): {"instructor", "admin"},
    ("POST", "/teach/classes/<int:cohort_id>/assignments/<int:assignment_id>/delete"): {"instructor", "admin"},
    # Members, owners and slips (issue 16): then the class must be theirs (404) and the person a member (404).
    ("GET", "/teach/classes/<int:cohort_id>/members/<int:user_id>"): {"instructor", "admin"},
    ("POST", "/teach/classes/<int:cohort_id>/members/<int:user_id>"): {"instructor", "admin"},
    ("POST", "/teach/classes/<int:cohort_id>/members/<int:user_id>/remove"): {"instructor", "admin"},
    ("POST", "/teach/classes/<int:cohort_id>/members/<int:user_id>/move"): {"instructor", "admin"},
    ("POST", "/teach/classes/<int:cohort_id>/members/<int:user_id>/password"): {"instructor", "admin"},
    ("POST", "/teach/classes/<int:cohort_id>/owners/<int:user_id>/remove"): {"instructor", "admin"},
    ("GET", "/teach/slips/<int:batch_id>"): {"instructor", "admin"},  # then only the slips' maker (404)
    ("GET", "/teach/slips/<int:batch_id>.pdf"): {"instructor", "admin"},
    ("GET", "/teach/slips/<int:batch_id>.csv"): {"instructor", "admin"},
    ("POST", "/teach/slips/<int:batch_id>/pdf-job"): {"instructor", "admin"},
    # Classes across years; then only the class's owners (others 404).
    ("POST", "/teach/classes/<int:cohort_id>/archive"): {"instructor", "admin"},
    ("POST", "/teach/classes/<int:cohort_id>/restore"): {"instructor", "admin"},
    ("GET", "/teach/classes/<int:cohort_id>/delete"): {"instructor", "admin"},
    ("POST", "/teach/classes/<int:cohort_id>/delete"): {"instructor", "admin"},
    ("GET", "/teach/classes/<int:cohort_id>/copy"): {"instructor", "admin"},
    ("POST", "/teach/classes/<int:cohort_id>/copy"): {"instructor", "admin"},
    # In-person sessions (issue 17): then only the session's owners (others 404).
    ("GET", "/teach/sessions"): {"instructor", "admin"},
    ("GET", "/teach/sessions/new"): {"instructor", "admin"},
    ("POST", "/teach/sessions/new"): {"instructor", "admin"},
    ("GET", "/teach/sessions/<int:session_id>"): {"instructor", "admin"},
    ("GET", "/teach/sessions/<int:session_id>/edit"): {"instructor", "admin"},
    ("POST", "/teach/sessions/<int:session_id>/edit"): {"instructor", "admin"},
    ("POST", "/teach/sessions/<int:session_id>/delete"): {"instructor", "admin"},
    ("POST", "/teach/sessions/<int:session_id>/owners"): {"instructor", "admin"},
    ("POST", "/teach/sessions/<int:session_id>/owners/<int:user_id>/remove"): {"instructor", "admin"},
    ("POST", "/teach/sessions/<int:session_id>/participants/class"): {"instructor", "admin"},
    ("POST", "/teach/sessions/<int:session_id>/participants/csv"): {"instructor", "admin"},
    ("POST", "/teach/sessions/<int:session_id>/participants/walk-in"): {"instructor", "admin"},
    ("POST", "/teach/sessions/<int:session_id>/participants/<int:user_id>/remove"): {"instructor", "admin"},
    ("POST", "/teach/sessions/<int:session_id>/participants/<int:user_id>/password"): {"instructor", "admin"},
    ("GET", "/teach/sessions/<int:session_id>/roll-call"): {"instructor", "admin"},
    ("POST", "/teach/sessions/<int:session_id>/roll-call/<int:user_id>"): {"instructor", "admin"},
    ("POST", "/teach/sessions/<int:session_id>/roleplay"): {"instructor", "admin"},
    ("POST", "/teach/sessions/<int:session_id>/attendance"): {"instructor", "admin"},
    ("GET", "/teach/sessions/<int:session_id>/qr"): {"instructor", "admin"},
    ("POST", "/teach/sessions/<int:session_id>/checkin-requests/<int:user_id>/add"): {"instructor", "admin"},
    # Then the code must be genuine and fresh (else 404/410) and the person registered (else asked to see reception).
    ("GET", "/checkin/<code>"): SIGNED_IN,
    ("POST", "/checkin/<code>"): SIGNED_IN,
    ("GET", "/records/"): {"personnel", "admin"},
    ("GET", "/records/people"): {"personnel", "admin"},
    ("GET", "/records/unfinished"): {"personnel", "admin"},
    ("GET", "/records/unfinished.xlsx"): {"personnel", "admin"},
    ("POST", "/records/unfinished"): {"personnel", "admin"},
    ("GET", "/records/unfinished/outbox.csv"): {"personnel", "admin"},
    ("POST", "/records/unfinished/outbox/sent"): {"personnel", "admin"},
    ("GET", "/records/people/<int:user_id>"): {"personnel", "admin"},  # then any trainee (others 404)
    ("GET", "/teach/people"): {"instructor", "admin"},  # then only members of the asker's classes
    ("GET", "/teach/people/<int:user_id>"): {"instructor", "admin"},  # then own classes' members (others 404)
    ("GET", "/records/export"): {"personnel", "admin"},
    ("GET", "/records/tokens"): {"personnel", "admin"},
    ("GET", "/records/api-help"): {"personnel", "admin"},
    ("GET", "/records/report"): {"personnel", "admin"},
    ("POST", "/records/report/file"): {"personnel", "admin"},
    ("POST", "/records/tokens"): {"personnel", "admin"},
    ("POST", "/records/tokens/<int:token_id>/revoke"): {"personnel", "admin"},
    ("GET", "/api/v1/completions"): "bearer-token",  # tested in test_records_api
    ("POST", "/records/export"): {"personnel", "admin"},
    ("GET", "/join"): PUBLIC,
    ("POST", "/join"): PUBLIC,
    ("GET", "/admin/settings"): {"admin"},
    ("POST", "/admin/settings"): {"admin"},
    ("GET", "/admin/retention"): {"admin"},  # issue 18: who is due, and a retention run as a job
    ("POST", "/admin/retention"): {"admin"},
    ("GET", "/admin/users"): {"admin"},
    ("GET", "/admin/users/new"): {"admin"},
    ("POST", "/admin/users/new"): {"admin"},
    ("GET", "/admin/users/<int:user_id>"): {"admin"},
    ("POST", "/admin/users/<int:user_id>"): {"admin"},
    ("POST", "/admin/users/<int:user_id>/active"): {"admin"},
    ("POST", "/admin/users/<int:user_id>/password"): {"admin"},
    ("GET", "/admin/audit"): {"admin"},
    ("GET", "/admin/contacts"): {"admin"},
    ("GET", "/admin/contacts/new"): {"admin"},
    ("POST", "/admin/contacts/new"): {"admin"},
    ("GET", "/admin/contacts/<contact_id>"): {"admin"},
    ("POST", "/admin/contacts/<contact_id>"): {"admin"},
    ("POST", "/admin/contacts/<contact_id>/verify"): {"admin"},
    ("GET", "/admin/contacts/<contact_id>/history"): {"admin"},
    ("GET", "/admin/directory"): {"admin"},
    ("GET", "/admin/directory/<entry_id>"): {"admin"},
    ("POST", "/admin/directory/<entry_id>"): {"admin"},
    ("GET", "/admin/directory/<entry_id>/history"): {"admin"},
    ("GET", "/admin/audit.csv"): {"admin"},
    ("GET", "/admin/departments"): {"admin", "personnel"},  # personnel: read only
    ("POST", "/admin/departments"): {"admin"},
    ("GET", "/admin/departments/<int:department_id>"): {"admin"},
    ("POST", "/admin/departments/<int:department_id>"): {"admin"},
    ("POST", "/admin/departments/reorganise"): {"admin"},
    ("POST", "/admin/departments/roll-over"): {"admin"},
    ("GET", "/admin/departments/mapping"): {"admin"},
    ("POST", "/admin/departments/mapping"): {"admin"},
    ("GET", "/talk/<course_id>/<origin>"): {"trainee"},
    ("POST", "/talk/<course_id>/<origin>"): {"trainee"},
    # Then per record: only the owners of the request's class (others, admins too, get 404).
    ("GET", "/talk/requests/<int:request_id>"): {"instructor", "admin"},
    ("POST", "/talk/requests/<int:request_id>"): {"instructor", "admin"},
}


def _routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, rule.rule


def test_every_route_is_in_the_matrix(app):
    missing = sorted(set(_routes(app)) - MATRIX.keys())
    assert missing == [], f"routes without an access rule: {missing}"
    stale = sorted(MATRIX.keys() - set(_routes(app)))
    assert stale == [], f"matrix rows for routes that no longer exist: {stale}"


@pytest.fixture
def app_config(app_config):
    # Access is checked before forms are read; CSRF is tested on its own elsewhere.
    return dict(app_config, WTF_CSRF_ENABLED=False)


SAMPLE = {
    "<path:filename>": "site.css",
    "<course_id>": "counter-staff",
    "<module_id>": "core-gatekeeper",
    "<section_id>": "what-is",
    "<scenario_id>": "counter-case2-arrears",
    "<int:attempt_id>": "999999",
    "<phase>": "pre",
    "<int:certificate_id>": "999999",
    "<int:cohort_id>": "999999",
    "<int:upload_id>": "999999",
    "<int:assignment_id>": "999999",
    "<int:batch_id>": "999999",
    "<int:token_id>": "999999",
    "<int:request_id>": "999999",
    "<int:department_id>": "999999",
    "<int:session_id>": "999999",
    "<int:job_id>": "999999",
    "<origin>": "distress",
    "<code>": "ABCD-EFGH-JKMN-PQRS-TVWX",
    "<contact_id>": "yorisoi",
    "<entry_id>": "renkei-suishin-tanto",
}


def _url(rule: str, sample_user_id: int) -> str:
    url = rule.replace("<int:user_id>", str(sample_user_id))
    for placeholder, value in SAMPLE.items():
        url = url.replace(placeholder, value)
    return url


@pytest.mark.parametrize("who", ("anonymous",) + ROLES)
def test_access(app, create_user_factory, who):
    sample_user_id, _ = create_user_factory("trainee")
    client = app.test_client()
    if who != "anonymous":
        _uid, login_id = create_user_factory(who)
        assert AuthActions(client).login(login_id).status_code == 302
    failures = []
    for (method, rule), allowed in sorted(MATRIX.items()):
        if rule in ("/logout", "/login") and method == "POST":
            continue  # would end or replace this client's session; covered in test_auth
        response = client.open(_url(rule, sample_user_id), method=method, data={})
        response.close()  # static files are streamed from an open file
        to_login = response.status_code == 302 and "/login" in response.headers.get("Location", "")
        if allowed == "bearer-token":
            ok = response.status_code == 401  # no session role opens the API; only a token does
        elif allowed == PUBLIC:
            ok = response.status_code != 403 and not to_login
        elif who == "anonymous":
            ok = to_login
        elif allowed == SIGNED_IN or who in allowed:
            ok = response.status_code != 403 and not to_login
        else:
            ok = response.status_code == 403
        if not ok:
            failures.append((method, rule, response.status_code))
    assert failures == [], f"{who}: unexpected responses {failures}"
