"""Routes of the shipped pages: the journey viewer at /ui, and their assets at /static."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

STATIC = Path(__file__).with_name("static")


def graphiql_html() -> str:
    """GraphiQL, served by the GraphQL endpoint to browsers, with local assets only."""
    return (STATIC / "graphiql.html").read_text()


async def _journey(_request: Request) -> Response:
    return FileResponse(STATIC / "journey.html", media_type="text/html")


class _Revalidated(StaticFiles):
    """The shipped assets hold no personal data: a browser keeps them and asks again with the ETag
    StaticFiles sends (a 304 instead of GraphiQL's 3.5 MB), rather than the no-store of every answer.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def revalidated(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"cache-control", b"no-cache")]
            await send(message)

        await super().__call__(scope, receive, revalidated)


def ui_routes() -> list[BaseRoute]:
    return [Route("/ui", _journey, methods=["GET"]), Mount("/static", _Revalidated(directory=STATIC), name="static")]
