"""Any TF1 checkpoint into a Keras 3 model, and back (`tfmodels/migration/matching.py` and
`conversion.py`, `tfmodels convert --keras-model`): TF1 programs written here are trained a few
steps and saved with a `Saver`, then converted into Keras models of `examples/migrate_models.py`;
the Keras model must predict what the
TF1 graph predicts.

Tolerance: float32 throughout. The same weights through the same ops (dense, conv) give the same
outputs to within `ATOL` = 2e-6 (outputs of size ~1: a few ulps, for the two tracks' kernels and
op orders: batch norm's fused kernel vs Keras's formula, TF1's one matmul over `[x, h]` vs Keras's
two); a TF1 -> Keras -> TF1 round trip gives the very same checkpoint values, so bit-equal
outputs.
"""

import json
import os
import re
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import EXAMPLES, example
from tfmodels.cli import main
from tfmodels.core.errors import UserError
from tfmodels.migration.conversion import tf1_to_keras
from tfmodels.migration.matching import match, tf1_sources

v1 = tf.compat.v1
models = example("migrate_models.py")
ATOL = 2e-6
HELPER = os.path.join(EXAMPLES, "migrate_models.py")


def factory(name: str) -> str:
    return f"{HELPER}:{name}"


def tf1_program(folder, program, input_shape, optimizer="adam", **kwargs):
    """Train `program` 5 steps (with its optimizer's slots and batch norm's updates), save it with
    a `Saver`; returns (checkpoint prefix, test inputs, the graph's predictions on them)."""
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(32, *input_shape)).astype(np.float32)
    ys = rng.integers(0, 3, 32)
    x_test = rng.normal(size=(16, *input_shape)).astype(np.float32)
    graph = tf.Graph()
    with graph.as_default():
        v1.set_random_seed(1)
        x = v1.placeholder(tf.float32, (None, *input_shape))
        y = v1.placeholder(tf.int32, (None,))
        training = v1.placeholder_with_default(False, ())
        logits = program(x, training, **kwargs)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y,
                                                                              logits=logits))
        opt = (v1.train.AdamOptimizer(0.05) if optimizer == "adam"
               else v1.train.MomentumOptimizer(0.05, 0.9))
        with tf.control_dependencies(v1.get_collection(v1.GraphKeys.UPDATE_OPS)):
            step = opt.minimize(loss, global_step=v1.train.get_or_create_global_step())
        saver = v1.train.Saver()
        with v1.Session(graph=graph) as session:
            session.run(v1.global_variables_initializer())
            for _ in range(5):
                session.run(step, {x: xs, y: ys, training: True})
            prefix = saver.save(session, str(folder / "model.ckpt"), global_step=5)
            predictions = session.run(logits, {x: x_test})
    return prefix, x_test, predictions


def tf1_predict(prefix, program, x_test, **kwargs):
    """The TF1 program restored from `prefix` by its own `Saver`, run on `x_test`."""
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, (None, *x_test.shape[1:]))
        logits = program(x, False, **kwargs)
        with v1.Session(graph=graph) as session:
            v1.train.Saver().restore(session, prefix)
            return session.run(logits, {x: x_test})


def row(table: str, left: str, arrow: str, right: str) -> str:
    """The table's line `left arrow right ...` (columns apart by spaces), or ''."""
    found = re.search(rf"^{re.escape(left)} +{arrow} +{re.escape(right)}( .*)?$", table, re.M)
    return found.group(0) if found else ""


def keras_predict(path, x, model=None):
    if path.endswith(".keras"):
        model = keras.saving.load_model(path, safe_mode=True, compile=False)
    else:
        model = models.__dict__[model]()
        model.load_weights(path)
    return np.asarray(model(x, training=False))


@pytest.fixture(scope="module")
def convnet(tmp_path_factory):
    return tf1_program(tmp_path_factory.mktemp("convnet"), models.convnet_tf1, models.IMAGE)


@pytest.fixture(scope="module")
def mlp(tmp_path_factory):
    return tf1_program(tmp_path_factory.mktemp("mlp"), models.mlp_tf1, (4,), "momentum")


def convert(*args):
    return main(["convert", "--from", "tf1", "--to", "keras", *map(str, args)])


