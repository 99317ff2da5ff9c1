"""The whole app on the test PBX (``live``, from the CTI tests) for live monitoring's end-to-end test."""

from tests.cti_pbx.conftest import live, pbx_env

__all__ = ["live", "pbx_env"]
