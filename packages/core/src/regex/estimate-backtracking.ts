/**
 * A conservative static bound on the work a backtracking engine (V8's irregexp) can spend on
 * one `test` of a pattern against any string shorter than STR_MATCHES_MAX_LENGTH, in "steps"
 * (one step: entering one node of the pattern once). Used to decide whether the native
 * RegExp may run a pattern; anything over budget runs on the linear-time engine instead.
 *
 * The model. For each node, for one entry at one position, compute
 * - `ways`: how many times control can leave the node into what follows it, and still
 *   continue past the follower's first character (the follower's work is multiplied by it);
 * - `cost`: the steps spent inside the node, all its backtracking included.
 * A sequence multiplies ways and weights each item's cost by the ways before it; an
 * alternation adds its branches' ways, or takes the largest when the branches start with
 * pairwise disjoint characters (then only one can get past its first character); a repeat
 * can end after any count of iterations (ways = the counts it allows), and each iteration
 * that has several ways makes the next one run again for each (ways^iterations: exponential).
 *
 * Two refinements keep ordinary patterns cheap, and both are sound for backtracking:
 * - A repeat whose body has one way, followed by something that must start with a character
 *   the body cannot start with (`[a-z]+@`, `\d+$`), gives back iterations in vain: each
 *   shorter exit fails at the follower's first character. Ways = 1, plus one step per exit.
 * - What follows the whole pattern is acceptance, which needs no character, so the last
 *   repeat never backtracks (`foo.*`).
 * A repeat whose body can match the empty string and more is treated as unbounded work
 * (`(a*)*`); one whose body only ever matches empty (`()`, `(?:^)`) has nothing to give back.
 * Lookarounds and backreferences count as unknown first characters, so no refinement applies
 * next to them; a backreference costs a whole string comparison per entry.
 *
 * The result is cost(pattern) for each of STR_MATCHES_MAX_LENGTH start positions of an
 * unanchored search (one, when the pattern starts with `^`, plus one step per other start),
 * except for one kind of repeat whose work is bounded over all starts (estimateUnanchored).
 */
import { type CharSet, EMPTY_SET, intersects, union } from './char-set.js';
import type { PatternNode } from './parse-js-pattern.js';
import { maxWidth } from './pattern-widths.js';

/** statsig-node answers false for values of this many UTF-16 code units or more. */
export const STR_MATCHES_MAX_LENGTH = 1000;

/** Positions in the longest string considered: STR_MATCHES_MAX_LENGTH unless a test asks otherwise. */
let N = STR_MATCHES_MAX_LENGTH;

/** What can come first: these characters, unknown ones (`any`), or nothing (`nullable`). */
interface First {
  readonly set: CharSet;
  readonly any: boolean;
  readonly nullable: boolean;
}

/** What may follow a node: its first characters, or unknown ones. */
interface Follow {
  readonly set: CharSet;
  readonly any: boolean;
}

interface Estimate {
  readonly ways: number;
  readonly cost: number;
}

const ACCEPT: Follow = { set: EMPTY_SET, any: false };
const UNKNOWN: Follow = { set: EMPTY_SET, any: true };

/**
 * Worst-case backtracking steps of one `test` against any string shorter than `maxLength`
 * (tests pass a small one, to know when the native RegExp is a safe oracle on short values).
 */
export function estimateBacktracking(pattern: PatternNode, maxLength = STR_MATCHES_MAX_LENGTH): number {
  firsts = new Map();
  N = maxLength;
  try {
    let steps: number;
    if (startsAnchored(pattern)) {
      steps = estimate(pattern, ACCEPT).cost + N;
    } else {
      const { perStart, overAllStarts } = estimateUnanchored(pattern);
      steps = N * perStart + overAllStarts;
    }
    return Number.isNaN(steps) ? Number.POSITIVE_INFINITY : steps;
  } finally {
    firsts = new Map();
    N = STR_MATCHES_MAX_LENGTH;
  }
}

