"""`python -m cronjob_doctor_sandbox`: run the simulated cluster in the foreground for kubectl and manual tries.

Prints the kubeconfig path and the `export KUBECONFIG=...` line, then serves until Ctrl-C. It never touches the
user's own kubeconfig.
"""

from __future__ import annotations

import argparse
import signal
import tempfile
import threading
from pathlib import Path

from . import Sandbox


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cronjob_doctor_sandbox",
                                     description="Run the simulated Kubernetes cluster on 127.0.0.1.")
    parser.add_argument("--seed", default="incident", help="initial cluster state (default: incident)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    parser.add_argument("--time-scale", type=float, default=0.02,
                        help="real seconds per simulated second for the controllers (default: 0.02)")
    parser.add_argument("--kubeconfig", type=Path, default=None,
                        help="where to write the kubeconfig (default: a new temporary file)")
    args = parser.parse_args(argv)
    sandbox = Sandbox(seed=args.seed, time_scale=args.time_scale, port=args.port).start()
    path = args.kubeconfig or Path(tempfile.mkdtemp(prefix="cronjob-doctor-sandbox-")) / "kubeconfig"
    sandbox.write_kubeconfig(path)
    print(f"sandbox API server listening on {sandbox.url} (seed: {args.seed})")
    print(f"kubeconfig: {path}")
    print(f"export KUBECONFIG={path}", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
