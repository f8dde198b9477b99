"""What the domain reads of the configuration: the profile attribute schema, business attributes,
reserved-word checks, the mode-switch timeout, where server-side imports may be, and input bounds.

The app's `Settings` (app/settings.py) is made of this and of the surfaces' own parts, and is
loaded from the config file, the environment and flags; the domain gets it through its Context.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator

# Media types for which the documented per-media agent attributes exist ("Query Profile Schema").
_MEDIA = (
    "workitem",
    "auxwork",
    "imchat",
    "outboundpreview",
    "vmail",
    "smail",
    "cobrowsing",
    "webform",
    "busevent",
    "voice",
    "appsharing",
    "email",
    "chat",
    "any",
    "fax",
    "video",
    "whiteboard",
    "alert",
    "voip",
    "sms",
)


class ProfileAttribute(BaseModel):
    """One attribute of the customer profile ("Profile Attribute Schema")."""

    name: str
    type: Literal["string", "datetime"] = "string"
    length: int = Field(default=256, ge=1, le=4000)
    mandatory: bool = False
    encrypt: bool = False
    default: str | None = None


class BusinessValue(BaseModel):
    """One value of a business attribute (an enumeration member)."""

    name: str
    dbid: int
    display_name: str = ""
    description: str = ""

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dbid": self.dbid,
            "display_name": self.display_name or self.name,
            "description": self.description,
        }


class BusinessAttribute(BaseModel):
    """An enumeration behind "long or string" fields ("Query Business Attribute Schema")."""

    name: str
    dbid: int
    display_name: str = ""
    description: str = ""
    map_name: bool = False
    cv_attributes: list[str] = Field(default_factory=list)
    values: list[BusinessValue] = Field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dbid": self.dbid,
            "display_name": self.display_name or self.name,
            "description": self.description,
            "map_name": self.map_name,
            "cv_attributes": self.cv_attributes,
            "values": [v.describe() for v in self.values],
        }


def _fields(field: str, resources: str = "Service State Task") -> list[str]:
    return [f"{resource}.{field}" for resource in resources.split()]


def default_business_attributes() -> list[BusinessAttribute]:
    """The business attributes Context Services documents, MediaType with its documented values."""
    media = [
        BusinessValue(name=n, dbid=i, description=f"Media {n}")
        for n, i in (("voice", 1001), ("email", 1003), ("chat", 1006), ("fax", 1014))
    ]
    return [
        BusinessAttribute(
            name="MediaType",
            dbid=1001,
            display_name="Media Type",
            description="Media type identifier",
            cv_attributes=_fields("media_type"),
            values=media,
        ),
        BusinessAttribute(
            name="ServiceType",
            dbid=1002,
            display_name="Service Type",
            description="Service type identifier",
            cv_attributes=["Service.service_type"],
        ),
        BusinessAttribute(
            name="StateType",
            dbid=1003,
            display_name="State Type",
            description="State type identifier",
            cv_attributes=["State.state_type"],
        ),
        BusinessAttribute(
            name="TaskType",
            dbid=1004,
            display_name="Task Type",
            description="Task type identifier",
            cv_attributes=["Task.task_type"],
        ),
        BusinessAttribute(
            name="DispositionCode",
            dbid=1005,
            display_name="Disposition Code",
            description="Business disposition",
            cv_attributes=_fields("disposition"),
        ),
        BusinessAttribute(
            name="ApplicationType",
            dbid=1006,
            display_name="Application Type",
            description="Type of the issuing application",
            cv_attributes=_fields("application_type"),
        ),
        BusinessAttribute(
            name="ResourceType",
            dbid=1007,
            display_name="Resource Type",
            description="Type of the providing resource",
            cv_attributes=_fields("resource_type"),
        ),
    ]


def default_profile_attributes() -> list[ProfileAttribute]:
    """The predefined attributes of spec/004 ("Profile Attribute Schema", "Query Profile Schema")."""
    names = [
        "FirstName",
        "LastName",
        "Title",
        "PhoneNumber",
        "EmailAddress",
        "PIN",
        "CustomerSegment",
        "AccountNumber",
        "ContactId",
        "homeaddress",
        "LastCalledAgent_EmployeeID",
        "PreferredAgent_EmployeeID",
    ]
    attributes = [ProfileAttribute(name=n) for n in names]
    attributes.append(ProfileAttribute(name="LastCalledAgent_TimeStamp", type="datetime"))
    for media in _MEDIA:
        attributes += [
            ProfileAttribute(name=f"LCA_EmplID_{media}"),
            ProfileAttribute(name=f"LCA_TimeStamp_{media}", type="datetime"),
            ProfileAttribute(name=f"Pref_EmplID_{media}"),
        ]
    return attributes


class DomainSettings(BaseModel):
    """The settings the domain reads (README "Configuration")."""

    # Reject reserved words ("Unauthorized Strings") as whole attribute values, not only as names.
    check_reserved_values: bool = True
    # How long POST /server/mode waits for in-flight profile/service work before giving up (403).
    mode_switch_timeout: float = Field(default=60.0, gt=0)
    profile_attributes: list[ProfileAttribute] = Field(default_factory=default_profile_attributes)
    business_attributes: list[BusinessAttribute] = Field(default_factory=default_business_attributes)
    # A server-side CSV for POST /profiles/import must lie inside this folder (none: uploads only).
    import_dir: str | None = None
    # How deep JSON bodies and variables may nest (arrays and objects).
    max_json_depth: int = Field(default=32, ge=2)
    # The keys that encrypt extension attributes marked `encrypt` (README "Encryption at rest"): their
    # text (`contextgraph encryption export`), else the key file (load_settings gives its default).
    encryption_keys: SecretStr | None = None
    encryption_key_file: str | None = None
    # Seconds a start's Idempotency-Key is kept: a retry within answers the first result.
    idempotency_ttl: float = Field(default=86400.0, gt=0)
    # Seconds journey events are kept for subscribers that reconnect (purged once a minute after).
    journey_event_retention: float = Field(default=86400.0, gt=0)
    # The most events one reconnecting subscription replays; past it, it is told to reload.
    journey_replay_limit: int = Field(default=1000, ge=1, le=100_000)

    @field_validator("profile_attributes")
    @classmethod
    def _unique_names(cls, attributes: list[ProfileAttribute]) -> list[ProfileAttribute]:
        seen: set[str] = set()
        for attribute in attributes:
            if attribute.name.lower() in seen:
                raise ValueError(f"profile attribute '{attribute.name}' is defined twice")
            seen.add(attribute.name.lower())
            if attribute.encrypt:  # never claim what is not done: extension attributes encrypt
                raise ValueError(
                    f"profile attribute '{attribute.name}': encrypt is not supported for profile attributes; "
                    "put the value in a profile extension attribute marked encrypt"
                )
        return attributes
