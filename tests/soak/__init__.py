"""The soak (`make soak`, `python -m tests.soak`): a real server under hostile and normal load at once,
its memory and its readiness probe watched. load.py holds the loads, which the memory tests reuse.
"""
