from django.contrib.auth.middleware import LoginRequiredMiddleware


class PagesLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Every page needs a login; the API answers for itself.

    Pages redirect anonymous visitors to the login page. Under /api/ the REST
    framework's own default (IsAuthenticated) applies, so a script gets a
    structured 401/403 instead of an HTML redirect.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
