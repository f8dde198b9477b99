"""Routes of the shipped pages: the journey viewer at /ui, and their assets at /static."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).with_name("static")


def graphiql_html() -> str:
    """GraphiQL, served by the GraphQL endpoint to browsers, with local assets only."""
    return (STATIC / "graphiql.html").read_text()


async def _journey(_request: Request) -> Response:
    return FileResponse(STATIC / "journey.html", media_type="text/html")


def ui_routes() -> list[BaseRoute]:
    return [Route("/ui", _journey, methods=["GET"]), Mount("/static", StaticFiles(directory=STATIC), name="static")]
