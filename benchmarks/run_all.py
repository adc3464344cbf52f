"""Run every benchmark and write benchmarks/results.json with the machine's description.

Each benchmark is a module in this folder with a `main() -> dict` that prints its own
table and returns its figures. Each runs in a fresh interpreter of its own: one that
sets Django up in process (realtime.py does) must leave nothing behind, threads, heap or
settings, in the process that then loads the next one's server.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ["simulator", "pipeline", "realtime", "load", "soak", "socket_watch", "uploads"]
BENCHMARKS.append("comment_push")
BENCHMARKS.append("handoff")


def machine() -> dict:
    memory_kb = 0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    cpu = platform.processor()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def run(name: str) -> dict:
    """`benchmarks.<name>.main()` in a child interpreter; its figures come back as JSON."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        program = (
            "import json, sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
            f"from benchmarks import {name}; "
            f"Path(sys.argv[2]).write_text(json.dumps({name}.main()))"
        )
        subprocess.run(
            [sys.executable, "-c", program, str(HERE.parent), out.name], cwd=HERE.parent, check=True
        )
        return json.loads(Path(out.name).read_text())


def main() -> None:
    results = {"machine": machine(), "ran_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    for name in BENCHMARKS:
        print(f"\n== {name} ==", flush=True)
        results[name] = run(name)
    out = HERE / "results.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nWrote {out}")


if __name__ == "__main__":
    main()
