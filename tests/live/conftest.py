import pytest

from backend.live import bus


@pytest.fixture
async def publishing(settings):
    """This test process announces the entries it makes on the bus, as a worker would."""
    async with bus.publishing(settings):
        yield
