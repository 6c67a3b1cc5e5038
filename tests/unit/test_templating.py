"""training/templating.py: compiled templates shared between apps, recompiled when the source changes."""
from flask import Flask, render_template_string
from jinja2 import DictLoader, Environment

from training.templating import SharedTemplateCode


def _environment(cache, templates, **options) -> Environment:
    return Environment(loader=DictLoader(templates), bytecode_cache=cache, autoescape=True, **options)


def test_a_second_environment_reuses_the_compiled_code(monkeypatch):
    cache, templates = SharedTemplateCode(), {"page.html": "<p>{{ name }}</p>"}
    first = _environment(cache, templates)
    assert first.get_template("page.html").render(name="<高橋>") == "<p>&lt;高橋&gt;</p>"
    second = _environment(cache, templates)
    compiled = []
    monkeypatch.setattr(second, "compile", lambda *a, **k: compiled.append(a) or Environment.compile(second, *a, **k))
    assert second.get_template("page.html").render(name="髙橋") == "<p>髙橋</p>"
    assert compiled == []  # taken from the cache, not compiled again


def test_an_edited_template_is_compiled_again():
    cache, templates = SharedTemplateCode(), {"page.html": "<p>{{ name }}</p>"}
    assert _environment(cache, templates).get_template("page.html").render(name="a") == "<p>a</p>"
    templates["page.html"] = "<div>{{ name }}</div>"
    assert _environment(cache, templates).get_template("page.html").render(name="a") == "<div>a</div>"


def test_other_settings_never_share_code():
    cache, templates = SharedTemplateCode(), {"page.html": "<p>{{ name }}</p>[[ name ]]"}
    assert _environment(cache, templates).get_template("page.html").render(name="<b>") == "<p>&lt;b&gt;</p>[[ name ]]"
    raw = Environment(loader=DictLoader(templates), bytecode_cache=cache, autoescape=False,
                      variable_start_string="[[", variable_end_string="]]")
    assert raw.get_template("page.html").render(name="<b>") == "<p>{{ name }}</p><b>"


def test_the_app_gives_every_environment_the_shared_cache():
    from training.templating import SHARED_TEMPLATE_CODE
    from training import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "SKIP_DATABASE_CHECK": True})
    assert app.jinja_env.bytecode_cache is SHARED_TEMPLATE_CODE
    plain = Flask(__name__)
    with plain.app_context():
        assert render_template_string("{{ 1 + 1 }}") == "2"  # a bare Flask app is untouched
    assert plain.jinja_env.bytecode_cache is None
