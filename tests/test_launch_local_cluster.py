"""scripts/launch_local_cluster.py: TF_CONFIG per task, prefixed output, status, the hard kill."""

import importlib.util
import io
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
spec = importlib.util.spec_from_file_location(
    "launch_local_cluster", os.path.join(ROOT, "scripts", "launch_local_cluster.py"))
launcher = importlib.util.module_from_spec(spec)
spec.loader.exec_module(launcher)

SHOW_TASK = ("import json, os, sys; c = json.loads(os.environ['TF_CONFIG']); "
             "print(json.dumps(c)); sys.exit(3 if c['task'] == {'type': 'worker', 'index': 1} "
             "else 0)")


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
