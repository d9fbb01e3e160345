"""The API's URLs (django-ninja), included at /api/v1/ under the namespace "api"."""

from .endpoints import api

app_name = "api"
urlpatterns = api.urls[0]
