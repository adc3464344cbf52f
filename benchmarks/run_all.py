"""Run every benchmark and write benchmarks/results.json with the machine's description.

Each benchmark is a module in this folder with a `main() -> dict` that prints its own
table and returns its figures.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ["simulator", "pipeline", "realtime", "load", "soak"]


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


def main() -> None:
    sys.path.insert(0, str(HERE.parent))
    results = {"machine": machine(), "ran_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    for name in BENCHMARKS:
        print(f"\n== {name} ==")
        module = importlib.import_module(f"benchmarks.{name}")
        results[name] = module.main()
    out = HERE / "results.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nWrote {out}")


if __name__ == "__main__":
    main()
