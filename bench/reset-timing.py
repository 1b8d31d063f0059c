#!/usr/bin/env python3
"""Does `requestPasswordReset` take the same time for an existing and an unknown address?

    bench/reset-timing.py URL [REQUESTS]

Registers the account `timed` (timed@example.org) on the server at URL (its /graphql
endpoint), then asks for a reset REQUESTS times (default 200) for that address and for a
fresh unknown address, in alternation, one request at a time, and prints the median, p90
and mean answer time of each. Start the server with PAPERBOARD_PASSWORD_RESETS_PER_HOUR
raised (say 100000), or the per-address limit answers instead after five requests.
"""
import json
import statistics
import sys
import time
import urllib.request

URL = sys.argv[1]
REQUESTS = int(sys.argv[2]) if len(sys.argv) > 2 else 200
ASK = "mutation($e: String!) { requestPasswordReset(email: $e) }"


def gql(query, variables):
    body = json.dumps({"query": query, "variables": variables}).encode()
    request = urllib.request.Request(URL, data=body, headers={"Content-Type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request) as response:
        answer = json.load(response)
    return answer, (time.perf_counter() - started) * 1000


gql(
    "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
    {"i": {"username": "timed", "email": "timed@example.org", "password": "a long enough password"}},
)
known, unknown = [], []
for index in range(REQUESTS):
    for address, times in (("timed@example.org", known), (f"nobody{index}@example.org", unknown)):
        answer, ms = gql(ASK, {"e": address})
        assert answer["data"]["requestPasswordReset"] is True, answer
        times.append(ms)
for name, times in (("existing address", known), ("unknown address", unknown)):
    times.sort()
    p90 = times[int(len(times) * 0.9)]
    print(f"{name}: n={len(times)} median {statistics.median(times):.2f} ms, "
          f"p90 {p90:.2f} ms, mean {statistics.mean(times):.2f} ms")