def test_convnet_checkpoint_into_a_keras_factory_predicts_the_same(capsys, tmp_path, convnet):
    """conv2d, batch norm (its moving averages moved by training) and dense, matched by name;
    Adam's slots, beta1_power and global_step skipped."""
    prefix, x, predictions = convnet
    out = str(tmp_path / "convnet.keras")
    assert convert(prefix, out, "--keras-model", factory("convnet")) == 0
    printed = capsys.readouterr().out
    for name in ["conv2d/kernel", "batch_normalization/moving_variance", "dense_1/bias"]:
        assert row(printed, name, "<-", name).endswith("name")
    assert "dense_1/bias/Adam_1" in printed and "optimizer slot" in printed
    assert "beta1_power" in printed and "global_step" in printed
    np.testing.assert_allclose(keras_predict(out, x), predictions, rtol=0, atol=ATOL)
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".tmp-")]


@pytest.mark.parametrize("fmt", [".keras", ".weights.h5"])
def test_hand_named_mlp_into_a_keras_file_matched_by_order_and_shape(tmp_path, mlp, fmt):
    """`W1`, `b1`, ... (Momentum's slots skipped) into a `.keras` file's model: the biases, two of
    one shape, go in the order of their numbers."""
    prefix, x, predictions = mlp
    keras_file = tmp_path / "empty.keras"
    models.mlp().save(keras_file)
    out = str(tmp_path / f"mlp{fmt}")
    assert convert(prefix, out, "--keras-model", keras_file) == 0
    np.testing.assert_allclose(keras_predict(out, x, "mlp"), predictions, rtol=0, atol=ATOL)


def test_lstm_checkpoint_into_keras_lstm_predicts_the_same(capsys, tmp_path_factory, tmp_path):
    """TF1's one kernel over [x, h] with gates i, c, f, o (and the forget bias added when run)
    into Keras's kernel, recurrent_kernel and bias, gates i, f, c, o."""
    prefix, x, predictions = tf1_program(tmp_path_factory.mktemp("lstm"), models.lstm_tf1,
                                         (models.STEPS, models.FEATURES))
    out = str(tmp_path / "lstm.keras")
    assert convert(prefix, out, "--keras-model", factory("lstm")) == 0
    assert "rnn/lstm_cell/kernel + rnn/lstm_cell/bias" in capsys.readouterr().out
    np.testing.assert_allclose(keras_predict(out, x), predictions, rtol=0, atol=ATOL)


@pytest.mark.parametrize("program, factory_name, table", [
    ("gru_tf1", "gru", "rnn/gru_cell/gates/kernel + rnn/gru_cell/gates/bias + "
                       "rnn/gru_cell/candidate/kernel + rnn/gru_cell/candidate/bias"),
    ("simple_rnn_tf1", "simple_rnn", "rnn/basic_rnn_cell/kernel + rnn/basic_rnn_cell/bias"),
    ("bidirectional_tf1", "bidirectional", "bidirectional_rnn/bw/lstm_cell/kernel"),
])
def test_gru_rnn_and_bidirectional_checkpoints_predict_the_same(capsys, tmp_path, program,
                                                                factory_name, table):
    """TF1's GRUCell into GRU(reset_after=False) (gates r, u -> z, r), BasicRNNCell into
    SimpleRNN (the kernel over [x, h] split), bidirectional_dynamic_rnn's fw and bw cells into a
    Bidirectional layer's forward and backward LSTMs, in that order."""
    prefix, x, predictions = tf1_program(tmp_path, getattr(models, program),
                                         (models.STEPS, models.FEATURES))
    out = str(tmp_path / "rnn.keras")
    assert convert(prefix, out, "--keras-model", factory(factory_name)) == 0
    printed = capsys.readouterr().out
    assert table in printed
    if program == "bidirectional_tf1":  # forward takes fw, backward takes bw
        assert re.search(r"^bidirectional/forward_lstm/lstm_cell/\S+ +<- +bidirectional_rnn/fw/",
                         printed, re.M)
        assert re.search(r"^bidirectional/backward_lstm/lstm_cell/\S+ +<- +bidirectional_rnn/bw/",
                         printed, re.M)
    np.testing.assert_allclose(keras_predict(out, x), predictions, rtol=0, atol=ATOL)


