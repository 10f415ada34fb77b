// Reliability and security of the n8n package in a real n8n 2.x (the packed tarball installed as
// a community package) against the sandbox: fuzzed callbacks, API faults, orphaned streams, load,
// and a search for leaked secrets, one concern per *.section.ts file. One n8n process serves every
// section, in this order, so that the leak search at the end covers everything the suite did
// (an n8n with its sandboxes, credentials and workflows takes about a minute to set up).
//
// n8n runs with N8N_EXPRESSION_ENGINE=legacy here (RELIABILITY_N8N_ENGINE=default for n8n's own
// choice): n8n 2.40's default engine gives every webhook request of a community trigger a fresh
// isolated-vm isolate, ≈30 requests/s on the 2-core CI machine against ≈200/s, which would put
// 10 000 fuzzed requests far outside the time budget. The engine changes nothing in our node's
// code path (its parameters are no expressions); default-engine.test.ts shows the same answers
// with the default engine and measures what it gives.
import { execFileSync } from 'child_process';

import { describeApiFaults } from './api-faults.section';
import { describeFuzz } from './fuzz.section';
import { describeLeaks } from './leaks.section';
import { describeLoad } from './load.section';
import { describeOrphans } from './orphans.section';
import { record } from './support/host';
import { startSuite } from './support/setup';
import { ENGINE, SEED, shared } from './support/suite';

jest.setTimeout(10 * 60 * 1000);

beforeAll(async () => {
	shared.suite = await startSuite(ENGINE === 'default' ? {} : { N8N_EXPRESSION_ENGINE: ENGINE });
	shared.pidAtStart = shared.suite.host.pid();
	record('versions', {
		n8n: shared.suite.host.n8n.paths.version,
		n8nNode: execFileSync(shared.suite.host.n8n.paths.nodeBin, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim(),
		testRunnerNode: process.versions.node,
		expressionEngine: ENGINE,
		seed: SEED,
	});
});

afterAll(async () => {
	await shared.suite?.close();
});

describeFuzz();
describeApiFaults();
describeLoad();
describeOrphans();
describeLeaks();
