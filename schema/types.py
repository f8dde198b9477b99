"""The object types: Customer, Service, State, Task, Interaction — each a Relay `Node` whose `id` is
its global id (schema/relay.py), its document's id a field of its own (`serviceId`, …). Services,
states and tasks are the records the read path loads (their fields read the records' attributes);
only the nested lists and connections go through the request's loads (one batched query per level).
"""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from contextgraph.resolvers import interactions as interaction_ops
from contextgraph.resolvers.interaction_reads import Interaction as InteractionRecord
from contextgraph.resolvers.journeys import services as service_ops
from contextgraph.resolvers.journeys import states as state_ops
from contextgraph.resolvers.journeys import tasks as task_ops
from contextgraph.resolvers.journeys.query import ServiceFilter
from contextgraph.resolvers.journeys.records import ServiceRecord, StateRecord, Status, TaskRecord
from contextgraph.resolvers.profiles import profiles as profile_ops
from contextgraph.resolvers.versions import Versioned, etag
from contextgraph.schema import relay
from contextgraph.schema.batched import COMPUTED, Batched, as_loaded
from contextgraph.schema.connections import connection, sources
from contextgraph.schema.loaders import Loaders, loaders
from contextgraph.schema.scalars import Long, LongOrString

# Registers the resolvers' Status enum with GraphQL (strawberry.enum marks the class in place).
strawberry.enum(Status, name="JourneyStatus", description="Active, completed, or all.")

_TYPES = Annotated[list[str] | None, strawberry.argument(description="Only these types (ids or names).")]
FIRST = Annotated[int | None, strawberry.argument(description="At most this many (1 … graphql_max_list, the default).")]
OFFSET = Annotated[int, strawberry.argument(description="Skip this many first.")]
LAST = Annotated[
    int | None, strawberry.argument(description="The last this many (1 … graphql_max_list); not with first.")
]
AFTER = Annotated[str | None, strawberry.argument(description="Only those after this cursor.")]
BEFORE = Annotated[str | None, strawberry.argument(description="Only those before this cursor.")]


# The nested fields, each declared once for graphql-core's resolvers and for compiled plans, each
# standing for the catalog read whose role it needs. Services, states and tasks are the records the
# read path loads, as they are (their Strawberry types read the records' own attributes).
_SERVICE = Batched(service_ops.get_service, lambda found: found.service, lambda child: child.service_id, as_loaded)
_CUSTOMER = Batched(
    profile_ops.get_profile,
    lambda found: found.profile,
    lambda child: child.customer_id,
    lambda profile: Customer.of(profile) if profile is not None else None,
)
_STATE_TASKS = Batched(
    task_ops.service_tasks,
    lambda found, status, types, page: found.tasks_of_state(status, types, page),
    lambda state: state.id,
    as_loaded,
    paged="sql",
)
_SERVICE_STATES = Batched(
    state_ops.service_states,
    lambda found, status, types, page: found.states_of_service(status, types, page),
    lambda service: service.id,
    as_loaded,
    paged="sql",
)
_SERVICE_TASKS = Batched(
    task_ops.service_tasks,
    lambda found, status, types, page: found.tasks_of_service(status, types, page),
    lambda service: service.id,
    as_loaded,
    paged="sql",
)
_SERVICE_INTERACTIONS = Batched(
    interaction_ops.service_interactions,
    lambda found, page: found.interactions_of_service(page),
    lambda service: service.id,
    lambda records: [Interaction.of(i) for i in records] if records else [],
    paged="sql",
)
_CUSTOMER_INTERACTIONS = Batched(
    interaction_ops.customer_interactions,
    lambda found, page: found.interactions_of_customer(page),
    lambda customer: str(customer.id),
    lambda records: [Interaction.of(i) for i in records] if records else [],
    paged="sql",
)
_CUSTOMER_SERVICES = Batched(
    service_ops.customer_services,
    lambda found, page, **filters: found.services_of_customer(service_filter_of(**filters), page),
    lambda customer: str(customer.id),
    as_loaded,
    paged="sql",
)


