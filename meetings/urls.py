from meetings import overview_views, views

urlpatterns = views.urlpatterns + overview_views.urlpatterns

__all__ = ["urlpatterns"]
