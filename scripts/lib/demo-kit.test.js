'use strict';
// What the demos print for each item their host's flow POSTs (formatResult), fed with items the core itself makes,
// the same in n8n and Node-RED: the stream's start and stop, episodes, the summary, stalls, unreadable answers,
// results.
const { formatResult } = require('./demo-kit');
const { createEpisodeState, endEpisodes, stepEpisodes, validateEpisodeOptions } = require('../../core/episodes');
const { episodeItem, parseErrorItem, resultItem, stallItem, summaryItem } = require('../../core/items');
const { startOutput, stopOutput } = require('../../core/outputs');
const { createSummaryState, finishSummary, recordSummaryWindow } = require('../../core/summary');

const TASK = '5f0c2a9e-1b7d-4c3e-9a55-4a1f6c000001';
const T0 = Date.parse('2026-12-01T12:00:40Z');
const clock = (ms) => new Date(ms).toTimeString().slice(0, 8);
const LINE_START = /^\d\d:\d\d:\d\d {2}/;

/** Frame windows 5 s apart, boiling over (true) or calm (false), through the core's episode machine and summary. */
function run(windows, options = {}) {
	const settings = validateEpisodeOptions({ startAfterWindows: 1, endAfterWindows: 2, ...options });
	let episodes = createEpisodeState(TASK);
	let summary = createSummaryState(TASK, T0);
	const items = [];
	windows.forEach((boiling, i) => {
		const at = T0 + (i + 1) * 5000;
		const fields = { boiling_over: boiling, state: boiling ? 'boiling' : 'calm', note: boiling ? 'Foam spills onto the stove.' : 'Still.' };
		const event = { taskId: TASK, status: 0, text: JSON.stringify(fields), timestamp: new Date(at).toISOString(), ended: false };
		const step = stepEpisodes(episodes, { timestamp: event.timestamp, receivedAt: at, matched: boiling, text: event.text, fields }, settings);
		episodes = step.state;
		summary = recordSummaryWindow(summary, { timestamp: event.timestamp, receivedAt: at, matched: boiling }).state;
		items.push(...step.events.map((t) => episodeItem(event, t)));
	});
	const endAt = T0 + (windows.length + 1) * 5000;
	const end = { taskId: TASK, status: 14, text: 'stopped', timestamp: new Date(endAt).toISOString(), ended: true };
	const ended = endEpisodes(episodes, 'stream_ended', endAt);
	items.push(...ended.events.map((t) => episodeItem(end, t)));
	items.push(summaryItem(TASK, 14, finishSummary(summary, { reason: 'stopped', endedAtMs: endAt, episodes: ended.state.started }).summary));
	return items.map((item) => formatResult(JSON.parse(JSON.stringify(item))));
}

it('prints one line per episode start and end, with the first fields and the frame times', () => {
	const lines = run([false, true, true, false, false, false, true]);
	expect(lines[0]).toMatch(LINE_START);
	expect(lines[0].slice(10)).toBe(`5f0c2a9e…  episode 1 started at ${clock(T0 + 10000)} — boiling_over=true, state=boiling, note="Foam spills onto the stove."`);
	expect(lines[1].slice(10)).toBe(`5f0c2a9e…  episode 1 ended at ${clock(T0 + 20000)} after 10 s, 2 windows (calm again)`);
	expect(lines[2].slice(10)).toMatch(/^5f0c2a9e… {2}episode 2 started at /);
	expect(lines[3].slice(10)).toBe(`5f0c2a9e…  episode 2 ended at ${clock(T0 + 40000)} after 5 s, 1 window (the stream ended)`);
});

it('prints the summary: windows, matched, episodes and the billed estimate', () => {
	const lines = run([false, true, true, false, false, false, true]);
	// 7 windows from the start request to the stop at 40 s: 40 s billed, 0.67 min (estimate).
	expect(lines[4].slice(10)).toBe('5f0c2a9e…  summary (stopped): 7 windows, 3 matched, 2 episodes; billed ≈ 40 s = 0.67 min (estimate)');
});

it('prints reminders while an episode goes on', () => {
	const lines = run([true, ...Array(13).fill(true)], { reminderMinutes: 1 });
	expect(lines.find((l) => l.includes('ongoing'))?.slice(10)).toBe('5f0c2a9e…  episode 1 ongoing for 60 s (13 windows) — boiling_over=true, state=boiling, note="Foam spills onto the stove."');
});

it('prints the start, the stop, results, unreadable answers and stalls', () => {
	const started = startOutput({ taskId: TASK, startedAt: T0, params: { rtmpUrl: 'rtmp://cam/live/kitchen?scenario=boil', userPrompt: 'p', systemPrompt: 's', callbackUrl: 'http://h/cb?token=abc', thinking: false } });
	expect(formatResult(started).slice(10)).toBe('stream 5f0c2a9e… started: rtmp://cam/live/kitchen?scenario=boil');
	expect(formatResult(stopOutput({ taskId: TASK, outcome: 'stopped' })).slice(10)).toBe('stream 5f0c2a9e… Stopped: no more results will arrive and billing has ended.');
	const event = { taskId: TASK, status: 0, text: 'A pan of water sits on the stove.', timestamp: new Date(T0).toISOString(), ended: false };
	expect(formatResult(resultItem(event)).slice(10)).toBe('5f0c2a9e…  A pan of water sits on the stove.');
	expect(formatResult(resultItem(event, { boiling_over: false, state: 'calm' })).slice(10)).toBe('5f0c2a9e…  boiling_over=false, state=calm');
	expect(formatResult(parseErrorItem({ ...event, text: '{"boiling_over": tr' }, 'not a JSON object')).slice(10)).toBe('5f0c2a9e…  could not read the answer (not a JSON object): {"boiling_over": tr');
	const stalled = stallItem(TASK, { event: 'stream_stalled', gap_s: 30, since: new Date(T0).toISOString(), at: new Date(T0 + 30000).toISOString() });
	expect(formatResult(stalled).slice(10)).toBe(`5f0c2a9e…  ${stalled.text}`);
	expect(formatResult({ ...resultItem(event), event: 'stream_ended', status: 14, ended: true, text: 'Stopped.' }).slice(10)).toBe('stream 5f0c2a9e… ended (status 14) Stopped.');
	expect(formatResult({ no: 'task' })).toBeNull();
});
