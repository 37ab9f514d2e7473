"""`python -m bench.run [--orgs 100000] [--small-orgs 10000] [--requests N] [--skip-seed] [--out FILE]`

The province-scale benchmark (docs/benchmarks.md, "Province-scale benchmark"). In order:

1. seeds the 10 % and the 100 % province into two PostgreSQL databases (`manage.py seed_scale`) and
   times `manage.py compare_texts` over their reports and records (--compare-kinds),
   unless --skip-seed, then VACUUM ANALYZE;
2. counts each page's SQL queries on both (Django's test client, in-process);
3. starts gunicorn under production settings (DEBUG off, Redis cache and broker, whitenoise,
   HTTPS as told by the front proxy's header) on the 100 % database, signs each person in through
   the login form, and loads the floor and the measured pages at concurrency 1 and 8;
4. renders the yearly PDFs, each in a process of its own, with and without gathering the data;
5. compares the tree strategies;
6. runs the reminder sweep twice.

Writes the figures to --out (JSON) and the tables to the same name with `.md`.

Why one long file: it is the driver that runs the sections above in order and writes their tables;
the measuring itself lives in bench/load.py, pages.py, pdf.py, sweep.py and tree_strategies.py.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.load import LoadError, run_load, sign_in

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

PRESETS: dict[str, dict[str, Any]] = {
    # manage.py seed_scale: the generated province.
    "scale": {
        "logins": {
            "province": "scale-province",
            "county": "scale-county",
            "secretary": "scale-secretary",
            "reviewer": "scale-reviewer",
        },
        "password": "bench-pass-2026",
    },
    # manage.py seed_demo: one county, for trying the harness in a minute (its sizes are fixed).
    "demo": {
        "logins": {
            # The demo has no province: its county stands for it, and a township for the county.
            "province": "demo-county",
            "county": "demo-township",
            "secretary": "demo-secretary",
            "reviewer": "demo-township",
        },
        "password": "demo-pass-2026",
    },
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# Services and databases ----------------------------------------------------------------------------


def _reachable(url: str, default_port: int) -> bool:
    parts = urllib.parse.urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=3):
            return True
    except OSError:
        return False


def check_services(server_url: str, redis_url: str) -> None:
    missing = [
        f"{name} at {url}"
        for name, url, port in (("PostgreSQL", server_url, 5432), ("Redis", redis_url, 6379))
        if not _reachable(url, port)
    ]
    if missing:
        raise SystemExit(
            "make bench needs PostgreSQL and Redis running; cannot reach " + " and ".join(missing) + ".\n"
            "Start them (e.g. `docker compose up -d db redis`) or pass --server-url / --redis-url."
        )


def database_url(server_url: str, name: str) -> str:
    return f"{server_url.rstrip('/')}/{name}"


def create_database(server_url: str, name: str) -> None:
    import psycopg2

    parts = urllib.parse.urlsplit(server_url)
    connection = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, password=parts.password, dbname="postgres"
    )
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()


def production_env(db_url: str, redis_url: str, static_root: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "SECURE_SSL_REDIRECT"}}
    env |= {
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "STATIC_ROOT": str(static_root),
        "MEDIA_ROOT": str(static_root.parent / "media"),
        "LOG_LEVEL": "WARNING",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def child(
    task: str, env: dict[str, str], arg: str = "", html: Path | None = None, timeout: float | None = None
) -> tuple[Any, float]:
    """Runs `bench.child TASK` and returns its JSON answer and its peak resident memory in MB.

    After TIMEOUT seconds the child is stopped and the answer is None (the peak memory still counts).
    """
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out.json"
        command = [PYTHON, "-m", "bench.child", task, arg, "--out", str(out)]
        if html is not None:
            command += ["--html", str(html)]
        process = subprocess.Popen(command, cwd=ROOT, env=env)
        deadline = None if timeout is None else time.monotonic() + timeout
        stopped = False
        while True:
            # wait4 gives this child's own rusage; ru_maxrss is in KiB on Linux.
            pid, status, usage = os.wait4(process.pid, os.WNOHANG if deadline is not None else 0)
            if pid:
                break
            if deadline is not None and time.monotonic() > deadline and not stopped:
                log(f"bench.child {task}: stopped after {timeout:.0f} s")
                process.terminate()
                stopped = True
            time.sleep(0.5)
        process.returncode = os.waitstatus_to_exitcode(status)
        peak = round(usage.ru_maxrss / 1024, 1)
        if stopped:
            return None, peak
        if process.returncode:
            raise SystemExit(f"bench.child {task} failed (exit {process.returncode})")
        return json.loads(out.read_text(encoding="utf-8")), peak


def flush_redis(redis_url: str) -> None:
    """Empties the bench's own Redis database (its cache and the delivery tasks nobody consumes)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()


