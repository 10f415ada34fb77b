// `npm run demo:n8n` as a new user runs it: a real n8n with the package installed as a community package, the
// example "alert once when the pan boils over" active against the sandbox's scripted kitchen: the stream's start,
// one line per episode start and end (not one per window) and, when the source ends, the stream's summary; SIGINT to
// the npm process alone deactivates the workflow, stops n8n and the sandbox, and leaves no process and no task.
import fs from 'fs';
import path from 'path';

import { scenario } from '../../../sandbox/src';
import { freePort } from '../../../scripts/lib/ports';
import { EPISODE_ENDED_LINE, EPISODE_STARTED_LINE, STREAM_STARTED_LINE, SUMMARY_LINE, expectEpisodesOf, lines, listening, processesMentioning, startDemo, stopDemosLeftRunning } from '../support/demo';

jest.setTimeout(15 * 60 * 1000);

const EXAMPLE = path.join(__dirname, '../../../examples/n8n/alert-once-pan-boils-over.json');
const trigger = (JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')) as { nodes: Array<{ type: string; parameters: Record<string, number> }> }).nodes.find((n) =>
	n.type.endsWith('.memoriesLiveVideoTrigger'),
)!.parameters;

afterEach(stopDemosLeftRunning);

it('prints episodes, the summary when the source ends, and stops everything on SIGINT to npm alone', async () => {
	const n8nPort = await freePort();
	const demo = startDemo('demo:n8n', { N8N_PORT: String(n8nPort), DEMO_SANDBOX_PORT: '0', DEMO_INTERVAL_MS: '300' });
	await demo.waitFor(STREAM_STARTED_LINE, 1, 0, 12 * 60_000); // a first run installs the host first
	await demo.waitFor(EPISODE_ENDED_LINE);
	const output = demo.output();
	expect(output).toMatch(/service: the local sandbox at http:\/\/127\.0\.0\.1:(\d+)/);
	expect(output).toContain('camera: rtmp://camera.example.com/live/kitchen?scenario=boil');
	const sandbox = output.match(/local sandbox at (http:\/\/127\.0\.0\.1:(\d+))/)!;
	expect(output).toContain(`editor: http://127.0.0.1:${n8nPort}/workflow/mlvExampleAlertOnce`);
	expect(output).toMatch(/log in as \S+@\S+ \/ \S+/);
	expect(output).toMatch(/installed as a community package/);
	expect(processesMentioning(`N8N_PORT=${n8nPort}`).length).toBeGreaterThan(0);
	const [[task]] = lines(STREAM_STARTED_LINE, output);
	expect(lines(EPISODE_STARTED_LINE, output)).toEqual([[task, '1']]);
	expect(output.indexOf('episode 1 started')).toBeLessThan(output.indexOf('episode 1 ended'));

	// The camera's stream ends (the sandbox's source end): the trigger emits the stream's summary.
	const state = (await (await fetch(`${sandbox[1]}/_sandbox/state`)).json()) as { tasks: Array<{ taskId: string; state: string }> };
	const runningTasks = state.tasks.filter((t) => t.state === 'running');
	expect(runningTasks.map((t) => t.taskId.slice(0, 8))).toEqual([task]);
	const end = await fetch(`${sandbox[1]}/_sandbox/tasks/${encodeURIComponent(runningTasks[0].taskId)}/end`, { method: 'POST', body: '{}' });
	expect(end.status).toBe(200);
	await demo.waitFor(SUMMARY_LINE);
	const ended = demo.output();
	expect(lines(SUMMARY_LINE, ended)[0].slice(0, 2)).toEqual([task, 'source_ended']);
	const seen = expectEpisodesOf(ended, task, scenario('boil')!, {
		startAfter: trigger.startAfterWindows,
		endAfter: trigger.endAfterWindows,
		cooldownWindows: trigger.cooldownSeconds / 5, // the example's seconds at 5 s windows
	});
	// Episodes, not a line per window (nor an execution per window): start, episode starts and ends, summary, end.
	const taskLines = ended.split('\n').filter((line) => line.includes(`${task}…`));
	await demo.waitFor(new RegExp(`stream ${task}… ended \\(source_ended\\)\\.`));
	expect(demo.output().split('\n').filter((line) => line.includes(`${task}…`))).toHaveLength(1 + 2 * seen.episodes + 1 + 1);
	expect(seen.windows).toBeGreaterThan(taskLines.length);

	demo.npm.kill('SIGINT'); // npm alone, not its process group
	expect(await demo.exited).toBe(0);
	expect(demo.output()).toMatch(/deactivating the workflow \(its trigger stops the stream\)…\nstopping n8n…\nstreams still running in the sandbox: 0\nstopped\./);
	expect(await listening(n8nPort)).toBe(false);
	expect(await listening(Number(sandbox[2]))).toBe(false);
	expect(processesMentioning(`N8N_PORT=${n8nPort}`)).toEqual([]);
	expect(demo.output()).not.toContain('sk-demo-sandbox-key');
});
