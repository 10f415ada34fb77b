// The queue-mode harness cleans up after a test process that dies: a child process starts the whole deployment
// (Postgres, Redis, main, a webhook processor, a worker) and is killed with SIGKILL, so nothing of it can run its
// own teardown; every process group must go and every temp folder must be removed (by the watchdogs).
import { spawn } from 'child_process';
import fs from 'fs';
import path from 'path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { processTrees } = require('../../../scripts/lib/process-memory');

jest.setTimeout(10 * 60 * 1000);

const ROOT = path.join(__dirname, '../../..');

const alive = (pid: number) => {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
};

it('leaves no process and no folder behind when the test process is killed (SIGKILL)', async () => {
	const script = `
const queue = require(${JSON.stringify(path.join(ROOT, 'scripts/lib/n8n-queue-host'))});
queue.startQueueN8n({ webhookProcessors: 1, workers: 1 }).then((n8n) => {
  const groups = [n8n.postgres.process.pgid, n8n.redis.process.pgid, ...n8n.processes.map((p) => p.pgid())];
  const folders = [n8n.postgres.dir, n8n.redis.dir, ...n8n.processes.map((p) => p.userFolder)];
  process.stdout.write(JSON.stringify({ groups, folders }) + '\\n');
}, (error) => { console.error(error); process.exit(1); });`;
	const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
	const started = await new Promise<{ groups: number[]; folders: string[] }>((resolve, reject) => {
		let out = '';
		child.stdout.on('data', (d) => {
			out += d;
			if (out.includes('\n')) resolve(JSON.parse(out));
		});
		child.on('exit', (code) => reject(new Error(`the harness process exited (${code}) before it was ready`)));
	});
	expect(started.groups).toHaveLength(5);
	// Every process of the groups and what left them (Postgres' backends call setsid()).
	const pids: number[] = [...(processTrees(started.groups) as Map<number, number[]>).values()].flat();
	expect(pids.length).toBeGreaterThan(10);
	expect(started.folders.every((f) => fs.existsSync(f))).toBe(true);

	child.kill('SIGKILL');
	// Nothing signals the end of processes that are not our children: look until they are gone.
	const deadline = Date.now() + 60_000;
	const left = () => ({ processes: pids.filter(alive), folders: started.folders.filter((f) => fs.existsSync(f)) });
	while ((left().processes.length > 0 || left().folders.length > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
	expect(left()).toEqual({ processes: [], folders: [] });
});