def _connection_of(spec: Batched, node: type, records: type) -> tuple[type, Batched]:
    """The connection type of a list's nodes, and the list's spec as a connection: the same load
    with a keyset page, the connection made of the page."""
    made, of = connection(node, (records,), global_id)
    return made, Batched(spec.operation, spec.loader, spec.key, of, paged="keyset", node=node.__name__)


def global_id(obj: Any) -> str:
    """The Relay global id of a Customer, Service, State, Task or Interaction."""
    return _GLOBAL_IDS[obj.__class__](obj)


@strawberry.interface(description="An object with a global id: node(id:) finds it again (Relay).")
class Node:
    @strawberry.field(
        name="id",
        description="The global id (opaque): root fields take it as they take the document's id.",
        metadata={COMPUTED: lambda obj, _found: global_id(obj)},
    )
    def global_id(self) -> strawberry.ID:
        return strawberry.ID(global_id(self))


_VERSION = (
    "The version this answer was read at: the ETag REST answers for it, to send back as a mutation's "
    "ifMatch (or REST's If-Match)."
)


def _version(obj: Any, found: Loaders) -> str:
    """The ETag of a Customer, Service, State or Task (each has the `version` its read loaded)."""
    return etag(found.ctx, obj.version)


@strawberry.interface(description="What services, states and tasks share: a start and perhaps an end.")
class Journey:
    est_duration: int | None = strawberry.field(description="Estimated duration in seconds.")
    duration: Long | None = strawberry.field(description="Milliseconds from start to completion.")
    disposition: LongOrString | None
    disposition_desc: str | None
    started: JSON = strawberry.field(description="The start event, as recorded.")
    completed: JSON | None = strawberry.field(description="The end event, once completed.")
    active: bool
    started_at: str
    completed_at: str | None

    @strawberry.field(name="version", description=_VERSION, metadata={COMPUTED: _version})
    def etag(self, info: strawberry.Info) -> str:
        return _version(self, loaders(info))


@strawberry.type(description="A task: a unit of work in a service, perhaps in one of its states.")
@sources(TaskRecord)
class Task(Journey, Node):
    id: int = strawberry.field(name="taskId", description="The task's id, as REST names it (task_id).")
    type_value: LongOrString = strawberry.field(name="taskType")
    service_id: Long
    state_id: int | None

    @strawberry.field(description="The service this task belongs to.", metadata=_SERVICE.metadata())
    async def service(self, info: strawberry.Info) -> Service:
        found: Service = await _SERVICE.one(self, info)
        return found


TaskConnection, _STATE_TASK_PAGES = _connection_of(_STATE_TASKS, Task, TaskRecord)
# the same connection type for a service's tasks
_SERVICE_TASK_PAGES = Batched(
    _SERVICE_TASKS.operation,
    _SERVICE_TASKS.loader,
    _SERVICE_TASKS.key,
    _STATE_TASK_PAGES.wrap,
    paged="keyset",
    node="Task",
)


@strawberry.type(description="A state: one step in the delivery of a service.")
@sources(StateRecord)
class State(Journey, Node):
    id: int = strawberry.field(name="stateId", description="The state's id, as REST names it (state_id).")
    type_value: LongOrString = strawberry.field(name="stateType")
    service_id: Long
    previous_state_id: int | None

    @strawberry.field(description="The tasks started in this state.", metadata=_STATE_TASKS.metadata())
    async def tasks(
        self,
        info: strawberry.Info,
        status: Status = Status.ALL,
        types: _TYPES = None,
        first: FIRST = None,
        offset: OFFSET = 0,
    ) -> list[Task]:
        found: list[Task] = await _STATE_TASKS.one(self, info, status=status, types=types, first=first, offset=offset)
        return found

    @strawberry.field(
        description="The tasks started in this state, a page at a time (Relay).",
        metadata=_STATE_TASK_PAGES.metadata(),
        graphql_type=TaskConnection,
    )
    async def tasks_connection(
        self,
        info: strawberry.Info,
        status: Status = Status.ALL,
        types: _TYPES = None,
        first: FIRST = None,
        after: AFTER = None,
        last: LAST = None,
        before: BEFORE = None,
    ) -> Any:
        return await _STATE_TASK_PAGES.one(
            self, info, status=status, types=types, first=first, after=after, last=last, before=before
        )

    @strawberry.field(description="The service this state belongs to.", metadata=_SERVICE.metadata())
    async def service(self, info: strawberry.Info) -> Service:
        found: Service = await _SERVICE.one(self, info)
        return found


