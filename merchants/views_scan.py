"""Pages of the spending side: scan (filled in by the feature)."""
from merchants.views import bp  # noqa: F401
