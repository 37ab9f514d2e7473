from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from notifications import delivery
from notifications.models import Delivery, Notification, WebhookEndpoint


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["shown_title", "recipient", "kind", "created_at", "read_at"]
    list_filter = ["kind"]
    # A keyed notification's title is rendered when read: only older rows' stored titles can be searched.
    search_fields = ["stored_title", "message_key", "recipient__username", "recipient__full_name"]
    raw_id_fields = ["recipient"]

    @admin.display(description=_("标题"))
    def shown_title(self, notification: Notification) -> str:
        return notification.title


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Failed deliveries are where an administrator looks when mail or a robot stops working."""

    list_display = ["notification", "channel", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status", "channel"]
    readonly_fields = ["last_error"]
    raw_id_fields = ["notification"]


class WebhookEndpointAdminForm(forms.ModelForm):
    class Meta:
        model = WebhookEndpoint
        fields = ["organization", "kind", "url", "is_active"]

    def clean_url(self) -> str:
        # The same rule as the settings page: an administrator's typo must not aim the server elsewhere either.
        url: str = self.cleaned_data["url"]
        problem = delivery.webhook_address_problem(url)
        if problem is not None:
            raise forms.ValidationError(problem)
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointAdminForm
    list_display = ["organization", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    raw_id_fields = ["organization"]
