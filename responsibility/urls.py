"""Every page of the responsibility app; each views module lists its own routes."""

from responsibility.views import lists, progress, records

urlpatterns = lists.urlpatterns + records.urlpatterns + progress.urlpatterns
