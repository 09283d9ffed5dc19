"""TikTok Accounts API (organic): the httpx client and a contract-faithful simulator.

Imports no Dagster: everything here is usable from a plain script.
"""
