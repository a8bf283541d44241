"""CSV user import: the job's life cycle, the pool's CSV header, and the rules of one CSV row.

Cognito developer guide, "Importing users into a user pool from a CSV file" and "Creating the
user import CSV file": GetCSVHeader lists the pool's attributes (custom ones as `custom:<name>`)
and `cognito:mfa_enabled` and `cognito:username`; column order does not matter; values are
unquoted, a literal comma written `\\,`, surrounding whitespace trimmed. Each row must set
`cognito:username`, at least one of the pool's auto-verified attributes verified (`email_verified`
/ `phone_number_verified` true) with the attribute itself present, and every required attribute.
A row that breaks a rule fails alone; a user who already exists is skipped; only a file that
cannot be read fails the job. The attribute rules themselves are AdminCreateUser's
(`usernames.new_user_attributes`): an import creates exactly the users AdminCreateUser would.

Deliberate leniencies (Cognito's guide asks for every header column): a column left out reads
as empty in every row, and an empty `cognito:mfa_enabled` reads as false.
"""

from __future__ import annotations

import csv
import enum
import secrets
import string
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cognate.domain import mfa
from cognate.domain.attributes import VERIFIED_FLAG
from cognate.domain.pool import Pool
from cognate.domain.schema import STANDARD_NAMES
from cognate.domain.usernames import new_user_attributes
from cognate.errors import InvalidParameterException

USERNAME_COLUMN = "cognito:username"
MFA_COLUMN = "cognito:mfa_enabled"

# GetCSVHeader's order for a default pool, as the developer guide's sample response lists it.
_STANDARD_COLUMNS = (
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "email",
    "email_verified",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "phone_number",
    "phone_number_verified",
    "address",
    "updated_at",
)

MAX_FILE_BYTES = 100 * 1024 * 1024
"""The largest CSV file an import takes (Cognito: 100 MB)."""

MAX_LINE_CHARACTERS = 16_000
"""The longest row Cognito reads; a longer one fails alone."""

UNSTARTED_LIFETIME = timedelta(hours=24)
"""How long a created job may wait for StartUserImportJob before it is Expired."""

_JOB_ID_ALPHABET = string.ascii_letters + string.digits
_USERNAME_CATEGORIES = frozenset("LMSNP")  # UsernameType: [\p{L}\p{M}\p{S}\p{N}\p{P}]+


class ImportStatus(enum.StrEnum):
    """UserImportJobStatusType; values are the wire strings."""

    CREATED = "Created"
    PENDING = "Pending"
    IN_PROGRESS = "InProgress"
    STOPPING = "Stopping"
    EXPIRED = "Expired"
    STOPPED = "Stopped"
    FAILED = "Failed"
    SUCCEEDED = "Succeeded"


RUNNING_STATUSES = frozenset({ImportStatus.PENDING, ImportStatus.IN_PROGRESS})
"""What StopUserImportJob may stop."""

ACTIVE_STATUSES = RUNNING_STATUSES | {ImportStatus.STOPPING}
"""Statuses a worker owns: it moves the job on from each of them."""


class CompletionMessage(enum.StrEnum):
    """CompletionMessage values: one word each, as the model's pattern `[\\w]+` allows."""

    SUCCEEDED = "Succeeded"
    STOPPED = "Stopped"
    CSV_PARSING_FAILURE = "CsvParsingFailure"
    INTERNAL_FAILURE = "InternalFailure"


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportJob:
    """A stored user import job; `upload_id` names the complete CSV upload, if any."""

    id: str
    pool_id: str
    name: str
    logs_role_arn: str
    status: ImportStatus
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    imported: int
    skipped: int
    failed: int
    completion_message: str | None
    upload_id: str | None
    next_line: int
    lease_expires_at: datetime | None

    def status_at(self, now: datetime) -> ImportStatus:
        """The status as reported at `now`: a job never started within its lifetime is Expired."""
        if self.status is ImportStatus.CREATED and now >= self.created_at + UNSTARTED_LIFETIME:
            return ImportStatus.EXPIRED
        return self.status


def new_job_id() -> str:
    """A JobId of Cognito's form, `import-` and ten random letters and digits."""
    return "import-" + "".join(secrets.choice(_JOB_ID_ALPHABET) for _ in range(10))


def csv_header(pool: Pool) -> list[str]:
    """The pool's CSV header (GetCSVHeader): the standard attributes and the `cognito:` columns
    in the developer guide's order, then the pool's custom attributes in schema order."""
    custom = [
        str(attribute["Name"])
        for attribute in pool.schema
        if attribute["Name"] not in STANDARD_NAMES
    ]
    return [*_STANDARD_COLUMNS, MFA_COLUMN, USERNAME_COLUMN, *custom]


class CsvFileError(Exception):
    """The file cannot be read as a user import CSV: the whole job fails."""


