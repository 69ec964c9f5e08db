/**
 * A parser for the patterns `new RegExp(source)` accepts with no flags: ECMAScript pattern
 * syntax without the `u`/`v` flags, with the web-compatibility grammar of Annex B (B.1.2) as
 * V8 implements it (identity escapes such as `\a`, legacy octal `\12`, a literal `{`, `\c`
 * without a letter read as a backslash, `[\d-z]`, quantified lookaheads).
 *
 * It only has to give the meaning of patterns V8 already accepted (callers compile the pattern
 * with `new RegExp` first): it returns null for anything it does not understand rather than
 * guess, and the caller then refuses to run that pattern. Capture groups become their bodies
 * (only whether a match exists matters here); backreferences are kept as opaque nodes.
 */
import {
  type CharSet,
  charSetOf,
  complement,
  DIGIT,
  DOT,
  EMPTY_SET,
  SPACE,
  singleton,
  union,
  WORD,
} from './char-set.js';

export type PatternNode =
  | { readonly kind: 'chars'; readonly set: CharSet }
  | { readonly kind: 'assertion'; readonly assertion: '^' | '$' | '\\b' | '\\B' }
  | { readonly kind: 'backreference' }
  | {
      readonly kind: 'lookaround';
      readonly behind: boolean;
      readonly negated: boolean;
      readonly body: PatternNode;
    }
  | { readonly kind: 'sequence'; readonly items: readonly PatternNode[] }
  | { readonly kind: 'alternation'; readonly branches: readonly PatternNode[] }
  | { readonly kind: 'repeat'; readonly min: number; readonly max: number; readonly body: PatternNode };

/** Thrown inside the parser for syntax it does not understand; parseJsPattern answers null. */
class NotUnderstood extends Error {}

/** The syntax tree of a flagless JavaScript pattern, or null when it is not understood. */
export function parseJsPattern(source: string): PatternNode | null {
  try {
    const { captures, named } = scanCaptures(source);
    const parser = new PatternParser(source, captures, named);
    const node = parser.parseDisjunction();
    return parser.atEnd() ? node : null;
  } catch {
    // NotUnderstood, or a stack overflow on absurdly deep nesting: either way, not understood.
    return null;
  }
}

/**
 * The number of capture groups in the whole pattern and whether any is named, which decide
 * whether `\N` is a backreference and whether `\k` starts one (V8's ScanForCaptures).
 */
function scanCaptures(source: string): { captures: number; named: boolean } {
  let captures = 0;
  let named = false;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
    } else if (c === '(') {
      if (source[i + 1] !== '?') {
        captures++;
      } else if (source[i + 2] === '<' && source[i + 3] !== '=' && source[i + 3] !== '!') {
        captures++;
        named = true;
      }
    }
  }
  return { captures, named };
}

const isDigit = (code: number) => code >= 0x30 && code <= 0x39;
const isOctal = (code: number) => code >= 0x30 && code <= 0x37;
const isHex = (code: number) =>
  isDigit(code) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);

const CLASS_ESCAPES: Record<string, CharSet> = {
  d: DIGIT,
  D: complement(DIGIT),
  s: SPACE,
  S: complement(SPACE),
  w: WORD,
  W: complement(WORD),
};

/** A braced quantifier, matched at one position (sticky). */
const BRACES = /\{(\d+)(,(\d*))?\}/y;

const literal = (code: number): PatternNode => ({ kind: 'chars', set: singleton(code) });

/** A class atom: one code unit (which can end a range) or a class escape such as `\d`. */
type ClassAtom = { code: number; set?: undefined } | { code?: undefined; set: CharSet };

class PatternParser {
  private pos = 0;

  constructor(
    private readonly src: string,
    private readonly captures: number,
    private readonly named: boolean,
  ) {}

  atEnd(): boolean {
    return this.pos >= this.src.length;
  }

  private code(offset = 0): number {
    return this.src.charCodeAt(this.pos + offset);
  }

  private char(offset = 0): string | undefined {
    return this.src[this.pos + offset];
  }

  parseDisjunction(): PatternNode {
    const branches = [this.parseAlternative()];
    while (this.char() === '|') {
      this.pos++;
      branches.push(this.parseAlternative());
    }
    return branches.length === 1 ? (branches[0] as PatternNode) : { kind: 'alternation', branches };
  }

  private parseAlternative(): PatternNode {
    const items: PatternNode[] = [];
    while (!this.atEnd() && this.char() !== '|' && this.char() !== ')') items.push(this.parseTerm());
    return items.length === 1 ? (items[0] as PatternNode) : { kind: 'sequence', items };
  }

