"""Formulas people type: parse text into a tree, evaluate it, print it as text or LaTeX.

Examples:
    >>> from descentlab.expr import parse
    >>> str(parse("3x^4 + 4x^3 - 12x^2 + 7"))
    '3*x^4 + 4*x^3 - 12*x^2 + 7'
"""

from descentlab.expr.evaluate import ALIASES as ALIASES
from descentlab.expr.evaluate import CONSTANTS as CONSTANTS
from descentlab.expr.evaluate import FUNCTIONS as FUNCTIONS
from descentlab.expr.evaluate import Program as Program
from descentlab.expr.evaluate import evaluate as evaluate
from descentlab.expr.evaluate import to_function as to_function
from descentlab.expr.latex import to_latex as to_latex
from descentlab.expr.parser import parse as parse
from descentlab.expr.parser import parse_with_variables as parse_with_variables
from descentlab.expr.tree import MAX_DEPTH as MAX_DEPTH
from descentlab.expr.tree import Binary as Binary
from descentlab.expr.tree import Call as Call
from descentlab.expr.tree import Const as Const
from descentlab.expr.tree import Node as Node
from descentlab.expr.tree import Num as Num
from descentlab.expr.tree import Unary as Unary
from descentlab.expr.tree import Var as Var
from descentlab.expr.tree import variables as variables

__all__ = [
    "ALIASES",
    "CONSTANTS",
    "FUNCTIONS",
    "Program",
    "evaluate",
    "to_function",
    "to_latex",
    "MAX_DEPTH",
    "Binary",
    "Call",
    "Const",
    "Node",
    "Num",
    "Unary",
    "Var",
    "parse",
    "parse_with_variables",
    "variables",
]
