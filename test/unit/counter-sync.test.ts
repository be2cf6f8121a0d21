/** counterSync (src/observability/counter-sync.ts): a Prometheus counter fed from totals. */
import t from 'tap';
import { Counter, Registry } from 'prom-client';
import { counterSync } from '../../src/observability/counter-sync';

t.test('adds what each total grew by; a total that went down starts over', async (t) => {
  const registry = new Registry();
  const c = new Counter({ name: 'x_total', help: 'x', labelNames: ['transport', 'reason'], registers: [registry] });
  const sync = counterSync(c);
  const value = async (transport: string, reason: string): Promise<number | undefined> =>
    (await c.get()).values.find((v) => v.labels.transport === transport && v.labels.reason === reason)?.value;
  sync([[{ transport: 'tcp', reason: 'lag' }, 3], [{ transport: 'udp', reason: 'lag' }, 0]]);
  t.equal(await value('tcp', 'lag'), 3);
  t.equal(await value('udp', 'lag'), undefined, 'no series for a total still 0');
  sync([[{ transport: 'tcp', reason: 'lag' }, 5]]);
  t.equal(await value('tcp', 'lag'), 5, 'grew by 2');
  sync([[{ transport: 'tcp', reason: 'lag' }, 1]]);
  t.equal(await value('tcp', 'lag'), 6, 'the source restarted: its new total is new');
});