def parse_header(pool: Pool, line: str) -> list[str]:
    """The columns of the header line; CsvFileError if one is unknown, repeated or missing
    `cognito:username`."""
    columns = [column.strip() for column in split_line(line.removeprefix("\ufeff"))]
    allowed = set(csv_header(pool))
    if any(column not in allowed for column in columns) or len(set(columns)) != len(columns):
        raise CsvFileError("The CSV header does not match the user pool's attributes.")
    if USERNAME_COLUMN not in columns:
        raise CsvFileError(f"The CSV header has no {USERNAME_COLUMN} column.")
    return columns


def split_line(line: str) -> list[str]:
    """The fields of one CSV line: `\\,` is a literal comma; quoted fields are read too."""
    return next(csv.reader([line], escapechar="\\"), [])


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportedUser:
    """What one valid CSV row creates: a RESET_REQUIRED user without a password."""

    username: str
    attributes: dict[str, str]
    mfa: dict[str, Any]


class RowError(Exception):
    """One row breaks a rule: it is counted as failed, and the job goes on."""


_NO_VERIFIED_CONTACT = (
    "The User Record does not set any of the auto verified attributes to true. "
    "(Example: email_verified to true)."
)


def parse_row(pool: Pool, columns: Sequence[str], line: str, sub: str) -> ImportedUser:
    """The user a data line creates; RowError (with the reason) if the row breaks a rule.

    The caller has checked that the pool has an auto-verified attribute (StartUserImportJob).
    """
    if len(line) > MAX_LINE_CHARACTERS:
        raise RowError(f"The row is longer than {MAX_LINE_CHARACTERS} characters.")
    values = [value.strip() for value in split_line(line)]
    if len(values) != len(columns):
        raise RowError("The row does not have as many values as the header has columns.")
    row = dict(zip(columns, values, strict=True))
    name = row.pop(USERNAME_COLUMN)
    _check_username(name)
    is_mfa_enabled = _boolean(MFA_COLUMN, row.pop(MFA_COLUMN, "") or "false")
    given = _given_attributes(row)
    try:
        username, attributes = new_user_attributes(pool, name, _attribute_list(given), sub)
    except InvalidParameterException as error:
        raise RowError(error.message) from error
    _check_contacts(pool, attributes)
    return ImportedUser(
        username=username, attributes=attributes, mfa=_mfa(pool, attributes, is_mfa_enabled)
    )


def _check_username(name: str) -> None:
    if not name:
        raise RowError(f"{USERNAME_COLUMN} is required.")
    if len(name) > 128 or any(
        unicodedata.category(character)[0] not in _USERNAME_CATEGORIES for character in name
    ):
        raise RowError(f"{USERNAME_COLUMN} is not a valid username.")


def _boolean(column: str, value: str) -> bool:
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise RowError(f"{column} must be true or false.")
    return lowered == "true"


def _given_attributes(row: Mapping[str, str]) -> dict[str, str]:
    """The row's non-empty attributes; verified flags read case-insensitively (`TRUE`)."""
    given = {name: value for name, value in row.items() if value}
    for flag in VERIFIED_FLAG.values():
        if flag in given:
            given[flag] = str(_boolean(flag, given[flag])).lower()
    return given


def _check_contacts(pool: Pool, given: Mapping[str, str]) -> None:
    for kind, flag in VERIFIED_FLAG.items():
        if given.get(flag) == "true" and not given.get(kind):
            raise RowError(f"{flag} is true but {kind} is empty.")
    if not any(given.get(VERIFIED_FLAG[kind]) == "true" for kind in _auto_verified(pool)):
        raise RowError(_NO_VERIFIED_CONTACT)


def _auto_verified(pool: Pool) -> list[str]:
    return [kind for kind in pool.auto_verified_attributes if kind in VERIFIED_FLAG]


def has_auto_verified_attribute(pool: Pool) -> bool:
    """Whether imported users of `pool` can be given a verified contact to reset through;
    Cognito will not start an import into a pool without an auto-verified attribute."""
    return bool(_auto_verified(pool))


def _attribute_list(given: Mapping[str, str]) -> Iterable[Mapping[str, str]]:
    return [{"Name": name, "Value": value} for name, value in given.items()]


def _mfa(pool: Pool, attributes: Mapping[str, str], is_enabled: bool) -> dict[str, Any]:
    """The user's MFA settings: `cognito:mfa_enabled` true turns SMS MFA on, as Cognito's
    import does; it must be true when the pool's MFA is ON and false when it is OFF."""
    mode = mfa.pool_mfa(pool.config).mode
    if mode == "ON" and not is_enabled:
        raise RowError(f"{MFA_COLUMN} must be true: MFA is required in this user pool.")
    if mode == "OFF" and is_enabled:
        raise RowError(f"{MFA_COLUMN} must be false: MFA is off in this user pool.")
    if not is_enabled:
        return {}
    if not attributes.get("phone_number"):
        raise RowError("User does not have delivery config set to turn on SMS_MFA")
    return mfa.legacy_settings({}, [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}])
