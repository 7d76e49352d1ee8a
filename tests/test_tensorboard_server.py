"""The tour's logs through a real `tensorboard` server and its HTTP data API.

`scripts/tensorboard_tour.py` writes one of everything into a temporary folder; a `tensorboard`
process serves it on 127.0.0.1 at a free port, and the tests ask it what a browser would. The
routes are the ones TensorBoard's plugins register (`get_plugin_apps` in
`tensorboard/plugins/{scalar,graph,image,histogram,hparams}/*_plugin.py`), under `/data/plugin/`.
The server runs in a process group of its own, so stopping the group stops its data-server child
too; the fixture checks that nothing of it is left.
"""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import numpy as np
import pytest

from tests.helpers import ROOT, Server, event_runs, free_port, read, stop_group, tail

# two processes: the tour, then the server, at a port chosen here (xdist group "ports":
# one such test at a time, tests/conftest.py)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ports")]

SERVER_START_SECONDS = 90


@pytest.fixture(scope="module")
def tour(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("tour")
    start = time.monotonic()
    done = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "tensorboard_tour.py"),
                           "--logdir", str(logdir)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return str(logdir), time.monotonic() - start


@pytest.fixture(scope="module")
def server(tour, tmp_path_factory):
    logdir, _ = tour
    expected = event_runs(logdir)
    port = free_port()
    log = open(tmp_path_factory.mktemp("server") / "tensorboard.log", "w+")
    exe = os.path.join(os.path.dirname(sys.executable), "tensorboard")
    process = subprocess.Popen([exe, "--logdir", logdir, "--host", "127.0.0.1",
                                "--port", str(port)],
                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               start_new_session=True)  # a process group of its own
    try:
        server = Server(port)
        deadline = time.monotonic() + SERVER_START_SECONDS
        runs = None
        while time.monotonic() < deadline:  # up, and done with its first load of every run
            assert process.poll() is None, tail(log)
            try:
                runs = set(server.get("/runs"))
                if runs >= expected:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.5)
        assert runs is not None and runs >= expected, (runs, tail(log))
        yield server, logdir
    finally:
        stopped = stop_group(process)
        log.close()
        assert stopped, "the tensorboard process group outlived SIGKILL"


def the_run(runs, model, track_split):
    (run,) = [r for r in runs if r.startswith(model + "/") and r.endswith("/" + track_split)
              and "-lr" not in r]
    return run


def test_the_tour_writes_one_of_everything(tour):
    logdir, seconds = tour
    print(f"the tour took {seconds:.0f} s (about 35 s on 2 cores)")
    runs = event_runs(logdir)
    for model in ("mnist_mlp", "spiral", "sine"):
        for run in ("keras/train", "keras/validation", "tf1/train", "tf1/validation", "parity"):
            the_run(runs, model, run)
    assert len([r for r in runs if "-lr" in r and r.endswith("/validation")]) == 8


def test_server_serves_both_tracks_runs_and_scalars(server):
    server, logdir = server
    assert set(server.get("/runs")) == event_runs(logdir)
    tags = server.get("/plugin/scalars/tags")
    runs = list(tags)
    served = {}
    for track in ("keras", "tf1"):
        train = the_run(runs, "mnist_mlp", f"{track}/train")
        validation = the_run(runs, "mnist_mlp", f"{track}/validation")
        assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate", "batch_loss"} <= set(
            tags[train])
        assert {"epoch_loss", "evaluation_loss_vs_iterations"} <= set(tags[validation])
        rows = server.get("/plugin/scalars/scalars", run=train, tag="epoch_loss")
        steps, values = [r[1] for r in rows], [r[2] for r in rows]
        assert steps == [0, 1, 2]
        _, on_disk = read(os.path.join(logdir, train))
        assert values == [v for _, v in on_disk["epoch_loss"]]  # what the files hold
        batches = server.get("/plugin/scalars/scalars", run=train, tag="batch_loss")
        assert [r[1] for r in batches] == list(range(1, len(batches) + 1))
        served[track] = values
    np.testing.assert_allclose(served["keras"], served["tf1"], rtol=1e-5)
    parity = the_run(runs, "mnist_mlp", "parity")
    assert "parity/loss_abs_diff" in tags[parity]
    diffs = server.get("/plugin/scalars/scalars", run=parity, tag="parity/loss_abs_diff")
    np.testing.assert_allclose([r[2] for r in diffs],
                               np.abs(np.subtract(served["keras"], served["tf1"])), atol=1e-7)


def test_server_serves_both_tracks_graphs(server):
    server, _ = server
    info = server.get("/plugin/graphs/info")
    runs = list(info)
    tf1 = info[the_run(runs, "mnist_mlp", "tf1/train")]
    assert tf1["run_graph"] is True  # FileWriter(logdir, graph)
    assert {"step_2", "step_3", "step_4"} <= {t for t, v in tf1["tags"].items() if v["profile"]}
    keras = info[the_run(runs, "mnist_mlp", "keras/train")]
    assert keras["run_graph"] is True  # tf.summary.graph: what the Graphs tab opens on
    keras = keras["tags"]
    assert keras["keras"]["conceptual_graph"] is True
    assert keras["train_step"]["op_graph"] is True


def test_server_serves_histograms_and_pictures_of_both_tracks(server):
    server, _ = server
    histograms = server.get("/plugin/histograms/tags")
    images = server.get("/plugin/images/tags")
    for track in ("keras", "tf1"):
        train = the_run(list(histograms), "mnist_mlp", f"{track}/train")
        assert set(histograms[train]) == {"dense_0/kernel", "dense_0/bias", "dense_1/kernel",
                                          "dense_1/bias"}
        runs = list(images)
        for model, pictures in (("mnist_mlp", {"confusion_matrix", "misclassified_digits"}),
                                ("spiral", {"confusion_matrix", "decision_regions"}),
                                ("sine", {"sine_fit_linear_vs_relu"})):
            assert set(images[the_run(runs, model, f"{track}/validation")]) == pictures
        assert set(images[the_run(runs, "mnist_mlp", f"{track}/train")]) == {
            "activation_functions"}


def test_server_serves_the_sweep_to_hparams(server):
    server, logdir = server
    experiment = server.get("/plugin/hparams/experiment", request="{}")
    names = {h["name"] for h in experiment["hparamInfos"]}
    assert {"learning_rate", "batch_size", "track"} <= names
    request = {"startIndex": 0, "sliceSize": 100, "colParams": [], "includeMetrics": True,
               "allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE",
                                   "STATUS_RUNNING"]}
    groups = server.get("/plugin/hparams/session_groups", request=json.dumps(request))
    groups = groups["sessionGroups"]
    grid = {(g["hparams"]["learning_rate"], g["hparams"]["batch_size"]) for g in groups}
    assert grid == {(lr, b) for lr in (0.0001, 0.001, 0.01, 0.1) for b in (32.0, 128.0)}
    for group in groups:
        (session,) = group["sessions"]
        (val_loss,) = [m["value"] for m in group["metricValues"]
                       if m["name"] == {"group": "validation", "tag": "epoch_loss"}]
        _, on_disk = read(os.path.join(logdir, session["name"], "validation"))
        assert val_loss == pytest.approx(on_disk["epoch_loss"][-1][1])
