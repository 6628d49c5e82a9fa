"""yingji (应急): an open-source platform for emergency management departments."""

__version__ = "0.1.0"
