/**
 * Recursive Object.freeze for the loaded configuration (STYLE.md 3): after loading, nothing in the
 * config can be changed in place — a reload builds and swaps a whole new one.
 */
/** Freezes `value` and everything reachable from its own properties; returns the same object. */
export function deepFreeze<T>(value: T): T {
  freezeInto(value, new Set<object>());
  return value;
}

function freezeInto(value: unknown, seen: Set<object>): void {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return;
  const obj = value as object;
  if (seen.has(obj)) return;
  seen.add(obj);
  // Typed arrays with elements cannot be frozen (TypeError); the config holds none, but be safe.
  if (ArrayBuffer.isView(obj)) return;
  for (const key of Reflect.ownKeys(obj)) {
    const d = Object.getOwnPropertyDescriptor(obj, key);
    if (d && 'value' in d) freezeInto(d.value, seen);
  }
  Object.freeze(obj);
}
