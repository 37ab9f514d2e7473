from meetings.views import urlpatterns

__all__ = ["urlpatterns"]