def round_trip(folder, tmp_path, program, port, graph):
    """`program` trained and saved, converted into `port` and back into TF1 through `graph`'s
    names: (the first checkpoint, the second, test inputs, the program's predictions)."""
    prefix, x, predictions = tf1_program(folder, program, (models.STEPS, models.FEATURES))
    keras_file = str(tmp_path / f"{port}.keras")
    assert convert(prefix, keras_file, "--keras-model", factory(port)) == 0
    back = str(tmp_path / "back" / "model.ckpt")
    assert main(["convert", "--from", "keras", "--to", "tf1", keras_file, back,
                 "--tf1-graph", factory(graph)]) == 0
    return tf.train.load_checkpoint(prefix), tf.train.load_checkpoint(back), back, x, predictions


def test_a_gru_round_trips_exactly(tmp_path):
    before, after, _, _, _ = round_trip(tmp_path, tmp_path, models.gru_tf1, "gru", "gru_graph")
    for name in ("gates/kernel", "gates/bias", "candidate/kernel", "candidate/bias"):
        np.testing.assert_array_equal(after.get_tensor(f"rnn/gru_cell/{name}"),
                                      before.get_tensor(f"rnn/gru_cell/{name}"))


def test_a_map_file_pairs_a_recurrent_layer_by_one_of_its_cells_variables(tmp_path):
    prefix, x, predictions = tf1_program(tmp_path, models.gru_tf1,
                                         (models.STEPS, models.FEATURES))
    (tmp_path / "map.json").write_text(json.dumps({"gru/gru_cell/kernel":
                                                   "rnn/gru_cell/candidate/kernel"}))
    out = str(tmp_path / "gru.keras")
    assert convert(prefix, out, "--keras-model", factory("gru"), "--map",
                   tmp_path / "map.json") == 0
    np.testing.assert_allclose(keras_predict(out, x), predictions, rtol=0, atol=ATOL)
    (tmp_path / "bad.json").write_text(json.dumps({"gru/gru_cell/kernel": "dense/kernel"}))
    with pytest.raises(UserError, match=r"map file: GRU gru/gru_cell takes the variables of one "
                                        r"TF1 gru_cell \(gates/kernel, gates/bias"):
        tf1_to_keras(prefix, factory("gru"), str(tmp_path / "bad.keras"),
                     str(tmp_path / "bad.json"), out=lambda *a: None)


def test_keras_default_gru_is_named_as_another_cell(capsys, tmp_path):
    prefix, _, _ = tf1_program(tmp_path, models.gru_tf1, (models.STEPS, models.FEATURES))
    assert convert(prefix, tmp_path / "gru.keras", "--keras-model",
                   factory("gru_reset_after")) == 2
    out, err = capsys.readouterr()
    assert "GRU(reset_after=True), its default, is another cell than TF1's GRUCell" in out
    assert "found no TF1 variable" in err and not (tmp_path / "gru.keras").exists()


def test_a_partitioned_variable_is_whole_in_its_checkpoint(tmp_path):
    """A Saver stores a partitioned variable (`dense/kernel/part_0`, `part_1` in the graph) as
    one tensor under its name: it fills its Keras weight as any other."""
    values = np.arange(4 * 3, dtype=np.float32).reshape(4, 3)
    with tf.Graph().as_default() as g:
        kernel = v1.get_variable("dense/kernel", (4, 3), partitioner=v1.fixed_size_partitioner(2))
        v1.get_variable("dense/bias", (3,), initializer=v1.ones_initializer())
        assert [p.op.name for p in kernel] == ["dense/kernel/part_0", "dense/kernel/part_1"]
        fill = [part.assign(values[2 * i:2 * i + 2]) for i, part in enumerate(kernel)]
        with v1.Session(graph=g) as session:
            session.run(v1.global_variables_initializer())
            session.run(fill)
            prefix = v1.train.Saver().save(session, str(tmp_path / "model.ckpt"))
    out = str(tmp_path / "m.weights.h5")
    assert convert(prefix, out, "--keras-model", factory("mlp_of_one")) == 0
    model = models.mlp_of_one()
    model.load_weights(out)
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), values)
    np.testing.assert_array_equal(model.layers[0].bias.numpy(), np.ones(3, np.float32))


@pytest.fixture(scope="module")
def ambiguous(tmp_path_factory):
    return tf1_program(tmp_path_factory.mktemp("ambiguous"), models.ambiguous_tf1, (4,))


