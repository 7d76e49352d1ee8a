"""mutmut 2.5.1 on a line range of one module only (docs/testing.md, "The command").

    MUT_FILE=tfmodels/core/reference.py MUT_LO=386 MUT_HI=721 \
        python tools/mutmut_lines.py run --paths-to-mutate tfmodels/core/reference.py \
        --use-patch-file /dev/null --tests-dir tests/ --no-progress --runner "..."

mutmut 2.x restricts a run to some lines only through `--use-patch-file` (the lines a diff
adds), which needs the `whatthepatch` package; this replaces the patch reader by the range
MUT_LO..MUT_HI (1-based, inclusive) of MUT_FILE, so a long module can be measured in parts.
Mutants outside the range are not generated (nor stored in `.mutmut-cache`). The guard is
needed: mutmut's workers are started with `spawn`, which imports this file again.
"""

import os
import sys

import mutmut.__main__ as mutmut_main

if __name__ == "__main__":
    lo, hi = int(os.environ["MUT_LO"]), int(os.environ["MUT_HI"])
    mutmut_main.read_patch_data = lambda path: {os.environ["MUT_FILE"]: set(range(lo, hi + 1))}
    sys.exit(mutmut_main.climain())
