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
  // The update rules (optimizers.py), one row at a time: init(n) -> state;
  // update(G, state, X, valueFn, F) -> step (the new point is X + step).

  function checkPositive(name, value) {
    if (typeof value !== "number" || !(Number.isFinite(value) && value > 0)) {
      throw new Error(`${name} must be > 0 and finite (got ${value})`);
    }
    return value;
  }
  function checkRange(name, value, lo, hi) {
    if (typeof value !== "number" || !(lo <= value && value < hi)) {
      throw new Error(`${name} must be in [${lo}, ${hi}) (got ${value})`);
    }
    return value;
  }
  function checkOpen(name, value) {
    if (typeof value !== "number" || !(value > 0 && value < 1)) {
      throw new Error(`${name} must be in (0, 1) (got ${value})`);
    }
    return value;
  }
  function checkMomentum(value) {
    if (typeof value !== "number" || !(Number.isFinite(value) && value >= 0)) {
      throw new Error(`momentum must be >= 0 and finite (got ${value})`);
    }
    return value;
  }

  const zeros = (n) => new Array(n).fill(0);

  const RULES = {
    gd(h) {
      const negLr = -checkPositive("lr", h.lr);
      return { init: () => null, update: (G) => G.map((g) => g * negLr) };
    },
    momentum(h) {
      const negLr = -checkPositive("lr", h.lr);
      const mu = checkMomentum(h.momentum);
      return {
        init: (n) => ({ v: zeros(n) }),
        update(G, s) {
          s.v = s.v.map((v, i) => v * mu + G[i]);
          return s.v.map((v) => v * negLr);
        },
      };
    },
    nesterov(h) {
      const negLr = -checkPositive("lr", h.lr);
      const mu = checkMomentum(h.momentum);
      if (mu === 0) throw new Error(`nesterov needs momentum > 0 (got ${h.momentum})`);
      return {
        init: (n) => ({ v: zeros(n) }),
        update(G, s) {
          s.v = s.v.map((v, i) => v * mu + G[i]);
          return G.map((g, i) => (g + s.v[i] * mu) * negLr);
        },
      };
    },
    adagrad(h) {
      const negLr = -checkPositive("lr", h.lr);
      const eps = checkPositive("eps", h.eps);
      return {
        init: (n) => ({ s: zeros(n) }),
        update(G, st) {
          st.s = st.s.map((s, i) => s + G[i] * G[i]);
          return G.map((g, i) => (g / (Math.sqrt(st.s[i]) + eps)) * negLr);
        },
      };
    },
    rmsprop(h) {
      const negLr = -checkPositive("lr", h.lr);
      const alpha = checkRange("alpha", h.alpha, 0, 1);
      const eps = checkPositive("eps", h.eps);
      const oneMinusAlpha = 1.0 - alpha;
      return {
        init: (n) => ({ v: zeros(n) }),
        update(G, s) {
          s.v = s.v.map((v, i) => v * alpha + (oneMinusAlpha * G[i]) * G[i]);
          return G.map((g, i) => (g / (Math.sqrt(s.v[i]) + eps)) * negLr);
        },
      };
    },
    adam(h) {
      const lr = checkPositive("lr", h.lr);
      if (!Array.isArray(h.betas) || h.betas.length !== 2) {
        throw new Error(`betas must be a pair (beta1, beta2) (got ${h.betas})`);
      }
      const beta1 = checkRange("beta1", h.betas[0], 0, 1);
      const beta2 = checkRange("beta2", h.betas[1], 0, 1);
      const eps = checkPositive("eps", h.eps);
      const w1 = 1.0 - beta1, w2 = 1.0 - beta2;
      return {
        init: (n) => ({ t: 0, m: zeros(n), v: zeros(n) }),
        update(G, s) {
          s.t += 1;
          s.m = s.m.map((m, i) => (G[i] - m) * w1 + m);
          s.v = s.v.map((v, i) => (G[i] * w2) * G[i] + v * beta2);
          const negStepSize = -(lr / (1.0 - powInt(beta1, s.t)));
          const rootBc2 = Math.sqrt(1.0 - powInt(beta2, s.t));
          return s.m.map((m, i) => (m / (Math.sqrt(s.v[i]) / rootBc2 + eps)) * negStepSize);
        },
      };
    },
    linesearch(h) {
      const lr = checkPositive("lr", h.lr);
      const c = checkOpen("c", h.c);
      const shrink = checkOpen("shrink", h.shrink);
      const maxBacktracks = h.max_backtracks;
      if (!Number.isInteger(maxBacktracks) || maxBacktracks < 0) {
        throw new Error(`max_backtracks must be an int >= 0 (got ${maxBacktracks})`);
      }
      if (CONFIG.lineSearchStops) {
        // A search with no sufficient decrease takes no step (failed: the loop stops the row
        // with precision_loss); trials are compared with values of one evaluator (valueFn).
        return {
          init: () => ({ lr: NaN, trials: [], failed: false, f: NaN }),
          update(G, s, X, valueFn) {
            const value = Number.isFinite(s.f) ? s.f : valueFn(X);
            let g2 = 0;
            for (const g of G) g2 += g * g;
            let a = lr;
            s.trials = [];
            s.lr = NaN;
            s.failed = true;
            for (let j = 0; j <= maxBacktracks; j += 1) {
              const d = G.map((g) => -(a * g));
              const decrease = (c * a) * g2;
              const fTrial = valueFn(X.map((x, i) => x + d[i]));
              s.trials.push([a, fTrial]);
              if (fTrial <= value - decrease && (fTrial < value || decrease === 0)) {
                s.lr = a;
                s.failed = false;
                s.f = fTrial;
                return d;
              }
              a *= shrink;
            }
            return G.map(() => 0);
          },
        };
      }
      return {
        init: () => ({ lr: NaN, trials: [] }),
        update(G, s, X, valueFn, F) {
          let g2 = 0;
          for (const g of G) g2 += g * g;
          let a = lr;
          s.trials = [];
          for (let j = 0; j <= maxBacktracks; j += 1) {
            const fTrial = valueFn(X.map((x, i) => x - a * G[i]));
            s.trials.push([a, fTrial]);
            s.lr = a;
            if (fTrial <= F - (c * a) * g2) break;
            if (j < maxBacktracks) a *= shrink;
          }
          return G.map((g) => -(s.lr * g));
        },
      };
    },
  };

  // ------------------------------------------------------------------------------------------
  // minimize (descent.py) for one start.

  const STATUS = CONFIG.statuses; // code -> label, from result.Status

  function sqNorm(A) {
    let out = A[0] * A[0];
    for (let j = 1; j < A.length; j += 1) out += A[j] * A[j];
    return out;
  }

  function hyperparameters(name, given) {
    if (!has(CONFIG.optimizers, name) || !has(RULES, name)) {
      throw new Error(`unknown optimizer ${JSON.stringify(name)} (one of ${Object.keys(CONFIG.optimizers).join(", ")})`);
    }
    const h = Object.assign({}, CONFIG.optimizers[name], given || {});
    for (const key of Object.keys(given || {})) {
      if (!has(CONFIG.optimizers[name], key)) {
        throw new Error(`${name} has no hyperparameter ${JSON.stringify(key)}`);
      }
    }
    return h;
  }

  /**
   * Run one optimizer from one start, as descentlab.minimize does.
   *
   * @param {object} spec {formula, start, optimizer, hyperparameters, steps (max_iter),
   *   grad_tol, f_tol, x_tol, variables}
   * @returns {{xs: number[][], fs: number[], status: string, code: number, nit: number,
   *   grads: number[], lrs: number[]}} every iterate, the start first.
   */
  function run(spec) {
    const obj = spec.objective || objective(spec.formula, spec.variables);
    const stop = Object.assign({}, CONFIG.stop);
    if (spec.steps !== undefined) stop.max_iter = spec.steps;
    for (const key of ["max_iter", "grad_tol", "f_tol", "x_tol"]) {
      if (spec[key] !== undefined) stop[key] = spec[key];
    }
    if (!Number.isInteger(stop.max_iter) || stop.max_iter < 0) {
      throw new Error(`max_iter must be an int >= 0 (got ${stop.max_iter})`);
    }
    const limit = stop.limit;
    let X = Array.from(spec.start, Number);
    if (X.length !== obj.dim || !X.every(Number.isFinite)) {
      throw new Error(`start must be ${obj.dim} finite numbers (got ${spec.start})`);
    }
    const rule = RULES[spec.optimizer](hyperparameters(spec.optimizer, spec.hyperparameters));
    const xs = [X], fs = [], grads = [], lrs = [];
    let [F, G] = obj.valueAndGrad(X);
    let gn2 = sqNorm(G);
    let gn = Math.sqrt(gn2);
    fs.push(F);
    grads.push(gn);
    const done = (code, t) => ({ xs, fs, grads, lrs, status: STATUS[code], code, nit: t });
    if (!(Math.abs(F) <= limit && gn2 < Infinity)) return done(CONFIG.codes.DIVERGED, 0);
    if (gn < stop.grad_tol) return done(CONFIG.codes.CONVERGED_GRAD, 0);
    const state = rule.init(obj.dim);
    for (let t = 1; t <= stop.max_iter; t += 1) {
      const step = rule.update(G, state, X, obj.value, F);
      if (state && state.lr !== undefined) lrs.push(state.lr);
      const Xn = step.map((s, i) => s + X[i]);
      // A step not taken (the line search found no decrease) or that changes nothing.
      if (state && state.failed) return done(CONFIG.codes.PRECISION_LOSS, t - 1);
      if (has(CONFIG.codes, "STALLED") && Xn.every((v, i) => v === X[i])) {
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
        code = CONFIG.codes.CONVERGED_X;
      }
      X = Xn; F = Fn; G = Gn; gn = gnn;
      xs.push(X); fs.push(F); grads.push(gn);
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
    stop: CONFIG.stop,
    run, grad, value, check,
    _internal: { parse, parseWithVariables, tokenize, variablesOf, postOrder, objective, ParseError, pyRepr, powInt,
      formatNumber },
  };
})(typeof window !== "undefined" ? window : globalThis);
