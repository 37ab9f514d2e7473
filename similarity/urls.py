"""Every page of 相似内容."""

from similarity.views import urlpatterns

__all__ = ["urlpatterns"]
