/**
 * `npm run status [-- --http HOST:PORT] [--json]`: one line per carrier from a running trunkwise
 * (GET /carriers?view=summary). Exit 0 when it answered, 1 when it did not, 2 on bad arguments.
 */
const USAGE = `usage: npm run status -- [--http HOST:PORT] [--json]
  --http HOST:PORT   trunkwise's admin address (default: TRUNKWISE_HTTP, else 127.0.0.1:8080)
  --json             the JSON form (one carrier per line) instead of the table`;

async function main(argv: string[]): Promise<number> {
  let http = process.env.TRUNKWISE_HTTP ?? '127.0.0.1:8080';
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (a === '--json') json = true;
    else if (a === '--http' && argv[i + 1]) http = argv[++i]!;
    else if (a.startsWith('--http=')) http = a.slice('--http='.length);
    else {
      process.stderr.write(`unknown argument "${a}"\n${USAGE}\n`);
      return 2;
    }
  }
  const base = /^https?:\/\//.test(http) ? http : `http://${http}`;
  try {
    const r = await fetch(`${base}/carriers?view=summary${json ? '' : '&format=text'}`, { signal: AbortSignal.timeout(3000) });
    process.stdout.write(await r.text());
    return r.ok ? 0 : 1;
  } catch (err) {
    process.stderr.write(`trunkwise is not answering on ${base} (${(err as Error).message}); is it running? (npm start)\n`);
    return 1;
  }
}

void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
