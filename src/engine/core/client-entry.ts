/** A client transaction as the engine core tracks it (requests the app or the engine itself sends). */
import type { SipRequest, SipResponse, Target } from '../../sip/message';
import type { ClientTransaction } from '../transaction/types';
import type { LocalPoint } from '../transport/layer';
import type { WireClient } from '../wire/server';
import type { Dialog } from '../dialog/dialog';

export interface ClientEntry {
  wireTxnId: string;
  key: string;
  /** Clock time it started (leak diagnostics). */
  createdAt: number;
  txn: ClientTransaction;
  request: SipRequest;
  target: Target;
  local: LocalPoint;
  /** The app that sent it; undefined for requests the engine sends itself. */
  client: WireClient | undefined;
  /** In-dialog request: its dialog. Initial INVITE: the dialog once a tagged 1xx/2xx created it. */
  dialog: Dialog | undefined;
  /** Initial INVITE: the id its dialog will have. */
  inviteDialogId: string | undefined;
  provisional: boolean;
  /** CANCEL asked for before any provisional: sent when one arrives (RFC 3261 §9.1). */
  pendingCancel: SipRequest | undefined;
  cancelled: boolean;
  answeredTag: string | undefined;
  finalSeen: boolean;
  /** Engine-originated requests (BYE, session refresh): the final response goes here, not to an app. */
  onFinal: ((res: SipResponse) => void) | undefined;
}

/** Starts a client transaction for a request and registers it (ClientSide.start). */
export type StartRequest = (req: SipRequest, target: Target, local: LocalPoint, opts?: {
  client?: WireClient;
  dialog?: Dialog;
  inviteDialogId?: string;
  onFinal?: (res: SipResponse) => void;
}) => ClientEntry;
