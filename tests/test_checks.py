"""tfmodels.core.checks on its own, in NumPy: every check's boundary and the numbers its one line
names (shapes, counts, rows, the offending value). The tracks' use of these checks, end to end,
is tests/test_bad_input.py; this file needs no TensorFlow, so a mutation run of checks.py
(docs/testing.md) takes well under a second per mutant."""

import re

import numpy as np
import pytest

from tfmodels.core.checks import (
    batch_size_for,
    check_batch_size,
    check_count,
    check_epochs,
    check_slopes,
    check_x,
    check_y,
    int_option,
    positive_int,
)


def refused(call, *args, **kwargs) -> str:
    with pytest.raises(ValueError) as err:
        call(*args, **kwargs)
    return str(err.value)


# --- check_x ------------------------------------------------------------------------------------

def test_x_is_returned_as_float32_with_its_values():
    x = [[1, 2, 3], [4, 5, 6]]  # ints, a list: any array-like of numbers
    out = check_x(x, 3)
    assert out.dtype == np.float32 and out.shape == (2, 3)
    assert out.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    images = np.ones((5, 4, 4, 1))
    assert check_x(images, (4, 4, 1)).shape == (5, 4, 4, 1)
    assert check_x(images, [4, 4, 1]).dtype == np.float32  # a list of dims is a shape too
    assert check_x(np.zeros((1, 1)), 1).shape == (1, 1)  # one sample of one feature is enough


def test_x_with_the_wrong_feature_count_names_both_shapes():
    message = refused(check_x, np.zeros((7, 5)), 4)
    assert message == ("x has shape (7, 5), but the model expects (None, 4): "
                       "4 features per sample, batch axis first")


def test_x_of_the_wrong_rank_says_which_rank():
    message = refused(check_x, np.zeros(4), 4, what="x_val")
    assert message == ("x_val has shape (4,) (rank 1, expected 2), but the model expects "
                       "(None, 4): 4 features per sample, batch axis first")
    message = refused(check_x, np.zeros((2, 4, 4)), (4, 4, 1))
    assert message == ("x has shape (2, 4, 4) (rank 3, expected 4), but the model expects "
                       "(None, 4, 4, 1): samples of shape (4, 4, 1), batch axis first")
    # the same rank with one dimension off: no rank remark
    message = refused(check_x, np.zeros((2, 4, 3, 1)), (4, 4, 1))
    assert message == ("x has shape (2, 4, 3, 1), but the model expects (None, 4, 4, 1): "
                       "samples of shape (4, 4, 1), batch axis first")


def test_empty_x_is_refused():
    assert refused(check_x, np.zeros((0, 3)), 3) == (
        "x is empty: shape (0, 3); give at least one sample")


def test_x_of_strings_is_refused_naming_the_type():
    message = refused(check_x, np.array([["a", "b"]]), 2)
    assert message == "x must hold numbers; got ndarray of <U1"


def test_nan_and_inf_are_counted_and_the_first_row_named():
    x = np.zeros((6, 3), np.float32)
    x[4, 0] = np.nan
    x[2, 1] = np.inf  # the first in row 2, column 1: the row is named, not the column
    x[4, 2] = -np.inf
    assert refused(check_x, x, 3) == (
        "x holds 3 NaN or infinite value(s), the first in row 2; "
        "remove or impute them before training")


def test_finite_values_whose_sum_overflows_are_accepted_as_they_are():
    """`_numbers` looks element by element only when the sum is not finite; a sum of finite
    values can overflow float32, and such data is still good data."""
    x = np.full((4, 2), 3e38, np.float32)  # sums to inf
    assert np.isinf(x.sum())
    assert np.array_equal(check_x(x, 2), x)


def test_a_nan_beside_values_whose_sum_overflows_is_still_found():
    x = np.full((4, 2), -3e38, np.float32)
    x[3, 1] = np.nan
    assert refused(check_x, x, 2) == (
        "x holds 1 NaN or infinite value(s), the first in row 3; "
        "remove or impute them before training")


