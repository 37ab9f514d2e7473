"""Every page of 整改 and 督查; each views module lists its own routes."""

from rectification.views import board, inspections, tasks

# Tasks first: "rectification/tasks/new/" (board) must not be read as a task id.
urlpatterns = board.urlpatterns + tasks.urlpatterns + inspections.urlpatterns
