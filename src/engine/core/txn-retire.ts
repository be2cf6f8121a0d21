/**
 * A finished exchange, as the core keeps it for its transaction's wait window (issue 11). Once the
 * final response is out (server) or in (client), a core entry needs of its request only what
 * identifies it — method, Request-URI, Via, From, To, Call-ID, CSeq: ACK matching (§17.2.3), the
 * leak summaries, a late 408/503 built from it. The body (SDP) and the other headers go.
 *
 * Those reads are rare (an RFC 2543 ACK, a leak summary), and tens of thousands of entries wait out
 * their 32 s windows under load. So the kept header lines are packed into one string, and a read
 * parses them again: one string and one small object per entry instead of a SipHeaders with its two
 * arrays, one object per field and one string per value (~850 bytes → ~400 in a heap snapshot at
 * 600 calls/s). Values are copied out of the request's header text first (a V8 slice would pin it).
 */
import { SipHeaders, type HeaderField, type SipRequest } from '../../sip/message';
import { ownString } from '../transaction/util';

const KEPT = ['Via', 'From', 'To', 'Call-ID', 'CSeq'] as const;
const EMPTY = Buffer.alloc(0);
/** Between a field's name and value, and between fields: neither can occur in a parsed header line. */
const NAME_END = '\u0000';
const FIELD_END = '\u0001';

/** A retired request: its kept headers parsed from the packed string each time they are read. */
class RetiredRequest implements SipRequest {
  readonly kind = 'request';
  readonly body = EMPTY;

  constructor(
    readonly method: string,
    readonly uri: string,
    readonly version: string,
    private readonly packed: string,
  ) {}

  /** A fresh SipHeaders per read: nothing parsed is kept on the entry. */
  get headers(): SipHeaders {
    const fields: HeaderField[] = [];
    if (this.packed) {
      for (const line of this.packed.split(FIELD_END)) {
        const i = line.indexOf(NAME_END);
        fields.push({ name: line.slice(0, i), value: line.slice(i + 1) });
      }
    }
    return new SipHeaders(fields);
  }
}

export function requestSkeleton(req: SipRequest): SipRequest {
  const lines: string[] = [];
  for (const name of KEPT) {
    for (const v of req.headers.getAll(name)) {
      // Not packable without ambiguity (a control character the parser let through): kept as fields.
      if (v.includes(NAME_END) || v.includes(FIELD_END)) return fieldSkeleton(req);
      lines.push(`${name}${NAME_END}${v}`);
    }
  }
  return new RetiredRequest(req.method, ownString(req.uri), req.version, ownString(lines.join(FIELD_END)));
}

function fieldSkeleton(req: SipRequest): SipRequest {
  const fields: HeaderField[] = [];
  for (const name of KEPT) for (const v of req.headers.getAll(name)) fields.push({ name, value: ownString(v) });
  // slice(): an exact-size copy — a pushed-to array keeps room for 17 (issue 11: tens of thousands live).
  return { kind: 'request', method: req.method, uri: ownString(req.uri), version: req.version, headers: new SipHeaders(fields.slice()), body: EMPTY };
}
