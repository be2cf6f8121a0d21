/**
 * The INVITE pipeline, visible in one place (STYLE.md 5):
 *   admission (allowlist, CPS) → route (dial plan) → plan (rank carriers by health and caps) → call.
 * Order matters: a forbidden source must cost nothing, so admission runs before any routing work.
 * Every stage is async-safe: a rejected promise reaches `fail`, never drachtio-srf (which only
 * catches synchronous throws).
 */
import type Srf from 'drachtio-srf';
import { matchRoute, rankCarriers, carrierRequestUri, decideCrankback, selectFinalFailure, planPeers, trustedPeer, PEER_HEADER, type CarrierSnapshot, type PeerAddress } from '../routing';
import type { CompiledRoute } from '../routing/types';
import type { MediaMode, TrunkwiseConfig } from '../config/types';
import type { Admission, AdmissionResult } from '../admission/admission';
import type { DigestAuth } from '../admission/digest';
import type { CarrierRegistry } from '../carriers/runtime';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { AttemptTrack } from '../health/monitor';
import type { MediaAnchor } from '../call/media-port';
import type { MediaTracker } from '../call/media-tracker';
import type { CallSipPort } from '../call/sip-port';
import { checkInviteBody } from './body-check';
import { sendError } from './reply';
import { runCall, type CallPlan, type CallDeps, type DecisionInput, type PlannedAttempt } from '../call/session';

export interface InviteDeps {
  sip: CallSipPort;
  logger: Logger;
  metrics: Metrics;
  admission: Admission;
  /** Metric label for a source address: its allowlist entry or "foreign" (src/app/source-label.ts). */
  sourceLabel(address: string): string;
  /** Digest authentication of the IVR platform, when configured. */
  auth: DigestAuth | undefined;
  carriers: CarrierRegistry;
  config(): TrunkwiseConfig;
  /** Health snapshot per carrier in config.carriers order (src/app/snapshot.ts over src/health). */
  snapshot(config: TrunkwiseConfig, now: number): CarrierSnapshot[];
  /** Milliseconds trunkwise itself was stalled within [from, to]. */
  stalledWithin(from: number, to: number): number;
  /** Carrier health hears about every outbound attempt. */
  trackAttempt(carrier: string, now: number): AttemptTrack;
  /** Media anchoring per route mode, and the calls up with anchored media. */
  anchor(mode: MediaMode): MediaAnchor;
  mediaTracker: MediaTracker;
  /** Carrier caps through the shared state (src/cluster/caps.ts). */
  admit?: CallDeps['admit'];
  /** Attempts in flight (given up when their carrier goes down) and per-carrier response latency (adaptive timer). */
  inFlight?: CallDeps['inFlight'];
  latency?: CallDeps['latency'];
  /** Peer sites (carriers.yaml peers:): this site's id for the marker, and when to hand calls over first. */
  peers?: PeerRouting;
}

export interface PeerRouting {
  /** This site's id, sent in the marker header so the peer knows the call is a hand-over. */
  site: string;
  localFault(): boolean;
  /** The operator or a drill fails this site over: new calls go to peers first. */
  failover(): boolean;
}

