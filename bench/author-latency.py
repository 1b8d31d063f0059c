#!/usr/bin/env python3
"""Latency of one author's page, for an author of few papers and one of many.

    bench/author-latency.py URL PROLIFIC_AUTHOR_ID SMALL_AUTHOR_ID [REQUESTS]

Sends the author page (the author and their 20 newest papers) REQUESTS times (default 400)
for each author, one request at a time, twice in alternation, and prints p50 and p99 after
the first 50 (warm-up). Numeric author ids; the script makes the global ids.
"""
import base64
import json
import statistics
import sys
import time
import urllib.request

QUERY = """query AuthorPage($id: ID!) {
  author(id: $id) { id name papers(first: 20) { nodes { id arxivId title publishedAt upvoteCount } } }
}"""


def measure(url, author, requests):
    global_id = base64.urlsafe_b64encode(f"Author:{author}".encode()).decode().rstrip("=")
    body = json.dumps({"query": QUERY, "variables": {"id": global_id}}).encode()
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        request = urllib.request.Request(url, body, {"content-type": "application/json"})
        with urllib.request.urlopen(request) as response:
            answer = json.loads(response.read())
        times.append((time.perf_counter() - start) * 1000)
        if not answer.get("data", {}).get("author", {}).get("papers", {}).get("nodes"):
            sys.exit(f"unexpected answer for author {author}: {answer}")
    kept = sorted(times[50:])
    return statistics.median(kept), kept[int(len(kept) * 0.99)]


def main():
    url, prolific, small = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    requests = int(sys.argv[4]) if len(sys.argv) > 4 else 400
    for _ in range(2):
        for label, author in (("small", small), ("prolific", prolific)):
            p50, p99 = measure(url, author, requests)
            print(f"author {author} ({label}): p50 {p50:.3f} ms, p99 {p99:.3f} ms")


if __name__ == "__main__":
    main()
