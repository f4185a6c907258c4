/** Label-name rules of PromQL functions (Prometheus 3 accepts any valid UTF-8 name). */

export function isValidLabelName(name: string): boolean {
  if (name === '') return false;
  // A lone surrogate is not valid UTF-8.
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(name);
}

/**
 * Caches a function of a label set by object identity: evaluation sees the same Labels
 * objects at every step, so per-step work (signatures, group keys) is done once per series.
 */
export function memoLabels<T>(fn: (l: import('@edgeprom/shared').Labels) => T): (l: import('@edgeprom/shared').Labels) => T {
  const cache = new WeakMap<object, T>();
  return (l) => {
    let v = cache.get(l);
    if (v === undefined) {
      v = fn(l);
      cache.set(l, v);
    }
    return v;
  };
}

/** Like memoLabels for a function of two label sets. */
export function memoLabels2<T>(
  fn: (a: import('@edgeprom/shared').Labels, b: import('@edgeprom/shared').Labels) => T,
): (a: import('@edgeprom/shared').Labels, b: import('@edgeprom/shared').Labels) => T {
  const cache = new WeakMap<object, WeakMap<object, T>>();
  return (a, b) => {
    let inner = cache.get(a);
    if (inner === undefined) {
      inner = new WeakMap();
      cache.set(a, inner);
    }
    let v = inner.get(b);
    if (v === undefined) {
      v = fn(a, b);
      inner.set(b, v);
    }
    return v;
  };
}