export function createInviteHandler(deps: InviteDeps): (req: Srf.SrfRequest, res: Srf.SrfResponse) => void {
  let rr = 0;
  return (req, res) => {
    handle(req, res).catch((err: Error) => {
      deps.logger.error({ err: err.stack, callId: req.get('Call-ID') }, 'INVITE handling failed');
      sendError(res, 'E_INTERNAL');
    });
  };

  function refuse(req: Srf.SrfRequest, res: Srf.SrfResponse, adm: Exclude<AdmissionResult, { ok: true }>): void {
    deps.metrics.callsRejected.inc({ reason: adm.reason });
    deps.logger.warn({ source: req.source_address, callId: req.get('Call-ID'), reason: adm.reason }, 'call refused at admission');
    sendError(res, adm.reason === 'source-forbidden' ? 'E_SOURCE_FORBIDDEN' : 'E_CPS_LIMIT');
  }

  async function handle(req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<void> {
    const now = Date.now();
    deps.metrics.callsIn.inc({ source: deps.sourceLabel(req.source_address) });
    // A call handed over by a configured peer edge (marker + its address) is let in like a carrier's
    // would be, and is never handed to a peer again (src/routing/peers.ts).
    const fromPeer = trustedPeer(req.get(PEER_HEADER) || undefined, req.source_address, peerAddresses(deps.config()));
    const allowed = fromPeer === undefined ? deps.admission.source(req.source_address) : { ok: true as const };
    if (!allowed.ok) return refuse(req, res, allowed);
    let sourceId: string | undefined;
    if (deps.auth && fromPeer === undefined) {
      const v = deps.auth.verify(req.get('Authorization') || undefined, 'INVITE', now);
      if (!v.ok) {
        deps.metrics.callsRejected.inc({ reason: `auth-${v.reason}` });
        if (v.reason !== 'missing') deps.logger.warn({ source: req.source_address, callId: req.get('Call-ID'), reason: v.reason }, 'IVR digest authentication failed');
        return sendError(res, 'E_AUTH_REQUIRED', { 'WWW-Authenticate': deps.auth.challenge(now, v.stale === true) });
      }
      sourceId = v.username;
    }
    const rate = deps.admission.rate(req.source_address, now);
    if (!rate.ok) return refuse(req, res, rate);
    // RFC 3261 §16.3 / §8.2: a request out of hops is answered 483; otherwise the carrier leg gets one fewer.
    const hops = forwardHops(req.get('Max-Forwards') || undefined);
    if (hops === 0) {
      deps.metrics.callsRejected.inc({ reason: 'too-many-hops' });
      deps.logger.warn({ callId: req.get('Call-ID'), code: 'E_TOO_MANY_HOPS' }, 'INVITE out of hops: routing loop?');
      return sendError(res, 'E_TOO_MANY_HOPS');
    }
    // Before any carrier work: without a Contact srf cannot answer the caller (found by the fuzzer:
    // the carrier leg was set up and answered for nothing).
    if (!req.get('Contact')) {
      deps.metrics.callsRejected.inc({ reason: 'no-contact' });
      deps.logger.warn({ callId: req.get('Call-ID'), code: 'E_NO_CONTACT' }, 'INVITE without Contact refused');
      return sendError(res, 'E_NO_CONTACT');
    }
    // Before any routing or carrier work: a body we cannot offer is the caller's problem, not a carrier's.
    const body = checkInviteBody(req.get('Content-Type') || undefined, req.get('Content-Encoding') || undefined, req.body);
    if (!body.ok) {
      deps.metrics.callsRejected.inc({ reason: 'unsupported-media-type' });
      deps.logger.warn({ callId: req.get('Call-ID'), code: body.code, detail: body.detail }, 'INVITE body refused');
      return sendError(res, body.code);
    }
    deps.metrics.callsAdmitted.inc();
    const config = deps.config();
    const user = /^sips?:([^@;>]+)@/.exec(req.uri)?.[1] ?? '';
    const route = matchRoute(config.routeTable, {
      user, sourceAddress: req.source_address, headers: (n) => req.get(n), ...(sourceId !== undefined && { sourceId }),
    });
    const snapshot = deps.snapshot(config, now);
    const ranked = rankCarriers(route, snapshot, { rrCounter: rr++, random: Math.random, now });
    const localFault = deps.peers?.localFault() ?? false;
    const peers = planPeers({
      fromPeer, failover: deps.peers?.failover() ?? false, localFault, local: ranked,
      peers: snapshot.filter((x) => config.carrierById[x.id]?.peer === true),
    });
    if (peers.placement === 'first') deps.logger.warn({ event: 'peer-first', callId: req.get('Call-ID'), why: peers.why, peers: peers.peers }, 'call handed to a peer site first');
    const plan = buildPlan(config, route, peers.ordered, user, req, hops - 1, deps.peers?.site, localFault);
    if (fromPeer !== undefined) plan.fromPeer = fromPeer;
    if (plan.attempts.length === 0) {
      deps.logger.error({ route: route.id, skipped: ranked.skipped, code: 'E_ALL_CARRIERS_DOWN' }, 'no carrier can take the call');
      return sendError(res, 'E_ALL_CARRIERS_DOWN');
    }
    const callDeps: CallDeps = {
      sip: deps.sip, logger: deps.logger, metrics: deps.metrics, carriers: deps.carriers,
      decide: (d: DecisionInput) => decideCrankback({ ...d, maxAttempts: route.maxAttempts + peers.peers.length, rules: route.retry }),
      finalStatus: selectFinalFailure, trackAttempt: deps.trackAttempt, stalledWithin: deps.stalledWithin, anchor: deps.anchor, mediaTracker: deps.mediaTracker,
      ...(deps.admit && { admit: deps.admit }), ...(deps.inFlight && { inFlight: deps.inFlight }), ...(deps.latency && { latency: deps.latency }),
    };
    await runCall(callDeps, req, res, plan);
  }
}

/** The caller's Max-Forwards (70 when absent or unreadable, as a UAC would have set). */
export function forwardHops(value: string | undefined): number {
  const v = value?.trim();
  if (v === undefined || !/^\d{1,3}$/.test(v)) return 70;
  return Math.min(Number(v), 255);
}

/** The configured peers' addresses, computed once per loaded config. */
const peerCache = new WeakMap<TrunkwiseConfig, PeerAddress[]>();
function peerAddresses(config: TrunkwiseConfig): PeerAddress[] {
  let list = peerCache.get(config);
  if (!list) {
    list = config.carriers.filter((c) => c.peer === true).map((c) => ({ id: c.id, host: c.target.host }));
    peerCache.set(config, list);
  }
  return list;
}

/**
 * While this edge suspects itself (the local-fault alarm: most carriers sick at once), every attempt
 * waits the route's full attemptNoProvisionalMs. The RTT-adapted timer bets that an unanswered INVITE
 * means a dead carrier and gives up before its first retransmission; on a lossy uplink the silence is
 * more likely our own lost packet, which that retransmission would carry, and cranking to another
 * carrier crosses the same uplink.
 */
function buildPlan(config: TrunkwiseConfig, route: CompiledRoute, ordered: readonly string[], user: string, req: Srf.SrfRequest, maxForwards: number, site = 'default', localFault = false): CallPlan {
  const from = req.get('From');
  const floorMs = localFault ? route.timers.attemptNoProvisionalMs : route.timers.attemptNoProvisionalFloorMs;
  return {
    route: route.id,
    media: route.media,
    timers: {
      noProvisionalMs: route.timers.attemptNoProvisionalMs, noAnswerMs: route.timers.attemptNoAnswerMs, setupDeadlineMs: route.timers.setupDeadlineMs,
      ...(floorMs !== undefined && { noProvisionalFloorMs: floorMs }),
      ...(route.timers.attemptNoProvisionalRttFactor !== undefined && { noProvisionalRttFactor: route.timers.attemptNoProvisionalRttFactor }),
    },
    attempts: ordered.flatMap((id) => {
      const c = config.carrierById[id];
      if (!c) return [];
      const creds = config.credentials.get(id);
      const headers: Record<string, string> = { 'Max-Forwards': String(maxForwards) };
      if (from) headers.From = from.replace(/;\s*tag=[^;>\s]*/i, '');
      if (c.peer) headers[PEER_HEADER] = site;
      const attempt: PlannedAttempt = { carrier: id, uri: carrierRequestUri(c, user), headers, ...(c.peer && { peer: true }) };
      if (creds) attempt.auth = { username: creds.username, password: creds.password };
      return [attempt];
    }),
  };
}
