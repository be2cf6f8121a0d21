/**
 * libc through koffi (a maintained FFI module with prebuilt binaries), loaded once per thread, for
 * the socket calls node has no API for: setsockopt (socket-filter.ts) and dup / sendto / close
 * (direct-send.ts). Linux only; elsewhere, or when koffi cannot load, the reason instead — the
 * callers then go without (no kernel filter; sends by message).
 */
export type Koffi = typeof import('koffi');

export interface LoadedLibc {
  koffi: Koffi;
  /** koffi's handle on libc.so.6: declare the functions a module needs with lib.func(prototype). */
  lib: ReturnType<Koffi['load']>;
}

let loaded: LoadedLibc | string | undefined;

export function loadLibc(): LoadedLibc | string {
  if (loaded !== undefined) return loaded;
  if (process.platform !== 'linux') return (loaded = `needs Linux (this is ${process.platform})`);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const koffi = require('koffi') as Koffi;
    loaded = { koffi, lib: koffi.load('libc.so.6') };
  } catch (err) {
    loaded = `koffi could not load libc: ${(err as Error).message}`;
  }
  return loaded;
}

/**
 * A module's libc functions, declared on first use and kept: `declare` gets koffi and libc and
 * returns the module's typed wrappers; the result is those, or why not (prefixed with `what`).
 */
export function libcFunctions<T>(what: string, declare: (c: LoadedLibc) => T): () => T | string {
  let made: T | string | undefined;
  return () => {
    if (made !== undefined) return made;
    const c = loadLibc();
    if (typeof c === 'string') return (made = `${what}: ${c}`);
    try {
      made = declare(c);
    } catch (err) {
      made = `${what}: koffi could not declare the libc functions: ${(err as Error).message}`;
    }
    return made;
  };
}
