"""Transforms in the pairing (`tfmodels/migration/transforms.py`): TF1 tensors that become Keras
weights of another layout, derived from the shapes or given by a map file, and back.

Two attention blocks are written here as TF1 programs: BERT's (`bert/encoder/layer_0/attention/
self/query/kernel` of shape (hidden, hidden), ...) and GPT-2's (one `c_attn/w` of shape
(1, n_embd, 3 * n_embd) holding query, key and value), with hidden = 8 and 2 heads. Each is
saved by its `Saver`, converted into a Keras model whose attention is
`keras.layers.MultiHeadAttention` (kernels (hidden, heads, head_dim)), and must give the TF1
program's outputs. Tolerance: float32, the same matmuls in another grouping (per head in Keras's
einsum, whole in TF1's matmul), so `ATOL` = 1e-5 on outputs of size ~1. The reverse direction
writes a checkpoint the program's own `Saver` restores to the very values it saved (exact).
"""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from tf1_compat.layouts import CELLS, cell_from_keras, cell_to_keras
from tfmodels.core.errors import UserError
from tfmodels.migration.conversion import keras_to_tf1, tf1_to_keras
from tfmodels.migration.equivalence import verify
from tfmodels.migration.matching import Ambiguous, Slot, Source, match
from tfmodels.migration.transforms import Transform, cell_transforms, invert, regroups

v1 = tf.compat.v1
ATOL = 1e-5
HIDDEN, HEADS, T = 8, 2, 5
HEAD = HIDDEN // HEADS
BERT = "bert/encoder/layer_0/attention"


# -- each transform kind, with its inverse -------------------------------------------------------

RNG = np.random.default_rng(0)
# Multiples of 1/64: adding and then subtracting a constant (`add`) is exact on them; on any
# float32 value it comes back within one rounding (as TF1's forget bias does).
X = (np.round(RNG.normal(size=(1, 6, 12)) * 64) / 64).astype(np.float32)


