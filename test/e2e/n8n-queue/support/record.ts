// The queue-mode suite's figures for RELIABILITY.md: records of section "queue-…" with host n8n in the reliability
// results file (test/reliability/support/record.ts). A run replaces the queue records an earlier run left there, so
// the report regenerated after it (node scripts/reliability.js --report-only) holds this run's figures once.
import fs from 'fs';

import { RELIABILITY_RESULTS, recordReliability } from '../../../reliability/support/record';

let cleared = false;

export function recordQueue(section: string, data: Record<string, unknown>): void {
	if (!cleared && fs.existsSync(RELIABILITY_RESULTS)) {
		const kept = fs
			.readFileSync(RELIABILITY_RESULTS, 'utf8')
			.split('\n')
			.filter((line) => line !== '' && !/^\{"section":"queue(-[^"]*)?"/.test(line));
		fs.writeFileSync(RELIABILITY_RESULTS, kept.map((line) => `${line}\n`).join(''));
	}
	cleared = true;
	recordReliability(section, { host: 'n8n', ...data });
}
