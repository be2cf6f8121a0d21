/** The NOC dashboard's static files (src/admin/dashboard/), read once at start, served by the admin API. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const DIR = path.join(__dirname, 'dashboard');
const TYPES: Record<string, string> = { 'index.html': 'text/html; charset=utf-8', 'dashboard.js': 'text/javascript; charset=utf-8', 'dashboard.css': 'text/css; charset=utf-8' };
const FILES = new Map(Object.entries(TYPES).map(([name, type]) => [name, { body: readFileSync(path.join(DIR, name), 'utf8'), type }]));

/** `/dashboard/`, `/dashboard/dashboard.js` … → the file, or undefined. */
export function dashboardFile(pathname: string): { body: string; type: string } | undefined {
  const m = /^\/dashboard\/?(.*)$/.exec(pathname);
  if (!m) return undefined;
  return FILES.get(m[1] === '' ? 'index.html' : m[1]!);
}
