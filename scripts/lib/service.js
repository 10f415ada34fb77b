'use strict';
// A long-running service for tests (Postgres, Redis, an n8n process), resolved once it prints the line that says it
// serves: its output is the event, nothing polls. `spawn` starts it (host-base's startProcess, or n8n-host's
// spawnN8n) with the output handler it is given.

/**
 * @param {{
 *   name: string,
 *   readyLine: string,
 *   timeoutMs: number,
 *   spawn: (onOutput: (text: string) => void) => import('./host-base').ManagedProcess,
 *   onOutput?: (text: string) => void,
 *   onProcess?: (proc: import('./host-base').ManagedProcess) => void,  // as soon as it runs (e.g. to sample its memory)
 * }} o
 * @returns {Promise<{ process: import('./host-base').ManagedProcess, logs: () => string }>}
 *   rejects (the process killed) with the tail of its output when it exits or is not ready in time
 */
async function startService(o) {
	let output = '';
	/** @type {import('./host-base').ManagedProcess | undefined} */
	let proc;
	/** @type {NodeJS.Timeout | undefined} */
	let timer;
	try {
		await new Promise((resolve, reject) => {
			proc = o.spawn((text) => {
				output += text;
				o.onOutput?.(text);
				if (output.includes(o.readyLine)) resolve(undefined);
			});
			o.onProcess?.(proc);
			void proc.exited.then(({ code, signal }) => reject(new Error(`${o.name} exited (code ${code}, signal ${signal})`)));
			timer = setTimeout(() => reject(new Error(`${o.name} not ready after ${o.timeoutMs} ms`)), o.timeoutMs);
		});
	} catch (error) {
		await proc?.stop({ signal: 'SIGKILL' });
		const tail = output.replace(/\x1b\[[0-9;]*m/g, '').split('\n').slice(-60).join('\n');
		throw new Error(`${/** @type {Error} */ (error).message}\n--- ${o.name} output (tail) ---\n${tail}`);
	} finally {
		clearTimeout(timer);
	}
	return { process: /** @type {import('./host-base').ManagedProcess} */ (proc), logs: () => output };
}

module.exports = { startService };