# The server -----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """gunicorn with sync workers, as docs/deployment.md runs it, on a free local port."""

    def __init__(self, env: dict[str, str], workers: int) -> None:
        self.port = free_port()
        self.workers = workers
        self.process = subprocess.Popen(
            [
                str(Path(PYTHON).parent / "gunicorn"),
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--log-level",
                "warning",
                "--timeout",
                "120",
            ],
            cwd=ROOT,
            env=env,
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        import http.client

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit("gunicorn exited at start")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit("gunicorn did not answer /healthz within a minute")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# The sections ------------------------------------------------------------------------------------------


def measure_pages(
    pages: list[dict[str, str]],
    server: Server,
    logins: dict[str, str],
    password: str,
    keys: dict[str, str],
    *,
    requests: int,
    concurrencies: Sequence[int],
) -> dict[str, Any]:
    # One sign-in per person (two roles may be one login): an authenticator code is accepted once.
    by_login = {
        login: sign_in("127.0.0.1", server.port, login, password, totp_key=keys.get(login))
        for login in sorted(set(logins.values()))
    }
    sessions = {role: by_login[login] for role, login in logins.items()}
    results: dict[str, Any] = {}
    for concurrency in concurrencies:
        floor: dict[str, Any] | None = None
        for page in pages:
            log(f"load {page['name']} ({page['path']}) c={concurrency} n={requests}")
            try:
                measured = run_load(
                    "127.0.0.1",
                    server.port,
                    page["path"],
                    requests=requests,
                    concurrency=concurrency,
                    headers=sessions[page["role"]],
                    warmup=max(2 * server.workers, concurrency),
                ).as_dict()
            except LoadError as error:
                if page["name"] == "floor":
                    raise  # nothing to compare the pages with
                results.setdefault(page["name"], {})[f"c{concurrency}"] = {"error": str(error)}
                continue
            if page["name"] == "floor":
                floor = measured
            assert floor is not None, "the floor is measured first"
            for figure in ("p50_ms", "p95_ms", "p99_ms"):
                measured[f"{figure[:-3]}_x_floor"] = round(measured[figure] / floor[figure], 2)
            measured["rps_x_floor"] = round(measured["rps"] / floor["rps"], 3)
            results.setdefault(page["name"], {"path": page["path"]})[f"c{concurrency}"] = measured
    return results


def measure_pdf(env: dict[str, str], logins_json: str, work: Path) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for name, task in (("organization_report", "pdf-org"), ("county_summary", "pdf-summary")):
        html = work / f"{name}.html"
        log(f"pdf {name}: gather and render")
        full, full_mb = child(task, env, logins_json, html=html)
        log(f"pdf {name}: WeasyPrint alone")
        bare, bare_mb = child("pdf-bare", env, str(html))
        figures[name] = {
            **full,
            "peak_mb": full_mb,
            "bare_seconds": bare["seconds"],
            "bare_peak_mb": bare_mb,
            # Against the bare renders interleaved with the whole ones in the same process.
            "x_bare": round(full["seconds"] / full["bare_same_process_seconds"], 2),
            "peak_x_bare": round(full_mb / bare_mb, 2),
        }
    return figures


def measure_sweep(env: dict[str, str], timeout: float) -> dict[str, Any]:
    reset, _mb = child("sweep-reset", env)
    log(f"sweep: forgot earlier runs' reminders {reset}")
    runs = []
    for number in (1, 2):
        log(f"sweep run {number}")
        began = time.perf_counter()
        figures, peak = child("sweep", env, timeout=timeout)
        if figures is None:
            # Stopped: what it sent so far is committed batch by batch, so the rate is known.
            written, _mb = child("sweep-count", env)
            runs.append(
                {
                    "stopped_after_seconds": round(time.perf_counter() - began, 1),
                    **written,
                    "peak_mb": peak,
                }
            )
            log("sweep: stopped, so the second run (which would go on sending) is not made")
            break
        runs.append({**figures, "peak_mb": peak})
    return {"reset": reset, "first": runs[0], "second": runs[1] if len(runs) > 1 else None}


def machine(env: dict[str, str], workers: int, redis_url: str) -> dict[str, Any]:
    import django

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        memory_kb = 0
    versions: dict[str, str] = {}
    for name, command in (
        ("postgresql", ["psql", env["DATABASE_URL"], "-Atc", "SHOW server_version"]),
        ("redis", ["redis-cli", "-u", redis_url, "INFO", "server"]),
    ):
        try:
            text = subprocess.run(command, capture_output=True, text=True, timeout=10, check=True).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        if name == "redis":
            text = next((line.split(":", 1)[1] for line in text.splitlines() if line.startswith("redis_version")), "")
        versions[name] = text.strip()
    import gunicorn
    import weasyprint

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "gunicorn": gunicorn.__version__,
        "gunicorn_workers": workers,
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
        "weasyprint": weasyprint.__version__,
        **versions,
    }


