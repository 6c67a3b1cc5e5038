"""Compiled templates shared by every app in the process.

Each Flask app has its own Jinja environment, and each environment compiles a template the
first time it renders it: parsing, generating Python source and compiling it, about 40 ms for
a page with the base layout. A process that makes many apps (the test suite makes one per
test, about 1,100 a run; the CLI one per command) paid that again for every app.

``SharedTemplateCode`` is a Jinja bytecode cache kept in memory: the compiled code object of
a template is stored once per process and handed to every environment configured the same
way. Jinja checks the template's source checksum on every load, so an edited template is
compiled again (auto-reload keeps working), and an environment with other syntax or
extensions never sees code compiled for another.
"""
from __future__ import annotations

import threading

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket


def _fingerprint(environment) -> tuple:
    """What the compiled code of a template depends on besides its source."""
    autoescape = environment.autoescape if isinstance(environment.autoescape, bool) else "callable"
    return (environment.block_start_string, environment.block_end_string, environment.variable_start_string,
            environment.variable_end_string, environment.comment_start_string, environment.comment_end_string,
            environment.line_statement_prefix, environment.line_comment_prefix, environment.trim_blocks,
            environment.lstrip_blocks, environment.newline_sequence, environment.keep_trailing_newline,
            environment.optimized, autoescape, environment.is_async, tuple(sorted(environment.extensions)))


class SharedTemplateCode(BytecodeCache):
    """Code objects of compiled templates, per process, keyed by template, settings and source."""

    def __init__(self) -> None:
        self._code: dict[tuple, tuple[str, object]] = {}
        self._lock = threading.Lock()

    def get_bucket(self, environment, name, filename, source) -> Bucket:
        key = (self.get_cache_key(name, filename), _fingerprint(environment))
        bucket = Bucket(environment, key, self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        stored = self._code.get(bucket.key)
        if stored is not None and stored[0] == bucket.checksum:
            bucket.code = stored[1]

    def dump_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            self._code[bucket.key] = (bucket.checksum, bucket.code)

    def clear(self) -> None:
        with self._lock:
            self._code.clear()


#: The one cache of the process (training/__init__.py gives it to every app's environment).
SHARED_TEMPLATE_CODE = SharedTemplateCode()
