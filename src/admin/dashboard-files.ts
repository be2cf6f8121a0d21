/**
 * The NOC dashboard's static files, served by the admin API. They live in `dashboard/` beside this
 * module: src/admin/dashboard when run from the sources, dist/admin/dashboard in the build
 * (scripts/build.sh copies every non-TypeScript file under src/ next to the compiled code). Every
 * file of a known text type in that folder (and below it) is served, read once on first use.
 *
 * A missing folder is a broken installation, not a reason to stop routing alarm calls: the edge keeps
 * running and /dashboard/ answers with error TW_DASHBOARD_ASSETS_MISSING, naming the folder and the fix.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

export interface DashboardFile {
  body: string;
  type: string;
  /** 200, or 503 when the installation lacks the dashboard's files. */
  status: number;
}

export const DASHBOARD_DIR = path.join(__dirname, 'dashboard');

/** Extensions served, with their content types (text only: the admin API sends string bodies). */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

type Loaded = { ok: true; files: Map<string, DashboardFile> } | { ok: false; problem: string };
let loaded: Loaded | undefined;

/** Reads the folder (once). Exported so start-up code can report a broken installation early. */
export function loadDashboard(dir = DASHBOARD_DIR): Loaded {
  try {
    const files = new Map<string, DashboardFile>();
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      const type = TYPES[path.extname(entry.name)];
      if (!type || !entry.isFile()) continue;
      const file = path.join(entry.parentPath ?? entry.path, entry.name);
      files.set(path.relative(dir, file).split(path.sep).join('/'), { body: readFileSync(file, 'utf8'), type, status: 200 });
    }
    if (!files.has('index.html')) throw new Error(`no index.html in ${dir}`);
    return { ok: true, files };
  } catch (err) {
    return {
      ok: false,
      problem: `TW_DASHBOARD_ASSETS_MISSING: the dashboard's files are not installed (${(err as Error).message}). `
        + 'A build must carry src/admin/dashboard/ beside the compiled code: build with `npm run build`, which copies them.',
    };
  }
}

/** `/dashboard/`, `/dashboard/dashboard.js` … → the file; undefined when there is no such file. */
export function dashboardFile(pathname: string): DashboardFile | undefined {
  const m = /^\/dashboard\/?(.*)$/.exec(pathname);
  if (!m) return undefined;
  loaded ??= loadDashboard();
  if (!loaded.ok) return { body: loaded.problem, type: 'text/plain; charset=utf-8', status: 503 };
  return loaded.files.get(m[1] === '' ? 'index.html' : m[1]!);
}
