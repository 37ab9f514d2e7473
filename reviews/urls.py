"""Every page of 述职评议考核; each views module lists its own routes."""

from reviews.views import ballots, cycles, reports, scoring

urlpatterns = reports.urlpatterns + scoring.urlpatterns + cycles.urlpatterns + ballots.urlpatterns
