"""scripts/launch_local_cluster.py: TF_CONFIG per task, prefixed output, status, the hard kill."""

import importlib.util
import io
import json
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# the launcher chooses free ports for its tasks (xdist group "ports": one such test at a time,
# tests/conftest.py)
pytestmark = pytest.mark.xdist_group("ports")
spec = importlib.util.spec_from_file_location(
    "launch_local_cluster", os.path.join(ROOT, "scripts", "launch_local_cluster.py"))
launcher = importlib.util.module_from_spec(spec)
spec.loader.exec_module(launcher)

# A ps task serves until it is killed; worker 1 fails.
SHOW_TASK = ("import json, os, sys, time; c = json.loads(os.environ['TF_CONFIG']); "
             "print(json.dumps(c), flush=True); c['task']['type'] == 'ps' and time.sleep(60); "
             "sys.exit(3 if c['task'] == {'type': 'worker', 'index': 1} else 0)")


def test_each_task_gets_its_tf_config_on_loopback_and_a_failure_is_reported():
    out = io.StringIO()
    status = launcher.launch([sys.executable, "-c", SHOW_TASK], workers=2, ps=1,
                             time_limit=60, out=out)
    assert status == 3
    configs = {}
    for line in out.getvalue().splitlines():
        if line.startswith("[") and "{" in line:
            prefix, text = line.split("] ", 1)
            configs[prefix + "]"] = json.loads(text)
    assert set(configs) == {"[ps 0]", "[worker 0]", "[worker 1]"}
    cluster = configs["[worker 0]"]["cluster"]
    addresses = cluster["worker"] + cluster["ps"]
    assert all(a.startswith("127.0.0.1:") for a in addresses) and len(set(addresses)) == 3
    assert all(c["cluster"] == cluster for c in configs.values())
    assert configs["[worker 1]"]["task"] == {"type": "worker", "index": 1}
    assert "[launcher] worker 1 exited with status 3" in out.getvalue()


def test_a_task_that_ignores_sigterm_is_killed_at_the_time_limit(tmp_path):
    pid_file = tmp_path / "pid"
    stubborn = ("import os, signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                f"open({str(pid_file)!r}, 'w').write(str(os.getpid())); print('waiting'); "
                "time.sleep(600)")
    out = io.StringIO()
    status = launcher.launch([sys.executable, "-c", stubborn], workers=1, time_limit=2,
                             out=out)
    assert status == launcher.TIMED_OUT
    assert "[worker 0] waiting" in out.getvalue() and "time limit of 2 s" in out.getvalue()
    pid = int(pid_file.read_text())
    try:
        os.kill(pid, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive


def test_usage_errors():
    assert launcher.main(["--workers", "0", "--", "true"]) == 2
    assert launcher.main(["--workers", "1"]) == 2  # no command
    assert launcher.main(["--workers", "1", "--", sys.executable, "-c", "pass"]) == 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_ps_task_that_ends_stops_the_cluster_at_once():
    """Workers would wait for a lost ps until the time limit (143 s measured): not any more."""
    tasks = ("import json, os, time; t = json.loads(os.environ['TF_CONFIG'])['task']; "
             "print('up', flush=True); time.sleep(1 if t['type'] == 'ps' else 120)")
    out = io.StringIO()
    import time

    start = time.monotonic()
    status = launcher.launch([sys.executable, "-c", tasks], workers=2, ps=1, time_limit=100,
                             out=out)
    assert time.monotonic() - start < 30
    assert status == 1
    assert "[launcher] ps 0 exited with status 0: stopping the cluster" in out.getvalue()


def test_the_launchers_death_takes_every_task_with_it(tmp_path):
    """Even `kill -9` of the launcher leaves no task behind (before: the ps task lived on)."""
    import signal
    import subprocess
    import time

    record = ("import os, sys, time; "
              f"open(os.path.join({str(tmp_path)!r}, str(os.getpid())), 'w').close(); "
              "time.sleep(120)")
    launcher_proc = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "scripts", "launch_local_cluster.py"), "--workers",
         "2", "--ps", "1", "--time-limit", "100", "--", sys.executable, "-c", record],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            if len(os.listdir(tmp_path)) == 3:
                break
            time.sleep(0.1)
        pids = [int(name) for name in os.listdir(tmp_path)]
        assert len(pids) == 3 and all(_alive(p) for p in pids)
        launcher_proc.send_signal(signal.SIGKILL)
        launcher_proc.wait(timeout=30)
        for _ in range(100):
            if not any(_alive(p) for p in pids):
                break
            time.sleep(0.1)
        assert not [p for p in pids if _alive(p)]
    finally:
        launcher_proc.kill()
        for name in os.listdir(tmp_path):
            try:
                os.kill(int(name), signal.SIGKILL)
            except ProcessLookupError:
                pass
