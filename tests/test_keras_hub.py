"""TF1 BERT and GPT-2 checkpoints into KerasHub's `BertBackbone` and `GPT2Backbone`, no map file.

The TF1 programs are `examples/keras_hub/tf1_bert.py` (google-research/bert's variable names and
maths) and `examples/keras_hub/tf1_gpt2.py` (openai/gpt-2's), tiny configs, saved by their own
`Saver`; the backbones are built from a config (`examples/keras_hub/hub_backbones.py`), nothing
downloaded. The kit pairs them by its known-layout table and derives each reshape and split from
the shapes (`tfmodels/migration/known_layouts.py`, `matching.py`).

Tolerance: `ATOL` = 1e-5, absolute, on outputs up to ~10 (hidden states ~3, logits ~8). Both
sides compute in float32 the same sums in another grouping (Keras's per-head einsum, TF1's
whole matmul; LayerNorm by moments or by Keras's own), 2 layers deep: a few float32 roundings of
values ~10 (eps 1.2e-7 each), measured ~1e-6 (logits 3e-6).

Where the two compute differently, it is found and said: KerasHub's `BertBackbone` uses the tanh
approximation of GELU (`gelu_approximate`), BERT's first release the exact erf form; the two
differ by up to 4.7e-4 (at |x| = 2.70), which moves the outputs by ~6e-4, far outside ATOL.
With the tanh form in the TF1 program (google-research/bert's later `modeling.py`), or with the
backbone's GELU made exact, they agree within ATOL: the GELU is the only difference. Layer-norm
epsilon agrees (BERT 1e-12 both sides, GPT-2 1e-5 both sides), as do the attention masks (BERT's
-10000 added to masked scores, GPT-2's 1e10 taken off, KerasHub's masked softmax: each gives a
zero weight in float32).
"""

import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import example, example_ref
from tfmodels.cli import main
from tfmodels.core.errors import UserError
from tfmodels.migration.conversion import keras_to_tf1, tf1_to_keras
from tfmodels.migration.matching import Ambiguous, keras_slots, match, tf1_sources

v1 = tf.compat.v1
ATOL = 1e-5
bert_program = example("keras_hub/tf1_bert.py")
gpt2_program = example("keras_hub/tf1_gpt2.py")
backbones = example("keras_hub/hub_backbones.py")
RNG = np.random.default_rng(7)
# Three sequences of 7 tokens, two of them padded at the end (input_mask 0): the mask matters.
IDS = RNG.integers(0, bert_program.TINY["vocab_size"], (3, 7)).astype(np.int32)
MASK = np.ones((3, 7), np.int32)
MASK[1, 5:], MASK[2, 3:] = 0, 0
TYPES = RNG.integers(0, 2, (3, 7)).astype(np.int32)
TOKENS = RNG.integers(0, gpt2_program.TINY["n_vocab"], (3, 9)).astype(np.int32)


def _restored(build, prefix):
    """(graph, session) of a program built by `build`, restored from `prefix` by its Saver."""
    graph = tf.Graph()
    with graph.as_default():
        built = build()
        session = v1.Session(graph=graph)
        v1.train.Saver().restore(session, prefix)
    return graph, session, built


def bert_outputs(prefix, gelu="erf"):
    config = dict(bert_program.TINY, gelu=gelu)
    graph, session, (inputs, outputs) = _restored(lambda: bert_program.build(config), prefix)
    with session:
        return session.run(outputs, dict(zip(inputs, (IDS, MASK, TYPES))))


def saved_values(build, prefix):
    """{name: value} that the program's own Saver restores from `prefix`."""
    graph, session, _ = _restored(build, prefix)
    with session, graph.as_default():
        return {v.op.name: session.run(v) for v in v1.global_variables()}


@pytest.fixture(scope="module")
def bert(tmp_path_factory):
    """(checkpoint prefix, converted .keras file, conversion table)."""
    folder = tmp_path_factory.mktemp("bert")
    prefix = bert_program.save(str(folder / "model.ckpt"))
    lines = []
    tf1_to_keras(prefix, example_ref("keras_hub/hub_backbones.py", "bert_tiny"),
                 str(folder / "bert.keras"), out=lines.append)
    return prefix, str(folder / "bert.keras"), lines[0]


