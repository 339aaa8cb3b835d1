"""Runs the differential case table under PyTorch and pickles the results.

    python3 run_torch.py OUT.pickle

Run by test_differential.py in the interpreter that has PyTorch (Debian's
/usr/bin/python3 with python3-torch; $TENSORD_ORACLE_PYTHON overrides). The
pickle holds {"torch": version, "results": {case name: result}} with results
made only of builtins (see harness.encode), so any NumPy can read them.
"""

import os
import pickle
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402

from oracle import cases, composed, harness  # noqa: E402


def main(out_path):
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    results = {}
    for case in cases.CASES + composed.CASES:
        torch.set_grad_enabled(True)
        results[case.name] = harness.run_case(torch, case)
    with open(out_path, "wb") as f:
        pickle.dump({"torch": str(torch.__version__), "results": results}, f, protocol=4)


if __name__ == "__main__":
    main(sys.argv[1])
