"""How fast do the two tracks train? `tfmodels bench` as a script: see tfmodels/bench.py.

    python scripts/bench.py                       # the full table (a few minutes)
    python scripts/bench.py --samples 5000 --epochs 1 --batch-sizes 32   # a quick look
"""

import sys

from tfmodels.bench import main

if __name__ == "__main__":
    sys.exit(main())
