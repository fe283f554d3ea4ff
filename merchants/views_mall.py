"""Pages of the spending side: mall (filled in by the feature)."""
from merchants.views import bp  # noqa: F401
