/* descentlab explorer: the numerical core (no DOM).
 *
 * A port of descentlab's Python code, kept in step with it by the tests in tests/test_explore.py:
 *   - tokenize/parse: src/descentlab/expr/tokens.py and parser.py (same grammar, same messages,
 *     same 0-based columns counted in code points, same limits);
 *   - Evaluator: src/descentlab/expr/evaluate.py (Objective.value, used by the line search);
 *   - Tape: src/descentlab/derivatives/autodiff.py (Objective.value_and_grad: reverse mode with
 *     the same slots, folding, shared sub-expressions and accumulation order);
 *   - RULES: the 7 update rules of src/descentlab/optimizers.py in torch's operation order;
 *   - minimize: the stop tests and statuses of src/descentlab/descent.py (one row).
 * The tables (function names, aliases, constants, limits, defaults, tolerances) come from the
 * Python library through CONFIG, so they are written once. User text is never executed.
 */
"use strict";
(function (root) {
  const CONFIG = root.DESCENTLAB_CONFIG;
  // The library computes values and gradients with one lowered program (descentlab.engine).
  const ENGINE = Boolean(CONFIG.valueIsForwardPass);

  // ------------------------------------------------------------------------------------------
  // Errors and Python-style quoting (the messages quote text as Python's repr() does).

  class ParseError extends Error {
    constructor(message, text, column) {
      super(message);
      this.name = "ParseError";
      this.text = text;
      const n = text === undefined ? 0 : Array.from(text).length;
      this.column = Math.max(0, Math.min(column || 0, n));
    }
  }

  const NONPRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;

  function hex(code, width) {
    return code.toString(16).padStart(width, "0");
  }

  function pyRepr(s) {
    const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
    let out = quote;
    for (const ch of s) {
      const code = ch.codePointAt(0);
      if (ch === quote || ch === "\\") out += "\\" + ch;
      else if (ch === "\t") out += "\\t";
      else if (ch === "\n") out += "\\n";
      else if (ch === "\r") out += "\\r";
      else if (ch !== " " && NONPRINTABLE.test(ch)) {
        if (code < 0x100) out += "\\x" + hex(code, 2);
        else if (code < 0x10000) out += "\\u" + hex(code, 4);
        else out += "\\U" + hex(code, 8);
      } else out += ch;
    }
    return out + quote;
  }

  /** A number as tree.format_number prints it (integers without a point). */
  function formatNumber(v) {
    if (Number.isFinite(v) && Number.isInteger(v) && Math.abs(v) < 1e16) return String(v);
    return String(v);
  }

  function grouped(n) {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  // ------------------------------------------------------------------------------------------
  // Tokens (tokens.py).

  const DIGITS = "0123456789";
  const isDigit = (c) => c !== undefined && c.length === 1 && DIGITS.includes(c);
  const isLetter = (c) => c !== undefined && /^[A-Za-z]$/.test(c);
  const isNameChar = (c) => isLetter(c) || isDigit(c) || c === "_";
  const WHITESPACE = " \t\n\r";
  const SINGLE = { "+": "op", "-": "op", "*": "op", "/": "op", "^": "op", "(": "(", ")": ")",
    ",": "," };

  function shown(literal, limit = 30) {
    if (literal.length <= limit) return literal;
    return `${literal.slice(0, 12)}...${literal.slice(-12)} (${grouped(literal.length)} characters)`;
  }

  function tokenize(text) {
    const cs = Array.from(text);
    const n = cs.length;
    const tokens = [];
    let i = 0;
    while (i < n) {
      const ch = cs[i];
      if (WHITESPACE.includes(ch) && ch.length === 1) {
        i += 1;
      } else if (isDigit(ch) || (ch === "." && i + 1 < n && isDigit(cs[i + 1]))) {
        const [token, next] = number(text, cs, i);
        tokens.push(token);
        i = next;
      } else if (isLetter(ch)) {
        const start = i;
        while (i < n && isNameChar(cs[i])) i += 1;
        tokens.push({ kind: "name", text: cs.slice(start, i).join(""), column: start });
      } else if (ch === "\u03c0") {
        tokens.push({ kind: "name", text: "pi", column: i });
        i += 1;
      } else if (ch === "_") {
        const start = i;
        while (i < n && isNameChar(cs[i])) i += 1;
        const name = cs.slice(start, i).join("");
        throw new ParseError(`name ${pyRepr(name)} is not allowed: names start with a letter`,
          text, start);
      } else if (ch === "*" && cs[i + 1] === "*") {
        tokens.push({ kind: "op", text: "^", column: i });
        i += 2;
      } else if (Object.prototype.hasOwnProperty.call(SINGLE, ch)) {
        tokens.push({ kind: SINGLE[ch], text: ch, column: i });
        i += 1;
      } else {
        throw new ParseError(`unexpected character ${pyRepr(ch)}`, text, i);
      }
    }
    tokens.push({ kind: "end", text: "", column: n });
    return tokens;
  }

  function number(text, cs, start) {
    const n = cs.length;
    let i = start;
    while (i < n && isDigit(cs[i])) i += 1;
    if (i < n && cs[i] === ".") {
      i += 1;
      while (i < n && isDigit(cs[i])) i += 1;
    }
    if (i < n && (cs[i] === "e" || cs[i] === "E")) {
      let j = i + 1;
      if (j < n && (cs[j] === "+" || cs[j] === "-")) j += 1;
      if (j < n && isDigit(cs[j])) {
        while (j < n && isDigit(cs[j])) j += 1;
        i = j;
      }
    }
    const literal = cs.slice(start, i).join("");
    if (i < n && cs[i] === ".") {
      let end = i + 1;
      while (end < n && (isDigit(cs[end]) || cs[end] === ".")) end += 1;
      throw new ParseError(`malformed number ${pyRepr(shown(cs.slice(start, end).join("")))}`,
        text, i);
    }
    const value = Number(literal);
    if (!Number.isFinite(value)) {
      throw new ParseError(`number ${pyRepr(shown(literal))} is too large`, text, start);
    }
    return [{ kind: "number", text: literal, column: start, value }, i];
  }

  // ------------------------------------------------------------------------------------------
  // Parser (parser.py): operator precedence with explicit stacks, so no input recurses.

  const PREC_ADD = 1, PREC_MUL = 2, PREC_UNARY = 3, PREC_POW = 4;
  const PREC = { "+": PREC_ADD, "-": PREC_ADD, "*": PREC_MUL, "/": PREC_MUL, "^": PREC_POW };
  const FUNCTIONS = {};
  for (const name of CONFIG.functions) FUNCTIONS[name] = name;
  for (const [alias, name] of Object.entries(CONFIG.aliases)) FUNCTIONS[alias] = name;
  const has = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);
  const CONSTANT_NAMES = Object.keys(CONFIG.constants);
  const MAX_DEPTH = CONFIG.maxDepth;
  const TOO_DEEP = `formula too deeply nested (more than ${MAX_DEPTH} levels)`;
  const OPERAND = "a number, a name or '('";
  const VARIABLE_LIKE = /^[A-Za-z][0-9]*$/;
  const knownFunctions = () => [...CONFIG.functions].sort().join(", ");

  function opPrec(op) {
    return op.kind === "neg" ? PREC_UNARY : (PREC[op.kind] || 0);
  }

  function parse(text, maxLength = CONFIG.maxLength) {
    if (typeof text !== "string") throw new ParseError("a formula must be text", "", 0);
    const length = Array.from(text).length;
    if (length > maxLength) {
      throw new ParseError(`formula too long (${length} characters; the limit is ${maxLength})`,
        text, maxLength);
    }
    return new Parser(text).run();
  }

  class Parser {
    constructor(text) {
      this.text = text;
      this.tokens = tokenize(text);
      this.operands = []; // [node, depth]
      this.operators = []; // {kind, column, func}
      this.openParens = 0;
    }

    error(message, column) {
      return new ParseError(message, this.text, column);
    }

    run() {
      const tokens = this.tokens;
      if (tokens[0].kind === "end") throw this.error("empty formula", 0);
      let expectOperand = true;
      let i = 0;
      for (;;) {
        const tok = tokens[i];
        if (expectOperand) {
          i = this.operand(i);
          const kind = tokens[i - 1].kind;
          expectOperand = kind === "op" || kind === "(";
          continue;
        }
        if (tok.kind === "op") {
          this.pushBinary(tok.text, tok.column);
          expectOperand = true;
        } else if (tok.kind === "name" || tok.kind === "(") {
          this.pushBinary("*", tok.column);
          expectOperand = true;
          continue;
        } else if (tok.kind === ")") {
          this.closeParen(tok);
        } else if (tok.kind === ",") {
          this.comma(tok);
        } else if (tok.kind === "number") {
          throw this.error(`expected an operator before the number ${pyRepr(tok.text)} ` +
            "(write '*' for a product)", tok.column);
        } else {
          return this.finish();
        }
        i += 1;
      }
    }

    operand(i) {
      const tok = this.tokens[i];
      const nxt = tok.kind !== "end" ? this.tokens[i + 1] : tok;
      if (tok.kind === "number") {
        this.operands.push([{ t: "num", v: tok.value }, 1]);
      } else if (tok.kind === "name") {
        return this.name(tok, nxt, i);
      } else if (tok.kind === "op" && (tok.text === "+" || tok.text === "-")) {
        if (tok.text === "-") this.operators.push({ kind: "neg", column: tok.column, func: null });
        if (nxt.kind === "end") {
          throw this.error(`expected ${OPERAND} after ${pyRepr(tok.text)}`, tok.column);
        }
      } else if (tok.kind === "(") {
        this.open(tok.column, null);
      } else if (tok.kind === "end") {
        const last = this.tokens[i - 1];
        if (last.kind === "(") throw this.error("unclosed '('", this.operators.at(-1).column);
        throw this.error(`expected ${OPERAND} after ${pyRepr(last.text)}`, last.column);
      } else if (tok.kind === ")") {
        if (i === 0) throw this.error("unmatched ')': no '(' before it", tok.column);
        const last = this.tokens[i - 1];
        if (last.kind === "(") {
          const what = this.operators.at(-1).func;
          if (what !== null) throw this.error(`${what} needs an argument: ${what}(...)`, tok.column);
          throw this.error("empty parentheses '()'", tok.column);
        }
        throw this.error(`expected ${OPERAND} after ${pyRepr(last.text)}, found ')'`, tok.column);
      } else {
        throw this.error(`expected ${OPERAND}, found ${pyRepr(tok.text)}`, tok.column);
      }
      return i + 1;
    }

    name(tok, nxt, i) {
      const name = tok.text;
      if (has(FUNCTIONS, name)) {
        if (nxt.kind !== "(") throw this.error(`${name} needs parentheses: ${name}(...)`, tok.column);
        this.open(nxt.column, FUNCTIONS[name]);
        return i + 2;
      }
      if (CONSTANT_NAMES.includes(name)) {
        this.operands.push([{ t: "const", name }, 1]);
      } else if (nxt.kind === "(" && !VARIABLE_LIKE.test(name)) {
        throw this.error(`unknown function ${pyRepr(name)}; known functions: ${knownFunctions()}`,
          tok.column);
      } else {
        this.operands.push([{ t: "var", name }, 1]);
      }
      return i + 1;
    }

    open(column, func) {
      this.openParens += 1;
      if (this.openParens > MAX_DEPTH) throw this.error(TOO_DEEP, column);
      this.operators.push({ kind: "(", column, func });
    }

    pushBinary(op, column) {
      const prec = PREC[op];
      const rightAssoc = op === "^";
      const ops = this.operators;
      while (ops.length && ops.at(-1).kind !== "(") {
        const top = opPrec(ops.at(-1));
        if (top > prec || (top === prec && !rightAssoc)) this.reduce(ops.pop());
        else break;
      }
      ops.push({ kind: op, column, func: null });
    }

    reduce(op) {
      if (op.kind === "neg") {
        const [operand, d] = this.operands.pop();
        this.pushNode({ t: "neg", a: operand }, d + 1, op.column);
      } else {
        const [right, dr] = this.operands.pop();
        const [left, dl] = this.operands.pop();
        // A chain of one operator (a + b + c, a*b*c) is one nesting level however long.
        const chained = op.kind !== "^" && left.t === "bin" && PREC[left.op] === opPrec(op);
        const depth = chained ? Math.max(dl, dr + 1) : Math.max(dl, dr) + 1;
        this.pushNode({ t: "bin", op: op.kind, a: left, b: right }, depth, op.column);
      }
    }

    pushNode(node, depth, column) {
      if (depth > MAX_DEPTH) throw this.error(TOO_DEEP, column);
      this.operands.push([node, depth]);
    }

    closeParen(tok) {
      const ops = this.operators;
      while (ops.length && ops.at(-1).kind !== "(") this.reduce(ops.pop());
      if (!ops.length) throw this.error("unmatched ')': no '(' before it", tok.column);
      const paren = ops.pop();
      this.openParens -= 1;
      if (paren.func !== null) {
        const [arg, d] = this.operands.pop();
        this.pushNode({ t: "call", f: paren.func, a: arg }, d + 1, paren.column);
      }
    }

    comma(tok) {
      for (let k = this.operators.length - 1; k >= 0; k -= 1) {
        const op = this.operators[k];
        if (op.kind === "(") {
          if (op.func !== null) throw this.error(`${op.func} takes one argument`, tok.column);
          break;
        }
      }
      throw this.error("unexpected ','; functions take one argument", tok.column);
    }

    finish() {
      const ops = this.operators;
      while (ops.length) {
        const op = ops.pop();
        if (op.kind === "(") throw this.error("unclosed '('", op.column);
        this.reduce(op);
      }
      return this.operands[0][0];
    }
  }

  function children(node) {
    if (node.t === "bin") return [node.a, node.b];
    if (node.t === "neg" || node.t === "call") return [node.a];
    return [];
  }

  /** Every node once, children before parents, left to right (tree.post_order). */
  function postOrder(tree) {
    const order = [];
    const stack = [[tree, false]];
    while (stack.length) {
      const [node, ready] = stack.pop();
      if (ready) order.push(node);
      else {
        stack.push([node, true]);
        const kids = children(node);
        for (let k = kids.length - 1; k >= 0; k -= 1) stack.push([kids[k], false]);
      }
    }
    return order;
  }

  /** The variables, x, y, z first, then alphabetically (tree.order_variables). */
  function variablesOf(tree) {
    const found = new Set();
    for (const node of postOrder(tree)) if (node.t === "var") found.add(node.name);
    const first = ["x", "y", "z"].filter((v) => found.has(v));
    const rest = [...found].filter((v) => !first.includes(v)).sort();
    return first.concat(rest);
  }

  // A function name glued to a variable (sinx, cosy, expx2): parser.parse_with_variables refuses
  // it as a variable unless declared.
  const GLUED = new RegExp("^(" + Object.keys(FUNCTIONS).sort((a, b) => b.length - a.length)
    .join("|") + ")([A-Za-z][0-9]*)$");

  /** The tree and its variables, as parser.parse_with_variables gives them. */
  function parseWithVariables(text, declared) {
    const tree = parse(text);
    const names = variablesOf(tree);
    for (const name of names) {
      const match = GLUED.exec(name);
      if (match === null || (declared && declared.includes(name))) continue;
      const column = tokenize(text).find((t) => t.kind === "name" && t.text === name).column;
      throw new ParseError(`unknown name ${pyRepr(name)}: did you mean ${match[1]}(${match[2]})? ` +
        `(a variable named ${name} must be declared, e.g. --vars ${name})`, text, column);
    }
    return [tree, declared ? declared.slice() : names];
  }

  // ------------------------------------------------------------------------------------------
  // Arithmetic shared by both evaluators.

  /** x^n for an integer n, correctly rounded (as the C library's pow is, to within rare ties):
   * the product is carried in double-double, then rounded once. */
  function powInt(x, n) {
    if (!Number.isFinite(x) || x === 0 || Math.abs(n) > 1024) return Math.pow(x, n);
    let e = Math.abs(n);
    let rh = 1, rl = 0, bh = x, bl = 0;
    while (e > 0) {
      if (e & 1) [rh, rl] = ddMul(rh, rl, bh, bl);
      e >>= 1;
      if (e) [bh, bl] = ddMul(bh, bl, bh, bl);
    }
    if (!Number.isFinite(rh) || rh === 0) return Math.pow(x, n);
    if (n > 0) return rh + rl;
    // 1 / (rh + rl) in double-double, then rounded.
    const q = 1 / rh;
    const [ph, pl] = twoProd(q, rh);
    const r = (1 - ph - pl - q * rl) / rh;
    return q + r;
  }

  const SPLIT = 134217729; // 2^27 + 1
  function twoProd(a, b) {
    const p = a * b;
    const a1 = a * SPLIT, ah = a1 - (a1 - a), al = a - ah;
    const b1 = b * SPLIT, bh = b1 - (b1 - b), bl = b - bh;
    return [p, ((ah * bh - p) + ah * bl + al * bh) + al * bl];
  }
  function ddMul(ah, al, bh, bl) {
    const [p, e] = twoProd(ah, bh);
    const lo = e + (ah * bl + al * bh);
    const s = p + lo;
    return [s, lo - (s - p)];
  }

  /** NumPy's float64 power (the C library's pow) as closely as JS allows. */
  function power(a, b) {
    if (Number.isInteger(b) && Math.abs(b) <= 1024) return powInt(a, b);
    if (b === 0.5 && a > 0 && a < Infinity) return Math.sqrt(a);
    return Math.pow(a, b);
  }

  const sign = (a) => (a > 0 ? 1 : a < 0 ? -1 : a === 0 ? 0 : NaN);
  const LN10 = Math.log(10), LN2 = Math.log(2);
  const domain = (a) => (a < 0 ? NaN : a);

  /** autodiff._powi: small powers by multiplication. */
  function powi(a, n) {
    if (n === 2) return a * a;
    if (n === 3) return (a * a) * a;
    if (n === 1) return a;
    if (n === -1) return 1 / a;
    return power(a, n);
  }

  // The primitives of autodiff.RULES by opcode: forward(op, a, b), and the vector-Jacobian
  // product of argument `which` (0 or 1), vjp(op, which, g, ans, a, b), with the same
  // expressions in the same order. A switch (not a table of closures) keeps the loop fast.
  const OPS = ["add", "sub", "mul", "div", "neg", "powi", "pow", "sin", "cos", "tan", "asin",
    "acos", "atan", "sinh", "cosh", "tanh", "exp", "log", "log10", "log2", "sqrt", "abs"];
  const OP = Object.fromEntries(OPS.map((name, k) => [name, k]));
  const UNARY = new Set(["neg", ...OPS.slice(7)]);
  const NO_VJP = { powi: [false, true] }; // the integer exponent is never differentiated

  function forward(op, a, b) {
    switch (op) {
      case 0: return a + b;
      case 1: return a - b;
      case 2: return a * b;
      case 3: return a / b;
      case 4: return -a;
      case 5: return powi(a, b);
      case 6: return power(a, b);
      case 7: return Math.sin(a);
      case 8: return Math.cos(a);
      case 9: return Math.tan(a);
      case 10: return Math.asin(a);
      case 11: return Math.acos(a);
      case 12: return Math.atan(a);
      case 13: return Math.sinh(a);
      case 14: return Math.cosh(a);
      case 15: return Math.tanh(a);
      case 16: return Math.exp(a);
      case 17: return Math.log(a);
      case 18: return Math.log10(a);
      case 19: return Math.log2(a);
      case 20: return Math.sqrt(a);
      default: return Math.abs(a);
    }
  }

  function vjp(op, which, g, ans, a, b) {
    switch (op) {
      case 0: return g;
      case 1: return which === 0 ? g : -g;
      case 2: return which === 0 ? g * b : g * a;
      case 3: return which === 0 ? g / b : -(g * ans) / b;
      case 4: return -g;
      case 5: return (g * b) * powi(a, b - 1);
      case 6:
        if (which === 0) return (g * b) * power(a, b - 1);
        // d/dy x^y = x^y log x; the engine takes its limit, 0, where x^y = 0
        return ENGINE && ans === 0 ? 0 : (g * ans) * Math.log(a);
      case 7: return g * Math.cos(a);
      case 8: return -g * Math.sin(a);
      case 9: return g * (1 + ans * ans);
      case 10: return g / Math.sqrt(1 - a * a);
      case 11: return -g / Math.sqrt(1 - a * a);
      case 12: return g / (1 + a * a);
      case 13: return g * Math.cosh(a);
      case 14: return g * Math.sinh(a);
      case 15: return g * (1 - ans * ans);
      case 16: return g * ans;
      case 17: return g / domain(a);
      case 18: return g / (domain(a) * LN10);
      case 19: return g / (domain(a) * LN2);
      case 20: return (0.5 * g) / ans;
      default: return g * sign(a);
    }
  }
  const BINARY_RULE = { "+": "add", "-": "sub", "*": "mul", "/": "div", "^": "pow" };

  // ------------------------------------------------------------------------------------------
  // The tape (autodiff._Tape): value and exact gradient at one point.

  class Tape {
    constructor(tree, variables) {
      this.variables = variables;
      this.n = variables.length;
      this.constants = new Map(); // slot -> value
      this.instructions = []; // {op, out, args, needs: [bool, bool]}
      this.slotOf = new Map(); // key -> slot
      this.varSlots = variables.map((name) => this.newSlot("var\u0000" + name));
      this.root = this.flatten(tree);
      this.nslots = this.slotOf.size;
      this.compile();
    }

    newSlot(key) {
      const slot = this.slotOf.size;
      this.slotOf.set(key, slot);
      return slot;
    }

    flatten(tree) {
      const slotOf = new Map();
      const stack = [[tree, false]];
      while (stack.length) {
        const [node, ready] = stack.pop();
        if (slotOf.has(node)) continue;
        if (!ready) {
          stack.push([node, true]);
          // The program (engine/program.py) lowers children left to right; the older tape
          // walked right to left. The order is the order the adjoints are summed in.
          const kids = ENGINE ? children(node).reverse() : children(node);
          for (const child of kids) stack.push([child, false]);
          continue;
        }
        slotOf.set(node, this.emit(node, children(node).map((c) => slotOf.get(c))));
      }
      return slotOf.get(tree);
    }

    constant(value) {
      const key = "num\u0000" + (Object.is(value, -0) ? "-0" : String(value));
      if (this.slotOf.has(key)) return this.slotOf.get(key);
      const slot = this.newSlot(key);
      this.constants.set(slot, value);
      return slot;
    }

    emit(node, args) {
      if (node.t === "num") return this.constant(node.v);
      if (node.t === "const") return this.constant(CONFIG.constants[node.name]);
      if (node.t === "var") return this.slotOf.get("var\u0000" + node.name);
      let name;
      if (node.t === "neg") name = "neg";
      else if (node.t === "bin") {
        name = BINARY_RULE[node.op];
        const base = this.constants.has(args[0]);
        if (name === "pow" && this.constants.has(args[1]) && !(ENGINE && base)) {
          const exponent = this.constants.get(args[1]);
          if (exponent === 0) return this.constant(1.0);
          if (ENGINE && exponent === 1) return args[0];
          if (Number.isInteger(exponent) && Math.abs(exponent) <= 64) name = "powi";
        }
      } else name = node.f;
      const op = OP[name];
      const values = args.map((a) => this.constants.get(a));
      if (values.every((v) => v !== undefined)) return this.constant(forward(op, values[0], values[1]));
      const key = name + "\u0000" + args.join(",");
      if (this.slotOf.has(key)) return this.slotOf.get(key);
      const slot = this.newSlot(key);
      const skip = NO_VJP[name] || [false, false];
      const needs = args.map((a, k) => !skip[k] && !this.constants.has(a));
      this.instructions.push({ op, out: slot, args: UNARY.has(name) ? [args[0], args[0]] : args,
        needs });
      return slot;
    }

    /** Flat arrays for the hot loop (no allocation per call but the result). */
    compile() {
      const ins = this.instructions;
      this.vals = new Float64Array(this.nslots);
      this.adj = new Float64Array(this.nslots);
      this.has = new Uint8Array(this.nslots);
      for (const [slot, value] of this.constants) this.vals[slot] = value;
      this.ops = Int32Array.from(ins, (i) => i.op);
      this.outs = Int32Array.from(ins, (i) => i.out);
      this.arg0 = Int32Array.from(ins, (i) => i.args[0]);
      this.arg1 = Int32Array.from(ins, (i) => i.args[1]);
      this.need0 = Uint8Array.from(ins, (i) => (i.needs[0] ? 1 : 0));
      this.need1 = Uint8Array.from(ins, (i) => (i.needs.length > 1 && i.needs[1] ? 1 : 0));
      this.rootConstant = this.constants.has(this.root);
    }

    /** The reverse sweep of engine/interp.py: adjoints from 0, an adjoint of 0 adds 0. */
    sweep(vals) {
      const adj = this.adj, n = this.n, m = this.ops.length;
      const ops = this.ops, outs = this.outs, arg0 = this.arg0, arg1 = this.arg1;
      adj.fill(0);
      adj[this.root] = 1.0;
      for (let k = m - 1; k >= 0; k -= 1) {
        const out = outs[k], g = adj[out];
        const op = ops[k], ans = vals[out], a = vals[arg0[k]], b = vals[arg1[k]];
        if (this.need0[k]) adj[arg0[k]] += g !== 0 ? vjp(op, 0, g, ans, a, b) : 0;
        if (this.need1[k]) adj[arg1[k]] += g !== 0 ? vjp(op, 1, g, ans, a, b) : 0;
      }
      const grad = new Array(n);
      for (let j = 0; j < n; j += 1) grad[j] = 0 + adj[this.varSlots[j]];
      return [vals[this.root], grad];
    }

    /** f at the point x: the forward half of valueAndGrad. */
    value(x) {
      const vals = this.vals, n = this.n;
      for (let j = 0; j < n; j += 1) vals[this.varSlots[j]] = x[j];
      const ops = this.ops, outs = this.outs, arg0 = this.arg0, arg1 = this.arg1, m = ops.length;
      for (let k = 0; k < m; k += 1) vals[outs[k]] = forward(ops[k], vals[arg0[k]], vals[arg1[k]]);
      return vals[this.root];
    }

    /** [f, gradient] at the point x (an array of n numbers). */
    valueAndGrad(x) {
      const vals = this.vals, adj = this.adj, has = this.has, n = this.n;
      for (let j = 0; j < n; j += 1) vals[this.varSlots[j]] = x[j];
      if (this.rootConstant) return [vals[this.root], new Array(n).fill(0)];
      const ops = this.ops, outs = this.outs, arg0 = this.arg0, arg1 = this.arg1;
      const need0 = this.need0, need1 = this.need1, m = ops.length;
      for (let k = 0; k < m; k += 1) vals[outs[k]] = forward(ops[k], vals[arg0[k]], vals[arg1[k]]);
      if (ENGINE) return this.sweep(vals);
      has.fill(0);
      adj[this.root] = 1.0;
      has[this.root] = 1;
      for (let k = m - 1; k >= 0; k -= 1) {
        const out = outs[k];
        if (!has[out]) continue; // an instruction nothing depends on (u^0)
        const op = ops[k], g = adj[out], ans = vals[out], a = vals[arg0[k]], b = vals[arg1[k]];
        if (need0[k]) {
          const c = vjp(op, 0, g, ans, a, b), s = arg0[k];
          if (has[s]) adj[s] += c; else { adj[s] = c; has[s] = 1; }
        }
        if (need1[k]) {
          const c = vjp(op, 1, g, ans, a, b), s = arg1[k];
          if (has[s]) adj[s] += c; else { adj[s] = c; has[s] = 1; }
        }
      }
      const grad = new Array(n);
      for (let j = 0; j < n; j += 1) grad[j] = has[this.varSlots[j]] ? adj[this.varSlots[j]] : 0;
      return [vals[this.root], grad];
    }
  }

  // ------------------------------------------------------------------------------------------
  // The evaluator (evaluate.Program): values only, as Objective.value computes them.

  const EVAL_FUNCTIONS = {
    abs: Math.abs, acos: Math.acos, asin: Math.asin, atan: Math.atan, cos: Math.cos,
    cosh: Math.cosh, exp: Math.exp, log: Math.log, log10: Math.log10, log2: Math.log2,
    sin: Math.sin, sinh: Math.sinh, sqrt: Math.sqrt, tan: Math.tan, tanh: Math.tanh,
  };
  const EVAL_BINARY = {
    "+": (a, b) => a + b, "-": (a, b) => a - b, "*": (a, b) => a * b, "/": (a, b) => a / b,
    "^": power,
  };

  class Evaluator {
    constructor(tree, variables) {
      const constants = new Map();
      for (const node of postOrder(tree)) {
        if (node.t === "var") continue;
        const args = children(node).map((c) => constants.get(c));
        if (args.some((v) => v === undefined)) continue;
        constants.set(node, constantValue(node, args));
      }
      // Post-order program for a value stack, built without recursion.
      const code = [];
      const pending = [tree];
      while (pending.length) {
        const item = pending.pop();
        if (item.op !== undefined && item.t === undefined) { code.push(item); continue; }
        const node = item;
        if (constants.has(node)) code.push({ op: "const", v: constants.get(node) });
        else if (node.t === "var") code.push({ op: "load", j: variables.indexOf(node.name) });
        else if (node.t === "neg") pending.push({ op: "unary", f: (a) => -a }, node.a);
        else if (node.t === "call") pending.push({ op: "unary", f: EVAL_FUNCTIONS[node.f] }, node.a);
        else {
          const exponent = node.op === "^" ? constants.get(node.b) : undefined;
          if (exponent !== undefined && [1, 2, 3, 4].includes(exponent)) {
            pending.push({ op: "power", n: exponent }, node.a);
          } else if (node.op === "^" && node.a.t === "const" && node.a.name === "e") {
            pending.push({ op: "unary", f: Math.exp }, node.b);
          } else {
            pending.push({ op: "binary", f: EVAL_BINARY[node.op] }, node.b, node.a);
          }
        }
      }
      this.code = code;
    }

    value(x) {
      const code = this.code;
      const stack = this.stack || (this.stack = new Float64Array(code.length + 1));
      let sp = 0;
      for (let k = 0; k < code.length; k += 1) {
        const ins = code[k];
        switch (ins.op) {
          case "load": stack[sp++] = x[ins.j]; break;
          case "const": stack[sp++] = ins.v; break;
          case "unary": stack[sp - 1] = ins.f(stack[sp - 1]); break;
          case "binary": sp -= 1; stack[sp - 1] = ins.f(stack[sp - 1], stack[sp]); break;
          default: {
            const a = stack[sp - 1];
            if (ins.n === 2) stack[sp - 1] = a * a;
            else if (ins.n === 3) stack[sp - 1] = (a * a) * a;
            else if (ins.n === 4) { const q = a * a; stack[sp - 1] = q * q; }
          }
        }
      }
      return stack[0];
    }
  }

  function constantValue(node, args) {
    if (node.t === "num") return node.v;
    if (node.t === "const") return CONFIG.constants[node.name];
    if (node.t === "neg") return -args[0];
    if (node.t === "call") return EVAL_FUNCTIONS[node.f](args[0]);
    return EVAL_BINARY[node.op](args[0], args[1]);
  }

  // ------------------------------------------------------------------------------------------
  // Objectives: a formula prepared once.

  const cache = new Map();
  function objective(formula, variables) {
    const key = formula + "\u0000" + (variables ? variables.join(",") : "");
    if (cache.has(key)) return cache.get(key);
    const [tree, names] = parseWithVariables(formula, variables);
    for (const v of variablesOf(tree)) {
      if (!names.includes(v)) {
        throw new ParseError(`variable order ${JSON.stringify(names)} misses ${v} used in the formula`,
          formula, 0);
      }
    }
    const tape = new Tape(tree, names);
    // Objective.value: the gradient's own forward pass when the library computes it so (one
    // program for both), else evaluate.py's separate evaluator.
    const evaluator = CONFIG.valueIsForwardPass ? tape : new Evaluator(tree, names);
    const obj = {
      formula, tree, variables: names, dim: names.length,
      valueAndGrad: (x) => tape.valueAndGrad(x),
      value: (x) => evaluator.value(x),
    };
    if (cache.size > 64) cache.clear();
    cache.set(key, obj);
    return obj;
  }

  // ------------------------------------------------------------------------------------------
  // Linear formulas (stationary.py): unbounded below, refused as minimize refuses them.

  /**
   * The constant gradient of a formula that is provably linear and not constant, else null
   * (stationary.linear_gradient: the same degree of every sub-formula, 0 constant, 1 linear,
   * 2 neither or not proven; the gradient taken at the origin).
   */
  function linearGradient(obj) {
    const degree = new Map();
    for (const node of postOrder(obj.tree)) {
      const d = children(node).map((c) => degree.get(c));
      let k = 0; // numbers and named constants
      if (node.t === "var") k = 1;
      else if (node.t === "neg") k = d[0];
      else if (node.t === "bin" && (node.op === "+" || node.op === "-")) k = Math.max(d[0], d[1]);
      else if (node.t === "bin" && node.op === "*") k = Math.min(d[0], d[1]) === 0 ? d[0] + d[1] : 2;
      else if (node.t === "bin" && node.op === "/") k = d[1] === 0 ? d[0] : 2;
      else if (node.t === "bin") { // power
        const one = node.b.t === "num" && node.b.v === 1;
        k = Math.max(d[0], d[1]) === 0 ? 0 : one ? d[0] : 2;
      } else if (node.t === "call") k = d[0] === 0 ? 0 : 2;
      degree.set(node, k);
    }
    if (Math.min(degree.get(obj.tree), 2) !== 1) return null;
    const g = obj.valueAndGrad(new Array(obj.dim).fill(0))[1];
    if (!g.every(Number.isFinite) || !g.some((v) => v !== 0)) return null;
    return g;
  }

  /** minimize's refusal of a linear formula (stationary.refuse_unbounded), or null. */
  function unbounded(obj) {
    if (obj.unbounded !== undefined) return obj.unbounded;
    const g = linearGradient(obj);
    let message = null;
    if (g !== null) {
      const { message: template, nameLimit } = CONFIG.unbounded;
      const chars = Array.from(obj.formula.trim());
      const name = chars.length <= nameLimit ? chars.join("") :
        chars.slice(0, nameLimit - 3).join("") + "...";
      let parts = g.map((v) => formatG(v, 10));
      if (parts.length > 6) parts = [...parts.slice(0, 3), "...", ...parts.slice(-3)];
      message = template.replace("{name}", () => pyRepr(name))
        .replace("{gradient}", () => parts.join(", "));
    }
    obj.unbounded = message;
    return message;
  }

  // ------------------------------------------------------------------------------------------
  // Checks (checks.py): the same tests and messages as the Python factories give.

  class ConfigError extends Error {
    constructor(message) {
      super(message);
      this.name = "ConfigError";
    }
  }

  /** A number as Python's format(v, f".{digits}g") prints it (6: the bounds in the messages). */
  function formatG(v, digits = 6) {
    const r = Number(v.toPrecision(digits));
    const e = r === 0 ? 0 : Math.floor(Math.log10(Math.abs(r)));
    if (Object.is(r, -0)) return "-0";
    if (e >= -4 && e < digits) return String(r);
    const [m, x] = r.toExponential().split("e");
    return `${m}e${x[0] === "-" ? "-" : "+"}${x.replace(/^[+-]/, "").padStart(2, "0")}`;
  }

  const shownValue = (v) => (typeof v === "string" ? pyRepr(v) : JSON.stringify(v) ?? String(v));

  function describe(lo, hi, loOpen, hiOpen) {
    if (lo !== null && hi !== null) {
      return `a number in ${loOpen ? "(" : "["}${formatG(lo)}, ${formatG(hi)}${hiOpen ? ")" : "]"}`;
    }
    if (lo !== null) return `a finite number ${loOpen ? ">" : ">="} ${formatG(lo)}`;
    if (hi !== null) return `a finite number ${hiOpen ? "<" : "<="} ${formatG(hi)}`;
    return "a finite number";
  }

  /** checks.real: a finite number within the bounds (each end open or closed). */
  function real(name, value, { lo = null, hi = null, loOpen = false, hiOpen = false } = {}) {
    let ok = typeof value === "number" && Number.isFinite(value);
    if (ok && lo !== null) ok = loOpen ? value > lo : value >= lo;
    if (ok && hi !== null) ok = hiOpen ? value < hi : value <= hi;
    if (!ok) {
      throw new ConfigError(`${name} must be ${describe(lo, hi, loOpen, hiOpen)} (got ${shownValue(value)})`);
    }
    return value;
  }
  const positive = (name, v) => real(name, v, { lo: 0, loOpen: true });
  const nonNegative = (name, v) => real(name, v, { lo: 0 });
  const inRange = (name, v, lo, hi, opts = {}) => real(name, v, { lo, hi, ...opts });

  function integer(name, value, lo = null) {
    if (!Number.isInteger(value) || (lo !== null && value < lo)) {
      const what = lo === null ? "an integer" : `an integer >= ${grouped(lo)}`;
      throw new ConfigError(`${name} must be ${what} (got ${shownValue(value)})`);
    }
    return value;
  }

  function flag(name, value) {
    if (typeof value !== "boolean") {
      throw new ConfigError(`${name} must be True or False (got ${shownValue(value)})`);
    }
    return value;
  }

  function choice(name, value, choices) {
    if (!choices.includes(value)) {
      throw new ConfigError(`unknown ${name} ${shownValue(value)} (one of ${choices.join(", ")})`);
    }
    return value;
  }

  function pair(name, value, what) {
    if (!Array.isArray(value) || value.length !== 2) {
      throw new ConfigError(`${name} must be a pair ${what} (got ${shownValue(value)})`);
    }
    return value;
  }

  /** The settings the Adam family checks first, in its order: lr, betas, eps, weight_decay. */
  function adamBase(h) {
    positive("lr", h.lr);
    const b = pair("betas", h.betas, "(beta1, beta2)");
    const beta1 = inRange("beta1", b[0], 0, 1, { hiOpen: true });
    const beta2 = inRange("beta2", b[1], 0, 1, { hiOpen: true });
    const eps = positive("eps", h.eps);
    const wd = nonNegative("weight_decay", h.weight_decay);
    return { beta1, beta2, eps, wd, w2: 1 - beta2 };
  }

  // ------------------------------------------------------------------------------------------
  // The update rules: the kernels of engine/rules.py for one row, in the same operation order.
  // make(h) validates as the factory in optimizers.py does and returns {size, step}: size is the
  // number of state arrays (zeros at first), step(G, S, t, lr, X, out, ls, valueFn, mom) writes
  // the step (the new point is X + step) for iteration t (from 1) with this iteration's learning
  // rate lr and, for a rule in CONFIG.cycles (one with a momentum or beta1, its Kernel.momentum),
  // this iteration's momentum or beta1 `mom` when a schedule sets it.

  /** engine.rules._grad: the sign (maximize), then L2 weight decay. */
  function gradOf(g, x, sign, wd) {
    g = g * sign;
    if (wd !== 0) g = g + x * wd;
    return g;
  }

  const signOf = (h) => (flag("maximize", h.maximize) ? -1 : 1);

  function sgdRule(h, nesterov) {
    positive("lr", h.lr);
    const mu = nonNegative("momentum", h.momentum);
    let w;
    if (nesterov) {
      if (mu === 0) throw new ConfigError(`nesterov needs momentum > 0 (got ${shownValue(h.momentum)})`);
      if (typeof h.dampening !== "number" || h.dampening !== 0) {
        throw new ConfigError(`nesterov needs dampening = 0, as torch does (got ${shownValue(h.dampening)})`);
      }
      w = 1;
    } else {
      w = 1 - inRange("dampening", h.dampening, 0, 1);
    }
    const wd = nonNegative("weight_decay", h.weight_decay);
    const sign = signOf(h);
    return {
      size: 1,
      step(G, [v], t, lr, X, out, ls, valueFn, mom = mu) {
        const wb = t === 1 ? 1 : w;
        if (t === 1) v.fill(0);
        for (let i = 0; i < G.length; i += 1) {
          const g = gradOf(G[i], X[i], sign, wd);
          const vi = v[i] * mom + g * wb;
          v[i] = vi;
          out[i] = nesterov ? (g + vi * mom) * -lr : vi * -lr;
        }
      },
    };
  }

  function adamRule(h, decoupled) {
    const { beta1, beta2, eps, wd, w2 } = adamBase(h);
    const ams = flag("amsgrad", h.amsgrad);
    const sign = signOf(h);
    const l2 = decoupled ? 0 : wd;
    return {
      size: 3,
      step(G, [m, v, vmax], t, lr, X, out, ls, valueFn, b1 = beta1) {
        const w1 = 1 - b1;
        const a = -(lr / (1 - powInt(b1, t)));
        const c = Math.sqrt(1 - powInt(beta2, t));
        const keep = 1 - lr * wd;
        for (let i = 0; i < G.length; i += 1) {
          const x = X[i];
          const g = gradOf(G[i], x, sign, l2);
          const mi = (g - m[i]) * w1 + m[i];
          m[i] = mi;
          let vi = g * w2 * g + v[i] * beta2;
          v[i] = vi;
          if (ams) {
            vi = Math.max(vmax[i], vi);
            vmax[i] = vi;
          }
          const u = (mi / (Math.sqrt(vi) / c + eps)) * a;
          out[i] = decoupled && wd !== 0 ? (x * keep - x) + u : u;
        }
      },
    };
  }

  const RULES = {
    gd(h) {
      positive("lr", h.lr);
      const wd = nonNegative("weight_decay", h.weight_decay);
      const sign = signOf(h);
      return {
        size: 0,
        step(G, S, t, lr, X, out) {
          for (let i = 0; i < G.length; i += 1) out[i] = gradOf(G[i], X[i], sign, wd) * -lr;
        },
      };
    },
    momentum: (h) => sgdRule(h, false),
    nesterov: (h) => sgdRule(h, true),
    adagrad(h) {
      positive("lr", h.lr);
      const eps = positive("eps", h.eps);
      const decay = nonNegative("lr_decay", h.lr_decay);
      const s0 = nonNegative("initial_accumulator_value", h.initial_accumulator_value);
      const wd = nonNegative("weight_decay", h.weight_decay);
      const sign = signOf(h);
      return {
        size: 1,
        step(G, [s], t, lr, X, out) {
          const clr = -(lr / (1 + (t - 1) * decay));
          if (t === 1) s.fill(s0);
          for (let i = 0; i < G.length; i += 1) {
            const g = gradOf(G[i], X[i], sign, wd);
            const si = s[i] + g * g;
            s[i] = si;
            out[i] = (g / (Math.sqrt(si) + eps)) * clr;
          }
        },
      };
    },
    rmsprop(h) {
      positive("lr", h.lr);
      const alpha = inRange("alpha", h.alpha, 0, 1, { hiOpen: true });
      const eps = positive("eps", h.eps);
      const wd = nonNegative("weight_decay", h.weight_decay);
      const mu = nonNegative("momentum", h.momentum);
      const centered = flag("centered", h.centered);
      const sign = signOf(h);
      const w = 1 - alpha;
      return {
        size: 3,
        step(G, [v, m, buf], t, lr, X, out, ls, valueFn, mom = mu) {
          for (let i = 0; i < G.length; i += 1) {
            const g = gradOf(G[i], X[i], sign, wd);
            const vi = v[i] * alpha + w * g * g;
            v[i] = vi;
            let avg;
            if (centered) {
              const mi = (g - m[i]) * w + m[i];
              m[i] = mi;
              avg = Math.sqrt(vi - mi * mi) + eps;
            } else {
              avg = Math.sqrt(vi) + eps;
            }
            if (mom > 0) {
              const bi = buf[i] * mom + g / avg;
              buf[i] = bi;
              out[i] = bi * -lr;
            } else {
              out[i] = (g / avg) * -lr;
            }
          }
        },
      };
    },
    adam: (h) => adamRule(h, false),
    adamw: (h) => adamRule(h, true),
    nadam(h) {
      const { beta1, beta2, eps, wd, w2 } = adamBase(h);
      const psi = nonNegative("momentum_decay", h.momentum_decay);
      const decoupled = flag("decoupled_weight_decay", h.decoupled_weight_decay);
      const sign = signOf(h);
      const l2 = decoupled ? 0 : wd;
      return {
        size: 3,
        step(G, [m, v, prod], t, lr, X, out, ls, valueFn, b1 = beta1) {
          const w1 = 1 - b1;
          const bc2 = 1 - powInt(beta2, t);
          // 0.96^(t psi): the C library's pow and the browser's may differ in the last bit.
          const mu = b1 * (1 - 0.5 * Math.pow(0.96, t * psi));
          const muNext = b1 * (1 - 0.5 * Math.pow(0.96, (t + 1) * psi));
          const keep = 1 - lr * wd;
          for (let i = 0; i < G.length; i += 1) {
            const x = X[i];
            const g = gradOf(G[i], x, sign, l2);
            const p = (t === 1 ? 1 : prod[i]) * mu;
            prod[i] = p;
            const mi = (g - m[i]) * w1 + m[i];
            m[i] = mi;
            const vi = v[i] * beta2 + w2 * g * g;
            v[i] = vi;
            const denom = Math.sqrt(vi / bc2) + eps;
            let xn = decoupled && wd !== 0 ? x * keep : x;
            xn = xn + ((-lr * (1 - mu)) / (1 - p)) * (g / denom);
            xn = xn + ((-lr * muNext) / (1 - p * muNext)) * (mi / denom);
            out[i] = xn - x;
          }
        },
      };
    },
    radam(h) {
      const { beta1, beta2, eps, wd, w2 } = adamBase(h);
      const decoupled = flag("decoupled_weight_decay", h.decoupled_weight_decay);
      const sign = signOf(h);
      const l2 = decoupled ? 0 : wd;
      const rhoInf = 2 / (1 - beta2) - 1;
      return {
        size: 2,
        step(G, [m, v], t, lr, X, out, ls, valueFn, b1 = beta1) {
          const w1 = 1 - b1;
          const bc1 = 1 - powInt(b1, t);
          const bc2 = 1 - powInt(beta2, t);
          const rhoT = rhoInf - (2 * t * powInt(beta2, t)) / bc2;
          let rect = 0;
          if (rhoT > 5) {
            const num = (rhoT - 4) * (rhoT - 2) * rhoInf;
            rect = Math.sqrt(num / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
          }
          const keep = 1 - lr * wd;
          for (let i = 0; i < G.length; i += 1) {
            const x = X[i];
            const g = gradOf(G[i], x, sign, l2);
            const mi = (g - m[i]) * w1 + m[i];
            m[i] = mi;
            const vi = v[i] * beta2 + w2 * g * g;
            v[i] = vi;
            const mhat = mi / bc1;
            const u = rhoT > 5 ? mhat * lr * (Math.sqrt(bc2) / (Math.sqrt(vi) + eps)) * rect : mhat * lr;
            const xd = decoupled && wd !== 0 ? x * keep : x;
            out[i] = (xd - x) - u;
          }
        },
      };
    },
    adamax(h) {
      const { beta1, beta2, eps, wd } = adamBase(h);
      const sign = signOf(h);
      return {
        size: 2,
        step(G, [m, u], t, lr, X, out, ls, valueFn, b1 = beta1) {
          const w1 = 1 - b1;
          const clr = -(lr / (1 - powInt(b1, t)));
          for (let i = 0; i < G.length; i += 1) {
            const g = gradOf(G[i], X[i], sign, wd);
            const mi = (g - m[i]) * w1 + m[i];
            m[i] = mi;
            const ui = Math.max(u[i] * beta2, Math.abs(g) + eps);
            u[i] = ui;
            out[i] = (mi / ui) * clr;
          }
        },
      };
    },
    adadelta(h) {
      positive("lr", h.lr);
      const rho = inRange("rho", h.rho, 0, 1, { hiOpen: true });
      const eps = positive("eps", h.eps);
      const wd = nonNegative("weight_decay", h.weight_decay);
      const sign = signOf(h);
      const w = 1 - rho;
      return {
        size: 2,
        step(G, [v, acc], t, lr, X, out) {
          for (let i = 0; i < G.length; i += 1) {
            const g = gradOf(G[i], X[i], sign, wd);
            const vi = v[i] * rho + w * g * g;
            v[i] = vi;
            const ai = acc[i];
            const delta = (Math.sqrt(ai + eps) / Math.sqrt(vi + eps)) * g;
            acc[i] = ai * rho + w * delta * delta;
            out[i] = delta * -lr;
          }
        },
      };
    },
    rprop(h) {
      positive("lr", h.lr);
      const etas = pair("etas", h.etas, "(etaminus, etaplus)");
      const em = inRange("etaminus", etas[0], 0, 1, { loOpen: true, hiOpen: true });
      const ep = real("etaplus", etas[1], { lo: 1, loOpen: true });
      const sizes = pair("step_sizes", h.step_sizes, "(min, max)");
      const lo = nonNegative("the smallest step size", sizes[0]);
      const hi = real("the largest step size", sizes[1], { lo: Math.max(lo, 0), loOpen: lo === 0 });
      const sign = signOf(h);
      return {
        size: 2,
        step(G, [prev, size], t, lr, X, out) {
          for (let i = 0; i < G.length; i += 1) {
            let g = G[i] * sign;
            let st = t === 1 ? lr : size[i];
            const p = g * prev[i];
            const f = p > 0 ? ep : p < 0 ? em : 1;
            st = Math.min(Math.max(st * f, lo), hi);
            size[i] = st;
            if (f === em) g = 0;
            prev[i] = g;
            const sg = g > 0 ? 1 : g < 0 ? -1 : 0;
            out[i] = -(sg * st);
          }
        },
      };
    },
    asgd(h) {
      positive("lr", h.lr);
      const lambd = nonNegative("lambd", h.lambd);
      const alpha = nonNegative("alpha", h.alpha);
      nonNegative("t0", h.t0);
      const wd = nonNegative("weight_decay", h.weight_decay);
      const sign = signOf(h);
      return {
        size: 1,
        step(G, [eta], t, lr, X, out) {
          for (let i = 0; i < G.length; i += 1) {
            const x = X[i];
            const g = gradOf(G[i], x, sign, wd);
            const e = t === 1 ? lr : eta[i];
            let xn = x * (1 - lambd * e);
            xn = xn + g * -e;
            // (1 + lambd lr t)^alpha: the C library's pow and the browser's may differ in the
            // last bit. The averaged iterate (torch's ax) is not drawn, so it is not kept.
            eta[i] = lr / Math.pow(1 + lambd * lr * t, alpha);
            out[i] = xn - x;
          }
        },
      };
    },
    linesearch(h) {
      positive("lr", h.lr);
      const c = inRange("c", h.c, 0, 1, { loOpen: true, hiOpen: true });
      const shrink = inRange("shrink", h.shrink, 0, 1, { loOpen: true, hiOpen: true });
      const maxBacktracks = integer("max_backtracks", h.max_backtracks, 0);
      // A search with no sufficient decrease takes no step (failed: the loop stops the row with
      // precision_loss); trials are compared with values of one evaluator (valueFn), starting
      // from the value the previous step accepted.
      return {
        size: 0,
        init: () => ({ f: NaN, failed: false }),
        step(G, S, t, lr, X, out, ls, valueFn) {
          const value = Number.isFinite(ls.f) ? ls.f : valueFn(X);
          let g2 = 0;
          for (const g of G) g2 += g * g;
          let a = lr;
          ls.failed = true;
          out.fill(0);
          for (let j = 0; j <= maxBacktracks; j += 1) {
            const d = G.map((g) => -(a * g));
            const decrease = (c * a) * g2;
            const fTrial = valueFn(X.map((x, i) => x + d[i]));
            if (fTrial <= value - decrease && (fTrial < value || decrease === 0)) {
              ls.failed = false;
              ls.f = fTrial;
              d.forEach((v, i) => { out[i] = v; });
              return;
            }
            a *= shrink;
          }
        },
      };
    },
  };

  // ------------------------------------------------------------------------------------------
  // Learning-rate schedules (schedules.py), torch's recursions in torch's operation order.
  // make(p) validates as the factory does and returns {table(maxIter, lr)} (closed form) or
  // {init(lr), step(state, f)} (reducelronplateau, which follows the loss).

  function recursive(getLr, first) {
    return (maxIter, lr) => {
      const out = new Array(maxIter);
      let current = first * lr;
      for (let e = 0; e < maxIter; e += 1) {
        if (e) current = getLr(e, current, lr);
        out[e] = current;
      }
      return out;
    };
  }

  const SCHEDULES = {
    steplr(p) {
      const size = integer("step_size", p.step_size, 1);
      const g = inRange("gamma", p.gamma, 0, 1, { loOpen: true });
      return { table: recursive((e, lr) => (e % size === 0 ? lr * g : lr), 1) };
    },
    multisteplr(p) {
      if (!Array.isArray(p.milestones)) {
        throw new ConfigError(`milestones must be a list of ints >= 1 (got ${shownValue(p.milestones)})`);
      }
      if (!p.milestones.length) throw new ConfigError("milestones must not be empty (got [])");
      const counts = new Map();
      for (const m of p.milestones) {
        integer("a milestone", m, 1);
        counts.set(m, (counts.get(m) || 0) + 1);
      }
      const g = inRange("gamma", p.gamma, 0, 1, { loOpen: true });
      return { table: recursive((e, lr) => (counts.has(e) ? lr * powInt(g, counts.get(e)) : lr), 1) };
    },
    exponentiallr(p) {
      const g = inRange("gamma", p.gamma, 0, 1, { loOpen: true });
      return { table: recursive((e, lr) => lr * g, 1) };
    },
    cosineannealinglr(p) {
      const T = integer("T_max", p.T_max, 1);
      const low = nonNegative("eta_min", p.eta_min);
      // cos: the C library's and the browser's may differ in the last bit.
      return {
        table: recursive((e, cur, base) => {
          if ((e - 1 - T) % (2 * T) === 0) return cur + ((base - low) * (1 - Math.cos(Math.PI / T))) / 2;
          const ratio = (1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T));
          return ratio * (cur - low) + low;
        }, 1),
      };
    },
    linearlr(p) {
      const s = inRange("start_factor", p.start_factor, 0, 1, { loOpen: true });
      const f = inRange("end_factor", p.end_factor, 0, 1);
      const n = integer("total_iters", p.total_iters, 1);
      return {
        table: recursive((e, lr) => (e > n ? lr : lr * (1 + (f - s) / (n * s + (e - 1) * (f - s)))), s),
      };
    },
    onecyclelr(p) {
      const peak = positive("max_lr", p.max_lr);
      const total = p.total_steps === null || p.total_steps === undefined ? null
        : integer("total_steps", p.total_steps, 2);
      const pct = p.pct_start;
      if (typeof pct !== "number" || !(pct > 0 && pct < 1)) {
        throw new ConfigError(`pct_start must be in (0, 1) (got ${shownValue(pct)})`);
      }
      const strategy = choice("anneal_strategy", p.anneal_strategy, CONFIG.choices.anneal_strategy);
      const cycle = flag("cycle_momentum", p.cycle_momentum);
      const lowM = inRange("base_momentum", p.base_momentum, 0, 1, { hiOpen: true });
      const highM = inRange("max_momentum", p.max_momentum, 0, 1, { hiOpen: true });
      const div = positive("div_factor", p.div_factor);
      const finalDiv = positive("final_div_factor", p.final_div_factor);
      const three = flag("three_phase", p.three_phase);
      const initial = peak / div;
      const low = initial / finalDiv;
      /** [end step, index of the start value, index of the end value] per phase. */
      function phases(maxIter) {
        const steps = total === null ? Math.max(maxIter, 2) : total;
        if (maxIter - 1 > steps) {
          throw new ConfigError(`onecyclelr: total_steps = ${steps} is shorter than the run ` +
            `(max_iter = ${maxIter} needs total_steps >= ${maxIter - 1})`);
        }
        const out = three
          ? [[pct * steps - 1, 0, 1], [2 * pct * steps - 2, 1, 0], [steps - 1, 0, 2]]
          : [[pct * steps - 1, 0, 1], [steps - 1, 1, 2]];
        let begin = 0;
        for (const [end] of out) {
          if (!(end > begin)) {
            throw new ConfigError(`onecyclelr: pct_start = ${pct} leaves an empty phase with ` +
              `total_steps = ${steps}`);
          }
          begin = end;
        }
        return out;
      }
      /** torch's get_lr: the value of each scheduler step 0..maxIter-1. */
      function anneal(maxIter, values) {
        const plan = phases(maxIter);
        const out = new Array(maxIter);
        for (let e = 0; e < maxIter; e += 1) {
          let begin = 0;
          for (let i = 0; i < plan.length; i += 1) {
            const [end, a, b] = plan[i];
            if (e <= end || i === plan.length - 1) {
              const q = (e - begin) / (end - begin);
              const start = values[a], stop = values[b];
              out[e] = strategy === "cos" ? stop + ((start - stop) / 2) * (Math.cos(Math.PI * q) + 1)
                : (stop - start) * q + start;
              break;
            }
            begin = end;
          }
        }
        return out;
      }
      return {
        table: (maxIter) => anneal(maxIter, [initial, peak, low]),
        // max -> base -> max (three phases: down, up, then constant), inversely to the lr
        momentum: cycle ? (maxIter) => anneal(maxIter, [highM, lowM, highM]) : null,
      };
    },
    reducelronplateau(p) {
      const mode = choice("mode", p.mode, CONFIG.choices.mode);
      if (typeof p.factor !== "number" || !(p.factor > 0 && p.factor < 1)) {
        throw new ConfigError(`factor must be in (0, 1) (got ${shownValue(p.factor)})`);
      }
      const fac = p.factor;
      const wait = integer("patience", p.patience, 0);
      const thr = nonNegative("threshold", p.threshold);
      const tmode = choice("threshold_mode", p.threshold_mode, CONFIG.choices.threshold_mode);
      const cool = integer("cooldown", p.cooldown, 0);
      const floor = nonNegative("min_lr", p.min_lr);
      const tiny = nonNegative("eps", p.eps);
      return {
        init: (lr) => ({ lr, best: mode === "min" ? Infinity : -Infinity, numBad: 0, cooldown: 0 }),
        step(s, f) {
          let better;
          if (mode === "min") better = tmode === "rel" ? f < s.best * (1 - thr) : f < s.best - thr;
          else better = tmode === "rel" ? f > s.best * (thr + 1) : f > s.best + thr;
          if (better) s.best = f;
          let numBad = better ? 0 : s.numBad + 1;
          const inCooldown = s.cooldown > 0;
          let counter = inCooldown ? s.cooldown - 1 : s.cooldown;
          if (inCooldown) numBad = 0;
          const cut = numBad > wait;
          const newLr = Math.max(s.lr * fac, floor);
          if (cut && s.lr - newLr > tiny) s.lr = newLr;
          if (cut) { counter = cool; numBad = 0; }
          s.numBad = numBad;
          s.cooldown = counter;
          return s.lr;
        },
      };
    },
  };

  // ------------------------------------------------------------------------------------------
  // minimize (descent.py) for one start.

  const STATUS = CONFIG.statuses; // code -> label, from result.Status
  const PAUSES = new Set(CONFIG.pauses); // rules whose zero step is a pause (Rprop)
  const CYCLES = new Set(CONFIG.cycles); // rules whose momentum or beta1 a schedule may set

  function sqNorm(A) {
    let out = A[0] * A[0];
    for (let j = 1; j < A.length; j += 1) out += A[j] * A[j];
    return out;
  }

  /** A rule's or schedule's settings: the library's defaults, then the given ones. */
  function settings(table, what, name, given) {
    if (!has(table, name)) {
      throw new ConfigError(`unknown ${what} ${JSON.stringify(name)} (one of ${Object.keys(table).join(", ")})`);
    }
    for (const key of Object.keys(given || {})) {
      if (!has(table[name], key)) throw new ConfigError(`${name} has no parameter ${JSON.stringify(key)}`);
    }
    return Object.assign({}, table[name], given || {});
  }

  /** The rule `name` with these hyperparameters (ConfigError if one is refused). */
  function makeRule(name, given) {
    const h = settings(CONFIG.optimizers, "optimizer", name, given);
    return Object.assign(RULES[name](h), { lr: h.lr, name });
  }

  /** The schedule {name, parameters} (ConfigError if a parameter is refused). */
  function makeSchedule(spec) {
    const p = settings(CONFIG.schedules, "scheduler", spec.name, spec.parameters);
    return SCHEDULES[spec.name](p);
  }

  /** The learning rates of iterations 1..maxIter, as minimize checks a schedule's table. */
  function lrTable(schedule, maxIter, lr) {
    const table = schedule.table(maxIter, lr);
    if (!table.every((v) => Number.isFinite(v) && v >= 0)) {
      throw new ConfigError(`scheduler.table(${maxIter}) must give ${maxIter} finite learning ` +
        `rates >= 0 (got shape (${table.length},))`);
    }
    return table;
  }

  /** The momentum (or beta1) of iterations 1..maxIter for a schedule that cycles it, else null;
   * refused for a rule without one, as minimize (and torch) refuse it. */
  function momentumTable(schedule, name, rule, maxIter) {
    if (!schedule.momentum) return null;
    if (!CYCLES.has(rule.name)) {
      throw new ConfigError(`${name} cycles the momentum and ${rule.name} has no momentum or ` +
        "beta1 (torch: optimizer must support momentum or beta1 with `cycle_momentum` option " +
        "enabled); pass cycle_momentum=False");
    }
    return schedule.momentum(maxIter);
  }

  /**
   * Run one optimizer from one start, as descentlab.minimize does.
   *
   * @param {object} spec {formula, start, optimizer, hyperparameters, steps (max_iter),
   *   grad_tol, f_tol, x_tol, variables, scheduler: {name, parameters} or null}
   * @returns {{xs: number[][], fs: number[], status: string, code: number, nit: number,
   *   grads: number[], lrs: number[]}} every iterate, the start first; lrs[t - 1] is the
   *   learning rate iteration t used.
   */
  function run(spec) {
    const obj = spec.objective || objective(spec.formula, spec.variables);
    const refused = unbounded(obj);
    if (refused !== null) throw new ConfigError(refused);
    const stop = Object.assign({}, CONFIG.stop);
    if (spec.steps !== undefined) stop.max_iter = spec.steps;
    for (const key of ["max_iter", "grad_tol", "f_tol", "x_tol"]) {
      if (spec[key] !== undefined) stop[key] = spec[key];
    }
    integer("max_iter", stop.max_iter, 0);
    const limit = stop.limit;
    let X = Array.from(spec.start, Number);
    if (X.length !== obj.dim || !X.every(Number.isFinite)) {
      throw new ConfigError(`start must be ${obj.dim} finite numbers (got ${spec.start})`);
    }
    const rule = makeRule(spec.optimizer, spec.hyperparameters);
    const schedule = spec.scheduler ? makeSchedule(spec.scheduler) : null;
    const table = schedule && schedule.table ? lrTable(schedule, stop.max_iter, rule.lr) : null;
    const momenta = schedule ? momentumTable(schedule, spec.scheduler.name, rule, stop.max_iter) : null;
    const plateau = schedule && schedule.init ? schedule.init(rule.lr) : null;
    const pauses = PAUSES.has(rule.name);
    const stationaryTol = Math.max(stop.grad_tol, Math.sqrt(stop.x_tol));
    const xs = [X], fs = [], grads = [], lrs = [];
    let [F, G] = obj.valueAndGrad(X);
    let gn2 = sqNorm(G);
    fs.push(F);
    grads.push(Math.sqrt(gn2));
    const done = (code, t) => ({ xs, fs, grads, lrs, status: STATUS[code], code, nit: t });
    if (!(Math.abs(F) <= limit && gn2 < Infinity)) return done(CONFIG.codes.DIVERGED, 0);
    if (Math.sqrt(gn2) < stop.grad_tol) return done(CONFIG.codes.CONVERGED_GRAD, 0);
    const n = obj.dim;
    const S = Array.from({ length: rule.size }, () => new Array(n).fill(0));
    const ls = rule.init ? rule.init() : null;
    const out = new Array(n).fill(0);
    let lrNext = rule.lr;
    for (let t = 1; t <= stop.max_iter; t += 1) {
      const lr = table ? table[t - 1] : lrNext;
      rule.step(G, S, t, lr, X, out, ls, obj.value, momenta ? momenta[t - 1] : undefined);
      if (plateau) lrNext = schedule.step(plateau, F);
      const Xn = out.map((s, i) => s + X[i]);
      // A step not taken (the line search found no decrease) or that changes nothing (for a
      // rule that pauses, only where the gradient itself is zero; a schedule at lr 0 pauses).
      if (ls && ls.failed) return done(CONFIG.codes.PRECISION_LOSS, t - 1);
      if (Xn.every((v, i) => v === X[i]) && (!pauses || G.every((g) => g === 0)) && lr > 0) {
        return done(CONFIG.codes.STALLED, t - 1);
      }
      if (!(Xn.every((v) => Math.abs(v) <= limit))) return done(CONFIG.codes.DIVERGED, t);
      const [Fn, Gn] = obj.valueAndGrad(Xn);
      gn2 = sqNorm(Gn);
      if (!(Math.abs(Fn) <= limit && gn2 < Infinity)) return done(CONFIG.codes.DIVERGED, t);
      const gnn = Math.sqrt(gn2);
      let code = null;
      if (stop.grad_tol > 0 && gnn < stop.grad_tol) code = CONFIG.codes.CONVERGED_GRAD;
      else if (stop.f_tol > 0 && Math.abs(Fn - F) < stop.f_tol) code = CONFIG.codes.CONVERGED_F;
      else if (stop.x_tol > 0 && Math.sqrt(sqNorm(Xn.map((v, i) => v - X[i]))) < stop.x_tol) {
        code = gnn < stationaryTol ? CONFIG.codes.CONVERGED_X : CONFIG.codes.SMALL_STEP;
      }
      X = Xn; F = Fn; G = Gn;
      xs.push(X); fs.push(F); grads.push(gnn); lrs.push(lr);
      if (code !== null) return done(code, t);
    }
    return done(CONFIG.codes.MAX_ITER, stop.max_iter);
  }

  /** The exact gradient of a formula at a point (reverse mode, as descentlab's autodiff). */
  function grad(formula, point, variables) {
    return objective(formula, variables).valueAndGrad(Array.from(point, Number))[1];
  }

  /** The value of a formula at a point (as Objective.value computes it). */
  function value(formula, point, variables) {
    return objective(formula, variables).value(Array.from(point, Number));
  }

  /**
   * Whether a rule's hyperparameters (and a schedule, if given) are accepted, as the library's
   * factories would accept them.
   *
   * @param {object} spec {optimizer, hyperparameters, scheduler: {name, parameters} or null,
   *   steps (max_iter, for the schedule's table)}; without an optimizer, the schedule's
   *   parameters alone are checked.
   * @returns {string|null} null, or the message of the refusal.
   */
  function checkSettings(spec) {
    try {
      if (spec.optimizer === undefined) {
        makeSchedule(spec.scheduler);
        return null;
      }
      const rule = makeRule(spec.optimizer, spec.hyperparameters);
      if (spec.scheduler) {
        const schedule = makeSchedule(spec.scheduler);
        const steps = spec.steps ?? CONFIG.stop.max_iter;
        if (schedule.table) lrTable(schedule, steps, rule.lr);
        momentumTable(schedule, spec.scheduler.name, rule, steps);
      }
      return null;
    } catch (err) {
      if (err instanceof ConfigError) return err.message;
      throw err;
    }
  }

  /**
   * Whether minimize would refuse the formula as unbounded below (a linear formula, without
   * bounds: the page has none).
   *
   * @returns {string|null} null, or the library's message (stationary.refuse_unbounded).
   */
  function refusal(formula, variables) {
    return unbounded(objective(formula, variables));
  }

  /** {ok, variables} or {ok: false, message, column} (0-based, in code points). */
  function check(formula) {
    try {
      return { ok: true, variables: parseWithVariables(formula)[1] };
    } catch (err) {
      if (err instanceof ParseError) return { ok: false, message: err.message, column: err.column };
      throw err;
    }
  }

  root.descentlab = {
    version: CONFIG.version,
    optimizers: Object.keys(CONFIG.optimizers),
    defaults: CONFIG.optimizers,
    schedules: Object.keys(CONFIG.schedules),
    scheduleDefaults: CONFIG.schedules,
    stop: CONFIG.stop,
    run, grad, value, check, checkSettings, refusal,
    _internal: { ConfigError, makeRule, makeSchedule, lrTable, parse, parseWithVariables, tokenize, variablesOf, postOrder, objective, ParseError, pyRepr, powInt,
      formatNumber },
  };
})(typeof window !== "undefined" ? window : globalThis);
