"""training/routing.py: URL builders compiled on first use build the same URLs as Werkzeug's own."""
import threading

from flask import Flask, url_for
from werkzeug.routing import Rule

from training.routing import RULE_CLASS, LazyBuildRule

RULES = [
    ("/", "home", {}),
    ("/learn/<course_id>", "course", {"course_id": "high-school"}),
    ("/learn/<course_id>/m/<module_id>/s/<section_id>", "section",
     {"course_id": "counter-staff", "module_id": "core-watch", "section_id": "self-care"}),
    ("/teach/classes/<int:cohort_id>/members/<int:user_id>", "member", {"cohort_id": 7, "user_id": 42}),
    ("/teach/slips/<int:batch_id>.pdf", "slip", {"batch_id": 3}),
    ("/files/<path:name>", "file", {"name": "a/b c/日本語.txt"}),
]


def _app(rule_class) -> Flask:
    app = Flask(__name__)
    app.url_rule_class = rule_class
    for path, endpoint, _values in RULES:
        app.add_url_rule(path, endpoint, lambda **_kw: "")
    def records(page):
        return ""

    app.add_url_rule("/records", "records", records, defaults={"page": 1})
    app.add_url_rule("/records/<int:page>", "records", records)
    return app


def test_the_app_uses_the_lazy_rule():
    assert RULE_CLASS is LazyBuildRule  # Werkzeug's hook is there in the pinned range


def test_lazy_rules_build_what_werkzeug_builds():
    lazy, eager = _app(LazyBuildRule), _app(Rule)
    for path, endpoint, values in RULES:
        for extra in ({}, {"q": "髙橋", "page": "2"}):  # unknown keys go to the query string
            with eager.test_request_context():
                expected = url_for(endpoint, **values, **extra), url_for(endpoint, _external=True, **values, **extra)
            with lazy.test_request_context():
                assert (url_for(endpoint, **values, **extra),
                        url_for(endpoint, _external=True, **values, **extra)) == expected, path
    for page in (1, 2):
        with eager.test_request_context():
            expected = url_for("records", page=page)
        with lazy.test_request_context():
            assert url_for("records", page=page) == expected
    with lazy.test_request_context():
        assert url_for("member", cohort_id=7, user_id=42) == "/teach/classes/7/members/42"


def test_first_builds_from_several_threads_agree():
    app = _app(LazyBuildRule)
    results = []

    def build():
        with app.test_request_context():
            results.append(url_for("section", course_id="c", module_id="m", section_id="s"))

    threads = [threading.Thread(target=build) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["/learn/c/m/m/s/s"] * 8  # course c, module m, section s
