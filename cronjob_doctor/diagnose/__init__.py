"""`diagnose`: settings.py (what was asked, validated before the cluster is touched), preflight.py (the RBAC it
needs, asked before anything is created), flow.py (resolve, snapshot the evidence, run the debug Jobs, follow
them, judge, clean up). The debug Job itself is built by debugjob/; following it is capture/'s job.
"""