def targets(results: dict[str, Any]) -> dict[str, Any]:
    """The issue's targets, each with the figure it is judged on and whether it is reached."""
    verdicts: dict[str, Any] = {}
    queries = results.get("queries", {})
    if queries:
        verdicts["query_counts_flat"] = {"reached": queries["flat"], "pages_not_flat": queries["not_flat"]}
    pages = results.get("pages", {})
    worst = {
        name: figures["c8"]["p95_x_floor"]
        for name, figures in pages.items()
        if name != "floor" and "p95_x_floor" in figures.get("c8", {})
    }
    if worst:
        verdicts["p95_within_5x_floor_at_c8"] = {"reached": all(v <= 5 for v in worst.values()), "p95_x_floor": worst}
    summary = results.get("pdf", {}).get("county_summary")
    if summary:
        verdicts["county_summary_within_2x_bare"] = {"reached": summary["x_bare"] <= 2, "x_bare": summary["x_bare"]}
    sweep = results.get("sweep", {}).get("first")
    if sweep and "stopped_after_seconds" in sweep:
        verdicts["sweep_within_60s_and_500mb"] = {"reached": False, **sweep}
    elif sweep:
        verdicts["sweep_within_60s_and_500mb"] = {
            "reached": sweep["seconds"] <= 60 and sweep["peak_mb"] <= 500,
            "seconds": sweep["seconds"],
            "peak_mb": sweep["peak_mb"],
            "scanned": sweep["scanned"],
        }
        verdicts["second_sweep_sends_nothing"] = {"reached": results["sweep"]["second"]["sent"] == 0}
    return verdicts


# Markdown ------------------------------------------------------------------------------------------------


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join("" if cell is None else str(cell) for cell in row) + " |" for row in rows]
    return lines


