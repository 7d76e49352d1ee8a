"""The migration kit: TF1 code and checkpoints carried into Keras 3, with proof.

    from tfmodels.migration import TF1StyleLayer, tf1_to_keras, verify

- **TF1 code inside Keras 3** (`tf1_style`): `TF1StyleLayer(build)` runs a TF1 model function
  (`get_variable`, `tf1_compat.layers`, `tf1_compat.rnn`) as a Keras layer that owns its
  variables; `FusedBatchNormalization` (`keras_layers`) is Keras's layer with TF1's fused
  moving-variance update, for ports whose numbers must stay TF1's.
- **Checkpoints, both ways** (`conversion`): `tf1_to_keras` fills any Keras model from any TF1
  `Saver` checkpoint and `keras_to_tf1` writes one back, pairing the weights by name, order and
  shape (`matching`; a map file where they do not tell); `convert` moves the project's own
  models' checkpoints, whose spec names every weight; `keras2_to_keras` fills a Keras 3 model
  from a Keras 2 (tf_keras) `.h5` file, `save_weights` checkpoint or SavedModel folder. One
  reader and one writer of each file kind (`checkpoints`); the TF1 cells' layouts in one table
  (`tf1_compat.layouts`).
- **Proof** (`equivalence`): `verify(build, keras_model, input_shape)` runs the migration guide's
  checks in order (variables made once, names and shapes, outputs, outputs with aligned dropout,
  training steps, outputs after training) and returns a `Report`; `assert_equivalent` raises
  `NotEquivalent` for pytest; `from_model_fn` takes an Estimator `model_fn`; `verify_keras2`
  takes a Keras 2 (tf_keras) model (a file or `module:factory`), run in a process of its own,
  as the reference side: outputs, then training steps with the mapped optimizer and the same
  dropout masks on both sides (`keras2_training`, `dropout_masks`);
  `verify_phases` a program trained in phases by several optimizers (a GAN's discriminator
  then generator, each its own `var_list`) against a Keras `Port` of its networks and steps.

`tfmodels convert` and `tfmodels verify` are the same from the command line. Importing this
package starts no TensorFlow: each name is loaded on first use.
"""

from tfmodels.core.exports import lazy_exports

_PUBLIC = {
    "TF1StyleLayer": "tfmodels.migration.tf1_style",
    "VariablesNotMadeOnce": "tfmodels.migration.tf1_style",
    "FusedBatchNormalization": "tfmodels.migration.keras_layers",
    "tf1_to_keras": "tfmodels.migration.conversion",
    "keras2_to_keras": "tfmodels.migration.conversion",
    "keras_to_tf1": "tfmodels.migration.conversion",
    "convert": "tfmodels.migration.conversion",
    "match": "tfmodels.migration.matching",
    "read_checkpoint": "tfmodels.migration.checkpoints",
    "verify": "tfmodels.migration.equivalence",
    "assert_equivalent": "tfmodels.migration.equivalence",
    "from_model_fn": "tfmodels.migration.equivalence",
    "verify_keras2": "tfmodels.migration.keras2_reference",
    "verify_phases": "tfmodels.migration.phases",
    "Port": "tfmodels.migration.phases",
    "Options": "tfmodels.migration.equivalence",
    "Report": "tfmodels.migration.equivalence",
    "Check": "tfmodels.migration.equivalence",
    "NotEquivalent": "tfmodels.migration.equivalence",
    "Unmatched": "tfmodels.migration.equivalence",
}
__all__ = sorted(_PUBLIC)
__getattr__ = lazy_exports(__name__, _PUBLIC)