  private parseTerm(): PatternNode {
    const c = this.char();
    switch (c) {
      case '^':
      case '$':
        this.pos++;
        return { kind: 'assertion', assertion: c };
      case '\\': {
        const next = this.char(1);
        if (next === 'b' || next === 'B') {
          this.pos += 2;
          return { kind: 'assertion', assertion: next === 'b' ? '\\b' : '\\B' };
        }
        this.pos++;
        return this.parseQuantifier(this.parseAtomEscape());
      }
      case '(':
        return this.parseGroup();
      case '.':
        this.pos++;
        return this.parseQuantifier({ kind: 'chars', set: DOT });
      case '[':
        return this.parseQuantifier(this.parseClass());
      case '*':
      case '+':
      case '?':
        throw new NotUnderstood('nothing to repeat');
      case '{':
        // A literal `{` unless it reads as a quantifier, which would have nothing to repeat.
        if (this.readBraces() !== null) throw new NotUnderstood('nothing to repeat');
        this.pos++;
        return this.parseQuantifier(literal(0x7b));
      default:
        this.pos++;
        return this.parseQuantifier(literal(this.src.charCodeAt(this.pos - 1)));
    }
  }

  private parseGroup(): PatternNode {
    const rest = this.src.slice(this.pos, this.pos + 4);
    let node: PatternNode;
    if (rest.startsWith('(?=') || rest.startsWith('(?!')) {
      this.pos += 3;
      node = { kind: 'lookaround', behind: false, negated: rest[2] === '!', body: this.parseGroupBody() };
      // Annex B lets a lookahead take a quantifier.
      return this.parseQuantifier(node);
    }
    if (rest === '(?<=' || rest === '(?<!') {
      this.pos += 4;
      // Lookbehinds take no quantifier.
      return { kind: 'lookaround', behind: true, negated: rest[3] === '!', body: this.parseGroupBody() };
    }
    if (rest.startsWith('(?:')) {
      this.pos += 3;
    } else if (rest.startsWith('(?<')) {
      const close = this.src.indexOf('>', this.pos);
      if (close < 0) throw new NotUnderstood('unterminated group name');
      this.pos = close + 1;
    } else if (rest.startsWith('(?')) {
      // Modifiers such as `(?i:...)` (newer engines): not understood.
      throw new NotUnderstood('unknown group');
    } else {
      this.pos += 1;
    }
    return this.parseQuantifier(this.parseGroupBody());
  }

  private parseGroupBody(): PatternNode {
    const body = this.parseDisjunction();
    if (this.char() !== ')') throw new NotUnderstood('unterminated group');
    this.pos++;
    return body;
  }

  /** `{n}`, `{n,}` or `{n,m}` at the current position, without consuming it; null if none. */
  private readBraces(): { min: number; max: number; length: number } | null {
    BRACES.lastIndex = this.pos;
    const match = BRACES.exec(this.src);
    if (!match) return null;
    const min = Number(match[1]);
    const max = match[2] === undefined ? min : match[3] === '' ? Number.POSITIVE_INFINITY : Number(match[3]);
    return { min, max, length: match[0].length };
  }

  private parseQuantifier(atom: PatternNode): PatternNode {
    let min: number;
    let max: number;
    const c = this.char();
    if (c === '*' || c === '+' || c === '?') {
      min = c === '+' ? 1 : 0;
      max = c === '?' ? 1 : Number.POSITIVE_INFINITY;
      this.pos++;
    } else if (c === '{') {
      const braces = this.readBraces();
      if (braces === null) return atom; // a literal `{` follows
      ({ min, max } = braces);
      if (min > max) throw new NotUnderstood('numbers out of order');
      this.pos += braces.length;
    } else {
      return atom;
    }
    // Lazy or greedy, the same strings match.
    if (this.char() === '?') this.pos++;
    return { kind: 'repeat', min, max, body: atom };
  }

  /** After a backslash outside a class (not `\b` / `\B`). */
  private parseAtomEscape(): PatternNode {
    const c = this.char();
    if (c === undefined) throw new NotUnderstood('\\ at end of pattern');
    const classEscape = CLASS_ESCAPES[c];
    if (classEscape) {
      this.pos++;
      return { kind: 'chars', set: classEscape };
    }
    if (c >= '1' && c <= '9') {
      let end = this.pos;
      while (isDigit(this.src.charCodeAt(end))) end++;
      // A backreference when there are that many groups in the whole pattern (before or after).
      if (Number(this.src.slice(this.pos, end)) <= this.captures) {
        this.pos = end;
        return { kind: 'backreference' };
      }
      if (c === '8' || c === '9') {
        this.pos++;
        return literal(c.charCodeAt(0));
      }
      return literal(this.parseOctal());
    }
    if (c === 'k' && this.named) {
      const close = this.src.indexOf('>', this.pos);
      if (this.char(1) !== '<' || close < 0) throw new NotUnderstood('invalid named reference');
      this.pos = close + 1;
      return { kind: 'backreference' };
    }
    return literal(this.parseCharacterEscape(false));
  }

