import { compareKeys } from './keys.js';

/**
 * What a pass covers. A scope root covers its own path and everything under `root/`; the
 * root '' covers the whole pair. Watch-triggered passes cover the dirty paths; the start
 * and periodic passes cover ''.
 */
export type Scope = readonly string[];

export const WHOLE_PAIR: Scope = [''];

/** A half-open key range [from, to); `to` undefined: no upper bound. */
export interface KeyRange {
  from: string;
  to: string | undefined;
}

/** The roots sorted with every root under another root dropped ('' swallows everything). */
export function normalizeScope(scope: Scope): string[] {
  if (scope.includes('')) return [''];
  const sorted = [...new Set(scope)].sort(compareKeys);
  const roots: string[] = [];
  for (const root of sorted) {
    // Under another root: that root, or a root it is under, sorts before it... but not
    // necessarily right before ('a', 'a-b', 'a/c'), so check every kept root it could be under.
    if (roots.some((kept) => root.startsWith(`${kept}/`))) continue;
    roots.push(root);
  }
  return roots;
}

/**
 * Disjoint key ranges covering the scope, in key order: for each root its exact path and
 * its subtree (`root/` up to `root0`, '0' being the character after '/'). Reading the
 * journal range by range in this order yields its rows in key order, ready to merge.
 */
export function scopeRanges(scope: Scope): KeyRange[] {
  const roots = normalizeScope(scope);
  if (roots[0] === '') return [{ from: '', to: undefined }];
  const ranges: KeyRange[] = [];
  for (const root of roots) {
    ranges.push({ from: root, to: `${root}\u0000` });
    ranges.push({ from: `${root}/`, to: `${root}0` });
  }
  return ranges.sort((a, b) => compareKeys(a.from, b.from));
}

export function inScope(roots: readonly string[], path: string): boolean {
  return roots.some((root) => root === '' || path === root || path.startsWith(`${root}/`));
}