# --- check_y: sparse categorical ----------------------------------------------------------------

SPARSE = "sparse_categorical_crossentropy"


def test_sparse_labels_flat_or_a_column_come_back_flat():
    x = np.zeros((4, 2))
    for y in ([0, 1, 2, 1], [[0], [1], [2], [1]]):
        out = check_y(y, x, 3, SPARSE)
        assert out.shape == (4,) and out.dtype == np.float32
        assert out.tolist() == [0.0, 1.0, 2.0, 1.0]


def test_sparse_labels_of_the_wrong_shape():
    x = np.zeros((4, 2))
    expected = ("y has shape {}, but sparse_categorical_crossentropy takes class numbers, "
                "shaped (samples,) or (samples, 1)")
    assert refused(check_y, np.zeros((4, 3)), x, 3, SPARSE) == expected.format((4, 3))
    assert refused(check_y, np.zeros((4, 1, 1)), x, 3, SPARSE) == expected.format((4, 1, 1))
    assert refused(check_y, np.float32(1), x, 3, SPARSE) == expected.format(())


def test_sparse_label_count_must_match_x():
    assert refused(check_y, [0, 1, 2], np.zeros((4, 2)), 3, SPARSE, what="y_val") == (
        "x has 4 samples but y_val has 3; they must match")


@pytest.mark.parametrize("bad, index", [(3.0, 2), (-1.0, 1), (0.5, 3)])
def test_sparse_labels_outside_the_classes_name_the_first(bad, index):
    y = np.array([0.0, 1.0, 2.0, 0.0])
    y[index] = bad
    message = refused(check_y, y, np.zeros((4, 2)), 3, SPARSE)
    assert message == ("y must hold class numbers 0..2 for sparse_categorical_crossentropy; "
                       f"sample {index} is {np.float32(bad)!r}")


def test_sparse_labels_at_the_edges_pass():
    out = check_y([0, 4], np.zeros((2, 1)), 5, SPARSE)  # 0 and output_dim - 1
    assert out.tolist() == [0.0, 4.0]


# --- check_y: one-hot and binary ----------------------------------------------------------------

CATEGORICAL = "categorical_crossentropy"
BINARY = "binary_crossentropy"


def test_one_hot_labels_pass_as_float32():
    y = np.eye(3)[[2, 0, 1]]
    out = check_y(y, np.zeros((3, 5)), 3, CATEGORICAL)
    assert out.dtype == np.float32 and out.tolist() == y.tolist()


def test_integer_labels_for_categorical_get_the_one_hot_hint():
    message = refused(check_y, np.array([0, 1, 2]), np.zeros((3, 5)), 3, CATEGORICAL)
    assert message == ("y has shape (3,), but the model's output is (None, 3) for "
                       "categorical_crossentropy; integer labels? one-hot them with "
                       "keras.utils.to_categorical(y, 3)")


def test_wrong_label_width_has_no_hint_outside_that_case():
    message = refused(check_y, np.zeros((3, 2)), np.zeros((3, 5)), 3, CATEGORICAL)
    assert message == ("y has shape (3, 2), but the model's output is (None, 3) for "
                       "categorical_crossentropy")
    message = refused(check_y, np.zeros(3), np.zeros((3, 5)), 1, BINARY)  # rank 1, not one-hot
    assert message == ("y has shape (3,), but the model's output is (None, 1) for "
                       "binary_crossentropy")
    message = refused(check_y, np.zeros((3, 1, 1)), np.zeros((3, 5)), 1, BINARY)
    assert message.startswith("y has shape (3, 1, 1), but")


def test_label_count_must_match_x():
    # two samples of three classes: the count is the first axis, not the second
    assert refused(check_y, np.eye(3)[:2], np.zeros((4, 5)), 3, CATEGORICAL) == (
        "x has 4 samples but y has 2; they must match")


