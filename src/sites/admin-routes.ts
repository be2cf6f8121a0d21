/**
 * Admin API for the site (mounted by src/admin/server.ts as an extension):
 *   GET  /site            drained?, failed over?, since when, by whom, and the OPTIONS answer the IVR gets now
 *   POST /site/drain      (token) the IVR is told to send new calls elsewhere (503); calls up finish
 *   POST /site/undrain    (token) back in service
 *   POST /site/failover   (token) new calls go to the peer sites first (carriers.yaml peers:)
 *   POST /site/failback   (token) new calls use this site's carriers first again
 */
import type { AdminExtension } from '../admin/server';
import type { Site } from './site';

export function siteRoutes(site: Site): AdminExtension {
  return (req) => {
    const p = req.url.pathname;
    if (req.method === 'GET' && p === '/site') return { status: 200, body: site.status(Date.now()) };
    const m = /^\/site\/(drain|undrain|failover|failback)$/.exec(p);
    if (req.method !== 'POST' || !m) return undefined;
    const denied = req.authorise();
    if (denied) return denied;
    const now = Date.now();
    if (m[1] === 'drain') site.drain('admin API', now);
    else if (m[1] === 'undrain') site.undrain('admin API', now);
    else if (m[1] === 'failover') site.failOver('admin API', now);
    else site.failBack('admin API');
    return { status: 200, body: site.status(now) };
  };
}
