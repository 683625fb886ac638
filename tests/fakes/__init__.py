"""Test fakes: in-process stand-ins for the external services Review Arena talks to."""
