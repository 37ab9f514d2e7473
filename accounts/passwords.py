"""The password rule beyond Django's own validators: several kinds of character."""

from __future__ import annotations

import string
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CHARACTER_CLASSES = 4


def character_classes(password: str) -> int:
    """How many of lower case, upper case, digits and symbols the password uses."""
    return sum(
        (
            any(char.islower() for char in password),
            any(char.isupper() for char in password),
            any(char.isdigit() for char in password),
            any(not char.isalnum() or char in string.punctuation for char in password),
        )
    )


class CharacterClassValidator:
    """At least `min_classes` of the four kinds, so a long run of one kind is refused."""

    def __init__(self, min_classes: int = 3) -> None:
        if not 1 <= min_classes <= CHARACTER_CLASSES:
            raise ValueError("min_classes must be between 1 and 4.")
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return _("密码须包含小写字母、大写字母、数字、符号四类中的至少 %(count)d 类。") % {"count": self.min_classes}
