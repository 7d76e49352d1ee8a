"""Lesson 7: gradient descent's learning rate (C10), batch sizes (C11) and iterations (C14).

Too low a rate barely moves the loss; too high jumps across the valley (or overflows). One
sample per step (stochastic), a mini-batch, or all samples (full batch): an epoch is
ceil(N / batch) updates, and that is what both tracks count.
"""

from tfmodels.lessons import (
    batch_size_curves,
    iterations_run,
    learning_rate_curves,
    lesson_args,
    summary_writer,
    write_curves,
)

args = lesson_args(__doc__)
epochs = 3 if args.quick else 10
curves = learning_rate_curves(epochs=epochs)
for name, losses in curves.items():
    print(f"{name:9s} loss per epoch: " + " ".join(f"{v:.3f}" for v in losses))

batches = batch_size_curves(epochs=1 if args.quick else 5)
for name, (losses, updates) in batches.items():
    print(f"{name:10s} {updates:5d} updates, final loss {losses[-1]:.4f}")

counts = iterations_run(50, 16, 3)
print(f"50 samples, batch 16, 3 epochs: ceil(50/16) x 3 = {counts['expected']}; "
      f"Keras made {counts['keras']} updates, TF1 {counts['tf1']}")

writer = summary_writer(args.logdir, "07_learning_rate_and_batches")
write_curves(writer, "loss", {**curves, **{k: v[0] for k, v in batches.items()}})
print(f"Logs: {args.logdir}/07_learning_rate_and_batches")
