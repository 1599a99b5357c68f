"""The CERT network and its constituency: CERTs, organisations, contacts, resources, lookup."""
