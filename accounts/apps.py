from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("组织与人员")

    def ready(self) -> None:
        # accounts.security holds the receivers that write the sign-in log.
        from accounts import security  # noqa: F401
        from accounts.history import every_field, register_audited

        # The tree and its positions are shown to whoever sees the organization, as on their pages.
        register_audited("accounts.Organization", "", every_field)
        register_audited("accounts.Position", "organization__", every_field)
        from accounts.first_sign_in import code_history_fields

        # The digest is not in the history; a code's record is read by whoever may print that slip.
        register_audited("accounts.FirstSignInCode", "organization__", code_history_fields, related=("organization",))
