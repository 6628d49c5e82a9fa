"""XML the platform did not write (CAP messages and feeds, QuakeML catalogues), read one hardened way (pure).

No entity is expanded, no DTD loaded or validated, nothing fetched from the network, and no tree deeper or
larger than libxml2's safe limits is built — wherever a document comes from outside.
"""

from __future__ import annotations

from lxml import etree

# libxml2's options for a document from outside, each closing one way in
_HARDENED = {
    "resolve_entities": False,  # no entity is expanded (billion laughs, XXE)
    "no_network": True,  # nothing is fetched for a DTD, an entity or an include
    "load_dtd": False,  # no external DTD is read
    "dtd_validation": False,  # so none is needed
    "huge_tree": False,  # libxml2's limits on depth and text size stay on
}


def parse(document: bytes, *, strip: bool = False) -> etree._Element:
    """The document's root element; ``etree.XMLSyntaxError`` when it is not well-formed XML. ``strip``
    drops comments and processing instructions (for documents only read, never passed on)."""
    parser = etree.XMLParser(**_HARDENED, remove_comments=strip, remove_pis=strip)
    return etree.fromstring(document, parser=parser)
