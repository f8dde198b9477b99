"""The installed version of Context Graph, read from the distribution's own metadata."""

from __future__ import annotations

from importlib.metadata import version

VERSION = version("contextgraph")