/**
 * An unanchored search runs the pattern from every start. One case is counted over all starts
 * instead of per start: in a top-level sequence that begins with single characters (and
 * assertions), a repeat of one character class that cannot start with the last of those
 * characters (`Chrome/(\d+)\.`, `@[a-z]+\.com`) is only ever entered at the beginning of a
 * run of its class, a different run from each start; so its scans over all starts cover each
 * character once. If nothing after it can start with its class, it never gives back usefully
 * (ways 1), and its scanning and giving back cost at most 2N steps in all, plus one per start.
 */
function estimateUnanchored(pattern: PatternNode): { perStart: number; overAllStarts: number } {
  if (pattern.kind !== 'sequence') return { perStart: estimate(pattern, ACCEPT).cost, overAllStarts: 0 };
  const follows = followsOf(pattern.items, ACCEPT);
  let ways = 1;
  let perStart = 0;
  let overAllStarts = 0;
  let singlesOnly = true;
  let lastChar: CharSet | null = null;
  pattern.items.forEach((item, i) => {
    const follow = follows[i] as Follow;
    if (
      singlesOnly &&
      lastChar !== null &&
      item.kind === 'repeat' &&
      item.body.kind === 'chars' &&
      !intersects(lastChar, item.body.set) &&
      !follow.any &&
      !intersects(item.body.set, follow.set)
    ) {
      perStart += 1;
      overAllStarts += 2 * N;
      singlesOnly = false;
      return;
    }
    const inner = estimate(item, follow);
    perStart += ways * inner.cost;
    ways *= inner.ways;
    if (item.kind === 'chars') lastChar = item.set;
    else if (item.kind !== 'assertion') singlesOnly = false;
  });
  return { perStart: Math.max(perStart, 1), overAllStarts };
}

function startsAnchored(node: PatternNode): boolean {
  switch (node.kind) {
    case 'assertion':
      return node.assertion === '^';
    case 'sequence':
      return node.items.length > 0 && startsAnchored(node.items[0] as PatternNode);
    case 'alternation':
      return node.branches.every(startsAnchored);
    default:
      return false;
  }
}

/** First sets computed during one estimate (nested repeats and sequences ask again). */
let firsts = new Map<PatternNode, First>();

function firstOf(node: PatternNode): First {
  let first = firsts.get(node);
  if (!first) {
    first = computeFirst(node);
    firsts.set(node, first);
  }
  return first;
}

function computeFirst(node: PatternNode): First {
  switch (node.kind) {
    case 'chars':
      return { set: node.set, any: false, nullable: false };
    case 'assertion':
      return { set: EMPTY_SET, any: false, nullable: true };
    case 'backreference':
    case 'lookaround':
      return { set: EMPTY_SET, any: true, nullable: true };
    case 'sequence': {
      let set = EMPTY_SET;
      let any = false;
      for (const item of node.items) {
        const first = firstOf(item);
        set = union(set, first.set);
        any ||= first.any;
        if (!first.nullable) return { set, any, nullable: false };
      }
      return { set, any, nullable: true };
    }
    case 'alternation': {
      let set = EMPTY_SET;
      let any = false;
      let nullable = false;
      for (const branch of node.branches) {
        const first = firstOf(branch);
        set = union(set, first.set);
        any ||= first.any;
        nullable ||= first.nullable;
      }
      return { set, any, nullable };
    }
    case 'repeat': {
      if (node.max === 0) return { set: EMPTY_SET, any: false, nullable: true };
      const first = firstOf(node.body);
      return { ...first, nullable: first.nullable || node.min === 0 };
    }
  }
}

/** What follows each item of a sequence: the first characters of the rest, through nullable items to `outer`. */
function followsOf(items: readonly PatternNode[], outer: Follow): Follow[] {
  const follows: Follow[] = new Array(items.length);
  let follow = outer;
  for (let i = items.length - 1; i >= 0; i--) {
    follows[i] = follow;
    const first = firstOf(items[i] as PatternNode);
    follow = first.nullable
      ? { set: union(first.set, follow.set), any: first.any || follow.any }
      : { set: first.set, any: first.any };
  }
  return follows;
}

