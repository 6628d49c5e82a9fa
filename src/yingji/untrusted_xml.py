"""XML the platform did not write (CAP messages and feeds, QuakeML catalogues), read one hardened way (pure).

No entity is expanded, no DTD loaded or validated, nothing fetched from the network, and no tree deeper or
larger than libxml2's safe limits is built — wherever a document comes from outside.
"""

from __future__ import annotations

from lxml import etree


def parse(document: bytes, *, strip: bool = False) -> etree._Element:
    """The document's root element; ``etree.XMLSyntaxError`` when it is not well-formed XML. ``strip``
    drops comments and processing instructions (for documents only read, never passed on)."""
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=strip,
        remove_pis=strip,
    )
    return etree.fromstring(document, parser=parser)
