"""What every contender of the tree benchmark is asked, in one place: the GraphQL documents, the REST
paths and PostGraphile's equivalent of the tree. The strict floor (bench/floor.py) writes the JSON
these GraphQL documents answer; bench/tree.py checks it byte for byte before it measures anything,
so a change here that the floor does not follow stops the run.
"""

from __future__ import annotations

# The agent-desktop tree: a customer's services, their states and tasks, with their extension records
# — the fields the reference floor's tree holds (bench/README.md).
TREE = """query Tree($id: ID!) { customer(id: $id) { id: customerId
  services { id: serviceId customerId serviceType estDuration startedAt completedAt disposition
    extensions { Feedback { FeedbackType rating notes } relatedOffers { offer_name type comments } }
    states { id: stateId serviceId stateType estDuration startedAt completedAt disposition
      extensions { Feedback { FeedbackType rating notes } }
      tasks { id: taskId serviceId stateId taskType estDuration startedAt completedAt disposition
        extensions { Proposal { car_type price seats comments } } } } } } }"""

# The small query: one service by id.
SMALL = "query One($id: ID!) { service(id: $id) { id: serviceId customerId serviceType estDuration startedAt completedAt disposition } }"


def tree_variables(customer: str) -> dict[str, str]:
    return {"id": customer}


def small_variables(service: int) -> dict[str, int]:
    return {"id": service}


def rest_tree(customer: str) -> str:
    """The REST tree: the customer's services with their states, tasks and service extensions."""
    return (
        f"/customers/{customer}/services?active_states=true&completed_states=true&active_tasks=true"
        "&completed_tasks=true&extensions=Feedback,relatedOffers"
    )


def rest_small(service: int) -> str:
    return f"/services/{service}"


# PostGraphile 4 over the strict floor's PostgreSQL tables (its default inflection, simple lists): the
# same rows in its own shape (extension records as name and data).
POSTGRAPHILE_TREE = """query Tree($id: String!) { customerById(id: $id) { id
  servicesByCustomerIdList(orderBy: ID_ASC) { id customerId serviceType estDuration started completed disposition
    serviceExtsByServiceIdList(orderBy: ID_ASC) { name data }
    statesByServiceIdList(orderBy: ID_ASC) { id serviceId stateType estDuration started completed disposition
      stateExtsByStateIdList(orderBy: ID_ASC) { name data }
      tasksByStateIdList(orderBy: ID_ASC) { id serviceId stateId taskType estDuration started completed disposition
        taskExtsByTaskIdList(orderBy: ID_ASC) { name data } } } } } }"""
