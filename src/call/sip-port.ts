/**
 * What the call layer needs from the SIP stack, declared here (the call layer's own words) and
 * implemented over drachtio-srf by src/app/srf-port.ts — the only module that calls srf. Dialogs,
 * requests and responses are srf's objects; their methods are typed correctly by srf's type file.
 */
import type Srf from 'drachtio-srf';

/** An INVITE that left trunkwise and may still be cancelled. */
export interface SentInvite {
  /** Send CANCEL (the engine holds it until a provisional arrives, RFC 3261 §9.1). Never throws. */
  cancel(): void;
}

export interface UacProgress {
  /** The INVITE was handed to the SIP stack: from now on it can be cancelled. */
  onSent(sent: SentInvite): void;
  /** A provisional response (100 included) to the INVITE. */
  onProvisional(res: Srf.SrfResponse): void;
}

export interface CallSipPort {
  /** INVITE `uri`; resolves with the confirmed dialog on 200, rejects with srf's SipError otherwise. */
  createUac(uri: string, opts: Srf.CreateUACOptions, progress: UacProgress): Promise<Srf.Dialog>;
  /** Answer the caller's INVITE with 200 and `localSdp`; resolves once the ACK arrives. */
  createUas(req: Srf.SrfRequest, res: Srf.SrfResponse, opts: Srf.CreateUASOptions): Promise<Srf.Dialog>;
}
