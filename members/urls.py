from members.views import urlpatterns

__all__ = ["urlpatterns"]
