"""gunicorn settings for production (README, "Running in production"), measured by bench/memory_start.py.

    .venv/bin/gunicorn -c gunicorn.conf.py

The app and its parsed course content are loaded once, in the master, and the workers are
forked from it (``preload_app``): they share that memory copy-on-write instead of each
building its own copy, and a restart serves its first page as soon as the master has loaded
(docs/performance.md, "Memory and cold start"). Options on the command line override these.
gunicorn also reads this file by itself when started in the project folder without ``-c``.
"""
import gc
import sys

# No garbage collection while the master loads and warms up the app (gunicorn reads this file
# before it loads the app): the app's objects live as long as the process, so collections
# during the load only cost time (about a twentieth of the master's start), and the memory
# they would free leaves holes in pages the workers are to share. Python's documentation of
# gc.freeze() describes this pattern. It is switched on again in when_ready, before the fork.
gc.disable()

wsgi_app = "training.wsgi:app"
bind = "127.0.0.1:8000"
workers = 4
# Default sync workers and gunicorn's default 30 s timeout: long work runs as background jobs.
preload_app = True
# gunicorn 25.1+ runs a control socket in a thread of the master, at one path per user; the
# master that holds the app stays single-threaded (a worker forked later never inherits a
# lock taken by another thread), and several instances under one account never share it.
control_socket_disable = True


def when_ready(server):
    """In the master, after the app is loaded and before the first worker is forked."""
    wsgi = sys.modules.get("training.wsgi")
    if wsgi is not None:  # this file also serves the bench's bare Flask app
        wsgi.before_fork()
    # Objects made so far live as long as the process: the workers' garbage collector leaves
    # them alone, so it does not write to (and copy) the pages they share with the master.
    gc.freeze()
    gc.enable()
