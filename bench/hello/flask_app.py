# SPDX-License-Identifier: Apache-2.0
"""The tutorial's friendlyhello app.py, ported to Python 3 (Debian's
python3-flask and python3-redis), as the comparison peer of hello.

Same behaviour as the original: Redis INCR counter on host "redis" (here
REDIS_HOST/REDIS_PORT), db 0, 2 s connect and read timeouts, the
"counter disabled" message on any Redis error, Flask's built-in server.
REDIS_KEY (default "counter", the original's) lets bench.py give it a key
of its own next to hello's on one Redis.
"""
import os
import socket

from flask import Flask
from redis import Redis, RedisError

redis = Redis(host=os.getenv("REDIS_HOST", "redis"),
              port=int(os.getenv("REDIS_PORT", "6379")), db=0,
              socket_connect_timeout=2, socket_timeout=2)

KEY = os.getenv("REDIS_KEY", "counter")

app = Flask(__name__)


@app.route("/")
def hello():
    try:
        visits = redis.incr(KEY)
    except RedisError:
        visits = "<i>cannot connect to Redis, counter disabled</i>"

    html = "<h3>Hello {name}!</h3>" \
           "<b>Hostname:</b> {hostname}<br/>" \
           "<b>Visits:</b> {visits}"
    return html.format(name=os.getenv("NAME", "world"),
                       hostname=socket.gethostname(), visits=visits)


if __name__ == "__main__":
    app.run(host=os.getenv("BIND", "127.0.0.1"),
            port=int(os.getenv("PORT", "80")))