def test_an_ambiguous_match_is_refused_naming_the_variables(capsys, tmp_path, ambiguous):
    prefix, _, _ = ambiguous
    out = tmp_path / "m.keras"
    assert convert(prefix, out, "--keras-model", factory("mlp3")) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert "dense_1/kernel, dense_2/kernel (shape (16, 16))" in err
    assert "mid_w or top_w" in err and "--map FILE" in err
    assert not out.exists()


def test_a_map_file_resolves_the_ambiguity(tmp_path, ambiguous):
    prefix, x, predictions = ambiguous
    map_file = tmp_path / "map.json"
    map_file.write_text(json.dumps({
        "dense/bias": "enc_b", "dense_1/kernel": "mid_w", "dense_1/bias": "mid_b",
        "dense_2/kernel": "top_w", "dense_2/bias": "top_b"}))
    out = str(tmp_path / "m.keras")
    assert convert(prefix, out, "--keras-model", factory("mlp3"), "--map", map_file) == 0
    np.testing.assert_allclose(keras_predict(out, x), predictions, rtol=0, atol=ATOL)


def test_a_missing_weight_prints_the_table_and_writes_nothing(capsys, tmp_path_factory,
                                                              tmp_path):
    """The TF1 program has no output bias; the Keras model has one."""
    prefix, x, predictions = tf1_program(tmp_path_factory.mktemp("nobias"), models.mlp_tf1,
                                         (4,), out_bias=False)
    out = tmp_path / "m.keras"
    assert convert(prefix, out, "--keras-model", factory("mlp")) == 2
    captured = capsys.readouterr()
    assert row(captured.out, "dense_2/bias", "<-", "(nothing)")
    assert "no TF1 variable left of shape (3,)" in captured.out
    assert "dense_2/bias" in captured.err and "nothing written" in captured.err
    assert "--allow-missing dense_2/bias" in captured.err
    assert not out.exists() and not [n for n in os.listdir(tmp_path) if n.startswith(".tmp-")]
    # allowed: the bias keeps its initial zeros, which is what the TF1 program computes with
    assert convert(prefix, out, "--keras-model", factory("mlp"),
                   "--allow-missing", "dense_2/bias") == 0
    assert row(capsys.readouterr().out, "dense_2/bias", "<-", "(nothing)").endswith(
        "--allow-missing: keeps its initial value")
    np.testing.assert_allclose(keras_predict(str(out), x), predictions, rtol=0, atol=ATOL)


def test_a_shape_mismatch_is_named(capsys, tmp_path, convnet):
    prefix, _, _ = convnet
    out = tmp_path / "m.keras"
    assert convert(prefix, out, "--keras-model", factory("convnet_of_five")) == 2
    captured = capsys.readouterr()
    assert "shape: TF1 dense_1/kernel is (16, 3), this weight needs (16, 5)" in captured.out
    assert "dense_1/kernel" in captured.err and not out.exists()


def test_a_file_that_is_not_a_tf1_checkpoint_is_one_line(capsys, tmp_path):
    junk = tmp_path / "model.ckpt"
    junk.write_text("not a checkpoint\n")
    assert convert(junk, tmp_path / "m.keras", "--keras-model", factory("mlp")) == 2
    err = capsys.readouterr().err.strip()
    assert "cannot read TF1 checkpoint" in err and str(junk) in err and "\n" not in err
    assert not (tmp_path / "m.keras").exists()


@pytest.mark.parametrize("model, said", [
    ("nowhere.py:mlp", "no such file"), (f"{HELPER}:nothing", "has no function 'nothing'"),
    (f"{HELPER}:not_a_model", "returned str, not a Keras model"),
    ("no_such_module_here:f", "cannot import module 'no_such_module_here'")])
def test_a_keras_model_that_is_not_one_is_one_line(capsys, tmp_path, mlp, model, said):
    prefix, _, _ = mlp
    assert convert(prefix, tmp_path / "m.keras", "--keras-model", model) == 2
    err = capsys.readouterr().err.strip()
    assert said in err and "\n" not in err


