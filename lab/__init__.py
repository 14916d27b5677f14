"""VPN Flow Lab.

This package must stay import-light: ``import lab.engine`` has to work without Django,
so nothing here may import Django or any other heavy dependency.
"""
