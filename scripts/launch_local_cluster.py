#!/usr/bin/env python3
"""Start a TensorFlow cluster on this machine: N workers (and ps tasks) on 127.0.0.1.

    python scripts/launch_local_cluster.py --workers 2 -- \\
        tfmodels train binary4 --track keras --strategy multiworker
    python scripts/launch_local_cluster.py --workers 2 --ps 1 --time-limit 120 -- \\
        tfmodels train binary4 --track tf1 --strategy multiworker

Each task runs the same command with its own `TF_CONFIG` (the cluster of free loopback ports, and
its task) - what each machine of a real cluster gets, with real host names in place of
127.0.0.1. Output is streamed line by line with a `[worker 0]` prefix. Every task runs in a
process group of its own; at the time limit, when the workers are done (a ps task serves
forever), or as soon as any task fails (a worker that exits non-zero, a ps task that exits at
all: the workers would wait for it until the time limit), the groups are killed with SIGKILL: a
worker waiting in the strategy's constructor for a peer that never came ignores SIGTERM. The
launcher's own end takes the tasks with it, even a `kill -9` (each task has the kernel's
parent-death signal). Exit status: 0 when every worker succeeded, 124 at the time limit, else
the first failed task's status (1 for a signal, or for a ps task that exited 0).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

TIMED_OUT = 124


def free_ports(n: int) -> list[int]:
    """`n` distinct ports free on 127.0.0.1 (held open together while choosing)."""
    sockets = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def cluster_spec(workers: int, ps: int = 0) -> dict:
    ports = free_ports(workers + ps)
    spec = {"worker": [f"127.0.0.1:{p}" for p in ports[:workers]]}
    if ps:
        spec["ps"] = [f"127.0.0.1:{p}" for p in ports[workers:]]
    return spec


def _stream(pipe, prefix: str, out) -> None:
    for line in iter(pipe.readline, ""):
        out.write(f"{prefix} {line}" if line.endswith("\n") else f"{prefix} {line}\n")
        out.flush()
    pipe.close()


# Loaded here, in the launcher: the child between fork and exec must not import anything.
_LIBC = ctypes.CDLL(None) if sys.platform == "linux" else None
_PR_SET_PDEATHSIG = 1


def _die_with_parent(launcher: int) -> None:
    """In the task, before exec: SIGKILL when the launcher dies (Linux's PR_SET_PDEATHSIG), so
    that even `kill -9` of the launcher leaves no task behind."""
    _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != launcher:  # the launcher died before the signal was set up
        os._exit(1)


def _on_sigterm(signum, frame):
    raise SystemExit(128 + signum)  # unwinds through launch()'s cleanup


def _kill(proc) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def launch(command: list[str], workers: int, ps: int = 0, time_limit: float = 300.0,
           out=None, env=None) -> int:
    """Run `command` once per task; returns the exit status described in the module's note."""
    if workers < 1 or ps < 0:
        raise ValueError(f"--workers must be >= 1 and --ps >= 0, got {workers} and {ps}")
    if not command:
        raise ValueError("no command to run; put it after --")
    out = out or sys.stdout
    cluster = cluster_spec(workers, ps)
    procs, threads, launcher = [], [], os.getpid()
    for kind in ("ps", "worker"):
        for index in range(len(cluster.get(kind, []))):
            task_env = {**(os.environ if env is None else env),
                        "TF_CONFIG": json.dumps({"cluster": cluster,
                                                 "task": {"type": kind, "index": index}}),
                        "PYTHONUNBUFFERED": "1"}
            proc = subprocess.Popen(command, env=task_env, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True,
                                    start_new_session=True,  # its own process group
                                    preexec_fn=(lambda: _die_with_parent(launcher))
                                    if _LIBC is not None else None)
            procs.append((kind, index, proc))
            t = threading.Thread(target=_stream, args=(proc.stdout, f"[{kind} {index}]", out),
                                 daemon=True)
            t.start()
            threads.append(t)
    deadline = time.monotonic() + time_limit
    status = 0
    try:
        running = [(kind, index, proc) for kind, index, proc in procs]
        while any(kind == "worker" for kind, _, _ in running) and not status:
            if time.monotonic() > deadline:
                out.write(f"[launcher] time limit of {time_limit:g} s reached: killing every "
                          f"task\n")
                status = TIMED_OUT
                break
            for kind, index, proc in list(running):
                code = proc.poll()
                if code is None:
                    continue
                running.remove((kind, index, proc))
                # A failed worker, or any ps task that ends (it serves until killed): the
                # others would wait for it until the time limit. Stop them all.
                if code != 0 or kind == "ps":
                    out.write(f"[launcher] {kind} {index} exited with status {code}: "
                              f"stopping the cluster\n")
                    status = code if code > 0 else 1
                    break
            time.sleep(0.1)
    finally:
        for _, _, proc in procs:  # the ps tasks, and any worker left at the time limit
            _kill(proc)
        for _, _, proc in procs:
            proc.wait()
        for t in threads:
            t.join(timeout=5)
    return status


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--ps", type=int, default=0, help="parameter servers (TF1 track)")
    parser.add_argument("--time-limit", type=float, default=300.0, metavar="SECONDS",
                        help="kill every task after this long (default: 300)")
    parser.add_argument("command", nargs=argparse.REMAINDER,
                        help="the command each task runs, after --")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return launch(command, args.workers, args.ps, args.time_limit)
    except ValueError as e:
        print(f"launch_local_cluster: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
