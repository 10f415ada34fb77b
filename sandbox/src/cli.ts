// `npm run sandbox -- --port 4010 --key sk-test-1 [--key …] [--interval-ms 5000] [--credits 100]`
import { SCENARIOS } from './scenarios';
import { DEFAULT_KEY, SandboxOptions, startSandbox } from './server';
import { VARIANT_NAMES, VARIANTS, variantsProblem } from './variants';

const variantHelp = VARIANTS.map((v) => `  ${v.name.padEnd(23)}${v.targets.includes('api') ? '[+API] ' : ''}${v.description}`).join('\n');
const scenarioHelp = SCENARIOS.map((s) => `  ${s.name.padEnd(23)}${s.cycle} windows, ${s.episodesPerCycle} episodes a cycle: ${s.description}`).join('\n');

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
  --task-ids uuid|numeric       task ids as documented (uuid, default) or digits, as a numeric-key backend
  --variant V[,V…]      send every callback with these delivery variants (repeatable; default: none,
                        the documented shape); a callback fault of kind "variant" replaces them
  --foreign-port N      port of the foreign listener redirect faults point to (default 0: a free one)
  --quiet               print only the start banner
  --help                this text

Delivery variants, one per dimension (a fault: {"on":"callback","kind":"variant","variants":[…]};
[+API]: also for API answers, {"on":"start","kind":"variant","variants":[…]}):
${variantHelp}

Scenarios (in the RTMP URL: rtmp://cam.example/live/kitchen?scenario=boil[&answer_faults=1][&frames=N];
scripts: GET /_sandbox/scenarios):
${scenarioHelp}`;

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
	const variants: string[] = [];
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
			case '--task-ids': {
				const style = value();
				if (style !== 'uuid' && style !== 'numeric') fail('--task-ids is uuid or numeric');
				options.taskIds = style;
				break;
			}
			case '--variant': {
				const list = (value() ?? '').split(',').map((v) => v.trim()).filter((v) => v !== '');
				if (list.length === 0) fail(`--variant needs one of ${VARIANT_NAMES.join(', ')}`);
				variants.push(...list);
				break;
			}
			case '--foreign-port': options.foreignPort = number(name, value()); break;
			case '--quiet': options.quiet = true; break;
			case '--help': case '-h': process.stdout.write(`${USAGE}\n`); process.exit(0);
			// falls through (exit never returns)
			default: fail(`unknown option ${flag}`);
		}
	}
	options.keys = keys;
	if (variants.length > 0) {
		const problem = variantsProblem(variants, 'callback', options.taskIds === 'numeric');
		if (problem) fail(`--variant: ${problem}`);
		options.deliveryVariants = variants;
	}
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
			`  task ids: ${sandbox.taskIds}; delivery variants: ${sandbox.deliveryVariants.length > 0 ? sandbox.deliveryVariants.join(', ') : 'none (the documented shape)'}`,
			`  use ${sandbox.url} as the Base URL; inspect: GET ${sandbox.url}/_sandbox/state`,
			`  scenarios (?scenario= in the RTMP URL): ${SCENARIOS.map((s) => s.name).join(', ')}; scripts: GET ${sandbox.url}/_sandbox/scenarios`,
			`  foreign origin (where redirect faults point): ${sandbox.foreignUrl}`,
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