@pytest.mark.parametrize("name", ["mlp", "convnet"])
def test_the_reverse_direction_round_trip_is_equal(capsys, request, tmp_path, name):
    """TF1 -> Keras -> TF1 with the names of the TF1 program's own graph (`--tf1-graph`): its
    Saver restores the file (mlp_graph's Adam slots at their initial values) and predicts the
    same, bit for bit."""
    prefix, x, predictions = request.getfixturevalue(name)
    keras_file = str(tmp_path / f"{name}.keras")
    assert convert(prefix, keras_file, "--keras-model", factory(name)) == 0
    back = str(tmp_path / "back" / "model.ckpt")
    assert main(["convert", "--from", "keras", "--to", "tf1", keras_file, back,
                 "--tf1-graph", factory(f"{name}_graph")]) == 0
    printed = capsys.readouterr().out
    program = getattr(models, f"{name}_tf1")
    np.testing.assert_array_equal(tf1_predict(back, program, x), predictions)
    saved = tf.train.load_checkpoint(back).get_variable_to_shape_map()
    if name == "mlp":
        assert row(printed, "dense/kernel", "->", "W1") and "W1/Adam" in saved
    else:
        assert row(printed, "batch_normalization/moving_mean", "->",
                   "batch_normalization/moving_mean")
        assert "batch_normalization/moving_mean" in saved
    assert not [n for n in os.listdir(tmp_path / "back") if n.startswith(".tmp-")]


@pytest.mark.slow  # 3 s
def test_the_reverse_direction_round_trip_of_an_lstm(tmp_path_factory, tmp_path):
    """Keras's LSTM weights back into TF1's one kernel and bias, gates i, c, f, o again: the
    kernel exactly, the bias to one rounding of the forget bias's 1.0 added and taken off."""
    before, after, back, x, predictions = round_trip(
        tmp_path_factory.mktemp("lstm"), tmp_path, models.lstm_tf1, "lstm", "lstm_graph")
    np.testing.assert_array_equal(after.get_tensor("rnn/lstm_cell/kernel"),
                                  before.get_tensor("rnn/lstm_cell/kernel"))
    np.testing.assert_allclose(after.get_tensor("rnn/lstm_cell/bias"),
                               before.get_tensor("rnn/lstm_cell/bias"), rtol=0,
                               atol=np.spacing(np.float32(2)))
    np.testing.assert_allclose(tf1_predict(back, models.lstm_tf1, x), predictions, rtol=0,
                               atol=ATOL)


def test_the_reverse_direction_with_a_map_file_only(tmp_path, mlp):
    prefix, x, predictions = mlp
    keras_file = str(tmp_path / "mlp.keras")
    assert convert(prefix, keras_file, "--keras-model", factory("mlp")) == 0
    names = ["W1", "b1", "W2", "b2", "W3", "b3"]
    keys = [f"dense{s}/{leaf}" for s in ("", "_1", "_2") for leaf in ("kernel", "bias")]
    (tmp_path / "map.json").write_text(json.dumps(dict(zip(keys, names))))
    back = str(tmp_path / "back" / "model.ckpt")
    assert main(["convert", "--from", "keras", "--to", "tf1", keras_file, back,
                 "--map", str(tmp_path / "map.json")]) == 0
    assert sorted(tf.train.load_checkpoint(back).get_variable_to_shape_map()) == sorted(names)
    np.testing.assert_array_equal(tf1_predict(back, models.mlp_tf1, x), predictions)


def test_the_reverse_direction_from_a_weights_file_and_a_factory(tmp_path, mlp):
    prefix, x, predictions = mlp
    weights = str(tmp_path / "mlp.weights.h5")
    assert convert(prefix, weights, "--keras-model", factory("mlp")) == 0
    back = str(tmp_path / "back" / "model.ckpt")
    assert main(["convert", "--from", "keras", "--to", "tf1", weights, back, "--keras-model",
                 factory("mlp"), "--tf1-graph", factory("mlp_graph")]) == 0
    np.testing.assert_array_equal(tf1_predict(back, models.mlp_tf1, x), predictions)


def test_a_reverse_graph_variable_without_a_keras_weight_writes_nothing(capsys, tmp_path):
    keras_file = str(tmp_path / "mlp.keras")
    models.mlp_of_five().save(keras_file)  # 5 outputs: nothing for W3 (16, 3), b3 (3,)
    back = tmp_path / "back" / "model.ckpt"
    assert main(["convert", "--from", "keras", "--to", "tf1", keras_file, str(back),
                 "--tf1-graph", factory("mlp_graph")]) == 2
    err = capsys.readouterr().err
    assert "2 TF1 variables found no Keras weight (W3, b3;" in err and "nothing written" in err
    assert not (tmp_path / "back").exists() or not os.listdir(tmp_path / "back")


