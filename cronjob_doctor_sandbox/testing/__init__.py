"""Test-only parts of the sandbox: fault injection (failing answers, cut streams, outages, expired watches) and
RBAC denials. `demo` never turns them on; tests do, through `Sandbox.faults` and `Sandbox.deny()`.
"""
