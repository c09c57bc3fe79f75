from tests.keys import api_key  # noqa: F401  (a fixture)
