#!/usr/bin/env bash
# The GPU run, ready for a machine whose TensorFlow sees a GPU (sized for under 8 minutes on one
# H100 or H200):
#
#     bash benchmarks/gpu.sh [OUT]        # OUT: default runs/gpu-<host>-<date>
#
# 1. `tfmodels bench --device gpu`, the MLP and the digits convnet: both tracks, their Keras and
#    TF2 baselines, PyTorch on CUDA (when torch is installed) and the shape-aware floor, each in
#    a process of its own, 3 timed rounds; results as JSON in OUT.
# 2. `tfmodels compare` of every registered model on the GPU, each one's table in
#    OUT/compare-<model>.txt: cuDNN's convolutions and TF32 matmuls (on by default on Ampere
#    and later for TensorFlow, off for PyTorch) change the last bits, so these say how far the
#    tracks are apart on a GPU, model by model, beside the CPU's figures in the README.
#
# Without a GPU it stops at once in one line (exit 2) and writes nothing; OUT must not exist yet
# (a run never overwrites another). Each step's failure is said and the next step still runs;
# the exit status is that of the worst step.
set -uo pipefail
cd "$(dirname "$0")/.."

out="${1:-runs/gpu-$(hostname)-$(date +%Y-%m-%d-%H%M)}"
if [ -e "$out" ]; then
    echo "gpu.sh: $out exists; name a new folder (a run never overwrites another)" >&2
    exit 2
fi
gpus="$(python -c "import tensorflow as tf; print(len(tf.config.list_physical_devices('GPU')))" \
        2>/dev/null | tail -n 1)"
if [ -z "$gpus" ] || [ "$gpus" = "0" ]; then
    echo "gpu.sh: TensorFlow sees no GPU on this machine (tensorflow[and-cuda] and an NVIDIA" \
         "driver are needed); nothing was run" >&2
    exit 2
fi
mkdir -p "$out"
status=0
step() {  # step NAME COMMAND...: run it, say how it ended, go on
    local name="$1"; shift
    echo "== $name: $*"
    "$@" || { rc=$?; echo "== $name: exit $rc"; [ "$rc" -gt "$status" ] && status=$rc; }
}

step "bench mlp" tfmodels bench --device gpu --epochs 3 --out "$out"
step "bench cnn" tfmodels bench --device gpu --model cnn --epochs 3 --out "$out"
models="$(python -c "from tfmodels.core.registry import MODELS; print(' '.join(MODELS))")"
for model in $models; do
    echo "== compare $model"
    tfmodels compare "$model" --logdir "$out/logs" > "$out/compare-$model.txt" 2>&1 \
        || { rc=$?; echo "== compare $model: exit $rc"; [ "$rc" -gt "$status" ] && status=$rc; }
    tail -n 3 "$out/compare-$model.txt"
done
echo "== results in $out"
exit "$status"
