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

With ``keep_on_disk`` (create_app: the instance folder's cache) the code is also written
there, signed with the app's secret key, so a restart loads a template's code instead of
compiling it again (about 30 ms a template; the server's master loads every template before
it forks its workers, training/wsgi.py). Keys hold Python's and Jinja's versions.
"""
from __future__ import annotations

import hashlib
import hmac
import marshal
import os
import sys
import tempfile
import threading
from pathlib import Path

import jinja2
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

_VERSIONS = f"{sys.version}|{jinja2.__version__}"


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
        self._folder: Path | None = None
        self._signing_key = b""

    def keep_on_disk(self, folder: Path, signing_key: bytes) -> None:
        """Also keep compiled code in ``folder`` (signed with ``signing_key``) across restarts."""
        self._folder, self._signing_key = Path(folder), signing_key

    def _disk_path(self, bucket: Bucket) -> Path | None:
        if self._folder is None or not self._signing_key:
            return None
        name = hashlib.sha256(f"{_VERSIONS}|{bucket.key!r}|{bucket.checksum}".encode()).hexdigest()
        return self._folder / f"{name}.code"

    def _load_disk(self, bucket: Bucket) -> None:
        path = self._disk_path(bucket)
        try:
            data = path.read_bytes() if path else b""
        except OSError:
            return
        mac, body = data[:32], data[32:]
        # Only code this app wrote (signed with its secret key) is loaded.
        if len(mac) == 32 and hmac.compare_digest(mac, hmac.new(self._signing_key, body, "sha256").digest()):
            bucket.code = marshal.loads(body)
            with self._lock:
                self._code[bucket.key] = (bucket.checksum, bucket.code)

    def _dump_disk(self, bucket: Bucket) -> None:
        path = self._disk_path(bucket)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            body = marshal.dumps(bucket.code)
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".code-")
            with os.fdopen(fd, "wb") as out:
                out.write(hmac.new(self._signing_key, body, "sha256").digest() + body)
            os.replace(temporary, path)
        except OSError:
            pass  # a folder that cannot be written only means compiling again next start

    def get_bucket(self, environment, name, filename, source) -> Bucket:
        key = (self.get_cache_key(name, filename), _fingerprint(environment))
        bucket = Bucket(environment, key, self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        stored = self._code.get(bucket.key)
        if stored is not None and stored[0] == bucket.checksum:
            bucket.code = stored[1]
        else:
            self._load_disk(bucket)

    def dump_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            self._code[bucket.key] = (bucket.checksum, bucket.code)
        self._dump_disk(bucket)

    def clear(self) -> None:
        with self._lock:
            self._code.clear()


#: The one cache of the process (training/__init__.py gives it to every app's environment).
SHARED_TEMPLATE_CODE = SharedTemplateCode()