StateConnection, _SERVICE_STATE_PAGES = _connection_of(_SERVICE_STATES, State, StateRecord)


@strawberry.type(description="A chat, e-mail, phone call, callback or open-media interaction.")
class Interaction(Node):
    id: str = strawberry.field(name="interactionId", description="The interaction's id, as recorded.")
    customer_id: strawberry.ID
    service_id: Long | None
    entity_type: int = strawberry.field(description="0 e-mail in, 1 e-mail out, 2 chat, 3 phone call, 5 callback, …")
    media_type: str
    type: str
    status: int
    start_date: str
    end_date: str | None
    subject: str | None
    fields: JSON = strawberry.field(description="Every recorded field (udata included), as GET /interactions/{id}.")
    text_url: str | None = strawberry.field(description="Where the plain text is, if any.")
    structured_text_url: str | None
    binary_content_url: str | None

    @classmethod
    def of(cls, i: InteractionRecord) -> Interaction:
        f = i.fields
        urls = {
            name: f"/interactions/{i.id}/{path}" if name in i.contents else None
            for name, path in (
                ("text", "plain_text"),
                ("structured_text", "structured_text"),
                ("binary_content", "binary_content"),
            )
        }
        return cls(
            id=i.id,
            customer_id=strawberry.ID(i.customer_id),
            service_id=Long(i.service_id) if i.service_id else None,
            entity_type=f["entity_type"],
            media_type=f["media_type"],
            type=f["type"],
            status=f["status"],
            start_date=f["start_date"],
            end_date=f.get("end_date"),
            subject=f.get("subject"),
            fields=JSON(f),
            text_url=urls["text"],
            structured_text_url=urls["structured_text"],
            binary_content_url=urls["binary_content"],
        )

    @strawberry.field(description="The customer.", metadata=_CUSTOMER.metadata())
    async def customer(self, info: strawberry.Info) -> Customer | None:
        found: Customer | None = await _CUSTOMER.one(self, info)
        return found

    @strawberry.field(description="The service it was recorded with, if any.", metadata=_SERVICE.metadata())
    async def service(self, info: strawberry.Info) -> Service | None:
        found: Service | None = await _SERVICE.one(self, info)
        return found


InteractionConnection, _interaction_page = connection(Interaction, (Interaction,), global_id)


def _interaction_window(window: tuple[list[InteractionRecord], bool, bool]) -> Any:
    """The connection of a page of interaction records (its nodes the GraphQL objects made of them)."""
    records, previous, following = window
    return _interaction_page(([Interaction.of(i) for i in records], previous, following))


def _interaction_pages(spec: Batched) -> Batched:
    """An interaction list's spec as a connection: its keyset pages ordered by start time, then id."""
    return Batched(spec.operation, spec.loader, spec.key, _interaction_window, paged="keyset", node="Interaction")


_SERVICE_INTERACTION_PAGES = _interaction_pages(_SERVICE_INTERACTIONS)
_CUSTOMER_INTERACTION_PAGES = _interaction_pages(_CUSTOMER_INTERACTIONS)


