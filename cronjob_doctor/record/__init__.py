"""`record`: flow.py decides which Jobs to follow; job_capture.py captures one scheduled run into its bundle and
closes it with a verdict; model.py is the RecordedRun it reports; store.py, retention.py, notify.py and
metrics.py keep the bundle root, its size, the --on-failure hook and the Prometheus metrics.
"""
