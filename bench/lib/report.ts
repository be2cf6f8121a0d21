/** Shared pieces of the results files: header (title, machine, method), tables, number formatting. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { machineMarkdown, type MachineInfo } from './machine';

export function header(title: string, m: MachineInfo, method: readonly string[]): string[] {
  return [`# ${title}`, '', 'Written by `npm run bench` (bench/run.ts) — do not edit by hand.', '', '## Method', '', ...method.map((s) => `- ${s}`), '',
    '## Machine', '', machineMarkdown(m)];
}

export function table(head: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`), ''];
}

export const ratio = (a: number | undefined, b: number | undefined): string =>
  a === undefined || b === undefined || b === 0 ? '—' : `${(Math.round((a / b) * 100) / 100).toLocaleString('en')}×`;

export const n = (x: number | undefined, unit = ''): string => (x === undefined ? '—' : `${x.toLocaleString('en')}${unit}`);

export function writeResult(dir: string, base: string, md: string[], json: unknown): void {
  writeFileSync(path.join(dir, `${base}.md`), `${md.join('\n').replace(/\n{3,}/g, '\n\n')}\n`);
  writeFileSync(path.join(dir, `${base}.json`), `${JSON.stringify(json, null, 2)}\n`);
}
