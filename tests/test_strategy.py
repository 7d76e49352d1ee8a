"""Strategy resolution on faked machines, and the errors a user gets, each one line and none
left hanging (a call that outlives a generous bound fails the test; nothing is timed)."""

import json
import socket
import subprocess
import sys
import threading

import pytest

from tfmodels.core.strategy import (
    STRATEGIES,
    Plan,
    check_tpu_address,
    read_tf_config,
    resolve,
    tf1_pattern_for,
)

HANG_SECONDS = 120  # not a speed limit: what a call that has not come back by then is, hung


def without_hanging(call):
    """`call()`'s result (or its exception) if it comes back within HANG_SECONDS; fails if not,
    leaving the call to finish in a daemon thread."""
    outcome = {}

    def run():
        try:
            outcome["value"] = call()
        except BaseException as e:  # handed to the test's thread
            outcome["error"] = e

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(HANG_SECONDS)
    assert not thread.is_alive(), f"still waiting after {HANG_SECONDS} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


CPU = ["/device:CPU:0"]
CPU2 = ["/device:CPU:0", "/device:CPU:1"]
GPU1 = ["/device:GPU:0"]
GPU4 = [f"/device:GPU:{i}" for i in range(4)]
TPU8 = [f"/device:TPU:{i}" for i in range(8)]


@pytest.mark.parametrize("machine, name, devices", [
    ({"CPU": CPU}, "cpu", CPU),
    ({"CPU": CPU2}, "mirrored", CPU2),  # --cpu-replicas 2 on a laptop
    ({"CPU": CPU, "GPU": GPU1}, "gpu", GPU1),
    ({"CPU": CPU, "GPU": GPU4}, "mirrored", GPU4),
    ({"CPU": CPU, "GPU": GPU4, "TPU": TPU8}, "tpu", TPU8),  # a TPU wins over GPUs
    ({"CPU": CPU2, "GPU": GPU1}, "gpu", GPU1),  # a GPU wins over split CPUs
])
def test_auto_picks_tpu_then_gpus_then_gpu_then_cpu(machine, name, devices):
    plan = resolve("auto", devices=machine)
    assert (plan.name, plan.devices) == (name, devices)
    assert plan.reason.startswith("auto: ")
    assert name in plan.describe() and devices[0] in plan.describe()


def test_named_strategies_on_a_gpu_machine():
    machine = {"CPU": CPU, "GPU": GPU4}
    assert resolve("cpu", devices=machine).devices == CPU
    assert resolve("gpu", devices=machine).devices == ["/device:GPU:0"]
    assert resolve("mirrored", devices=machine).devices == GPU4
    assert resolve("mirrored", devices={"CPU": CPU}).devices == CPU  # one replica, still fine


def test_unknown_name_lists_the_options():
    with pytest.raises(ValueError) as err:
        resolve("gpus", devices={"CPU": CPU})
    assert str(err.value) == ("unknown strategy 'gpus'; expected one of: "
                              + ", ".join(STRATEGIES))


def test_gpu_without_one_is_a_one_line_error():
    with pytest.raises(ValueError, match=r"^strategy=gpu: TensorFlow sees no GPU .*1 CPU, "
                                         r"0 GPU, 0 TPU\); use strategy=cpu or auto$"):
        resolve("gpu", devices={"CPU": CPU})


def test_tpu_without_one_fails_at_once_on_the_real_machine():
    with pytest.raises(ValueError) as err:
        without_hanging(lambda: resolve("tpu"))  # this machine's real device list: no TPU
    assert "\n" not in str(err.value) and str(err.value).startswith("strategy=tpu: no TPU")


@pytest.mark.xdist_group("ports")  # no other worker binds the port meanwhile (conftest.py)
def test_unreachable_tpu_address_fails_within_seconds():
    with socket.socket() as s:  # a port nobody listens on: bound, then closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ValueError, match="cannot reach the TPU"):
        without_hanging(lambda: resolve("tpu", devices={"CPU": CPU},
                                        tpu=f"grpc://127.0.0.1:{port}"))
    with pytest.raises(ValueError, match="expected grpc://HOST:PORT"):
        check_tpu_address("grpc://nohost")


def test_cli_tpu_with_none_is_one_line_and_fast(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "tfmodels.cli", "train", "binary4",
                           "--strategy", "tpu", "--logdir", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("tfmodels: error:")]
    assert proc.returncode == 2 and lines == [lines[0]]
    assert "--strategy tpu: no TPU is attached" in lines[0]
    assert list(tmp_path.iterdir()) == []  # nothing written
    # fast: no waiting for a TPU that is not there, only the 60 s timeout above as the bound


def test_multiworker_reads_tf_config():
    config = {"cluster": {"worker": ["127.0.0.1:1", "127.0.0.1:2"]},
              "task": {"type": "worker", "index": 1}}
    plan = resolve("multiworker", devices={"CPU": CPU},
                   environ={"TF_CONFIG": json.dumps(config)})
    assert plan.task == ("worker", 1) and not plan.is_chief
    assert "this is worker 1" in plan.describe()
    config["task"]["index"] = 0
    assert Plan("multiworker", CPU, cluster=config).is_chief
    with_chief = {"cluster": {"chief": ["h:1"], "worker": ["h:2"]},
                  "task": {"type": "worker", "index": 0}}
    assert not Plan("multiworker", CPU, cluster=with_chief).is_chief
    assert Plan("cpu", CPU).is_chief  # outside a cluster, the one process writes the logs


@pytest.mark.parametrize("text, message", [
    (None, "needs TF_CONFIG"),
    ("{not json", "TF_CONFIG is not JSON"),
    ('{"cluster": {}}', "needs a 'cluster' object and a 'task' object"),
    ('{"cluster": {"worker": ["h:1"]}, "task": {"type": "worker", "index": 3}}',
     "is not in its cluster"),
])
def test_bad_tf_config_is_one_line(text, message):
    environ = {} if text is None else {"TF_CONFIG": text}
    with pytest.raises(ValueError, match=message):
        read_tf_config(environ)


@pytest.mark.parametrize("name, asked, chosen", [
    ("mirrored", None, "towers"), ("mirrored", "strategy", "strategy"),
    ("multiworker", None, "sync"), ("multiworker", "async", "async")])
def test_tf1_pattern_defaults_per_kind_of_strategy(name, asked, chosen):
    assert tf1_pattern_for(Plan(name, ["/device:CPU:0"]), asked) == chosen


@pytest.mark.parametrize("name, asked, expected", [
    ("mirrored", "async", "towers, strategy"), ("multiworker", "towers", "sync, async")])
def test_tf1_pattern_that_does_not_apply_is_one_line(name, asked, expected):
    with pytest.raises(ValueError, match=rf"^tf1_pattern={asked} does not apply to "
                                         rf"strategy={name}; expected one of: {expected}$"):
        tf1_pattern_for(Plan(name, ["/device:CPU:0"]), asked)
