"""URL rules whose URL builders are compiled on first use.

Werkzeug compiles two URL-building functions for every rule when the rule is added to the
app (generated Python code, about 0.7 ms a rule). With 90 rules that was about 60 ms of the
80 ms an app takes to create: paid by every worker start, every CLI command and every test
that makes an app, although most rules are never built into a URL in a given process.
``LazyBuildRule`` leaves matching untouched and compiles a builder when ``url_for`` first
needs it. If Werkzeug's private hook is not there (a Werkzeug that works differently), the
plain Rule is used and nothing changes.
"""
from __future__ import annotations

import inspect

from werkzeug.routing import Rule


def _has_the_hook() -> bool:
    hook = getattr(Rule, "_compile_builder", None)
    return hook is not None and list(inspect.signature(hook).parameters) == ["self", "append_unknown"]


class LazyBuildRule(Rule):
    """A Rule whose two builders are compiled the first time each is called."""

    def _compile_builder(self, append_unknown: bool = True):
        compiled = None

        def build(rule, *args, **kwargs):
            nonlocal compiled
            if compiled is None:  # two threads may both compile once: the same function, harmless
                compiled = Rule._compile_builder(rule, append_unknown).__get__(rule, None)
            return compiled(*args, **kwargs)

        return build


#: The rule class the app uses (training/__init__.py sets Flask.url_rule_class to it).
RULE_CLASS = LazyBuildRule if _has_the_hook() else Rule
