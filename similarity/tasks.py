"""Background work of 相似内容: comparing again the texts a change of standard text touches."""

from __future__ import annotations

from celery import shared_task

from accounts.models import Organization
from similarity import services


@shared_task(name="similarity.refresh_subtree")
def refresh_subtree(organization_id: int, kind: str) -> int:
    """Recomputes the signatures and pairs of KIND ('' for all) in the organization's subtree; idempotent."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return 0
    return services.texts_recompute(organization=organization, kind=kind)
