"""Per-key rate limits: a token bucket per API key in each process, refilled at `rate_limit` requests
per second up to `rate_limit_burst`. Over the limit: 429 with Retry-After (whole seconds). With
several workers each keeps its own buckets, so a key's ceiling is the limit times the workers.
"""

from __future__ import annotations

import math
import time

from contextgraph.resolvers.errors import TooManyRequests


class RateLimiter:
    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, tuple[float, float]] = {}  # key id -> (tokens, when)

    def take(self, key_id: str) -> None:
        """Spend one request of `key_id`'s allowance, or refuse with TooManyRequests."""
        if self.rate <= 0:
            return
        now = time.monotonic()
        tokens, then = self._buckets.get(key_id, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - then) * self.rate)
        if tokens < 1:
            self._buckets[key_id] = (tokens, now)
            wait = math.ceil((1 - tokens) / self.rate)
            raise TooManyRequests(f"this API key is over its limit of {self.rate:g} requests per second", wait)
        self._buckets[key_id] = (tokens - 1, now)