@strawberry.type(description="A service: a promise made to a customer (or to a contact key, while anonymous).")
@sources(ServiceRecord)
class Service(Journey, Node):
    id: Long = strawberry.field(name="serviceId", description="The service's id, as REST names it (service_id).")
    type_value: LongOrString = strawberry.field(name="serviceType")
    customer_id: strawberry.ID | None
    contact_key: str | None

    @strawberry.field(
        description="The customer, once the service is associated with one.", metadata=_CUSTOMER.metadata()
    )
    async def customer(self, info: strawberry.Info) -> Customer | None:
        found: Customer | None = await _CUSTOMER.one(self, info)
        return found

    @strawberry.field(
        description="The interactions of this service (recorded with it, or named by its events), oldest first.",
        metadata=_SERVICE_INTERACTIONS.metadata(),
    )
    async def interactions(self, info: strawberry.Info, first: FIRST = None, offset: OFFSET = 0) -> list[Interaction]:
        found: list[Interaction] = await _SERVICE_INTERACTIONS.one(self, info, first=first, offset=offset)
        return found

    @strawberry.field(
        description="The interactions of this service, a page at a time, oldest first (Relay).",
        metadata=_SERVICE_INTERACTION_PAGES.metadata(),
        graphql_type=InteractionConnection,
    )
    async def interactions_connection(
        self, info: strawberry.Info, first: FIRST = None, after: AFTER = None, last: LAST = None, before: BEFORE = None
    ) -> Any:
        return await _SERVICE_INTERACTION_PAGES.one(self, info, first=first, after=after, last=last, before=before)

    @strawberry.field(description="The states of this service, oldest first.", metadata=_SERVICE_STATES.metadata())
    async def states(
        self,
        info: strawberry.Info,
        status: Status = Status.ALL,
        types: _TYPES = None,
        first: FIRST = None,
        offset: OFFSET = 0,
    ) -> list[State]:
        found: list[State] = await _SERVICE_STATES.one(
            self, info, status=status, types=types, first=first, offset=offset
        )
        return found

    @strawberry.field(
        description="All tasks of this service (in a state or not), oldest first.", metadata=_SERVICE_TASKS.metadata()
    )
    async def tasks(
        self,
        info: strawberry.Info,
        status: Status = Status.ALL,
        types: _TYPES = None,
        first: FIRST = None,
        offset: OFFSET = 0,
    ) -> list[Task]:
        found: list[Task] = await _SERVICE_TASKS.one(self, info, status=status, types=types, first=first, offset=offset)
        return found

    @strawberry.field(
        description="The states of this service, a page at a time (Relay).",
        metadata=_SERVICE_STATE_PAGES.metadata(),
        graphql_type=StateConnection,
    )
    async def states_connection(
        self,
        info: strawberry.Info,
        status: Status = Status.ALL,
        types: _TYPES = None,
        first: FIRST = None,
        after: AFTER = None,
        last: LAST = None,
        before: BEFORE = None,
    ) -> Any:
        return await _SERVICE_STATE_PAGES.one(
            self, info, status=status, types=types, first=first, after=after, last=last, before=before
        )

    @strawberry.field(
        description="All tasks of this service, a page at a time (Relay).",
        metadata=_SERVICE_TASK_PAGES.metadata(),
        graphql_type=TaskConnection,
    )
    async def tasks_connection(
        self,
        info: strawberry.Info,
        status: Status = Status.ALL,
        types: _TYPES = None,
        first: FIRST = None,
        after: AFTER = None,
        last: LAST = None,
        before: BEFORE = None,
    ) -> Any:
        return await _SERVICE_TASK_PAGES.one(
            self, info, status=status, types=types, first=first, after=after, last=last, before=before
        )


ServiceConnection, _CUSTOMER_SERVICE_PAGES = _connection_of(_CUSTOMER_SERVICES, Service, ServiceRecord)
service_connection = _CUSTOMER_SERVICE_PAGES.wrap  # (services, has previous, has next) -> a ServiceConnection


