"""`python -m tf1_compat PROGRAM.py [ARG ...]`: an unmodified TF 1.x program on TensorFlow 2.21.

See `tf1_compat.runner`.
"""


import sys

from tf1_compat.runner import main

__all__ = []  # a program to run, not a module to import from

sys.exit(main(sys.argv[1:]))
