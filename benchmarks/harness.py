"""What the benchmarks share: free ports, a studio server in a subprocess, production
settings for it, the login, the crowd (benchmarks/crowd.py) in a process of its own,
percentiles and the server's memory and CPU."""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
KEY = "benchmark-key"
PASSWORD = "a long enough benchmark passphrase"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(data_dir: str) -> dict[str, str]:
    """Settings as a studio serving real work runs with, on plain-HTTP loopback.

    DEBUG off: with it on, Django logs every SQL query and, on SQLite, re-runs each
    query's parameters through `SELECT QUOTE(...)`, which would be measured as the
    studio's own cost. The keys are fresh on every call: one run builds its env once and
    gives it to the server and every child (the children encrypt the provider
    connection's API key with STUDIO_ENCRYPTION_KEY, which the server must decrypt).
    """
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "STUDIO_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Pages use the manifest storage: a child runs collectstatic into it.
        "STATIC_ROOT": str(Path(data_dir) / "static"),
        # Loopback is plain HTTP: no redirect to HTTPS, and cookies a browser would keep
        # over it (a Secure session cookie is never sent back, so logins would fail).
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        # The built-in simulator is the provider every benchmark drives; it is off by
        # default with DEBUG off.
        "STUDIO_SIMULATOR": "on",
    }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else 0.0


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """The studio under uvicorn on a loopback port, once its simulator answers."""
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "studio.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--lifespan",
        "on",
        "--no-access-log",
        "--ws-per-message-deflate",
        "false",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    url = f"http://127.0.0.1:{port}/simulator/ent/v2/credits"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the studio exited during start-up")
        try:
            if httpx.get(url, headers={"Authorization": f"Token {KEY}"}, timeout=1).is_success:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop(process)
    raise RuntimeError("the studio did not start in time")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def memory_kib(pid: int) -> dict[str, int]:
    """The process's resident memory now (VmRSS) and at its peak (VmHWM), in KiB."""
    figures = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            figures[name] = int(value.split()[0])
    return figures


def machine_ticks() -> tuple[int, int]:
    """All cores' busy and total clock ticks so far (/proc/stat's first line)."""
    ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return sum(ticks) - idle, sum(ticks)


async def sample_memory(pid: int, samples: list[int], stop_at: float) -> None:
    """Append the process's VmRSS (KiB) to `samples` every half second until stop_at."""
    while time.monotonic() < stop_at:
        samples.append(memory_kib(pid)["VmRSS"])
        await asyncio.sleep(0.5)


def cpu_seconds(pid: int) -> float:
    """The process's CPU time so far, all threads, user plus system (/proc/<pid>/stat)."""
    # Fields after the command name, which may hold spaces: utime and stime are 14 and 15.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_child(script: str, env: dict[str, str], command: str, *args: str) -> Any:
    """Run `script --child command args` (Django set up on the benchmark's own folder)
    and return the JSON its last line prints."""
    done = subprocess.run(
        [sys.executable, script, "--child", command, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode:
        raise RuntimeError(f"child {command} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def log_in(client: httpx.Client, username: str, password: str = PASSWORD) -> None:
    """The real login: the form's CSRF token, then the POST that sets the session."""
    form = client.get("/accounts/login/")
    token = CSRF_FIELD.search(form.text)
    if form.status_code != 200 or token is None:
        raise RuntimeError(f"the login page answered {form.status_code} without a CSRF token")
    fields = {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)}
    answer = client.post("/accounts/login/", data=fields)
    if answer.status_code != 302 or "sessionid" not in client.cookies:
        raise RuntimeError(f"login of {username} failed: {answer.status_code}")


def run_crowd(plan: dict[str, Any], *, pids: Sequence[int] = ()) -> dict[str, Any]:
    """Run benchmarks/crowd.py with `plan` in a process of its own and return its figures.

    Beside them, for each of `pids` (the studio's processes): the highest resident memory
    sampled every half second meanwhile (`rss_max_sampled_mib`) and the share of a core
    it used over the crowd's life (`cpu_percent`); `this_process_cpu_percent` is this
    process's own (the scaled shape's balancer runs in it), `machine_busy_percent` the
    share of all the machine's cores that were busy, whoever used them."""
    with tempfile.TemporaryDirectory(prefix="studio-crowd-") as folder:
        plan_path, out_path = Path(folder, "plan.json"), Path(folder, "figures.json")
        plan_path.write_text(json.dumps(plan))
        cpu = {pid: cpu_seconds(pid) for pid in pids}
        own_cpu, began, ticks = time.process_time(), time.monotonic(), machine_ticks()
        crowd = subprocess.Popen(
            [sys.executable, str(ROOT / "benchmarks" / "crowd.py"), str(plan_path), str(out_path)],
            cwd=ROOT,
        )
        highest = dict.fromkeys(pids, 0)
        while crowd.poll() is None:
            for pid in pids:
                highest[pid] = max(highest[pid], memory_kib(pid).get("VmRSS", 0))
            time.sleep(0.5)
        seconds = time.monotonic() - began
        busy, total = (now - then for now, then in zip(machine_ticks(), ticks, strict=True))
        if crowd.returncode:
            raise RuntimeError(f"the crowd exited with {crowd.returncode}")
        figures = json.loads(out_path.read_text())
    figures["rss_max_sampled_mib"] = [round(kib / 1024, 1) for kib in highest.values()]
    figures["cpu_percent"] = [
        round((cpu_seconds(pid) - cpu[pid]) / seconds * 100, 1) for pid in pids
    ]
    figures["machine_busy_percent"] = round(busy / total * 100, 1)
    figures["this_process_cpu_percent"] = round((time.process_time() - own_cpu) / seconds * 100, 1)
    return figures
