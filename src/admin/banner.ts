/**
 * The next-steps banner printed once trunkwise is ready: where the dashboard is, how to send calls,
 * how to make a simulated carrier sick, how to stop. A new user's first screen — every command in it
 * must work when pasted as is (so it uses the addresses trunkwise really listens on).
 */
import type { HostPort } from '../app/settings';

export interface BannerInput {
  sip: HostPort;
  http: HostPort;
  carriers: number;
  carriersFile: string;
  /** The carrier simulator's control API (set by scripts/start.sh when it started one). */
  simControl: string | undefined;
  adminTokenSet: boolean;
  /** The demo's token, shown so its drain command works; never set outside the demo. */
  demoToken: string | undefined;
}

/** A wildcard listen address is not something to send to: use loopback in the commands. */
function reachable(h: HostPort): string {
  const host = h.host === '0.0.0.0' || h.host === '::' ? '127.0.0.1' : h.host;
  return host.includes(':') ? `[${host}]:${h.port}` : `${host}:${h.port}`;
}

export function nextStepsBanner(b: BannerInput): string {
  const sip = reachable(b.sip);
  const http = `http://${reachable(b.http)}`;
  const sipHost = sip.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const auth = b.demoToken ? `-H "Authorization: Bearer ${b.demoToken}"` : '-H "Authorization: Bearer $TRUNKWISE_ADMIN_TOKEN"';
  const rows: [string, string][] = [
    ['Dashboard (NOC)', `${http}/dashboard/`],
    ['One line per carrier', `npm run status      (or: curl '${http}/carriers?view=summary')`],
    ['Send 500 alarm calls', `sipp -sn uac -s 15550001 -r 20 -m 500 -d 2000 -i ${sipHost} -p 5090 ${sip}`],
    ['Calls with RTP', `npm run ivr -- --target ${sip} --calls 20 --concurrent 20 --hold-ms 10000`],
  ];
  if (b.simControl) {
    rows.push(
      ['Make a carrier sick', `curl -X PATCH -d '{"mode":"silent","optionsCode":0}' ${b.simControl}/carriers/carrier-a`],
      ['  … 10 % SIP loss', `curl -X PATCH -d '{"dropPercent":10}' ${b.simControl}/carriers/carrier-b`],
      ['  … 10 % RTP loss', `curl -X PATCH -d '{"rtpDropPercent":10}' ${b.simControl}/carriers/carrier-e   (while calls with RTP are up)`],
      ['  … heal it', `curl -X PATCH -d '{"mode":"answer","optionsCode":200,"dropPercent":0}' ${b.simControl}/carriers/carrier-a`],
    );
  }
  rows.push(
    ['Drain a carrier', b.adminTokenSet
      ? `curl -X POST ${auth} ${http}/carriers/carrier-d/drain`
      : 'set TRUNKWISE_ADMIN_TOKEN first (drain, undrain and reload are refused without it)'],
    ['Events, metrics', `${http}/events   ${http}/metrics`],
    ['Stop', 'Ctrl-C — new calls get 503, calls up drain (up to 30 s, then both legs get BYE)' + (b.simControl ? ', then the simulator stops' : '')],
  );
  const carriers = b.simControl
    ? `${b.carriers} simulated carriers from ${b.carriersFile} (simulator control API ${b.simControl}${b.demoToken ? `; admin token ${b.demoToken}` : ''})`
    : `${b.carriers} carriers from ${b.carriersFile} (no simulator)`;
  const width = Math.max(...rows.map(([k]) => k.length));
  return [
    '',
    `trunkwise is ready — SIP ${sip} (UDP+TCP), admin ${http}`,
    `  ${carriers}`,
    '',
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
    '',
  ].join('\n');
}
