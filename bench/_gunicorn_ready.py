"""gunicorn settings file for the load test: each worker says when it has loaded the app.

``gunicorn -c bench/_gunicorn_ready.py``: a worker touches ``$BENCH_READY_DIR/<pid>`` once the
app is imported, so the bench starts (or resumes) the load only when every worker serves.
"""
from __future__ import annotations

import os
from pathlib import Path

# The production settings (preload, the master's warm-up, connections closed before fork), so
# the load test and tests/integration/test_limits_gunicorn.py run the server as deployed.
_PRODUCTION = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
exec(compile(_PRODUCTION.read_text(), str(_PRODUCTION), "exec"))

# gunicorn 25.1+ opens a control socket at one fixed path per user: a killed instance would
# leave it behind, and two benches at once would share it. Older versions ignore the name.
control_socket_disable = True


def post_worker_init(worker) -> None:
    folder = os.environ.get("BENCH_READY_DIR")
    if folder:
        Path(folder, str(worker.pid)).touch()
