/**
 * What an attempt's outcome says about the carrier: 5xx, 408, no provisional and transport errors
 * are its fault; an answer or a callee's final (486, 404, 603 …) shows it working; a caller's CANCEL
 * or a ringing call nobody answered says nothing about it.
 */
import type { AttemptFailure } from '../routing';
import type { AttemptVerdict } from './types';

export function verdictFor(o: AttemptFailure | { kind: 'answered' }): AttemptVerdict {
  switch (o.kind) {
    case 'answered':
      return 'ok';
    case 'response':
      return o.status === 408 || (o.status >= 500 && o.status < 600) ? 'failure' : 'ok';
    case 'timeout':
      return o.phase === 'no-provisional' ? 'failure' : 'ignored';
    case 'transport-error':
      return 'failure';
    default:
      return 'ignored';
  }
}