@strawberry.type(description="A customer profile and the customer's services.")
class Customer(Node):
    id: strawberry.ID = strawberry.field(name="customerId", description="The customer's id, as REST names it.")
    attributes: JSON = strawberry.field(description="Profile attributes; an array's first value is the primary one.")
    version: strawberry.Private[int]  # the profile's row version, as its read loaded it

    @classmethod
    def of(cls, profile: Versioned) -> Customer:
        attributes = {k: v for k, v in profile.items() if k != "customer_id"}
        return cls(id=strawberry.ID(profile["customer_id"]), attributes=JSON(attributes), version=profile.version)

    @strawberry.field(name="version", description=_VERSION, metadata={COMPUTED: _version})
    def etag(self, info: strawberry.Info) -> str:
        return _version(self, loaders(info))

    @strawberry.field(
        description="The customer's interactions, oldest first.", metadata=_CUSTOMER_INTERACTIONS.metadata()
    )
    async def interactions(self, info: strawberry.Info, first: FIRST = None, offset: OFFSET = 0) -> list[Interaction]:
        found: list[Interaction] = await _CUSTOMER_INTERACTIONS.one(self, info, first=first, offset=offset)
        return found

    @strawberry.field(
        description="The customer's interactions, a page at a time, oldest first (Relay).",
        metadata=_CUSTOMER_INTERACTION_PAGES.metadata(),
        graphql_type=InteractionConnection,
    )
    async def interactions_connection(
        self, info: strawberry.Info, first: FIRST = None, after: AFTER = None, last: LAST = None, before: BEFORE = None
    ) -> Any:
        return await _CUSTOMER_INTERACTION_PAGES.one(self, info, first=first, after=after, last=last, before=before)

    @strawberry.field(description="The customer's services, oldest first.", metadata=_CUSTOMER_SERVICES.metadata())
    async def services(
        self,
        info: strawberry.Info,
        status: Status = Status.ALL,
        types: _TYPES = None,
        started_from: str | None = None,
        started_to: str | None = None,
        completed_from: str | None = None,
        completed_to: str | None = None,
        first: FIRST = None,
        offset: OFFSET = 0,
    ) -> list[Service]:
        found: list[Service] = await _CUSTOMER_SERVICES.one(
            self,
            info,
            status=status,
            types=types,
            started_from=started_from,
            started_to=started_to,
            completed_from=completed_from,
            completed_to=completed_to,
            first=first,
            offset=offset,
        )
        return found

    @strawberry.field(
        description="The customer's services, a page at a time (Relay).",
        metadata=_CUSTOMER_SERVICE_PAGES.metadata(),
        graphql_type=ServiceConnection,
    )
    async def services_connection(
        self,
        info: strawberry.Info,
        status: Status = Status.ALL,
        types: _TYPES = None,
        started_from: str | None = None,
        started_to: str | None = None,
        completed_from: str | None = None,
        completed_to: str | None = None,
        first: FIRST = None,
        after: AFTER = None,
        last: LAST = None,
        before: BEFORE = None,
    ) -> Any:
        return await _CUSTOMER_SERVICE_PAGES.one(
            self,
            info,
            status=status,
            types=types,
            started_from=started_from,
            started_to=started_to,
            completed_from=completed_from,
            completed_to=completed_to,
            first=first,
            after=after,
            last=last,
            before=before,
        )


def service_filter_of(
    status: Status,
    types: list[str] | None,
    started_from: str | None,
    started_to: str | None,
    completed_from: str | None,
    completed_to: str | None,
) -> ServiceFilter:
    return ServiceFilter.model_validate(
        {
            "status": status,
            "service_types": tuple(types) if types is not None else None,
            "started_from": started_from,
            "started_to": started_to,
            "completed_from": completed_from,
            "completed_to": completed_to,
        }
    )


_GLOBAL_IDS: dict[type, Any] = {
    Customer: lambda c: relay.encode("Customer", c.id),
    ServiceRecord: lambda s: relay.encode("Service", s.id),
    StateRecord: lambda s: relay.encode("State", s.service_id, s.id),
    TaskRecord: lambda t: relay.encode("Task", t.service_id, t.id),
    Interaction: lambda i: relay.encode("Interaction", i.id),
}
