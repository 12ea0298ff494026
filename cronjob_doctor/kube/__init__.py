"""The only package that imports the kubernetes client: config, retries, reads, create/delete, watches, logs.

Import-free on purpose: `cronjob-doctor --help`, `lint -f` and `analyze` import nothing from here, and callers
import `cronjob_doctor.kube.client` (which loads the client) only when they need a cluster.
"""
