"""Where a model trains: one module that turns `--strategy NAME` into devices and a strategy.

    configure_cpu_replicas(2)          # before TensorFlow has initialised its devices
    plan = resolve("auto")             # -> Plan(name="mirrored", devices=[...], ...)
    with plan.strategy().scope():      # the Keras track
        model = build_model(spec, weights)

Names: `auto` (a TPU if one is attached, else every GPU under `MirroredStrategy` when there are
several, else the one GPU, else the CPU; with `--cpu-replicas N` > 1, the N logical CPUs under
`MirroredStrategy`), `cpu`, `gpu` (one GPU), `mirrored` (all GPUs, else all logical CPUs), `tpu`
and `multiworker` (`MultiWorkerMirroredStrategy`, or a TF1 parameter-server cluster, from
`TF_CONFIG`).

Resolving never builds a strategy and never waits: the local devices come from
`tf.config.list_logical_devices` (instant), and a TPU address is checked with a plain socket
connection of a few seconds before TensorFlow is given it, so an unreachable TPU is an error
within seconds rather than a hang. Tests pass `devices` to fake a machine.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass, field

from tfmodels.core.checks import positive_int
from tfmodels.core.errors import UserError

__all__ = [
    "STRATEGIES", "DEVICE_TYPES", "TPU_CONNECT_TIMEOUT", "CPU_REPLICA_LIMIT",
    "configure_cpu_replicas", "shard",
    "list_devices", "Plan", "check_tpu_address", "read_tf_config", "resolve", "log_text",
    "TF1_PATTERNS", "tf1_pattern_for",
]

STRATEGIES = ("auto", "cpu", "gpu", "mirrored", "tpu", "multiworker")
DEVICE_TYPES = ("CPU", "GPU", "TPU")
TPU_CONNECT_TIMEOUT = 3.0  # seconds to reach a TPU's gRPC port before giving up


# The most logical CPUs one process is split into (each is a device with its own threads).
CPU_REPLICA_LIMIT = 1024


def configure_cpu_replicas(n: int) -> None:
    """Split the first CPU into `n` logical devices (`/device:CPU:0` ... `CPU:n-1`).

    Must run before TensorFlow initialises its devices (its first op, or any
    `list_logical_devices`); the command line does it before anything else. Asking again for the
    split already in place is fine; asking for another one afterwards is a one-line error.
    """
    n = positive_int("cpu_replicas", n)
    if n > CPU_REPLICA_LIMIT:  # a list of 2**31 device configurations would exhaust memory
        raise UserError(f"cpu_replicas={n}: at most {CPU_REPLICA_LIMIT} logical CPUs")
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(n)])
    except RuntimeError as e:  # "Virtual devices cannot be modified after being initialized"
        have = len(tf.config.list_logical_devices("CPU"))
        if have != n:
            raise UserError(f"cpu_replicas={n}: TensorFlow has already initialised its "
                            f"devices with {have} logical CPU(s); set it before any "
                            f"TensorFlow op runs") from e


def shard(t, k: int, i):
    """Rows of the global batch `t` for replica `i` of `k` (an int or a tensor), contiguous, in
    order, the first `n % k` replicas one row more (NumPy's `array_split`). Both tracks cut a
    global batch with it (tf1_compat/distribute.py, tfmodels/keras_track/distribute.py)."""
    import tensorflow as tf

    n = tf.shape(t, out_type=tf.int32)[0]
    i = tf.cast(i, tf.int32)
    base, extra = n // k, n % k
    start = i * base + tf.minimum(i, extra)
    return t[start:start + base + tf.cast(i < extra, tf.int32)]


def list_devices() -> dict:
    """`{"CPU": [names], "GPU": [...], "TPU": [...]}` of the logical devices, at once."""
    import tensorflow as tf

    return {kind: [d.name for d in tf.config.list_logical_devices(kind)]
            for kind in DEVICE_TYPES}


@dataclass
class Plan:
    """A resolved strategy: its name, the devices it replicates over, and how to build it."""

    name: str  # one of STRATEGIES except "auto"
    devices: list  # device names, e.g. ["/device:CPU:0", "/device:CPU:1"]
    reason: str = ""  # why `auto` chose it
    tpu: str | None = None  # a TPU address, for "tpu"
    cluster: dict | None = field(default=None, repr=False)  # TF_CONFIG, for "multiworker"
    _strategy: object = field(default=None, repr=False)

    @property
    def replicas(self) -> int:
        """Replicas in sync in this process (workers add theirs in multiworker)."""
        return len(self.devices)

    @property
    def distributed(self) -> bool:
        """More than one replica: the TF1 track needs one of its distributed builders."""
        return self.name in ("mirrored", "multiworker", "tpu")

    @property
    def task(self) -> tuple[str, int]:
        """This process's (type, index) in the cluster; ("chief", 0) outside a cluster."""
        if not self.cluster:
            return "chief", 0
        task = self.cluster.get("task", {})
        return task.get("type", "worker"), int(task.get("index", 0))

    @property
    def is_chief(self) -> bool:
        """The process that writes the shared logs: the chief, else worker 0."""
        kind, index = self.task
        if kind == "chief":
            return True
        has_chief = bool(self.cluster and self.cluster.get("cluster", {}).get("chief"))
        return kind == "worker" and index == 0 and not has_chief

    def describe(self) -> str:
        where = ", ".join(self.devices)
        text = f"strategy {self.name} on {self.replicas} device(s): {where}"
        if self.name == "multiworker":
            kind, index = self.task
            workers = self.cluster.get("cluster", {})
            text += (f"; cluster {', '.join(f'{len(v)} {k}' for k, v in workers.items())}, "
                     f"this is {kind} {index}")
        return text + (f" ({self.reason})" if self.reason else "")

    def strategy(self):
        """The `tf.distribute.Strategy`, built on first use and then shared by every plan of
        the same name and devices in this process.

        Sharing is not an optimisation: two `MirroredStrategy` objects over the same devices
        number their collective all-reduces alike (instance keys from 100), so a second one
        that trains a model of another size aborts with "Shape mismatch in the collective
        instance 100" (measured on TF 2.21, CPU).
        """
        if self._strategy is None:
            key = (self.name, tuple(self.devices), self.tpu)
            if key not in _STRATEGIES:
                _STRATEGIES[key] = _build_strategy(self)
            self._strategy = _STRATEGIES[key]
        return self._strategy


_STRATEGIES: dict = {}


def _build_strategy(plan: Plan):
    import tensorflow as tf

    if plan.name in ("cpu", "gpu"):
        return tf.distribute.OneDeviceStrategy(plan.devices[0])
    if plan.name == "mirrored":
        return tf.distribute.MirroredStrategy(plan.devices)
    if plan.name == "multiworker":
        # Reads TF_CONFIG. A worker whose peers never come waits here: launch it with the others
        # (scripts/launch_local_cluster.py, with its time limit).
        return tf.distribute.MultiWorkerMirroredStrategy()
    if plan.name == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=plan.tpu or "local")
        if plan.tpu:
            tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    raise UserError(f"unknown strategy {plan.name!r}; expected one of: {', '.join(STRATEGIES)}")


