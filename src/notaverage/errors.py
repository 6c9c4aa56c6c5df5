"""User-facing errors: one line that names the fix. Faces turn them into exit 2 or HTTP 4xx."""


class UserError(Exception):
    """Bad input from a user (argument, file, request). The message is shown as is."""


class DataError(UserError):
    """MNIST files missing, truncated, corrupt or failing their checksum."""


class ImageError(UserError):
    """An image file or array that cannot be turned into a digit."""
