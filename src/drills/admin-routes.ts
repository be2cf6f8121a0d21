/**
 * Admin API for drills (mounted by src/admin/server.ts as an extension):
 *   GET  /drills           every drill kept, newest last (status, report), and the schedule (next runs, last runs)
 *   GET  /drills/:id       one drill; ?format=md → its markdown report
 *   POST /drills           (token) JSON { "scenario": "drain-carrier", "carrier": "carrier-a", "windowS": 10,
 *                          "testCalls": { "to": "+4930777", "perWindow": 5 } }   (testCalls optional: the
 *                          drill's own calls to an echo/announcement number, in every window)
 *                          { "scenario": "drain-site" | "failover-site", "windowS": 10, "testCalls": … }
 *                          (the site drills: no carrier; src/drills/site-drill.ts)
 */
import type { AdminExtension } from '../admin/server';
import type { Drills } from './registry';
import type { DrillSchedule } from './schedule';

export function drillRoutes(drills: Drills, schedule?: DrillSchedule): AdminExtension {
  return async (req) => {
    const p = req.url.pathname;
    if (req.method === 'GET' && p === '/drills') return { status: 200, body: { running: drills.running()?.id ?? null, drills: drills.all(), ...(schedule && { schedule: schedule.view() }) } };
    const one = /^\/drills\/(\d+)$/.exec(p);
    if (req.method === 'GET' && one) {
      const d = drills.get(Number(one[1]));
      if (!d) return { status: 404, body: { error: `no drill ${one[1]}` } };
      if (req.url.searchParams.get('format') === 'md') return { status: 200, body: d.markdown ?? `drill ${d.id}: ${d.status}\n`, type: 'text/markdown; charset=utf-8' };
      return { status: 200, body: d };
    }
    if (req.method !== 'POST' || p !== '/drills') return undefined;
    const denied = req.authorise();
    if (denied) return denied;
    const body = await req.json();
    if (body instanceof Error || typeof body !== 'object' || body === null) return { status: 400, body: { error: 'body must be JSON: { "scenario": "drain-carrier", "carrier": ID, "windowS": N }' } };
    const b = body as { scenario?: unknown; carrier?: unknown; windowS?: unknown; testCalls?: unknown };
    const scenario = b.scenario;
    if (scenario !== 'drain-carrier' && scenario !== 'drain-site' && scenario !== 'failover-site') {
      return { status: 400, body: { error: `unknown scenario ${JSON.stringify(b.scenario)} (known: drain-carrier, drain-site, failover-site)` } };
    }
    if (scenario === 'drain-carrier' && typeof b.carrier !== 'string') return { status: 400, body: { error: 'carrier: a carrier id is required' } };
    const windowS = b.windowS ?? 10;
    if (typeof windowS !== 'number' || !(windowS >= 2 && windowS <= 300)) return { status: 400, body: { error: 'windowS: seconds per window, 2–300' } };
    const tc = b.testCalls as { to?: unknown; perWindow?: unknown } | undefined | null;
    if (tc !== undefined && (typeof tc !== 'object' || tc === null || typeof tc.to !== 'string' || !/^[+\w.*#-]{1,64}$/.test(tc.to)
      || typeof tc.perWindow !== 'number' || !Number.isInteger(tc.perWindow) || tc.perWindow < 1 || tc.perWindow > 100)) {
      return { status: 400, body: { error: 'testCalls: { "to": a number to call (digits, +), "perWindow": 1–100 calls per window }' } };
    }
    const spec = tc ? { to: tc.to as string, perWindow: tc.perWindow as number } : undefined;
    const r = scenario === 'drain-carrier' ? drills.startDrain(b.carrier as string, windowS * 1000, spec) : drills.startSite(scenario, windowS * 1000, spec);
    return r.ok ? { status: 202, body: r.drill } : { status: r.status, body: { error: r.error } };
  };
}
