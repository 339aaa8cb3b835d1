"""The differential test's case table and its PyTorch runner (see cases.py)."""