def markdown(results: dict[str, Any]) -> str:
    out: list[str] = []
    m = results["machine"]
    out += [
        f"Run {results['started']} – {results['finished']}, `{results['command']}`.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} CPUs, {m['memory_gb']} GB; {m['os']}; Python {m['python']}, "
        f"Django {m['django']}, PostgreSQL {m.get('postgresql', '?')}, Redis {m.get('redis', '?')}, "
        f"gunicorn {m['gunicorn']} ({m['gunicorn_workers']} sync workers), WeasyPrint {m['weasyprint']}.",
        f"Load average (1, 5, 15 min) at the start {m['load_average_at_start']}, at the end "
        f"{m.get('load_average_at_end')}: other work on the machine shows in the absolute figures, "
        "less in the ratios to the floor measured beside them.",
        "",
    ]
    sizes = results.get("sizes", {})
    if sizes:
        out += ["Data: " + "; ".join(f"{name}: {size} organizations" for name, size in sizes.items()) + ".", ""]
    pages = results.get("pages", {})
    if pages:
        out += ["**Pages** (latency in ms; ×floor = the same figure divided by the floor's in this run)", ""]
        rows = []
        for name, figures in pages.items():
            for level in sorted(key for key in figures if key.startswith("c")):
                f = figures[level]
                if "error" in f:
                    rows.append([name, level[1:], f["error"], "", "", "", "", "", ""])
                    continue
                rows.append(
                    [
                        name,
                        level[1:],
                        f["p50_ms"],
                        f["p95_ms"],
                        f["p99_ms"],
                        f["rps"],
                        f"{f['p50_x_floor']} / {f['p95_x_floor']} / {f['p99_x_floor']}",
                        f["rps_x_floor"],
                        f["client_cpu_us_per_request"],
                    ]
                )
        out += _table(
            ["page", "conc.", "p50", "p95", "p99", "req/s", "×floor p50/p95/p99", "req/s ×floor", "client CPU µs/req"],
            rows,
        )
        out.append("")
    queries = results.get("queries", {})
    if queries:
        out += ["**SQL queries per page**", ""]
        small, full = queries["small"], queries["full"]
        rows = [
            [
                name,
                small["pages"][name]["queries"],
                full["pages"][name]["queries"],
                name not in queries["not_flat"],
                f"{full['pages'][name].get('first_request_queries')} / {full['pages'][name].get('first_request_ms')}",
            ]
            for name in full["pages"]
        ]
        out += _table(
            [
                "page",
                f"{small['organizations']} orgs",
                f"{full['organizations']} orgs",
                "equal",
                f"first request at {full['organizations']}: queries / ms (cold, in-process)",
            ],
            rows,
        )
        out.append("")
    pdf = results.get("pdf", {})
    if pdf:
        out += [
            "**Yearly PDFs** (each in its own process, best of 3 after a warm-up render; peak = peak RSS)",
            "",
        ]
        rows = [
            [
                name,
                f["subtree"],
                f["seconds"],
                f["gather_seconds"],
                f["queries"],
                f["peak_mb"],
                f["bare_same_process_seconds"],
                f["bare_seconds"],
                f["bare_peak_mb"],
                f["x_bare"],
            ]
            for name, f in pdf.items()
        ]
        out += _table(
            [
                "document",
                "orgs",
                "s",
                "gather s",
                "queries",
                "peak MB",
                "bare s (same process)",
                "bare s (own process)",
                "bare peak MB",
                "×bare",
            ],
            rows,
        )
        out.append("")
    sweep = results.get("sweep", {})
    if sweep:
        out += ["**Reminder sweep** (each run in its own process)", ""]
        rows = [
            [run, f["scanned"], f["sent"], f["seconds"], f["queries"], f["peak_mb"]]
            if "stopped_after_seconds" not in f
            else [run, "?", f"{f['notifications_written']} (stopped)", f["stopped_after_seconds"], "?", f["peak_mb"]]
            for run, f in (("first", sweep["first"]), ("second", sweep["second"]))
            if f is not None
        ]
        out += _table(["run", "deadlines scanned", "reminders sent", "s", "queries", "peak MB"], rows)
        out.append("")
    tree = results.get("tree", {})
    if tree:
        out += [
            f"**Which organizations may this user see** (best of 5, ms; temporary table built in "
            f"{tree['table_build_seconds']} s)",
            "",
        ]
        rows = []
        for role, figures in tree["users"].items():
            s = figures["strategies"]
            rows.append(
                [
                    role,
                    figures["visible"],
                    s["ours"]["ms"],
                    f"{s['parent_walk']['ms']} ({s['parent_walk']['ratio_to_ours']}×)",
                    f"{s['ancestors_column']['ms']} ({s['ancestors_column']['ratio_to_ours']}×)",
                ]
            )
        out += _table(["user", "visible", "ours (path prefix)", "parent walk (CISO)", "ancestors (RuoYi)"], rows)
        out.append("")
    compared = results.get("compare_texts", {})
    if compared:
        out += ["**Signatures after the seed** (`manage.py compare_texts`, in its own process; peak = peak RSS)", ""]
        rows = [
            [
                f["organizations"],
                ", ".join(f["kinds"]),
                f["seconds"],
                f["cpu_seconds"],
                f["peak_mb"],
                " / ".join(f"{kind} {count}" for kind, count in f["signatures"].items()),
                " / ".join(f"{kind} {count}" for kind, count in f["distinct_texts"].items()),
                " / ".join(f"{kind} {count}" for kind, count in f["pairs"].items()),
                " / ".join(f"{kind} {count}" for kind, count in f["flagged_pairs"].items()),
            ]
            for f in compared.values()
        ]
        out += _table(
            ["orgs", "kinds", "s", "CPU s", "peak MB", "signatures", "distinct texts", "pairs", "pairs ≥ 60 %"], rows
        )
        out.append("")
    verdicts = results.get("targets", {})
    if verdicts:
        out += ["**Targets**", ""]
        out += _table(
            ["target", "reached", "figures"],
            [
                [name, "yes" if v["reached"] else "**no**", {k: x for k, x in v.items() if k != "reached"}]
                for name, v in verdicts.items()
            ],
        )
        out.append("")
    return "\n".join(out)


