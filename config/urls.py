from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from engagement import views as engagement_views

admin.site.site_header = "Groundwork administration"
admin.site.site_title = "Groundwork"
# The Django admin signs people in through allauth, like every other page.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", engagement_views.home, name="home"),
    path("healthz", engagement_views.healthz, name="healthz"),
    path("auth/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("", include("engagement.urls")),
]
