"""The training app plus one bench-only page: the fixed cost of any signed-in page.

``/bench/floor`` does what every signed-in page does before its own work (the session
check against the database, the page layout with menu and help panel, the CSRF token, the
security headers) and nothing else. Its throughput against hello-world is the ceiling any
signed-in page can reach on this stack; bench/lesson_throughput.py prints it beside the
lesson page's ratio.
"""
from flask import render_template

from training.auth.access import roles_required
from training.wsgi import app


@app.route("/bench/floor")
@roles_required("trainee")
def bench_floor():
    return render_template("base.html")
