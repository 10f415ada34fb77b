// The end of a file that ran real hosts against the sandbox: whatever the hosts left running is
// billed, so it fails the file, after everything has been closed and the temporary folder removed.
import fs from 'fs';

import type { Sandbox } from '../../sandbox/src';

interface Closable {
	close(): Promise<unknown>;
}

/** Call after the hosts have stopped (they stop their streams on shutdown). */
export async function endSuite(parts: { sandboxes: Array<Sandbox | undefined>; close?: Array<Closable | undefined>; work?: string }): Promise<void> {
	const sandboxes = parts.sandboxes.filter((s): s is Sandbox => s !== undefined);
	const leftover = sandboxes.flatMap((s) => s.activeTasks());
	await Promise.all(sandboxes.map((s) => s.close()));
	for (const other of parts.close ?? []) await other?.close();
	if (parts.work) fs.rmSync(parts.work, { recursive: true, force: true });
	expect(leftover).toEqual([]);
}
