"""qa: ask questions of a folder of documents; get back the passages that answer them, cited file:line."""
from .api import Index, build_index, open_index
from .errors import QAError
from .model import Answer, AnswerLine, Citation, Result

__all__ = ["Index", "open_index", "build_index", "QAError", "Answer", "AnswerLine", "Citation", "Result",
           "Conversation"]
__version__ = "0.1.0"


def __getattr__(name):
    if name == "Conversation":
        from .conversation import Conversation
        return Conversation
    raise AttributeError(name)
