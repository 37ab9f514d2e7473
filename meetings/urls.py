from meetings import item_views, overview_views, views

urlpatterns = views.urlpatterns + overview_views.urlpatterns + item_views.urlpatterns

__all__ = ["urlpatterns"]
