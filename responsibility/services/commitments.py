"""公开承诺: the secretary's public commitment for the year."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization, Position, User
from foundation.errors import clean_text
from responsibility.models import PublicCommitment
from responsibility.services.rules import KEEPS, check_actor, check_year

# 公开承诺 --------------------------------------------------------------------


@transaction.atomic
def commitment_save(*, organization: Organization, year: int, text: str, publish: bool, by: User) -> PublicCommitment:
    """Saves the secretary's public commitment; publishing shows it on the public page."""
    check_actor(by, organization, KEEPS)
    check_year(year)
    text = clean_text(text, field=_("承诺内容"), max_length=5000)
    # The commitment is the secretary's own, whoever of the leading roles types it in.
    secretary_position = (
        Position.objects.current().filter(organization=organization, role=Position.Role.SECRETARY).first()
    )
    secretary = secretary_position.person if secretary_position is not None else by
    commitment, _created = PublicCommitment.objects.get_or_create(
        organization=organization, year=year, defaults={"text": text, "secretary": secretary}
    )
    commitment.text = text
    commitment.secretary = secretary
    if publish and commitment.published_at is None:
        commitment.published_at = timezone.now()
    elif not publish:
        commitment.published_at = None
    commitment.save()
    return commitment
