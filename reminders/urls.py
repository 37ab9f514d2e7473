from django.urls import path

from reminders.views import calendar_feed

urlpatterns = [
    path("calendar/<str:token>.ics", calendar_feed, name="calendar_feed"),
]
