"""Encryption at rest of extension attributes marked `encrypt`: the data keys, the record cipher, the
key registry in the database (ids and check values, never a key) and re-encryption in batches.
"""
