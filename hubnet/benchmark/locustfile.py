"""The load: each simulated user asks the targets in turn, without pause, so every
target gets its share. Run by `manage.py bench_pg` as a separate process:

    locust -f hubnet/benchmark/locustfile.py --headless -u 4 -r 4 -t 60s --host ...

The targets come from the JSON file named by BENCH_TARGETS (made by bench_pg): a name,
a method, a path, the headers (a session cookie or an API token) and, for a write, what
to send. Nothing here imports Django: locust runs under gevent (and patches the
standard library, so never import this file into Django).
"""

import itertools
import json
import os
import sys

from locust import FastHttpUser, constant, task

sys.path.insert(0, os.path.dirname(__file__))
from payloads import referral_body

with open(os.environ["BENCH_TARGETS"], encoding="utf-8") as file:
    TARGETS = json.load(file)
_turns = itertools.cycle(range(len(TARGETS)))


class Visitor(FastHttpUser):
    wait_time = constant(0)

    @task
    def next_target(self) -> None:
        target = TARGETS[next(_turns)]
        # A redirect (to the sign-in page) is a failure, never a page measured.
        kwargs = {"headers": target["headers"], "name": target["name"], "allow_redirects": False}
        if target.get("referral_county"):
            kwargs["json"] = referral_body(target["referral_county"])
        with self.client.request(
            target["method"], target["path"], catch_response=True, **kwargs
        ) as response:
            if response.status_code != target.get("expect", 200):
                response.failure(f"{response.status_code} for {target['path']}")
