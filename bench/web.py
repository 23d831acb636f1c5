"""`make bench-web`: the browse page under load against /healthz, on SQLite and PostgreSQL.

Seeds 100,000 posts and 20,000 members into a fresh database, serves the app with gunicorn
(2 workers) on a loopback port, and drives each URL with wrk (16 connections, a few seconds
each). Prints requests per second and p99 latency per URL, and each page's throughput as a
ratio of /healthz's measured in the same run (the target: at least 0.40, p99 under 50 ms).
Only 127.0.0.1 is ever contacted; every load run is bounded in time.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from http.cookiejar import CookieJar
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"
MEMBERS, POSTS = 20_000, 100_000
DURATION_S, CONNECTIONS = 5, 16
URLS = [
    ("/healthz", False),
    ("/posts", False),
    ("/posts", True),
    ("/posts?kind=need&category=transport", True),
    ("/posts?q=ladder", True),
    ("/posts?sort=nearest&within_km=2", True),
    ("/posts?sort=ending&page=5", True),
]
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def flask(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(BIN / "flask"), *args], env=env, cwd=ROOT, check=True)


def wait_ready(process: subprocess.Popen) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited")
        try:
            with urllib.request.urlopen(f"{BASE}/readyz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not become ready")


def member_cookie() -> str:
    """Log in the demo coordinator through the real form and return the Cookie header."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{BASE}/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(
        {"csrf_token": token, "email": "amara@demo.commons", "password": "neighbour-2026"}
    ).encode()
    opener.open(f"{BASE}/login", data=data).read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def wrk(url: str, cookie: str | None) -> tuple[float, float]:
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION_S}s", "--latency", BASE + url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    if "Non-2xx" in output:
        raise RuntimeError(f"{url} answered errors under load:\n{output}")
    return rps, float(p99.group(1)) * scale


def run_on(label: str, database_url: str) -> None:
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
        "SECRET_KEY": "bench-only",
    }
    print(f"\n== {label}: seeding {MEMBERS} members and {POSTS} posts", flush=True)
    flask(env, "db", "upgrade")
    flask(env, "seed-demo", "--members", str(MEMBERS), "--posts", str(POSTS))
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{PORT}", "wsgi:app"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(server)
        cookie = member_cookie()
        results = {}
        for url, as_member in URLS:
            results[(url, as_member)] = wrk(url, cookie if as_member else None)
        base_rps = results[("/healthz", False)][0]
        print(f"{'URL':45} {'who':8} {'req/s':>8} {'p99 ms':>8} {'vs healthz':>10}")
        for (url, as_member), (rps, p99) in results.items():
            who = "member" if as_member else "visitor"
            print(f"{url:45} {who:8} {rps:8.0f} {p99:8.1f} {rps / base_rps:10.2f}")
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: `make bench-web` installs it (apt-get install wrk).")
    with tempfile.TemporaryDirectory() as folder:
        run_on("SQLite", f"sqlite:///{Path(folder) / 'bench.db'}")
    name = f"commons_bench_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True)
    except psycopg.OperationalError:
        print("\nPostgreSQL is not answering on 127.0.0.1:5432: skipped.")
        return
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(PG_SERVER).set(database=name).render_as_string(hide_password=False)
        run_on("PostgreSQL", url)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    main()