def test_the_derivation_without_files():
    """Names first, then order within one numbering, then a single candidate (no TensorFlow)."""
    slots = models_slots()
    shapes = {"dense_1/kernel": (8, 8), "dense/kernel": (8, 8), "dense_1/bias": (8,),
              "dense/bias": (8,), "dense/kernel/Adam": (8, 8), "global_step": ()}
    sources, skipped = tf1_sources(shapes, dict.fromkeys(shapes, "float32"))
    result = match(slots, sources, skipped)
    assert [(s.key, src.key, how) for s, src, how in result.pairs] == [
        ("first/kernel", "dense/kernel", "order"), ("first/bias", "dense/bias", "order"),
        ("second/kernel", "dense_1/kernel", "order"), ("second/bias", "dense_1/bias", "order")]
    assert [name for name, _, _ in result.skipped] == ["dense/kernel/Adam", "global_step"]


def test_a_scope_around_the_whole_tf1_program_is_left_off_names():
    from tfmodels.migration.matching import Slot

    slots = [Slot(key, [None], ((8, 8),), "float32", i)
             for i, key in enumerate(["second/kernel", "first/kernel"])]
    shapes = {"net/first/kernel": (8, 8), "net/second/kernel": (8, 8), "net/global_step": ()}
    sources, skipped = tf1_sources(shapes, dict.fromkeys(shapes, "float32"))
    result = match(slots, sources, skipped)
    assert [(s.key, src.key, how) for s, src, how in result.pairs] == [
        ("second/kernel", "net/second/kernel", "name"),
        ("first/kernel", "net/first/kernel", "name")]


def models_slots():
    from tfmodels.migration.matching import Slot

    return [Slot(key, [None], (shape,), "float32", i) for i, (key, shape) in enumerate(
        [("first/kernel", (8, 8)), ("first/bias", (8,)), ("second/kernel", (8, 8)),
         ("second/bias", (8,))])]


def test_the_projects_own_models_still_convert(capsys, tmp_path):
    """`convert --model` (our registered models, by the spec) is untouched by the new options."""
    from tfmodels.core.registry import get_spec
    from tfmodels.keras_track.model import build_model
    from tfmodels.migration.conversion import write_tf1

    spec = get_spec("sine")
    write_tf1(str(tmp_path / "c" / "ckpt"), spec, build_model(spec).get_weights())
    assert convert(tmp_path / "c" / "ckpt", tmp_path / "sine.keras", "--model", "sine") == 0
    assert convert(tmp_path / "c" / "ckpt", tmp_path / "x.keras", "--model", "sine",
                   "--keras-model", factory("mlp")) == 2
    assert "--model sine: names one of our models" in capsys.readouterr().err


@pytest.mark.parametrize("given, said", [
    ({"dense_1/kernel": "top_b"}, "dense_1/kernel <- top_b: TF1 has (16,) float32, the Keras "
                                  "weight needs (16, 16) float32"),
    ({"dense_9/kernel": "top_w"}, "'dense_9/kernel' is not a weight of the Keras model"),
    ({"dense_1/kernel": "nowhere"}, "'dense_1/kernel' -> 'nowhere', which is not a TF1 variable"),
    ({"dense_1/kernel": "top_w", "dense_2/kernel": "top_w"},
     "top_w is given to both dense_1/kernel and dense_2/kernel"),
    ([1, 2], "expected one JSON object of strings")])
def test_a_map_file_mistake_is_one_line(capsys, tmp_path, ambiguous, given, said):
    prefix, _, _ = ambiguous
    (tmp_path / "map.json").write_text(json.dumps(given))
    out = tmp_path / "m.keras"
    assert convert(prefix, out, "--keras-model", factory("mlp3"), "--map",
                   tmp_path / "map.json") == 2
    err = capsys.readouterr().err.strip()
    assert said in err and "\n" not in err and not out.exists()


def test_allow_missing_names_a_weight_of_the_model(capsys, tmp_path, mlp):
    prefix, _, _ = mlp
    assert convert(prefix, tmp_path / "m.keras", "--keras-model", factory("mlp"),
                   "--allow-missing", "dense_7/bias") == 2
    assert "--allow-missing dense_7/bias: not a Keras weight of the model" in \
        capsys.readouterr().err


