/** The ingress gate: admission, per-source rate and size, in that order, each counted under one reason. */
import t from 'tap';
import { IngressGate, GATE, isResponseBytes } from '../../src/engine/transport/gate';
import { SourceAdmission } from '../../src/engine/transport/admission';
import { DEFAULT_LIMITS } from '../../src/engine/transport/limits';
import { silentLogger } from '../../src/engine/logger';

const req = Buffer.from('OPTIONS sip:x@y SIP/2.0\r\n\r\n');
const res = Buffer.from('SIP/2.0 200 OK\r\n\r\n');

function gate(foreign: 'reject' | 'drop', limits = {}): IngressGate {
  return new IngressGate({ ...DEFAULT_LIMITS, ...limits }, new SourceAdmission(silentLogger, { allow: ['10.0.0.0/8'], foreign }));
}

t.test('responses are recognised by their first bytes', async (t) => {
  t.ok(isResponseBytes(res));
  t.notOk(isResponseBytes(req));
  t.notOk(isResponseBytes(Buffer.from('SIP/')), 'too short to be a response');
});

t.test('allowed requests pass; foreign requests are refused; responses from anywhere pass', async (t) => {
  const g = gate('reject');
  t.equal(g.check(req, '10.1.1.1', 0), 'pass');
  t.equal(g.check(req, '192.0.2.1', 0), 'foreign', 'reject mode: candidate for a 403');
  t.equal(g.check(res, '192.0.2.1', 0), 'pass', 'a response is never refused by the allowlist');
  t.equal(g.counters[GATE.received], 3);
  t.equal(g.counters[GATE.refusedForeign], 1);
  const d = gate('drop');
  t.equal(d.check(req, '192.0.2.1', 0), 'drop');
  t.equal(d.lastDrop, 'foreign');
});

t.test('the 403 budget: per foreign source and in total', async (t) => {
  const g = gate('reject', { foreignRate: 5, foreignBurst: 5, foreignRejectRate: 8 });
  const verdicts = Array.from({ length: 10 }, () => g.check(req, '192.0.2.1', 0));
  t.equal(verdicts.filter((v) => v === 'foreign').length, 5, 'burst of 5 for one source');
  const other = Array.from({ length: 10 }, () => g.check(req, '192.0.2.2', 0));
  t.equal(other.filter((v) => v === 'foreign').length, 3, 'the global budget (8) is shared');
  t.equal(g.counters[GATE.refusedForeign], 20, 'every one counted as refused-foreign');
});

t.test('per-source rate and size, each under its own reason', async (t) => {
  const g = gate('reject', { perSourceRate: 2, perSourceBurst: 2, maxMessageBytes: 100 });
  t.equal(g.check(req, '10.0.0.1', 0), 'pass');
  t.equal(g.check(req, '10.0.0.1', 0), 'pass');
  t.equal(g.check(req, '10.0.0.1', 0), 'drop');
  t.equal(g.lastDrop, 'rate-limit');
  t.equal(g.check(Buffer.alloc(200, 0x41), '10.0.0.2', 0), 'drop');
  t.equal(g.lastDrop, 'oversize');
  t.same([...g.counters], [4, 1, 0, 1], 'received, rate-limited, refused-foreign, oversize');
});
