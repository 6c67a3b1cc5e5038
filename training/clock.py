"""The one clock of the app: what time it is now, in JST.

Everything that depends on the hour (which help lines are open) asks ``now()``. Tests freeze
it with ``app.config["FROZEN_NOW"]`` (an aware datetime), honoured only when ``TESTING`` is
set, so a production setting can never stop the clock.
"""
from __future__ import annotations

import datetime as dt

from flask import current_app, has_app_context

from training.dates import JST


def now() -> dt.datetime:
    """The current moment in JST (aware)."""
    if has_app_context() and current_app.config.get("TESTING"):
        frozen = current_app.config.get("FROZEN_NOW")
        if frozen is not None:
            return frozen.astimezone(JST)
    return dt.datetime.now(JST)


def file_stamp() -> str:
    """The JST date and time for a download's file name: ``20261202-0005`` (a file saved just
    after midnight in Japan is named for the new day, whatever the server's zone)."""
    return now().strftime("%Y%m%d-%H%M")
