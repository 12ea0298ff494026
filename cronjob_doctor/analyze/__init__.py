"""`analyze`: the verdict engine alone, offline, on a saved bundle (flow.py). Reads files only, never a cluster."""
