"""Run every bench/bench_*.py at its default (short) size, one after another, printing their output.

`make bench` calls this. A benchmark that fails while no trained model exists is reported as skipped
(`make model` trains one); any other failure makes this script fail too.

    .venv/bin/python bench/run_all.py
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from rexian.config import get_settings

BENCH_DIR = Path(__file__).resolve().parent


def main() -> int:
    model = get_settings().model_dir / "classifier.joblib"
    failed: list[str] = []
    for script in sorted(BENCH_DIR.glob("bench_*.py")):
        print(f"=== {script.name}", flush=True)
        started = time.monotonic()
        code = subprocess.run([sys.executable, str(script)], cwd=BENCH_DIR.parent, check=False).returncode
        took = time.monotonic() - started
        if code == 0:
            print(f"=== {script.name}: done in {took:.0f} s\n", flush=True)
        elif not model.exists():
            print(f"=== {script.name}: skipped, it needs a trained model ({model} is missing; make model)\n")
        else:
            print(f"=== {script.name}: FAILED with exit code {code} after {took:.0f} s\n")
            failed.append(script.name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
