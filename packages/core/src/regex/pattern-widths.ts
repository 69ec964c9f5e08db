import type { PatternNode } from './parse-js-pattern.js';

/** The fewest code units a match of `node` can consume. */
export function minWidth(node: PatternNode): number {
  switch (node.kind) {
    case 'chars':
      return 1;
    case 'sequence':
      return node.items.reduce((sum, item) => sum + minWidth(item), 0);
    case 'alternation':
      return Math.min(...node.branches.map(minWidth));
    case 'repeat':
      return node.min === 0 ? 0 : node.min * minWidth(node.body);
    default:
      return 0;
  }
}

/** The most code units a match of `node` can consume (Infinity when unbounded). */
export function maxWidth(node: PatternNode): number {
  switch (node.kind) {
    case 'chars':
      return 1;
    case 'sequence':
      return node.items.reduce((sum, item) => sum + maxWidth(item), 0);
    case 'alternation':
      return Math.max(0, ...node.branches.map(maxWidth));
    case 'repeat': {
      const body = maxWidth(node.body);
      return body === 0 || node.max === 0 ? 0 : body * node.max;
    }
    case 'backreference':
      return Number.POSITIVE_INFINITY;
    default:
      return 0;
  }
}

/** Whether `node` can match the empty string anywhere, whatever surrounds it (no assertion needed). */
export function matchesEmptyAnywhere(node: PatternNode): boolean {
  switch (node.kind) {
    case 'sequence':
      return node.items.every(matchesEmptyAnywhere);
    case 'alternation':
      return node.branches.some(matchesEmptyAnywhere);
    case 'repeat':
      return node.min === 0 || matchesEmptyAnywhere(node.body);
    default:
      return false;
  }
}
