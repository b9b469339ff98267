"""dsr: verifiable 双随机、一公开 fire-safety inspection draws."""

__version__ = "0.1.0"
