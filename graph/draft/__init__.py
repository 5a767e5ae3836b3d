"""``alliances draft``: a draft record from a news article in English, German or Chinese.

Each module finds one thing (text.py reads the article, language.py names its language,
organisations.py, agreement.py, roles.py, dates.py, quantities.py, people.py and topics.py find the
facts, record.py writes them in the record format). Everything runs offline: the libraries carry
their data in the package, and the graph's own names and taxonomies (lexicon.py) are read from the
built store.
"""
from __future__ import annotations

from graph.draft.extract import draft_article
from graph.draft.fields import Draft, Field

__all__ = ["Draft", "Field", "draft_article"]
