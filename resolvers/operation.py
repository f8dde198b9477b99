"""One declaration per operation: its name, the spec task (role) it needs, its typed input and the
function that runs it. REST routes and GraphQL fields bind to these; nothing else decides roles.

    @operation("startService", tasks=(S + "startService",), input=StartService)
    async def start_service(ctx: Context, input: StartService) -> int: ...

Calling the operation checks the roles of `ctx.principal` (403), validates the input (400, with
the documented messages: the models' validators raise the error tree's BadParameter), then runs.
An operation that does more than its name declares the extra roles its input calls for
(`more_tasks`): the composite start creates tasks, a read may include states or extensions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, ValidationInfo

from contextgraph.resolvers import idempotency
from contextgraph.resolvers.context import Context
from contextgraph.resolvers.errors import BadParameter
from contextgraph.resolvers.values import Check, require_object

I = TypeVar("I", bound=BaseModel)  # noqa: E741 - the input, as the catalog names it
R = TypeVar("R")


class Input(BaseModel):
    """Base of every operation's input: values are checked by the spec's own rules (values.py)."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class NoInput(Input):
    """The input of an operation that takes nothing."""


def _object(value: Any) -> dict[str, Any]:
    return dict(require_object(value))


# A JSON object a client sent (a profile's attributes, an interaction): 400 when it is not one.
JsonObject = Annotated[dict[str, Any], BeforeValidator(_object)]


def checked(check: Check) -> BeforeValidator:
    """A field checked by one of values.py's checks, named as the field is (None passes unchecked)."""

    def validate(value: Any, info: ValidationInfo) -> Any:
        return value if value is None else check(info.field_name or "value", value)

    return BeforeValidator(validate)


@dataclass(frozen=True, eq=False)
class Operation(Generic[I, R]):
    """One catalog entry (see the module's docstring)."""

    name: str
    summary: str
    tasks: tuple[str, ...]
    input: type[I]
    run: Callable[[Context, I], Awaitable[R]]
    more_tasks: Callable[[I], Iterable[str]] | None = None
    more_tasks_doc: str = ""  # the README says which roles the input may add
    # A start a client may retry with an idempotency key: how its kept result (JSON) becomes its result.
    replay: Callable[[Any], Any] | None = None

    def parse(self, given: I | Mapping[str, Any]) -> I:
        """The input, validated (BadParameter with the documented message when it is not)."""
        if isinstance(given, self.input):
            return given
        try:
            return self.input.model_validate(given)
        except ValidationError as error:  # a shape no check of ours caught (a missing field, a wrong type)
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or self.name
            raise BadParameter(where, first["msg"].lower()) from None

    def needs(self, input: I | None = None) -> tuple[str, ...]:
        """The roles this operation needs, for this input when one is given."""
        extra = tuple(self.more_tasks(input)) if input is not None and self.more_tasks is not None else ()
        return self.tasks + tuple(task for task in extra if task not in self.tasks)

    async def __call__(self, ctx: Context, given: I | Mapping[str, Any]) -> R:
        ctx.require(*self.tasks)  # before the input: a key without the role learns nothing of it
        input = self.parse(given)
        ctx.require(*self.needs(input))
        if self.replay is not None and ctx.conditions.idempotency_key is not None:
            return await idempotency.once(ctx, self, given, input)  # type: ignore[no-any-return]
        return await self.run(ctx, input)


def operation(
    name: str,
    *,
    tasks: tuple[str, ...],
    input: type[I],
    summary: str | None = None,
    more_tasks: Callable[[I], Iterable[str]] | None = None,
    more_tasks_doc: str = "",
    replay: Callable[[Any], Any] | None = None,
) -> Callable[[Callable[[Context, I], Awaitable[R]]], Operation[I, R]]:
    """Declare the decorated function as the operation `name` (its docstring is the summary)."""

    def declare(run: Callable[[Context, I], Awaitable[R]]) -> Operation[I, R]:
        text = summary or (run.__doc__ or name).strip().splitlines()[0]
        return Operation(name, text, tasks, input, run, more_tasks, more_tasks_doc, replay)

    return declare
