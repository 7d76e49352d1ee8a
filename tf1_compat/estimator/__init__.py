"""`tf.estimator` again (gone from TensorFlow since 2.16): TF1's Estimator on `tf.compat.v1`.

    from tf1_compat import estimator as tf_estimator     # or `tf.estimator` under the runner
    est = tf_estimator.Estimator(model_fn, model_dir="run", config=tf_estimator.RunConfig(
        save_checkpoints_steps=100, tf_random_seed=1))
    est.train(tf_estimator.inputs.numpy_input_fn({"x": x}, y, shuffle=True, num_epochs=None),
              steps=1000)

Provided: `Estimator` (train, evaluate, predict, get_variable_names/value, latest_checkpoint),
`EstimatorSpec`, `ModeKeys`, `RunConfig`, `TrainSpec`, `EvalSpec`, `train_and_evaluate`,
`inputs.numpy_input_fn`. Not provided: the canned estimators (DNNClassifier, LinearRegressor...),
SavedModel export, distribution strategies, warm starting, `inputs.pandas_input_fn`.
"""

from tf1_compat.estimator import inputs
from tf1_compat.estimator.estimator import Estimator
from tf1_compat.estimator.spec import EstimatorSpec, EvalSpec, ModeKeys, RunConfig, TrainSpec
from tf1_compat.estimator.training import train_and_evaluate

__all__ = ["Estimator", "EstimatorSpec", "EvalSpec", "ModeKeys", "RunConfig", "TrainSpec",
           "inputs", "train_and_evaluate"]
