// `npm run sandbox -- --port 4010 --key sk-test-1 [--key …] [--interval-ms 5000] [--credits 100]`
import { DEFAULT_KEY, SandboxOptions, startSandbox } from './server';

const USAGE = `memories.ai sandbox: a local stand-in for https://stream.memories.ai

Options:
  --port N              port on 127.0.0.1 (default 4010; 0 picks a free one)
  --host H              address to listen on (default 127.0.0.1)
  --interval-ms N       time between callbacks of one task (default 5000)
  --key K               an accepted API key; repeat for several (default ${DEFAULT_KEY})
  --credits N           credit balance of each key (default unlimited)
  --credits-per-interval N   credits one task costs per frame window (default 1)
  --callback-timeout-ms N    how long a receiver may take to answer (default 10000)
  --business-errors ok|mapped   HTTP status of business errors: 200 (default) or a matching error status
  --quiet               print only the start banner
  --help                this text`;

function fail(message: string): never {
	process.stderr.write(`${message}\n\n${USAGE}\n`);
	process.exit(2);
}

function number(flag: string, value: string | undefined): number {
	const n = Number(value);
	if (value === undefined || value.trim() === '' || !Number.isFinite(n) || n < 0) fail(`${flag} needs a non-negative number`);
	return n;
}

export function parseArgs(argv: readonly string[]): SandboxOptions & { quiet: boolean } {
	const options: SandboxOptions & { quiet: boolean } = { port: 4010, keys: [], quiet: false };
	const keys: string[] = [];
	for (let i = 0; i < argv.length; i++) {
		const flag = argv[i];
		const [name, inline] = flag.includes('=') ? [flag.slice(0, flag.indexOf('=')), flag.slice(flag.indexOf('=') + 1)] : [flag, undefined];
		const value = () => inline ?? argv[++i];
		switch (name) {
			case '--port': options.port = number(name, value()); break;
			case '--host': options.host = value(); break;
			case '--interval-ms': options.intervalMs = Math.max(1, number(name, value())); break;
			case '--key': {
				const key = value();
				if (!key) fail('--key needs a value');
				keys.push(key);
				break;
			}
			case '--credits': options.credits = number(name, value()); break;
			case '--credits-per-interval': options.creditsPerInterval = number(name, value()); break;
			case '--callback-timeout-ms': options.callbackTimeoutMs = number(name, value()); break;
			case '--business-errors': {
				const mode = value();
				if (mode !== 'ok' && mode !== 'mapped') fail('--business-errors is ok or mapped');
				options.businessErrorHttp = mode;
				break;
			}
			case '--quiet': options.quiet = true; break;
			case '--help': case '-h': process.stdout.write(`${USAGE}\n`); process.exit(0);
			// falls through (exit never returns)
			default: fail(`unknown option ${flag}`);
		}
	}
	options.keys = keys;
	return options;
}

async function main(): Promise<void> {
	const options = parseArgs(process.argv.slice(2));
	const stamp = () => new Date().toISOString().slice(11, 23);
	const sandbox = await startSandbox({
		...options,
		log: options.quiet ? undefined : (line) => process.stdout.write(`${stamp()} ${line}\n`),
	});
	const credits = options.credits === undefined ? 'unlimited' : String(options.credits);
	process.stdout.write(
		[
			`memories.ai sandbox listening on ${sandbox.url}`,
			`  accepted API keys: ${sandbox.keys.join(', ')}`,
			`  callbacks every ${sandbox.engine.intervalMs} ms; credits per key: ${credits}; max 4 streams per key`,
			`  use ${sandbox.url} as the Base URL; inspect: GET ${sandbox.url}/_sandbox/state`,
			'  Ctrl-C stops it.',
			'',
		].join('\n'),
	);
	let closing = false;
	const shutdown = (signal: string) => {
		if (closing) return;
		closing = true;
		process.stdout.write(`${signal}: stopping the sandbox (${sandbox.activeTasks().length} tasks running end now)\n`);
		sandbox.close().then(
			() => process.exit(0),
			() => process.exit(1),
		);
	};
	process.on('SIGINT', () => shutdown('SIGINT'));
	process.on('SIGTERM', () => shutdown('SIGTERM'));
}

if (require.main === module) {
	main().catch((error: unknown) => {
		process.stderr.write(`sandbox failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
		process.exit(1);
	});
}