@pytest.mark.parametrize("steps, shape_in, expected", [
    ([("reshape", [6, 3, 4])], (1, 6, 12), lambda x: x.reshape(6, 3, 4)),
    ([("squeeze", 0)], (1, 6, 12), lambda x: x[0]),
    ([("expand", 1)], (1, 6, 12), lambda x: x[:, None]),
    ([("squeeze", 0), ("transpose", [1, 0])], (1, 6, 12), lambda x: x[0].T),
    ([("gates", {"axis": -1, "from": "ijfo", "to": "ifjo"})], (1, 6, 12),
     lambda x: np.concatenate([x[..., 0:3], x[..., 6:9], x[..., 3:6], x[..., 9:12]], -1)),
    ([("add", {"value": 1.5})], (1, 6, 12), lambda x: x + np.float32(1.5)),
    ([("add", {"value": 1.0, "axis": -1, "parts": 4, "index": 2})], (1, 6, 12),
     lambda x: x + np.float32(1.0) * (np.arange(12) // 3 == 2)),
])
def test_each_step_does_what_it_says_and_comes_back_exactly(steps, shape_in, expected):
    t = Transform("w", steps)
    y = t.apply([X])
    np.testing.assert_array_equal(y, expected(X).astype(np.float32))
    assert t.shape([shape_in]) == y.shape
    np.testing.assert_array_equal(invert([(t, y)], [shape_in])["w"], X)


@pytest.mark.parametrize("split", [{"axis": -1, "parts": 3}, {"axis": 0, "sizes": [1, 2, 3]}])
def test_a_split_fills_several_weights_and_its_parts_join_back(split):
    ends = [0, 4, 8, 12] if "parts" in split else [0, 1, 3, 6]
    parts = []
    for index in range(3):
        t = Transform("w", [("squeeze", 0), ("split", {**split, "index": index})])
        y = t.apply([X])
        lo, hi = ends[index], ends[index + 1]
        want = X[0][:, lo:hi] if split["axis"] == -1 else X[0][lo:hi]
        np.testing.assert_array_equal(y, want)
        parts.append((t, y))
    np.testing.assert_array_equal(invert(parts[::-1], [X.shape])["w"], X)
    with pytest.raises(UserError, match="split in 3 parts; part 1 has no Keras weight"):
        invert([parts[0], parts[2]], [X.shape])


def test_a_concat_joins_variables_and_splits_back_at_their_sizes():
    a, b = X[0, :2], X[0, 2:]
    t = Transform(["a", "b"], [("concat", 0), ("reshape", [72])])
    y = t.apply([a, b])
    np.testing.assert_array_equal(y, X.reshape(72))
    back = invert([(t, y)], [a.shape, b.shape])
    np.testing.assert_array_equal(back["a"], a)
    np.testing.assert_array_equal(back["b"], b)


def test_a_reshape_of_one_reading_only_merges_or_splits_adjacent_axes():
    assert regroups((8, 8), (8, 2, 4)) and regroups((8, 8), (2, 4, 8))
    assert regroups((24,), (2, 3, 4)) and regroups((1, 8, 8), (64,))
    assert not regroups((8, 16), (16, 8))      # a transpose, or a scramble: not a reshape
    assert not regroups((2, 24), (6, 2, 4))
    assert not regroups((8, 8), (8, 8))


@pytest.mark.parametrize("entry, said", [
    ({"from": "w", "rotate": 1}, "unknown step 'rotate'"),
    ({"reshape": [2]}, 'expected a TF1 variable name or an object {"from"'),
    ({"from": ["a", "b"], "reshape": [2]}, 'join them with "concat": AXIS first'),
    ({"from": "a", "squeeze": 0, "concat": 0}, "concat joins the from variables, so it comes"),
    ({"from": 3}, "from must be a TF1 variable name or a list of them. Received: from=3"),
])
def test_a_map_entry_mistake_is_one_line(entry, said):
    with pytest.raises(UserError, match=None) as e:
        Transform.parse("k/kernel", entry)
    assert said in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("cell", list(CELLS))
def test_the_recurrent_cells_rules_are_transforms_of_the_same_mechanism(cell):
    depth, units = 3, 4
    shapes = CELLS[cell].shapes(depth, units)
    names = CELLS[cell].members("rnn/c")
    tf1 = [_values(s, i) for i, s in enumerate(shapes)]
    transforms = cell_transforms(cell, "rnn/c", depth, units, forget_bias=0.75)
    keras_side = [t.apply([tf1[names.index(n)] for n in t.sources]) for t in transforms]
    for got, want in zip(keras_side, cell_to_keras(cell, tf1, forget_bias=0.75)):
        np.testing.assert_array_equal(got, want)
    back = {}
    for t in {tuple(t.sources): t for t in transforms}:
        group = [(u, v) for u, v in zip(transforms, keras_side) if tuple(u.sources) == t]
        back.update(invert(group, [shapes[names.index(n)] for n in t]))
    for name, want in zip(names, cell_from_keras(cell, keras_side, forget_bias=0.75)):
        np.testing.assert_array_equal(back[name], want)


# -- two attention programs and their Keras port ------------------------------------------------


def _values(shape, seed):
    return np.random.default_rng(seed).normal(0, 0.5, size=shape).astype(np.float32)


def _heads(t):  # (B, T, HIDDEN) -> (B, HEADS, T, HEAD), as BERT's transpose_for_scores
    return tf.transpose(tf.reshape(t, (-1, T, HEADS, HEAD)), (0, 2, 1, 3))


def _attend(q, k, v):
    scores = tf.matmul(_heads(q), _heads(k), transpose_b=True) / np.sqrt(HEAD).astype(np.float32)
    context = tf.matmul(tf.nn.softmax(scores), _heads(v))
    return tf.reshape(tf.transpose(context, (0, 2, 1, 3)), (-1, T, HIDDEN))


def bert_attention(x):
    """BERT's self-attention and its output projection (modeling.py's variable names)."""
    def dense(t, scope, seed):
        w = v1.get_variable(f"{scope}/kernel", (HIDDEN, HIDDEN),
                            initializer=v1.constant_initializer(_values((HIDDEN, HIDDEN), seed)))
        b = v1.get_variable(f"{scope}/bias", (HIDDEN,),
                            initializer=v1.constant_initializer(_values((HIDDEN,), seed + 10)))
        return tf.tensordot(t, w, 1) + b

    q, k, v = (dense(x, f"{BERT}/self/{n}", i) for i, n in enumerate(("query", "key", "value")))
    return dense(_attend(q, k, v), f"{BERT}/output/dense", 3)


def gpt2_attention(x):
    """GPT-2's attention: one conv1d `c_attn` (w of shape (1, nx, 3 nx)) split into q, k, v."""
    def conv1d(t, scope, nf, seed):
        w = v1.get_variable(f"{scope}/w", (1, HIDDEN, nf),
                            initializer=v1.constant_initializer(_values((1, HIDDEN, nf), seed)))
        b = v1.get_variable(f"{scope}/b", (nf,),
                            initializer=v1.constant_initializer(_values((nf,), seed + 10)))
        return tf.tensordot(t, w[0], 1) + b

    q, k, v = tf.split(conv1d(x, "model/h0/attn/c_attn", 3 * HIDDEN, 5), 3, axis=2)
    return conv1d(_attend(q, k, v), "model/h0/attn/c_proj", HIDDEN, 6)


def save_program(program, prefix):
    """The program's variables saved by its `Saver`; returns (inputs, outputs, saved values)."""
    x_test = _values((3, T, HIDDEN), 99)
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, (None, T, HIDDEN))
        y = program(x)
        with v1.Session(graph=graph) as session:
            session.run(v1.global_variables_initializer())
            v1.train.Saver().save(session, prefix)
            saved = {v.op.name: session.run(v) for v in v1.global_variables()}
            return x_test, session.run(y, {x: x_test}), saved


def restore_program(program, prefix):
    """What the program's own `Saver` restores from `prefix`: {name: value}."""
    graph = tf.Graph()
    with graph.as_default():
        program(v1.placeholder(tf.float32, (None, T, HIDDEN)))
        with v1.Session(graph=graph) as session:
            v1.train.Saver().restore(session, prefix)
            return {v.op.name: session.run(v) for v in v1.global_variables()}


def mha_model():
    keras.backend.clear_session()
    x = keras.Input((T, HIDDEN))
    return keras.Model(x, keras.layers.MultiHeadAttention(HEADS, HEAD)(x, x))


@pytest.fixture(scope="module")
def bert(tmp_path_factory):
    prefix = str(tmp_path_factory.mktemp("bert") / "model.ckpt")
    return (prefix, *save_program(bert_attention, prefix))


@pytest.fixture(scope="module")
def gpt2(tmp_path_factory):
    prefix = str(tmp_path_factory.mktemp("gpt2") / "model.ckpt")
    return (prefix, *save_program(gpt2_attention, prefix))


def _converted(prefix, tmp_path, mapping=None):
    lines = []
    model = mha_model()
    result = tf1_to_keras(prefix, model, str(tmp_path / "m.keras"), mapping=mapping,
                          out=lines.append)
    return model, result, lines[0]


def _row(table: str, key: str) -> str:
    return next(r.rstrip() for r in table.splitlines() if r.startswith(key + " "))


def test_bert_attention_into_multi_head_attention_by_the_derived_pairing(tmp_path, bert):
    prefix, x, want, _ = bert
    model, _, table = _converted(prefix, tmp_path)
    np.testing.assert_allclose(np.asarray(model(x)), want, atol=ATOL, rtol=0)
    query = _row(table, "multi_head_attention/query/kernel")
    assert f"<-  {BERT}/self/query/kernel " in query and query.endswith("name; reshape (8, 2, 4)")
    output = _row(table, "multi_head_attention/attention_output/kernel")
    assert f"{BERT}/output/dense/kernel" in output
    assert output.endswith("only one of its size; reshape (2, 4, 8)")


def test_gpt2_c_attn_splits_into_query_key_and_value(tmp_path, gpt2):
    prefix, x, want, _ = gpt2
    model, result, table = _converted(prefix, tmp_path)
    np.testing.assert_allclose(np.asarray(model(x)), want, atol=ATOL, rtol=0)
    line = _row(table, "multi_head_attention/value/kernel")
    assert "model/h0/attn/c_attn/w" in line
    assert line.endswith("split in model order; squeeze 0, split 3 along -1 #2, reshape (8, 2, 4)")
    assert _row(table, "multi_head_attention/key/bias").endswith(
        "split in model order; split 3 along -1 #1, reshape (2, 4)")
    assert _row(table, "multi_head_attention/attention_output/kernel").endswith(
        "squeeze 0, reshape (2, 4, 8)")


@pytest.mark.parametrize("program", ["bert", "gpt2"])
def test_the_reverse_direction_is_restored_exactly_by_the_programs_saver(request, tmp_path,
                                                                         program):
    prefix, _, _, saved = request.getfixturevalue(program)
    build = {"bert": bert_attention, "gpt2": gpt2_attention}[program]
    model, _, _ = _converted(prefix, tmp_path)
    back = str(tmp_path / "back" / "model.ckpt")
    keras_to_tf1(model, back, graph=lambda: build(v1.placeholder(tf.float32, (None, T, HIDDEN))),
                 out=lambda _: None)
    restored = restore_program(build, back)
    assert restored.keys() == saved.keys()
    for name, value in saved.items():
        np.testing.assert_array_equal(restored[name], value, err_msg=name)


def test_a_map_file_of_transforms_fills_the_same_model(tmp_path, gpt2):
    prefix, x, want, _ = gpt2
    attn = "model/h0/attn"
    mapping = {f"multi_head_attention/{n}/kernel": {
        "from": f"{attn}/c_attn/w", "squeeze": 0, "split": {"axis": -1, "parts": 3, "index": i},
        "reshape": [HIDDEN, HEADS, HEAD]} for i, n in enumerate(("query", "key", "value"))}
    mapping |= {f"multi_head_attention/{n}/bias": {
        "from": f"{attn}/c_attn/b", "reshape": [3, HEADS, HEAD],
        "split": {"axis": 0, "parts": 3, "index": i}, "squeeze": 0}
        for i, n in enumerate(("query", "key", "value"))}
    mapping["multi_head_attention/attention_output/kernel"] = {
        "from": f"{attn}/c_proj/w", "reshape": [HEADS, HEAD, HIDDEN]}
    mapping["multi_head_attention/attention_output/bias"] = f"{attn}/c_proj/b"
    (tmp_path / "map.json").write_text(json.dumps(mapping))
    model, result, table = _converted(prefix, tmp_path, str(tmp_path / "map.json"))
    np.testing.assert_allclose(np.asarray(model(x)), want, atol=ATOL, rtol=0)
    assert {how for _, _, how in result.pairs} == {"map file"}
    assert "reshape (3, 2, 4), split 3 along 0 #1, squeeze 0" in table


def test_verify_pairs_and_compares_through_the_same_transforms():
    def build(x, training=False):
        return gpt2_attention(x)

    report = verify(build, mha_model(), (T, HIDDEN), steps=0, out=lambda *_: None)
    assert report.ok, str(report)
    assert "all matched (split in model order: 6, only one of its size: 1" in str(report)


# -- the refusals -----------------------------------------------------------------------------


def test_a_reshape_that_does_not_fit_is_one_line_naming_both_shapes(tmp_path, bert):
    prefix = bert[0]
    mapping = {"multi_head_attention/query/kernel": {"from": f"{BERT}/self/query/kernel",
                                                     "reshape": [8, 4, 4]}}
    with pytest.raises(UserError) as e:
        _converted(prefix, tmp_path, mapping)
    said = str(e.value)
    assert (f"Keras multi_head_attention/query/kernel (8, 2, 4) <- TF1 {BERT}/self/query/kernel "
            f"(8, 8): reshape (8, 4, 4) does not fit (8, 8) (64 values)") in said
    assert "\n" not in said and not (tmp_path / "m.keras").exists()


def _slots(*shapes, leaf="kernel"):
    return [Slot(f"mha/{n}/{leaf}", [None], (s,), "float32", i)
            for i, (n, s) in enumerate(zip(("query", "key", "value"), shapes))]


def test_a_split_of_two_readings_is_refused_naming_both():
    slots = _slots((24,), (24,), leaf="bias")[:2]
    sources = [Source("fused/b", ["fused/b"], ((4, 12),), "float32")]
    with pytest.raises(Ambiguous) as e:
        match(slots, sources)
    assert ("TF1 fused/b (4, 12) could fill Keras mha/query/bias, mha/key/bias split along "
            "axis -2 or axis -1") in str(e.value)


def test_a_reshape_with_two_sources_is_refused_naming_both():
    slots = [Slot("mha/attention_output/kernel", [None], ((2, 4, 8),), "float32", 0)]
    sources = [Source(n, [n], ((8, 8),), "float32") for n in ("proj_a/w", "proj_b/w")]
    with pytest.raises(Ambiguous) as e:
        match(slots, sources)
    assert ("Keras weight mha/attention_output/kernel (2, 4, 8) could take TF1 proj_a/w or "
            "proj_b/w") in str(e.value)


def _query_of_c_attn():
    return {"multi_head_attention/query/kernel": {
        "from": "model/h0/attn/c_attn/w", "squeeze": 0,
        "split": {"axis": -1, "parts": 3, "index": 0}, "reshape": [HIDDEN, HEADS, HEAD]}}


def test_one_tf1_variable_that_could_fill_two_weights_is_refused_naming_both():
    slots = _slots((8, 2, 4), (8, 2, 4))[:2]
    sources = [Source("proj/w", ["proj/w"], ((8, 8),), "float32")]
    with pytest.raises(Ambiguous) as e:
        match(slots, sources)
    assert "TF1 proj/w (8, 8) could fill Keras mha/query/kernel or mha/key/kernel" in str(e.value)


def test_the_reverse_needs_every_part_of_a_split(tmp_path, gpt2):
    model, _, _ = _converted(gpt2[0], tmp_path)
    back = tmp_path / "back" / "model.ckpt"
    mapping = _query_of_c_attn() | {"multi_head_attention/attention_output/kernel": {
        "from": "model/h0/attn/c_proj/w", "squeeze": 0, "reshape": [HEADS, HEAD, HIDDEN]}}
    with pytest.raises(UserError) as e:
        keras_to_tf1(model, str(back), mapping=mapping, out=lambda _: None,
                     graph=lambda: gpt2_attention(v1.placeholder(tf.float32, (None, T, HIDDEN))))
    assert ("TF1 model/h0/attn/c_attn/w is split in 3 parts; part 1 has no Keras weight"
            in str(e.value))
    assert not back.parent.exists()


def test_a_transform_map_without_the_tf1_graph_is_refused(tmp_path, gpt2):
    model, _, _ = _converted(gpt2[0], tmp_path)
    back = tmp_path / "back" / "model.ckpt"
    with pytest.raises(UserError, match="transform; without the TF1 graph"):
        keras_to_tf1(model, str(back), mapping=_query_of_c_attn(), out=lambda _: None)
    assert not back.parent.exists()