def test_labels_with_nan_are_refused():
    y = np.eye(3)
    y[1, 1] = np.nan
    assert refused(check_y, y, np.zeros((3, 5)), 3, CATEGORICAL).startswith(
        "y holds 1 NaN or infinite value(s), the first in row 1;")


@pytest.mark.parametrize("row, values", [
    ([0.0, 0.0, 0.0], "no 1"),
    ([1.0, 1.0, 0.0], "two 1s"),
    ([0.5, 0.5, 0.0], "sums to 1 but not 0/1"),
    ([2.0, -1.0, 0.0], "sums to 1 with other numbers"),
])
def test_categorical_labels_must_be_one_hot(row, values):
    y = np.eye(3)[[0, 1, 2, 0]]
    y[2] = row
    message = refused(check_y, y, np.zeros((4, 5)), 3, CATEGORICAL)
    assert message == ("y must be one-hot for categorical_crossentropy (one 1 per row, 0 "
                       f"elsewhere); row 2 is {row}"), values


def test_binary_labels_must_be_zero_or_one():
    y = np.array([[0.0], [1.0], [1.0], [0.5], [2.0]])
    message = refused(check_y, y, np.zeros((5, 2)), 1, BINARY)
    assert message == "y must hold 0 or 1 for binary_crossentropy; row 3 is [0.5]"
    # several outputs: every entry 0 or 1, any number of 1s per row (multi-label)
    y = np.array([[1.0, 1.0], [0.0, 0.0], [1.0, 0.0]])
    assert check_y(y, np.zeros((3, 2)), 2, BINARY).tolist() == y.tolist()


def test_regression_targets_are_any_finite_numbers():
    y = np.array([[0.25], [-3.0], [7.5]])
    out = check_y(y, np.zeros((3, 1)), 1, "mse")
    assert out.dtype == np.float32 and out.tolist() == [[0.25], [-3.0], [7.5]]
    # one-hot and 0/1 rules belong to their losses only
    assert check_y(np.full((2, 3), 0.5), np.zeros((2, 1)), 3, "mse").sum() == 3.0


# --- batch size and slopes ----------------------------------------------------------------------

def test_batch_size_defaults_to_32_and_returns_a_python_int():
    assert check_batch_size(None) == 32
    assert check_batch_size(1) == 1
    out = check_batch_size(np.int64(16))
    assert out == 16 and type(out) is int


@pytest.mark.parametrize("batch_size", [0, -4, True, False, 2.0, "8"])
def test_batch_size_must_be_a_positive_integer(batch_size):
    assert refused(check_batch_size, batch_size) == (
        f"batch_size must be a positive integer, got {batch_size!r}")


def test_a_batch_size_up_to_the_training_samples_passes():
    assert check_batch_size(10, samples=10) == 10
    out = check_batch_size(np.int64(3), samples=10)
    assert out == 3 and type(out) is int


def test_a_batch_size_beyond_the_training_samples_is_refused():
    assert refused(check_batch_size, 11, samples=10) == (
        "batch_size=11 is larger than the 10 training samples; give at most 10")
    assert refused(check_batch_size, 11, samples=10, of="binary4") == (
        "batch_size=11 is larger than the 10 training samples of binary4; give at most 10")


def test_a_specs_batch_size_beyond_the_data_trains_one_batch_of_them_and_says_so():
    said = []
    assert batch_size_for(128, 128, said.append) == 128 and said == []
    assert batch_size_for(16, 64, said.append) == 16 and said == []
    assert batch_size_for(128, 64, said.append) == 64
    assert said == ["batch_size=128 is larger than the 64 training samples: training on one "
                    "batch of 64 per epoch"]
    assert batch_size_for(128, 64) == 64  # no log: nothing to tell


