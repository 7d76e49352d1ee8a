"""`python -m tf1_compat PROGRAM.py [ARG ...]`: an unmodified TF 1.x program on TensorFlow 2.21.

See `tf1_compat.runner`.
"""

import sys

from tf1_compat.runner import main

sys.exit(main(sys.argv[1:]))
