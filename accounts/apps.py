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
        # The digest is not in the history; a code's record is read where its slip placed the person.
        register_audited("accounts.FirstSignInCode", "organization__", every_field)