function estimate(node: PatternNode, follow: Follow): Estimate {
  switch (node.kind) {
    case 'chars':
    case 'assertion':
      return { ways: 1, cost: 1 };
    case 'backreference':
      return { ways: 1, cost: N };
    case 'lookaround':
      // Atomic: once decided, never re-entered. Its body is a search of its own; a lookbehind's
      // runs right to left, so it is also estimated reversed, and the larger count kept.
      return {
        ways: 1,
        cost:
          1 +
          Math.max(
            estimate(node.body, UNKNOWN).cost,
            node.behind ? estimate(reversed(node.body), UNKNOWN).cost : 0,
          ),
      };
    case 'sequence': {
      let ways = 1;
      let cost = 0;
      const follows = followsOf(node.items, follow);
      node.items.forEach((item, i) => {
        const inner = estimate(item, follows[i] as Follow);
        cost += ways * inner.cost;
        ways *= inner.ways;
      });
      return { ways, cost: Math.max(cost, 1) };
    }
    case 'alternation': {
      const estimates = node.branches.map((branch) => estimate(branch, follow));
      const cost = 1 + estimates.reduce((sum, e) => sum + e.cost, 0);
      const ways = disjointStarts(node.branches)
        ? Math.max(...estimates.map((e) => e.ways))
        : estimates.reduce((sum, e) => sum + e.ways, 0);
      return { ways, cost };
    }
    case 'repeat':
      return estimateRepeat(node, follow);
  }
}

/** The node matching the reversed strings (what a lookbehind's right-to-left matching sees). */
function reversed(node: PatternNode): PatternNode {
  switch (node.kind) {
    case 'sequence':
      return { kind: 'sequence', items: node.items.map(reversed).reverse() };
    case 'alternation':
      return { kind: 'alternation', branches: node.branches.map(reversed) };
    case 'repeat':
      return { ...node, body: reversed(node.body) };
    default:
      return node;
  }
}

/** Every branch must consume a known first character, and no two branches share one. */
function disjointStarts(branches: readonly PatternNode[]): boolean {
  let seen = EMPTY_SET;
  for (const branch of branches) {
    const first = firstOf(branch);
    if (first.any || first.nullable || intersects(seen, first.set)) return false;
    seen = union(seen, first.set);
  }
  return true;
}

function estimateRepeat(node: PatternNode & { kind: 'repeat' }, follow: Follow): Estimate {
  if (node.max === 0) return { ways: 1, cost: 1 };
  if (maxWidth(node.body) === 0) {
    // Only ever empty (`()`, `(?:^)`): nothing to give back; at worst each iteration runs.
    const body = estimate(node.body, follow);
    return { ways: body.ways, cost: (Math.min(node.min, N) + 1) * body.cost };
  }
  const first = firstOf(node.body);
  if (first.nullable && node.max > 1)
    return { ways: Number.POSITIVE_INFINITY, cost: Number.POSITIVE_INFINITY };
  // Every iteration consumes a character, so no string allows more than N of them.
  const iterations = Math.min(node.max, N);
  const body = estimate(node.body, { set: union(first.set, follow.set), any: first.any || follow.any });
  // Entries into the body (sum of ways^k for k = 0..iterations) and exits to the follower
  // (k = min..iterations), over all ways of the iterations before. Overflow is Infinity.
  const w = body.ways;
  if (!Number.isFinite(w)) return { ways: w, cost: Number.POSITIVE_INFINITY };
  const entries = w === 1 ? iterations + 1 : (w ** (iterations + 1) - 1) / (w - 1);
  const exits =
    node.min > iterations
      ? 0
      : w === 1
        ? iterations - node.min + 1
        : (w ** (iterations + 1) - w ** node.min) / (w - 1);
  const cost = entries * body.cost + iterations + 1;
  const determined = body.ways === 1 && !first.any && !follow.any && !intersects(first.set, follow.set);
  return { ways: determined ? 1 : Math.max(exits, 1), cost };
}
