"""Every write to work points, lists, records, commitments and contact points, one module per thing
(plans, lists, records, commitments, contact_points) over the workflows' tables and shared checks (rules).

Views resolve what a person reaches (responsibility.access); these functions hold the business rules and
refuse with a DomainError whose message is shown to the person. Each checks its actor again through
accounts.permissions (`rules.check_actor`, and what a position entitles someone to: recording against an
item as its responsible person, correcting one's records, designating a contact point and recording its
visits), raising PermissionDenied for someone with no standing, so a stale page, a task, a command or a
future API is refused like a page. Each runs in one transaction: a refused action leaves nothing half-saved.

Callers use `from responsibility import services; services.list_submit(...)`: every public name is here.
"""

from __future__ import annotations

from responsibility.services.commitments import (
    commitment_save,
)
from responsibility.services.contact_points import (
    contact_point_designate,
    contact_visit_add,
)
from responsibility.services.lists import (
    ITEM_FIELDS,
    LIST_FIELDS,
    ListChanged,
    item_fingerprint,
    list_approve,
    list_close,
    list_fingerprint,
    list_item_add,
    list_item_remove,
    list_item_update,
    list_return,
    list_revise,
    list_start,
    list_submit,
)
from responsibility.services.plans import (
    template_create,
    template_item_add,
    template_publish,
    work_plan_create,
    work_plan_publish,
    work_point_add,
    work_point_remove,
)
from responsibility.services.records import (
    EvidenceMissing,
    answers_for,
    editable_records_q,
    evidence_remove,
    may_edit_record,
    may_record,
    record_accept,
    record_add,
    record_follow_meeting,
    record_has_evidence,
    record_return,
    record_update,
    written_by_meeting,
)
from responsibility.services.rules import (
    KEEPS,
    KEEPS_OR_ABOVE,
    LIST_TRANSITIONS,
    RECORD_TRANSITIONS,
    SUPERVISES,
    ListStatus,
    RecordStatus,
    check_actor,
    check_target,
    check_year,
)

__all__ = [
    "ITEM_FIELDS",
    "KEEPS",
    "KEEPS_OR_ABOVE",
    "LIST_FIELDS",
    "LIST_TRANSITIONS",
    "RECORD_TRANSITIONS",
    "SUPERVISES",
    "EvidenceMissing",
    "ListChanged",
    "ListStatus",
    "RecordStatus",
    "answers_for",
    "check_actor",
    "check_target",
    "check_year",
    "commitment_save",
    "contact_point_designate",
    "contact_visit_add",
    "editable_records_q",
    "evidence_remove",
    "item_fingerprint",
    "list_approve",
    "list_close",
    "list_fingerprint",
    "list_item_add",
    "list_item_remove",
    "list_item_update",
    "list_return",
    "list_revise",
    "list_start",
    "list_submit",
    "may_edit_record",
    "may_record",
    "record_accept",
    "record_add",
    "record_follow_meeting",
    "record_has_evidence",
    "record_return",
    "record_update",
    "template_create",
    "template_item_add",
    "template_publish",
    "work_plan_create",
    "work_plan_publish",
    "work_point_add",
    "work_point_remove",
    "written_by_meeting",
]
