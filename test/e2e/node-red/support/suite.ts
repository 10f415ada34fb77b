// What every real-Node-RED e2e file sets up once: our package packed as a user would install it,
// a sandbox and a sink. It fails the file if a stream was left running in the sandbox.
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

import { Sandbox, startSandbox } from '../../../../sandbox/src';
import { Sink, startSink } from '../../../../scripts/lib/sink';
import { endSuite } from '../../../support/suite-end';

const ROOT = path.join(__dirname, '../../../..');

export interface NodeRedSuite {
	/** A temporary folder, removed after the file. */
	work: string;
	tarball: string;
	packedFiles: string[];
	sandbox: Sandbox;
	sink: Sink;
}

/** Filled in by beforeAll (read it inside tests and hooks, not at the top level). */
export function useNodeRedSuite(name: string, sandboxOptions: Parameters<typeof startSandbox>[0]): NodeRedSuite {
	const suite = {} as NodeRedSuite;
	beforeAll(async () => {
		suite.work = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
		const packed = JSON.parse(
			execFileSync('npm', ['pack', '--json', '--pack-destination', suite.work], { cwd: path.join(ROOT, 'node-red'), encoding: 'utf8' }),
		)[0];
		suite.tarball = path.join(suite.work, packed.filename);
		suite.packedFiles = (packed.files as Array<{ path: string }>).map((f) => f.path);
		suite.sandbox = await startSandbox(sandboxOptions);
		suite.sink = await startSink();
	});
	afterAll(() => endSuite({ sandboxes: [suite.sandbox], close: [suite.sink], work: suite.work }));
	return suite;
}
