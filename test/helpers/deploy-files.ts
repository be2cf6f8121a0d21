/**
 * Readers for the production files (docker/Dockerfile, docker-compose.yml, deploy/*.service) so tests
 * can check them against the code and start the build exactly as they would, without a Docker engine
 * or systemd as PID 1. Only the syntax these files use is understood; anything else is an error, so a
 * change the tests cannot follow fails loudly instead of being skipped.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

export const REPO = path.join(__dirname, '..', '..');

export interface DockerInstruction {
  /** Upper-cased keyword: FROM, COPY, RUN, CMD … */
  keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  raw: string;
  /** The JSON array of an exec-form CMD/ENTRYPOINT/RUN/HEALTHCHECK CMD, else undefined. */
  exec: string[] | undefined;
  line: number;
}

export interface DockerStage {
  /** `FROM image [AS name]` */
  image: string;
  name: string | undefined;
  instructions: DockerInstruction[];
}

/** A JSON array of strings, or undefined when `s` is shell form. */
export function execForm(s: string): string[] | undefined {
  const t = s.trim();
  if (!t.startsWith('[')) return undefined;
  const v: unknown = JSON.parse(t);
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new Error(`not a JSON array of strings: ${s}`);
  return v as string[];
}

/** Dockerfile → stages of instructions (comments dropped, `\` continuations joined). */
export function parseDockerfile(text: string): DockerStage[] {
  const stages: DockerStage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      i++;
      if (/^\s*#/.test(lines[i]!)) continue;
      line = line.replace(/\\\s*$/, ' ') + lines[i]!.trim();
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`Dockerfile line ${start + 1}: cannot read "${line}"`);
    const keyword = m[1]!.toUpperCase();
    const raw = m[2]!.trim();
    if (keyword === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(raw);
      if (!f) throw new Error(`Dockerfile line ${start + 1}: FROM "${raw}"`);
      stages.push({ image: f[1]!, name: f[2], instructions: [] });
      continue;
    }
    if (stages.length === 0) throw new Error(`Dockerfile line ${start + 1}: ${keyword} before FROM`);
    const jsonPart = keyword === 'HEALTHCHECK' ? /\bCMD\s+(.*)$/.exec(raw)?.[1] : raw;
    const exec = ['CMD', 'ENTRYPOINT', 'RUN', 'HEALTHCHECK', 'SHELL'].includes(keyword) && jsonPart !== undefined ? execForm(jsonPart) : undefined;
    stages[stages.length - 1]!.instructions.push({ keyword, raw, exec, line: start + 1 });
  }
  return stages;
}

/** `ENV A=1 B="x y"` (and the legacy `ENV A 1`) → pairs. */
export function parseEnvInstruction(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw.includes('=')) {
    const [k, ...v] = raw.split(/\s+/);
    out[k!] = v.join(' ');
    return out;
  }
  for (const m of raw.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|(\S*))/g)) out[m[1]!] = m[3] ?? m[4] ?? '';
  return out;
}

/**
 * Docker Compose variable interpolation for the forms our compose file uses: `${VAR}`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:?message}`, `${VAR?message}` and `$$`. A missing required variable throws
 * with compose's message, as `docker compose config` would.
 */
export function interpolate(value: string, env: Readonly<Record<string, string | undefined>>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (all, name: string | undefined, colon: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined) => {
      if (all === '$$') return '$';
      const n = name ?? bare!;
      const v = env[n];
      const unset = v === undefined || (colon === ':' && v === '');
      if (op === '-') return unset ? arg! : v!;
      if (op === '?') {
        if (unset) throw new Error(`required variable ${n} is missing a value: ${arg}`);
        return v!;
      }
      return v ?? '';
    });
}

/** The `${NAME…}` variables a compose value takes from the operator's environment. */
export function composeVariables(value: string): string[] {
  return [...value.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);
}

export interface UnitFile {
  /** section → key → values (a key may repeat, e.g. Environment=). */
  sections: Record<string, Record<string, string[]>>;
}

/** A systemd unit file (INI with repeatable keys and `\` continuations). */
export function parseUnitFile(text: string): UnitFile {
  const sections: UnitFile['sections'] = {};
  let current: Record<string, string[]> | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i]!.trim()}`;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      current = sections[sec[1]!] ??= {};
      continue;
    }
    const kv = /^([A-Za-z0-9]+)\s*=\s*(.*)$/.exec(line);
    if (!kv || !current) throw new Error(`unit file line ${i + 1}: cannot read "${line}"`);
    (current[kv[1]!] ??= []).push(kv[2]!);
  }
  return { sections };
}

/** `KEY=value` lines of an environment file (comments and blanks skipped; commented-out keys kept apart). */
export function parseEnvFile(text: string): { set: Record<string, string>; commented: string[] } {
  const set: Record<string, string> = {};
  const commented: string[] = [];
  for (const line of text.split('\n')) {
    const on = /^\s*([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (on) set[on[1]!] = on[2]!.replace(/^"(.*)"$/, '$1');
    const off = /^\s*#\s*([A-Z_][A-Z0-9_]*)=/.exec(line);
    if (off) commented.push(off[1]!);
  }
  return { set, commented };
}

/** Every `.ts` file under `dir`, recursively. */
export function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/**
 * Environment variables the code reads: `env.NAME`, `env['NAME']`, `process.env.NAME`, and settings
 * tables' `env: 'NAME'` entries — found in the sources, so a new setting is known without editing tests.
 */
export function envNamesReadBy(files: string[]): Set<string> {
  const names = new Set<string>();
  for (const f of files) {
    const src = readFileSync(f, 'utf8');
    for (const m of src.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]*)|\[\s*'([A-Z][A-Z0-9_]*)'\s*\]|:\s*'([A-Z][A-Z0-9_]*)')/g)) names.add(m[1] ?? m[2] ?? m[3]!);
  }
  return names;
}

/** Processes (other than zombies) whose process group is `pgid`, from /proc: what a stopped process left behind. */
export function processGroupMembers(pgid: number): { pid: number; comm: string }[] {
  const out: { pid: number; comm: string }[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${d}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses, so split after the last ')'.
    const close = stat.lastIndexOf(')');
    const [state, , pgrp] = stat.slice(close + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') out.push({ pid: Number(d), comm: stat.slice(stat.indexOf('(') + 1, close) });
  }
  return out;
}
