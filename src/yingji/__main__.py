"""``python -m yingji``: the same as the ``yingji`` command."""

from yingji.cli import main

main()
