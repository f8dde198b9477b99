"""Wrong API keys throttled per client address: each address may send `per_minute` wrong keys a
minute (a token bucket holding that many, refilled evenly); past that, whatever it sends with a key
is refused with 429 and Retry-After before the key is looked at, so a guesser learns nothing
until its allowance refills. Requests without a key are not throttled here (they learn nothing).
An IPv6 client counts by its /64 network, the block one subscriber usually holds.

The address is the connection's, or, behind a proxy listed in `trusted_proxies`, the one its
X-Forwarded-For names (app/main.py rewrites the scope's client first), so a load balancer's
desktops are not throttled together. Each worker process keeps its own buckets.
"""

from __future__ import annotations

import ipaddress
import math
import time

from starlette.types import Scope

from contextgraph.resolvers.errors import TooManyRequests

_SWEEP = 4096  # addresses held before refilled buckets are forgotten (then twice as many, …)
_MOST = 65_536  # addresses held at most: the oldest go first


class FailedKeys:
    def __init__(self, per_minute: int) -> None:
        self.capacity, self.rate = float(per_minute), per_minute / 60
        self._buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, when)
        self._sweep_at = _SWEEP

    def check(self, address: str) -> None:
        """Refuse (TooManyRequests) while `address` has no wrong key left to send."""
        if self.capacity <= 0 or address not in self._buckets:
            return
        tokens = self._tokens(address, time.monotonic())
        if tokens < 1:
            wait = math.ceil((1 - tokens) / self.rate)
            raise TooManyRequests(f"too many wrong API keys from this address; retry in {wait} s", wait)

    def failed(self, address: str) -> None:
        """Spend one of `address`'s wrong keys."""
        if self.capacity <= 0:
            return
        now = time.monotonic()
        tokens = self._tokens(address, now)
        self._buckets.pop(address, None)  # re-inserted last: the dict's order is the age of the last failure
        self._buckets[address] = (max(tokens - 1, 0.0), now)
        if len(self._buckets) > _MOST:
            del self._buckets[next(iter(self._buckets))]
        if len(self._buckets) > self._sweep_at:
            self._forget(now)
            self._sweep_at = max(_SWEEP, 2 * len(self._buckets))

    def _tokens(self, address: str, now: float) -> float:
        tokens, then = self._buckets.get(address, (self.capacity, now))
        return min(self.capacity, tokens + (now - then) * self.rate)

    def _forget(self, now: float) -> None:
        for address in [a for a in self._buckets if self._tokens(a, now) >= self.capacity]:
            del self._buckets[address]


def client_address(scope: Scope) -> str:
    """Whom to count a wrong key against: the client's address (the connection's, or the one a
    trusted proxy forwarded for); an IPv6 address's /64 network.
    """
    client = scope.get("client")
    address = str(client[0]) if client else "-"
    if ":" in address:
        try:
            return str(ipaddress.ip_network(f"{address}/64", strict=False))
        except ValueError:
            return address
    return address
