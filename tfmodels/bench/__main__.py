"""A variant's own process (`python -m tfmodels.bench --serve VARIANT BATCH SAMPLES DEVICE
MODEL`), or `tfmodels bench` by another name."""


from tfmodels.bench import main

__all__ = []  # a program to run, not a module to import from

raise SystemExit(main())