def _devices_line(devices: dict) -> str:
    return ", ".join(f"{len(devices.get(k, []))} {k}" for k in DEVICE_TYPES)


def check_tpu_address(address: str, timeout: float = TPU_CONNECT_TIMEOUT) -> None:
    """A `grpc://host:port` (or `host:port`) that answers a TCP connection within `timeout`."""
    target = address.split("://", 1)[-1]
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise UserError(f"tpu={address!r}: expected grpc://HOST:PORT or a TPU name")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as e:
        raise UserError(f"tpu={address!r}: cannot reach the TPU within {timeout:g} s "
                        f"({e.strerror or type(e).__name__}); check the address and that the "
                        f"TPU is running") from e


def read_tf_config(environ=None) -> dict:
    """TF_CONFIG as a dict; one line saying what is wrong where it is missing or malformed."""
    environ = os.environ if environ is None else environ
    text = environ.get("TF_CONFIG")
    if not text:
        raise UserError("strategy=multiworker needs TF_CONFIG (cluster and task) in the "
                        "environment; scripts/launch_local_cluster.py sets it for local runs")
    try:
        config = json.loads(text)
    except json.JSONDecodeError as e:
        raise UserError(f"TF_CONFIG is not JSON ({e.msg} at {e.pos})") from e
    cluster, task = config.get("cluster"), config.get("task")
    if not isinstance(cluster, dict) or not isinstance(task, dict):
        raise UserError("TF_CONFIG needs a 'cluster' object and a 'task' object, got keys "
                        f"{sorted(config)}")
    kind, index = task.get("type"), task.get("index")
    if kind not in cluster or not isinstance(index, int) or not 0 <= index < len(cluster[kind]):
        raise UserError(f"TF_CONFIG task {task} is not in its cluster "
                        f"({', '.join(f'{k}: {len(v)}' for k, v in cluster.items())})")
    return config