def test_epochs_pass_as_a_python_int_from_any_start():
    out = check_epochs(np.int64(3), initial_epoch=np.int64(2))
    assert out == 3 and type(out) is int
    assert check_epochs(1) == 1 and check_epochs(1, 0) == 1


@pytest.mark.parametrize("epochs", [0, -1, True, 2.0, "3", None])
def test_epochs_must_be_a_positive_integer(epochs):
    assert refused(check_epochs, epochs) == f"epochs must be a positive integer, got {epochs!r}"


@pytest.mark.parametrize("initial_epoch", [-1, True, 1.0, "0", None])
def test_initial_epoch_must_be_an_integer_from_0(initial_epoch):
    assert refused(check_epochs, 2, initial_epoch) == (
        f"initial_epoch must be an integer >= 0, got {initial_epoch!r}")


def test_int_option_parses_integers_from_its_least():
    positive, non_negative = int_option(1), int_option(0)
    assert positive("1") == 1 and positive(" 12 ") == 12 and non_negative("0") == 0
    assert type(positive("5")) is int
    assert positive.__name__ == non_negative.__name__ == "integer"  # argparse's "invalid integer"


@pytest.mark.parametrize("least, value, message", [
    (1, "0", "expected a positive integer, got '0'"),
    (1, "-3", "expected a positive integer, got '-3'"),
    (1, "1.5", "expected a positive integer, got '1.5'"),
    (1, "two", "expected a positive integer, got 'two'"),
    (0, "-1", "expected an integer >= 0, got '-1'"),
    (0, "", "expected an integer >= 0, got ''"),
    (2, "1", "expected an integer >= 2, got '1'"),
])
def test_int_option_refuses_with_one_line_naming_the_value(least, value, message):
    import argparse

    with pytest.raises(argparse.ArgumentTypeError) as err:
        int_option(least)(value)
    assert str(err.value) == message


def test_a_count_has_one_bound_in_the_library_and_on_the_command_line():
    """2**63 - 1 (TensorFlow's int64 counters) passes everywhere, one more is refused everywhere:
    a spec file's epochs, `fit`'s, verify's steps and the CLI's flags say the same."""
    import argparse

    most = 2**63 - 1
    assert positive_int("epochs", most) == most and check_epochs(most) == most
    assert check_count("steps", np.int64(most), 0) == most and int_option(1)(str(most)) == most
    bound = "of at most 2**63 - 1, got"
    assert refused(positive_int, "epochs", most + 1) == (
        f"epochs must be a positive integer {bound} {most + 1}")
    assert refused(check_epochs, 10**20) == f"epochs must be a positive integer {bound} {10**20}"
    assert refused(check_count, "steps", most + 1, 0) == (
        f"steps must be an integer >= 0 {bound} {most + 1}")
    with pytest.raises(argparse.ArgumentTypeError) as err:
        int_option(1)(str(most + 1))
    assert str(err.value) == f"expected a positive integer {bound} '{most + 1}'"
    assert int_option(0, most=None)(str(10**30)) == 10**30  # --seed: check_seed bounds it


@pytest.mark.parametrize("lower, upper", [(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (0.125, 0.25)])
def test_slopes_inside_the_unit_interval_pass_as_floats(lower, upper):
    out = check_slopes(lower, upper)
    assert out == (lower, upper) and all(type(v) is float for v in out)
    assert check_slopes(0, 1) == (0.0, 1.0) and type(check_slopes(0, 1)[1]) is float


@pytest.mark.parametrize("lower, upper", [(-0.01, 0.5), (0.5, 0.25), (0.5, 1.01)])
def test_slopes_out_of_order_or_range_are_refused(lower, upper):
    message = refused(check_slopes, lower, upper)
    assert message == ("randomized ReLU slopes must satisfy 0 <= lower <= upper <= 1, "
                       f"got lower={lower!r}, upper={upper!r}")
    assert re.search(r"lower=-?[\d.]+, upper=[\d.]+$", message)
