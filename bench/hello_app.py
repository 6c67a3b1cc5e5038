"""A bare Flask hello-world: the baseline the lesson page is compared with."""
from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "hello"
