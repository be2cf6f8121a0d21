/** Every signal the scorer reads, in the order the API shows them. */
import { callFailure } from './call-failure';
import { callLate } from './call-late';
import { mediaLoss } from './media-loss';
import { pdd } from './pdd';
import { probeLate } from './probe-late';
import { probeLoss } from './probe-loss';
import { rtt } from './rtt';
import type { Signal } from './signal';

export const SIGNALS: readonly Signal[] = [probeLoss, probeLate, rtt, callFailure, callLate, pdd, mediaLoss];
export type { Signal, SignalSources, SignalValue } from './signal';