# The driver ------------------------------------------------------------------------------------------------


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=100_000, help="organizations in the province (default 100000)")
    parser.add_argument("--small-orgs", type=int, help="the 10 %% province for the query counts (default orgs/10)")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per page and concurrency")
    parser.add_argument("--concurrency", default="1,8", help="comma-separated (default 1,8)")
    parser.add_argument("--skip-seed", action="store_true", help="reuse the databases as they are")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--server-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="pb_bench", help="database of the full province")
    parser.add_argument("--small-db", default="pb_bench_small", help="database of the 10 %% province")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5", help="a Redis database of its own")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="scale", help="logins and seed command")
    parser.add_argument(
        "--sweep-timeout",
        type=float,
        default=1800,
        help="stop the first sweep after this many seconds and report its rate (default 1800)",
    )
    parser.add_argument(
        "--sections", default="queries,pages,pdf,tree,sweep", help="which to run (default all, in that order)"
    )
    parser.add_argument(
        "--compare-kinds",
        default="report,record",
        help="the kinds of text `manage.py compare_texts` signs after each seed (default report,record; '' to skip)",
    )
    return parser.parse_args(argv)


def seed(env: dict[str, str], preset: str, orgs: int, password: str) -> float:
    began = time.perf_counter()
    if preset == "scale":
        manage(env, "seed_scale", "--orgs", str(orgs), "--wipe", "--password", password)
    else:
        manage(env, "seed_demo")
    return round(time.perf_counter() - began, 1)


