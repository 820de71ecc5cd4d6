"""A visitor's session on the server stays the same size however many requests it makes."""

from __future__ import annotations

from roberta_demo.config import Settings
from roberta_demo.perf.server import client_for
from tests.conftest import serve_app


def test_updated_components_do_not_pile_up_in_the_session(backend):
    demo, url = serve_app(backend, Settings())
    try:
        client = client_for(url)
        for _ in range(2):  # the attention view updates its layer and head sliders on every run
            client.predict("The cat sat on the mat.", api_name="/attention_page")
        session = demo.state_holder.session_data[client.session_hash]
        size = (len(session.blocks_config.blocks), len(session.config_values))
        for _ in range(5):
            client.predict("The cat sat on the mat.", api_name="/attention_page")
        assert (len(session.blocks_config.blocks), len(session.config_values)) == size
        assert set(session.blocks_config.blocks) <= set(demo.blocks)  # no component under an id the app lacks
    finally:
        demo.close()