@pytest.fixture(scope="module")
def gpt2(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gpt2")
    prefix = gpt2_program.save(str(folder / "model.ckpt"))
    lines = []
    tf1_to_keras(prefix, example_ref("keras_hub/hub_backbones.py", "gpt2_tiny"),
                 str(folder / "gpt2.keras"), out=lines.append)
    return prefix, str(folder / "gpt2.keras"), lines[0]


def _bert_keras(path):
    model = keras.saving.load_model(path, compile=False)
    y = model({"token_ids": IDS, "segment_ids": TYPES, "padding_mask": MASK})
    return model, np.asarray(y["sequence_output"]), np.asarray(y["pooled_output"])


def _row(table, key):
    return next(r.rstrip() for r in table.splitlines() if r.startswith(key + " "))


def test_bert_tanh_form_equals_bert_backbone_without_a_map(bert):
    prefix, path, table = bert
    sequence, pooled = bert_outputs(prefix, gelu="tanh")
    _, got_sequence, got_pooled = _bert_keras(path)
    np.testing.assert_allclose(got_sequence, sequence, atol=ATOL, rtol=0)
    np.testing.assert_allclose(got_pooled, pooled, atol=ATOL, rtol=0)
    row = _row(table, "transformer_layer_1/self_attention_layer/key/kernel")
    assert "bert/encoder/layer_1/attention/self/key/kernel" in row
    assert row.endswith("known layout (BertBackbone); reshape (16, 4, 4)")
    assert "bert/encoder/layer_0/output/LayerNorm/gamma" in _row(
        table, "transformer_layer_0/feedforward_layer_norm/gamma")


def test_bert_erf_form_differs_from_bert_backbone_only_by_its_gelu(bert):
    prefix, path, _ = bert
    sequence, pooled = bert_outputs(prefix, gelu="erf")
    model, got_sequence, _ = _bert_keras(path)
    gap = np.abs(got_sequence - sequence).max()
    assert 1e-4 < gap < 5e-3, gap  # the tanh approximation's, found (well outside ATOL)
    for layer in model.layers:  # KerasHub's backbone with BERT's exact GELU
        dense = getattr(layer, "_feedforward_intermediate_dense", None)
        if dense is not None:
            dense.activation = lambda x: keras.activations.gelu(x, approximate=False)
    y = model({"token_ids": IDS, "segment_ids": TYPES, "padding_mask": MASK})
    np.testing.assert_allclose(np.asarray(y["sequence_output"]), sequence, atol=ATOL, rtol=0)
    np.testing.assert_allclose(np.asarray(y["pooled_output"]), pooled, atol=ATOL, rtol=0)


def test_gpt2_equals_gpt2_backbone_without_a_map(gpt2):
    prefix, path, table = gpt2
    graph, session, (tokens, outputs) = _restored(gpt2_program.build, prefix)
    with session:
        hidden, logits = session.run(outputs, {tokens: TOKENS})
    model = keras.saving.load_model(path, compile=False)
    got = model({"token_ids": TOKENS, "padding_mask": np.ones_like(TOKENS)})
    np.testing.assert_allclose(np.asarray(got), hidden, atol=ATOL, rtol=0)
    got_logits = model.token_embedding(got, reverse=True)  # tied to wte, as GPT-2's
    np.testing.assert_allclose(np.asarray(got_logits), logits, atol=ATOL, rtol=0)
    assert _row(table, "transformer_layer_1/self_attention/value/kernel").endswith(
        "known layout (GPT2Backbone); squeeze 0, split 3 along -1 #2, reshape (16, 4, 4)")
    assert "model/h1/ln_2/g" in _row(table, "transformer_layer_1/feedforward_layer_norm/gamma")


@pytest.mark.parametrize("name", ["bert", "gpt2"])
def test_back_to_a_checkpoint_the_programs_saver_restores_exactly(request, tmp_path, name):
    prefix, path, _ = request.getfixturevalue(name)
    program = bert_program if name == "bert" else gpt2_program
    back = str(tmp_path / "back" / "model.ckpt")
    keras_to_tf1(path, back, graph=example_ref(f"keras_hub/tf1_{name}.py", "build"),
                 out=lambda _: None)
    want, got = saved_values(program.build, prefix), saved_values(program.build, back)
    assert sorted(got) == sorted(want)
    for variable in want:
        np.testing.assert_array_equal(got[variable], want[variable], err_msg=variable)


def test_the_cli_names_a_keras_hub_model_as_module_factory(tmp_path, bert, capsys):
    prefix, path, _ = bert
    target = str(tmp_path / "cli.keras")
    assert main(["convert", "--from", "tf1", "--to", "keras", prefix, target, "--keras-model",
                 example_ref("keras_hub/hub_backbones.py", "bert_tiny")]) == 0
    assert "known layout (BertBackbone)" in capsys.readouterr().out
    for got, want in zip(_bert_keras(target)[1:], _bert_keras(path)[1:]):
        np.testing.assert_array_equal(got, want)


def test_a_layout_row_that_does_not_fit_is_one_line(bert):
    prefix = bert[0]
    shapes, dtypes = tf.train.load_checkpoint(prefix).get_variable_to_shape_map(), None
    dtypes = {n: "float32" for n in shapes}
    keras.backend.clear_session()
    short = backbones.bert(**dict(bert_program.TINY, max_position_embeddings=12))
    with pytest.raises(UserError) as e:
        match(keras_slots(short), *tf1_sources(shapes, dtypes))
    assert str(e.value) == (
        "keras_hub BertBackbone <- google-research/bert: Keras position_embedding/embeddings "
        "(12, 16) <- TF1 bert/embeddings/position_embeddings (24, 16): no squeeze or reshape "
        "of it gives (12, 16)")


def test_a_missing_keras_hub_is_one_line_saying_how_to_install_it(tmp_path, monkeypatch, bert,
                                                                   capsys):
    prefix, path, _ = bert
    # `import keras_hub` fails and its classes are unknown, as in a process without it
    for name in [n for n in sys.modules if n.partition(".")[0] == "keras_hub"]:
        monkeypatch.setitem(sys.modules, name, None)
    registered = keras.saving.get_custom_objects()
    for name in [n for n in registered if n.startswith("keras_hub>")]:
        monkeypatch.delitem(registered, name)
    (tmp_path / "my_hub.py").write_text("import keras_hub\n\n\ndef backbone():\n"
                                        "    return keras_hub.models.BertBackbone()\n")
    runs = {  # a factory importing keras_hub; a .keras file of a KerasHub model
        "module:factory": ["--from", "tf1", "--to", "keras", prefix, str(tmp_path / "x.keras"),
                           "--keras-model", f"{tmp_path / 'my_hub.py'}:backbone"],
        ".keras file": ["--from", "keras", "--to", "tf1", path, str(tmp_path / "back"),
                        "--tf1-graph", example_ref("keras_hub/tf1_bert.py", "build")],
    }
    for what, argv in runs.items():
        code = main(["convert", *argv])
        err = capsys.readouterr().err.strip()
        assert code == 2 and "\n" not in err, (what, err)
        assert err.endswith('needs KerasHub (keras_hub), which is not installed: pip install '
                            '-e ".[hub]"'), (what, err)


def test_the_layout_is_used_only_where_it_names_every_weight(bert):
    """A Keras weight the table does not name (a classifier head): no pairs from the layout, the
    derived pairing alone, which refuses the look-alike vectors as before."""
    prefix = bert[0]
    shapes = tf.train.load_checkpoint(prefix).get_variable_to_shape_map()
    dtypes = {n: "float32" for n in shapes}
    keras.backend.clear_session()
    inputs = keras.Input((None,), dtype="int32")
    backbone = backbones.bert_tiny()
    head = keras.layers.Dense(3, name="classifier")(backbone.token_embedding(inputs)[:, 0])
    slots = keras_slots(backbone)
    assert not [s for s, _, how in match(slots, *tf1_sources(shapes, dtypes)).pairs
                if not how.startswith("known layout")]
    slots += keras_slots(keras.Model(inputs, head))[-2:]  # classifier/kernel, classifier/bias
    assert [s.key for s in slots[-2:]] == ["classifier/kernel", "classifier/bias"]
    with pytest.raises(Ambiguous) as e:
        match(slots, *tf1_sources(shapes, dtypes))
    assert not [p for p in e.value.result.pairs if p[2].startswith("known layout")]