  /** The code unit of a character escape, the backslash already consumed. */
  private parseCharacterEscape(inClass: boolean): number {
    const c = this.char();
    const code = this.code();
    switch (c) {
      case undefined:
        throw new NotUnderstood('\\ at end of pattern');
      case 'f':
        this.pos++;
        return 0x0c;
      case 'n':
        this.pos++;
        return 0x0a;
      case 'r':
        this.pos++;
        return 0x0d;
      case 't':
        this.pos++;
        return 0x09;
      case 'v':
        this.pos++;
        return 0x0b;
      case 'c': {
        const next = this.code(1);
        const upper = next & ~0x20;
        // A control letter; inside a class also a digit or `_` (Annex B ClassControlLetter).
        if ((upper >= 0x41 && upper <= 0x5a) || (inClass && (isDigit(next) || next === 0x5f))) {
          this.pos += 2;
          return next & 0x1f;
        }
        // Otherwise the backslash is a literal and the `c` is read next as itself.
        return 0x5c;
      }
      case '0':
        if (!isDigit(this.code(1))) {
          this.pos++;
          return 0;
        }
        return this.parseOctal();
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7':
        return this.parseOctal();
      case 'x':
        if (isHex(this.code(1)) && isHex(this.code(2))) {
          const value = Number.parseInt(this.src.slice(this.pos + 1, this.pos + 3), 16);
          this.pos += 3;
          return value;
        }
        this.pos++;
        return code;
      case 'u':
        if (isHex(this.code(1)) && isHex(this.code(2)) && isHex(this.code(3)) && isHex(this.code(4))) {
          const value = Number.parseInt(this.src.slice(this.pos + 1, this.pos + 5), 16);
          this.pos += 5;
          return value;
        }
        this.pos++;
        return code;
      default:
        // Identity escape: `\a` is `a`, `\8` is `8`, `\-` is `-`.
        this.pos++;
        return code;
    }
  }

  /** Annex B LegacyOctalEscapeSequence: up to three octal digits, at most 0o377. */
  private parseOctal(): number {
    let value = this.code() - 0x30;
    this.pos++;
    if (isOctal(this.code())) {
      value = value * 8 + this.code() - 0x30;
      this.pos++;
      if (value < 32 && isOctal(this.code())) {
        value = value * 8 + this.code() - 0x30;
        this.pos++;
      }
    }
    return value;
  }

  private parseClass(): PatternNode {
    this.pos++; // [
    let negated = false;
    if (this.char() === '^') {
      negated = true;
      this.pos++;
    }
    let set = EMPTY_SET;
    for (;;) {
      if (this.atEnd()) throw new NotUnderstood('unterminated class');
      if (this.char() === ']') {
        this.pos++;
        break;
      }
      const first = this.parseClassAtom();
      if (this.char() !== '-') {
        set = union(set, atomSet(first));
        continue;
      }
      this.pos++; // -
      if (this.atEnd()) throw new NotUnderstood('unterminated class');
      if (this.char() === ']') {
        set = union(union(set, atomSet(first)), singleton(0x2d));
        continue;
      }
      const second = this.parseClassAtom();
      if (first.code === undefined || second.code === undefined) {
        // Annex B: a range with a class escape at either end is the two sides and a `-`.
        set = union(union(union(set, atomSet(first)), singleton(0x2d)), atomSet(second));
        continue;
      }
      if (first.code > second.code) throw new NotUnderstood('range out of order');
      set = union(set, charSetOf([first.code, second.code]));
    }
    return { kind: 'chars', set: negated ? complement(set) : set };
  }

  private parseClassAtom(): ClassAtom {
    if (this.char() !== '\\') {
      this.pos++;
      return { code: this.src.charCodeAt(this.pos - 1) };
    }
    this.pos++; // backslash
    const c = this.char();
    if (c === 'b') {
      this.pos++;
      return { code: 0x08 };
    }
    const classEscape = c === undefined ? undefined : CLASS_ESCAPES[c];
    if (classEscape) {
      this.pos++;
      return { set: classEscape };
    }
    // In a class `\1` is octal and `\8` is `8`: there are no backreferences.
    return { code: this.parseCharacterEscape(true) };
  }
}

function atomSet(atom: ClassAtom): CharSet {
  return atom.code === undefined ? atom.set : singleton(atom.code);
}
