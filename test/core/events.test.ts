// The modules together, as a result gate will use them: one kitchen stream, every callback
// reloading the per-stream state from JSON (as n8n static data or a shared database would).
import {
	CallbackEvent,
	LiveItem,
	compileAnswerReader,
	compileCondition,
	createEpisodeState,
	createSummaryState,
	endEpisodes,
	episodeItem,
	finishSummary,
	parseErrorItem,
	recordSummaryWindow,
	resultItem,
	reviveEpisodeState,
	reviveSummaryState,
	stepEpisodes,
	streamEndReason,
	summaryItem,
	validateAnswerFields,
	validateEpisodeOptions,
	windowTimeMs,
} from '../../core';
import { KITCHEN_FIELDS } from './answer-corpus';

const T0 = Date.UTC(2025, 9, 22, 12, 0, 0);
const fields = validateAnswerFields(KITCHEN_FIELDS);
const reader = compileAnswerReader(fields);
const condition = compileCondition({ type: 'fields', combine: 'all', rules: [{ field: 'boiling_over', operator: 'is_true' }] }, fields);
const options = validateEpisodeOptions({ startAfterWindows: 2, endAfterWindows: 3, cooldownSeconds: 60 });

/** The answer of frame `i` in a script of "calm" / "boil" / "garbled" windows. */
function answerOf(kind: string, i: number): string {
	if (kind === 'garbled') return 'The pan is… I cannot tell.';
	const boiling = kind === 'boil';
	const object = { boiling_over: boiling, people: i % 3, state: boiling ? 'boiling' : 'calm', note: boiling ? 'foam over the rim' : '' };
	return i % 4 === 0 ? '```json\n' + JSON.stringify(object, null, 2) + '\n```' : JSON.stringify(object);
}

type Mode = 'every_result' | 'condition' | 'episodes';

/** What a receiver emits for a script, in each mode. */
function receive(script: string[], mode: Mode) {
	const items: LiveItem[] = [];
	let stored = JSON.stringify({ episodes: createEpisodeState('t1'), summary: createSummaryState('t1', T0 - 2000) });
	const callbacks: CallbackEvent[] = script.map((kind, i) => ({
		taskId: 't1',
		status: 0,
		text: answerOf(kind, i),
		timestamp: new Date(T0 + i * 5000).toISOString(),
		ended: false,
	}));
	// a repeated delivery and a late one, as the API may do
	callbacks.splice(12, 0, callbacks[10]);
	callbacks.splice(30, 0, ...callbacks.splice(25, 1));
	for (const [n, event] of callbacks.entries()) {
		const receivedAt = T0 + n * 5000 + 1500;
		const loaded = JSON.parse(stored);
		let episodes = reviveEpisodeState(loaded.episodes, 't1');
		let summary = reviveSummaryState(loaded.summary, 't1');
		const reading = reader.read(event.text);
		const matched = reading.ok ? condition.matches({ text: event.text, fields: reading.fields }) : null;
		const counted = recordSummaryWindow(summary, { timestamp: event.timestamp, receivedAt, matched, parseError: !reading.ok });
		summary = counted.state;
		const step = stepEpisodes(episodes, { timestamp: event.timestamp, receivedAt, matched, text: event.text, fields: reading.ok ? reading.fields : null }, options);
		episodes = step.state;
		if (step.order !== 'duplicate') {
			if (!reading.ok) items.push(parseErrorItem(event, reading.reason));
			else if (mode === 'every_result' || (mode === 'condition' && matched)) items.push(resultItem(event, reading.fields, { late: step.order === 'late' }));
			if (mode === 'episodes') items.push(...step.events.map((t) => episodeItem(event, t)));
		}
		stored = JSON.stringify({ episodes, summary });
	}
	const final: CallbackEvent = { taskId: 't1', status: 14, text: 'stopped', timestamp: null, ended: true };
	const endedAt = T0 + callbacks.length * 5000 + 1500;
	const loaded = JSON.parse(stored);
	const reason = streamEndReason(final.status);
	const end = endEpisodes(reviveEpisodeState(loaded.episodes, 't1'), reason, windowTimeMs(final.timestamp, endedAt));
	if (mode === 'episodes') items.push(...end.events.map((t) => episodeItem(final, t)));
	const done = finishSummary(reviveSummaryState(loaded.summary, 't1'), { reason, endedAtMs: endedAt, episodes: end.state.started });
	items.push(summaryItem('t1', final.status, done.summary!));
	return items;
}

/** Calm, boiling with one flicker, calm, a garbled answer, boiling again until the stop. */
const SCRIPT = [
	...Array(20).fill('calm'),
	...['boil', 'boil', 'boil', 'calm', 'boil', 'boil', 'boil', 'boil'],
	...Array(15).fill('calm'),
	'garbled',
	...Array(5).fill('calm'),
	...Array(6).fill('boil'),
];

describe('the kitchen stream, end to end through the core', () => {
	it('emits one start and one end per occurrence, a parse error, and the summary', () => {
		const items = receive(SCRIPT, 'episodes');
		expect(items.map((i) => i.event)).toEqual(['episode_started', 'episode_ended', 'parse_error', 'episode_started', 'episode_ended', 'stream_summary']);
		const [firstStart, firstEnd, , secondStart, secondEnd, summary] = items as Array<LiveItem & Record<string, any>>;
		expect(firstStart.episode).toMatchObject({ id: 't1:1', started_at: new Date(T0 + 20 * 5000).toISOString(), windows: 2 });
		expect(firstStart.text).toContain('"boiling_over":true');
		// the flicker did not end it; three calm windows did. The late window did not count.
		expect(firstEnd).toMatchObject({ reason: 'condition_cleared', episode: { windows: 6, last_fields: { state: 'boiling' } } });
		expect(secondStart.episode.number).toBe(2);
		expect(secondEnd).toMatchObject({ reason: 'stopped', ended: true, status: 14 });
		expect(summary.summary).toMatchObject({
			reason: 'stopped',
			windows_received: SCRIPT.length,
			windows_matched: 13,
			episodes: 2,
			parse_errors: 1,
			late_windows: 1,
			duplicate_windows: 1,
			billed_estimate_basis: 'start_request',
		});
		expect(summary.summary.billed_seconds_estimate % 5).toBe(0);
	});

	it('cuts an hour of results to a handful of items', () => {
		// 720 windows: three boil-overs of 2 minutes in an hour of calm
		const hour = Array.from({ length: 720 }, (_, i) => ((i >= 100 && i < 124) || (i >= 400 && i < 424) || (i >= 650 && i < 674) ? 'boil' : 'calm'));
		const every = receive(hour, 'every_result').length;
		const matching = receive(hour, 'condition').length;
		const episodes = receive(hour, 'episodes');
		expect(every).toBe(720 + 1); // each window once (the late one too), and the summary
		expect(matching).toBe(72 + 1);
		expect(episodes.map((i) => i.event)).toEqual([...Array(3).fill(['episode_started', 'episode_ended']).flat(), 'stream_summary']);
		expect(every / episodes.length).toBeGreaterThan(100);
	});
});
