/**
 * The system under test for bench/engine.bench.ts, in its own process so its CPU can be read from
 * /proc/PID/task/TID/schedstat apart from SIPp's: the embedded engine + the minimal srf B2BUA.
 * argv: sipPort wirePort targetUri
 */
import { SipEngine } from '../src/engine';
import { startMinimalB2bua } from '../test/apps/minimal-b2bua';

async function main(): Promise<void> {
  const [sipPort, wirePort, target] = process.argv.slice(2);
  const engine = new SipEngine({
    sip: [{ protocol: 'udp', address: '127.0.0.1', port: Number(sipPort) }, { protocol: 'tcp', address: '127.0.0.1', port: Number(sipPort) }],
    wire: { host: '127.0.0.1', port: Number(wirePort), secret: 'bench' },
  });
  await engine.start();
  await startMinimalB2bua({ host: '127.0.0.1', port: Number(wirePort), secret: 'bench', target: target! });
  process.stdout.write('ready\n');
  process.on('SIGTERM', () => void engine.stop().then(() => process.exit(0)));
}

void main();
