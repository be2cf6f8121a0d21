/**
 * Engine benchmark (issue 2): calls/s through the embedded engine + the minimal srf B2BUA at 0
 * failures, with CPU and memory of the server process.
 *
 * Method: the engine and the B2BUA run in one child process; SIPp's built-in `uac` (INVITE, 100/180,
 * 200, ACK, hold, BYE/200) calls SIPp's built-in `uas` through it over UDP on loopback. Rates step
 * up, each step runs `STEP_S` seconds; per step the server's CPU is the schedstat delta (all threads)
 * over the step's wall time, RSS is read at the end. The highest step with 0 failed calls and every
 * call completed is the max sustainable rate. Usage: npx tsx bench/engine.bench.ts [rates…]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cpuNs, machineInfo, machineMarkdown, rssMiB } from './lib/machine';
import { runSippUac, startSippUas } from './lib/sipp-run';
import { start, stop } from './lib/procs';

const STEP_S = Number(process.env.STEP_S ?? 10);
const HOLD_MS = 1000;
const RATES = process.argv.slice(2).map(Number).filter((n) => n > 0);
const STEPS = RATES.length ? RATES : [100, 200, 300, 400, 500, 600, 800];
const SIP_PORT = 5360;
const WIRE_PORT = 9360;
const UAS_PORT = 5390;

interface Step {
  rate: number;
  calls: number;
  successful: number;
  failed: number;
  retransmissions: number;
  achievedCps: number;
  serverCpuPct: number;
  serverRssMiB: number;
}

async function main(): Promise<void> {
  const machine = machineInfo();
  console.log(`engine benchmark — ${machine.cpuModel} × ${machine.cores}, ${machine.kernel}, node ${machine.node}`);
  console.log(`method: SIPp uac → engine + minimal srf B2BUA → SIPp uas, UDP loopback, ${STEP_S}s per step, hold ${HOLD_MS} ms`);
  const uas = startSippUas(UAS_PORT, 'u1');
  const server = start('engine-server', process.execPath, ['--import', 'tsx', path.join(__dirname, 'engine-server.ts'), String(SIP_PORT), String(WIRE_PORT), `sip:127.0.0.1:${UAS_PORT}`],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    server.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    server.on('exit', () => reject(new Error('server exited')));
    setTimeout(() => reject(new Error('server did not start in 30 s')), 30_000);
  });
  const steps: Step[] = [];
  try {
    for (const rate of STEPS) {
      const calls = rate * STEP_S;
      process.stdout.write(`  step ${rate} cps × ${STEP_S}s (${calls} calls)… `);
      const cpu0 = cpuNs(server.pid!);
      const t0 = process.hrtime.bigint();
      const r = await runSippUac(`127.0.0.1:${SIP_PORT}`, 5380, 'u1', rate, calls, HOLD_MS, (STEP_S + 40) * 1000);
      const wallNs = Number(process.hrtime.bigint() - t0);
      const step: Step = {
        rate, calls, successful: r.successful, failed: r.failed, retransmissions: r.retransmissions,
        achievedCps: Math.round((r.successful / (wallNs / 1e9 - HOLD_MS / 1000)) * 10) / 10,
        serverCpuPct: Math.round(((cpuNs(server.pid!) - cpu0) / wallNs) * 1000) / 10,
        serverRssMiB: rssMiB(server.pid!),
      };
      steps.push(step);
      console.log(`${step.successful} ok, ${step.failed} failed, ${step.retransmissions} retrans, server CPU ${step.serverCpuPct}%, RSS ${step.serverRssMiB} MiB`);
      if (step.failed > 0 || step.successful < calls) break;
      await new Promise((r2) => setTimeout(r2, 2000));
    }
  } finally {
    await stop(server);
    await stop(uas);
  }
  const ok = steps.filter((s) => s.failed === 0 && s.successful === s.calls);
  const max = ok.length ? ok[ok.length - 1]!.rate : 0;
  const md = [
    '# Engine benchmark: calls/s through the embedded engine + minimal srf B2BUA', '',
    machineMarkdown(machine),
    `Method: SIPp \`uac\` → engine + minimal drachtio-srf B2BUA (one process) → SIPp \`uas\`, UDP on loopback; ${STEP_S} s per step; hold ${HOLD_MS} ms; CPU of the server process from /proc/PID/task/*/schedstat (100 % = one core).`, '',
    '| offered cps | calls | successful | failed | retransmissions | server CPU % | server RSS MiB |', '|---|---|---|---|---|---|---|',
    ...steps.map((s) => `| ${s.rate} | ${s.calls} | ${s.successful} | ${s.failed} | ${s.retransmissions} | ${s.serverCpuPct} | ${s.serverRssMiB} |`), '',
    `**Max sustainable rate at 0 failures: ${max} calls/s** (highest step in which every call completed).`, '',
  ].join('\n');
  const dir = path.join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'engine.md'), md);
  writeFileSync(path.join(dir, 'engine.json'), JSON.stringify({ machine, stepSeconds: STEP_S, holdMs: HOLD_MS, steps, maxSustainableCps: max }, null, 2));
  console.log(`max sustainable: ${max} cps — written to bench/results/engine.md`);
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
