"""The demo network: a synthetic, deterministic Pakistani CERT network for trying certnet out.

:mod:`certnet.demo.generator` plans the network in memory from a seed (no database);
:mod:`certnet.demo.loader` writes a plan into a database, once, and verifies it on later runs.
Every name, address, ASN and domain is made up or taken from reserved ranges.
"""
