// Figures of the reliability suite, one JSON object per line in build/reliability/results.jsonl
// (RELIABILITY_RESULTS names another file). Both hosts' tests append to the same file; whoever
// writes RELIABILITY.md reads it back.
import fs from 'fs';
import path from 'path';

export const RELIABILITY_RESULTS =
	process.env.RELIABILITY_RESULTS ?? path.join(__dirname, '../../../build/reliability/results.jsonl');

/** Appends `{section, host: 'node-red', at, ...data}`; the n8n tests pass `host: 'n8n'` in `data`. */
export function recordReliability(section: string, data: Record<string, unknown>): void {
	fs.mkdirSync(path.dirname(RELIABILITY_RESULTS), { recursive: true });
	const line = JSON.stringify({ section, host: 'node-red', at: new Date().toISOString(), ...data });
	fs.appendFileSync(RELIABILITY_RESULTS, `${line}\n`);
	process.stdout.write(`reliability ${section}: ${line.length > 600 ? `${line.slice(0, 600)}…` : line}\n`);
}
