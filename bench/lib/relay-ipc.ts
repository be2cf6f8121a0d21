/**
 * Request / reply over a child process's IPC channel, for the relay benchmark's two children (the
 * relay under test and the RTP load generator). Each request carries an id; the child answers once.
 */
import type { ChildProcess } from 'node:child_process';

interface Request { id: number; op: string; args: unknown }
interface Reply { id: number; ok: boolean; value?: unknown; error?: string }

export interface RpcClient {
  call<T>(op: string, args?: unknown, timeoutMs?: number): Promise<T>;
}

export function rpcClient(child: ChildProcess, name: string): RpcClient {
  let next = 1;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  child.on('message', (m: Reply) => {
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.ok) w.resolve(m.value);
    else w.reject(new Error(`${name}: ${m.error ?? 'failed'}`));
  });
  child.on('exit', (code, sig) => {
    for (const w of waiting.values()) w.reject(new Error(`${name} exited (${code ?? sig})`));
    waiting.clear();
  });
  return {
    call<T>(op: string, args: unknown = {}, timeoutMs = 60_000): Promise<T> {
      const id = next++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`${name}: ${op} timed out after ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(id, {
          resolve: (v) => { clearTimeout(timer); resolve(v as T); },
          reject: (e) => { clearTimeout(timer); reject(e); },
        });
        child.send({ id, op, args } satisfies Request);
      });
    },
  };
}

/** In the child: answer requests with `handlers`; the parent going away ends the child. */
export function serveRpc(handlers: Record<string, (args: never) => Promise<unknown>>): void {
  process.on('message', (m: Request) => {
    const h = handlers[m.op];
    const reply = (r: Omit<Reply, 'id'>): void => void process.send?.({ id: m.id, ...r });
    if (!h) return reply({ ok: false, error: `unknown op ${m.op}` });
    h(m.args as never).then((value) => reply({ ok: true, value }), (err: unknown) => reply({ ok: false, error: err instanceof Error ? err.message : String(err) }));
  });
  process.on('disconnect', () => process.exit(0));
}
