"""Adversarial suite: bad input, tampering, crashes, hostile text, concurrency and load, with figures."""