def test_a_dtype_that_does_not_fit_is_named():
    from tfmodels.migration.matching import Slot

    slots = [Slot("dense/kernel", [None], ((4, 3),), "float32", 0)]
    sources, _ = tf1_sources({"dense/kernel": (4, 3)}, {"dense/kernel": "float64"})
    result = match(slots, sources)
    assert result.pairs == []
    assert result.missing[0][1] == "dtype: TF1 dense/kernel is float64, this weight float32"


def test_the_python_function_fills_a_model_object(tmp_path, mlp):
    """`tf1_to_keras` with a model in hand: the model itself is filled, the table handed to
    `out`, the file written."""
    from tfmodels.migration import tf1_to_keras

    prefix, x, predictions = mlp
    model, lines = models.mlp(), []
    result = tf1_to_keras(prefix, model, str(tmp_path / "m.weights.h5"), out=lines.append)
    assert [how for _, _, how in result.pairs].count("order") == 2 and "W1" in lines[0]
    np.testing.assert_allclose(np.asarray(model(x)), predictions, rtol=0, atol=ATOL)
    assert (tmp_path / "m.weights.h5").exists()


def test_lstm_checkpoint_into_the_same_code_in_a_tf1_style_layer(capsys, tmp_path):
    """A TF1StyleLayer's weights go by their TF1 names: the LSTM cell's kernel and bias are
    taken whole, by name (no gate reordering, no forget bias folded in)."""
    prefix, x, predictions = tf1_program(tmp_path, models.lstm_tf1,
                                         (models.STEPS, models.FEATURES))
    out = str(tmp_path / "lstm.weights.h5")
    assert convert(prefix, out, "--keras-model", factory("lstm_in_tf1_style_layer")) == 0
    printed = capsys.readouterr().out
    for name in ["rnn/lstm_cell/kernel", "rnn/lstm_cell/bias", "dense/kernel"]:
        assert row(printed, name, "<-", name).endswith("name")
    model = models.lstm_in_tf1_style_layer()
    model.load_weights(out)
    np.testing.assert_array_equal(np.asarray(model(x, training=False)), predictions)


STYLE_PORT = textwrap.dedent("""
    import keras
    import tensorflow as tf

    from tf1_compat import layers
    from tfmodels.migration import TF1StyleLayer


    def build(x, training=False):
        net = layers.conv2d(x, 4, 3, padding="same", activation=tf.nn.relu)
        net = layers.max_pooling2d(net, 2, 2)
        return layers.dense(layers.flatten(net), 3)


    def keras_model():
        return keras.Sequential([keras.Input((6, 6, 1)), TF1StyleLayer(build)])
""")


def test_a_keras_file_convert_writes_for_a_tf1_style_port_reads_back_everywhere(tmp_path):
    """A `.keras` file of a TF1StyleLayer port, written by `convert`, is read back by `verify`
    (it once failed: Keras stores a plain function without its module) and by
    `keras.models.load_model` in a fresh process that imported the function's module; one that
    did not is told which module to import."""
    (tmp_path / "style_port.py").write_text(STYLE_PORT)
    port = str(tmp_path / "style_port.py")
    from tfmodels.migration.user_code import load_callable

    build = load_callable(f"{port}:build", "TF1 function")
    prefix, x_test, expected = tf1_program(tmp_path / "ck", build, (6, 6, 1))
    out = str(tmp_path / "port.keras")
    assert convert(prefix, out, "--keras-model", f"{port}:keras_model") == 0
    assert main(["verify", "--tf1", f"{port}:build", "--keras", out, "--input-shape", "6,6,1",
                 "--steps", "1", "--logdir", str(tmp_path / "logs")]) == 0
    np.save(tmp_path / "x.npy", x_test)
    read = ("import sys; sys.path.insert(0, sys.argv[1]); {imp}import keras, numpy as np; "
            "m = keras.models.load_model(sys.argv[2]); "
            "np.save(sys.argv[3], m.predict(np.load(sys.argv[4]), verbose=0))")
    args = [str(tmp_path), out, str(tmp_path / "p.npy"), str(tmp_path / "x.npy")]
    done = subprocess.run([sys.executable, "-c", read.format(imp="import style_port; "), *args],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    np.testing.assert_allclose(np.load(tmp_path / "p.npy"), expected, atol=ATOL)
    done = subprocess.run([sys.executable, "-c", read.format(
        imp="import tfmodels.migration.tf1_style; "), *args],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode != 0 and "style_port:build is not available: import its module" \
        in done.stderr