def compare_texts(env: dict[str, str], kinds: Sequence[str]) -> dict[str, Any]:
    """Times `manage.py compare_texts` over what the seed loaded in bulk: seconds, peak memory, and the
    signatures and pairs it left, by kind."""
    import psycopg2

    command = [PYTHON, "manage.py", "compare_texts", *(f"--kind={kind}" for kind in kinds)]
    began = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = round(time.perf_counter() - began, 1)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit("manage.py compare_texts failed")
    figures: dict[str, Any] = {
        "kinds": list(kinds),
        "seconds": seconds,
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        # ru_maxrss is in KiB on Linux.
        "peak_mb": round(usage.ru_maxrss / 1024, 1),
    }
    connection = psycopg2.connect(env["DATABASE_URL"])
    try:
        with connection.cursor() as cursor:
            for name, table in (("signatures", "similarity_textsignature"), ("pairs", "similarity_textpair")):
                cursor.execute(f"SELECT kind, count(*) FROM {table} GROUP BY kind ORDER BY kind")
                figures[name] = dict(cursor.fetchall())
            cursor.execute("SELECT kind, count(DISTINCT digest) FROM similarity_textsignature GROUP BY kind")
            figures["distinct_texts"] = dict(cursor.fetchall())
            cursor.execute("SELECT kind, count(*) FROM similarity_textpair WHERE share >= 60 GROUP BY kind")
            figures["flagged_pairs"] = dict(cursor.fetchall())
    finally:
        connection.close()
    return figures


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    options = parse(argv)
    preset = PRESETS[options.preset]
    logins: dict[str, str] = preset["logins"]
    password: str = preset["password"]
    logins_json = json.dumps(logins)
    small_orgs = options.small_orgs or max(options.orgs // 10, 1)
    sections = set(options.sections.split(","))
    concurrencies = [int(level) for level in options.concurrency.split(",")]
    check_services(options.server_url, options.redis_url)

    work = Path(tempfile.mkdtemp(prefix="pb-bench-"))
    static_root = work / "static"
    full_env = production_env(database_url(options.server_url, options.db), options.redis_url, static_root)
    small_env = full_env | {"DATABASE_URL": database_url(options.server_url, options.small_db)}
    results: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": machine(full_env, options.workers, options.redis_url),
        "preset": options.preset,
    }
    try:
        dbs = [("full", options.db, full_env, options.orgs)]
        if "queries" in sections:
            dbs.insert(0, ("small", options.small_db, small_env, small_orgs))
        seed_seconds = {}
        compared: dict[str, Any] = {}
        compare_kinds = [kind for kind in options.compare_kinds.split(",") if kind]
        keys_of: dict[str, dict[str, str]] = {}
        for label, name, env, orgs in dbs:
            if not options.skip_seed:
                create_database(options.server_url, name)
            # New migrations (of this branch or a dependency) must not break a --skip-seed run.
            manage(env, "migrate", "--no-input", "-v", "0")
            if not options.skip_seed:
                log(f"seeding {name} with {orgs} organizations")
                seed_seconds[label] = seed(env, options.preset, orgs, password)
                if compare_kinds:
                    log(f"compare_texts on {name}: {', '.join(compare_kinds)}")
                    compared[label] = {"organizations": orgs, **compare_texts(env, compare_kinds)}
            child("analyze", env)
            keys_of[label], _mb = child("prepare", env, logins_json)
        if seed_seconds:
            results["seed_seconds"] = seed_seconds
        if compared:
            results["compare_texts"] = compared
        log("collectstatic")
        manage(full_env, "collectstatic", "--no-input", "-v", "0")

        if "queries" in sections:
            log("query counts")
            # Both databases share the bench's Redis database: the cache (the dashboard's figures,
            # keyed by ids that both databases have) is emptied whenever the database changes.
            flush_redis(options.redis_url)
            small, _mb = child("queries", small_env, logins_json)
            flush_redis(options.redis_url)
            full, _mb = child("queries", full_env, logins_json)
            not_flat = [
                name for name in full["pages"] if full["pages"][name]["queries"] != small["pages"][name]["queries"]
            ]
            results["queries"] = {"small": small, "full": full, "flat": not not_flat, "not_flat": not_flat}
            results["sizes"] = {"small": small["organizations"], "full": full["organizations"]}

        if "pages" in sections:
            pages, _mb = child("pages", full_env, logins_json)
            flush_redis(options.redis_url)
            log(f"gunicorn, {options.workers} workers")
            server = Server(full_env, options.workers)
            try:
                results["pages"] = measure_pages(
                    pages,
                    server,
                    logins,
                    password,
                    keys_of["full"],
                    requests=options.requests,
                    concurrencies=concurrencies,
                )
            finally:
                server.stop()
            results["load"] = {"requests": options.requests, "concurrency": concurrencies}

        if "pdf" in sections:
            results["pdf"] = measure_pdf(full_env, logins_json, work)
        if "tree" in sections:
            log("tree strategies")
            results["tree"], _mb = child("tree", full_env, logins_json)
        if "sweep" in sections:
            results["sweep"] = measure_sweep(full_env, options.sweep_timeout)
    finally:
        flush_redis(options.redis_url)
        shutil.rmtree(work, ignore_errors=True)

    results["targets"] = targets(results)
    results["finished"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    results["machine"]["load_average_at_end"] = [round(value, 2) for value in os.getloadavg()]
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    table = markdown(results)
    options.out.with_suffix(".md").write_text(table + "\n", encoding="utf-8")
    print(table)
    return results


if __name__ == "__main__":
    main()
