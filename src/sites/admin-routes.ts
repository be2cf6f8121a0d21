/**
 * Admin API for the site (mounted by src/admin/server.ts as an extension):
 *   GET  /site            drained?, since when, by whom, and the OPTIONS answer the IVR gets now
 *   POST /site/drain      (token) the IVR is told to send new calls elsewhere (503); calls up finish
 *   POST /site/undrain    (token) back in service
 */
import type { AdminExtension } from '../admin/server';
import type { Site } from './site';

export function siteRoutes(site: Site): AdminExtension {
  return (req) => {
    const p = req.url.pathname;
    if (req.method === 'GET' && p === '/site') return { status: 200, body: site.status(Date.now()) };
    const m = /^\/site\/(drain|undrain)$/.exec(p);
    if (req.method !== 'POST' || !m) return undefined;
    const denied = req.authorise();
    if (denied) return denied;
    if (m[1] === 'drain') site.drain('admin API', Date.now());
    else site.undrain('admin API', Date.now());
    return { status: 200, body: site.status(Date.now()) };
  };
}