def resolve(name: str = "auto", *, devices: dict | None = None, tpu: str | None = None,
            environ=None) -> Plan:
    """The `Plan` for strategy `name` on this machine (or on `devices`, a faked machine)."""
    if name not in STRATEGIES:
        raise UserError(f"unknown strategy {name!r}; expected one of: {', '.join(STRATEGIES)}")
    if name == "multiworker":
        # No device listing here: MultiWorkerMirroredStrategy must be built before TensorFlow
        # initialises its context ("Collective ops must be configured at program startup").
        config = read_tf_config(environ)
        local = (devices or {}).get("GPU") or ["/device:CPU:0"]
        return Plan("multiworker", list(local), cluster=config)
    devices = list_devices() if devices is None else devices
    cpus, gpus, tpus = (list(devices.get(k, [])) for k in DEVICE_TYPES)
    if name == "auto":
        if tpus or tpu:
            plan = resolve("tpu", devices=devices, tpu=tpu)
            plan.reason = "auto: a TPU is attached"
        elif len(gpus) > 1:
            plan = Plan("mirrored", gpus, "auto: several GPUs")
        elif gpus:
            plan = Plan("gpu", gpus[:1], "auto: one GPU")
        elif len(cpus) > 1:
            plan = Plan("mirrored", cpus, "auto: no GPU, several logical CPUs")
        else:
            plan = Plan("cpu", cpus[:1], "auto: no GPU or TPU")
        return plan
    if name == "cpu":
        return Plan("cpu", cpus[:1])
    if name == "gpu":
        if not gpus:
            raise UserError(f"strategy=gpu: TensorFlow sees no GPU on this machine "
                            f"({_devices_line(devices)}); use strategy=cpu or auto")
        return Plan("gpu", gpus[:1])
    if name == "mirrored":
        return Plan("mirrored", gpus if gpus else cpus)
    if name == "tpu":
        if tpu:
            check_tpu_address(tpu)
            return Plan("tpu", [tpu], tpu=tpu)
        if not tpus:
            raise UserError(f"strategy=tpu: no TPU is attached ({_devices_line(devices)}); "
                            f"pass tpu=grpc://HOST:PORT for a remote one, or use strategy=auto")
        return Plan("tpu", tpus)
    raise AssertionError(name)  # every name is handled above


def log_text(log_dir: str, plan: Plan) -> None:
    """The chosen strategy and its devices, as a TensorBoard text summary in `<log_dir>/train`."""
    import tensorflow as tf

    writer = tf.summary.create_file_writer(os.path.join(log_dir, "train"))
    with writer.as_default():
        tf.summary.text("strategy", plan.describe(), step=0)
    writer.close()


# How the TF1 track uses several devices of one process, and a ps/worker cluster.
TF1_PATTERNS = {"devices": ("towers", "strategy"), "multiworker": ("sync", "async")}


def tf1_pattern_for(plan: Plan, tf1_pattern: str | None) -> str:
    """The TF1 pattern `plan` runs in: the one asked for (checked), else the first listed."""
    kind = "multiworker" if plan.name == "multiworker" else "devices"
    if tf1_pattern is None:
        return TF1_PATTERNS[kind][0]
    if tf1_pattern not in TF1_PATTERNS[kind]:
        raise UserError(f"tf1_pattern={tf1_pattern} does not apply to strategy={plan.name}; "
                        f"expected one of: {', '.join(TF1_PATTERNS[kind])}")
    return tf1_pattern
