import {
	CallbackEvent,
	LiveItem,
	episodeItem,
	finishSummary,
	createSummaryState,
	maxDurationEndEvent,
	parseErrorItem,
	resultItem,
	stallItem,
	summaryItem,
	resultOutput,
} from '../../core';

const T0 = Date.UTC(2025, 9, 22, 12, 0, 0);
const event = (extra: Partial<CallbackEvent> = {}): CallbackEvent => ({
	taskId: 't1',
	status: 0,
	text: '{"boiling_over": true}',
	timestamp: '2025-10-22T12:00:45.000Z',
	ended: false,
	...extra,
});
const BASE_KEYS = ['event', 'task_id', 'status', 'text', 'timestamp', 'ended'];

const episode = {
	id: 't1:1',
	number: 1,
	started_at: '2025-10-22T12:00:40.000Z',
	ended_at: null,
	duration_s: 5,
	windows: 2,
	first_text: 'a',
	first_fields: { boiling_over: true },
	last_text: 'b',
	last_fields: { boiling_over: true },
};

describe('item shapes', () => {
	it('a result has today\'s fields, plus its typed fields in JSON mode', () => {
		expect(resultItem(event())).toEqual(resultOutput(event()));
		expect(resultItem(event(), { boiling_over: true })).toEqual({ ...resultOutput(event()), fields: { boiling_over: true } });
		expect(resultItem(event(), null, { gap_s: 61, late: true })).toMatchObject({ gap_s: 61, late: true });
		expect(Object.keys(resultItem(event(), undefined, { late: false }))).toEqual(BASE_KEYS);
	});

	it('a parse error carries the raw answer as text and the reason', () => {
		expect(parseErrorItem(event({ text: 'I am not sure.' }), 'No JSON object found in the answer.')).toEqual({
			event: 'parse_error',
			task_id: 't1',
			status: 0,
			text: 'I am not sure.',
			timestamp: '2025-10-22T12:00:45.000Z',
			ended: false,
			reason: 'No JSON object found in the answer.',
		});
	});

	it('an episode item is dated by its window and carries the episode', () => {
		expect(episodeItem(event(), { event: 'episode_started', episode })).toEqual({
			...resultOutput(event()),
			event: 'episode_started',
			episode,
		});
		const end = maxDurationEndEvent('t1', 60, T0);
		expect(episodeItem(end, { event: 'episode_ended', episode: { ...episode, ended_at: end.timestamp }, reason: 'max_duration' })).toMatchObject({
			event: 'episode_ended',
			status: 14,
			ended: true,
			reason: 'max_duration',
		});
	});

	it('stall items say what happened and when', () => {
		const stalled = stallItem('t1', { event: 'stream_stalled', gap_s: 31, since: '2025-10-22T12:00:00.000Z', at: '2025-10-22T12:00:31.000Z' });
		expect(stalled).toEqual({
			event: 'stream_stalled',
			task_id: 't1',
			status: 0,
			text: 'No results for 31 s: the stream may be stalled (it still bills until stopped).',
			timestamp: '2025-10-22T12:00:31.000Z',
			ended: false,
			gap_s: 31,
			since: '2025-10-22T12:00:00.000Z',
		});
		expect(stallItem('t1', { event: 'stream_resumed', gap_s: 95, since: stalled.since, at: stalled.timestamp as string }).text).toBe(
			'Results arrived again after 95 s without any.',
		);
	});

	it('a summary item ends the stream and labels the estimate', () => {
		const { summary } = finishSummary(createSummaryState('t1', T0), { reason: 'credits', endedAtMs: T0 + 12000 });
		const item = summaryItem('t1', 2001, summary!);
		expect(item).toMatchObject({ event: 'stream_summary', task_id: 't1', status: 2001, ended: true, reason: 'credits', timestamp: '2025-10-22T12:00:12.000Z' });
		expect(item.text).toMatch(/\(estimate\)\.$/);
		expect(Object.keys(item.summary).filter((k) => k.startsWith('billed_'))).toEqual(['billed_seconds_estimate', 'billed_minutes_estimate', 'billed_estimate_basis']);
	});

	it('every item has the base fields and survives JSON', () => {
		const { summary } = finishSummary(createSummaryState('t1', T0), { reason: 'stopped', endedAtMs: T0 });
		const items: LiveItem[] = [
			resultItem(event(), { x: 1 }),
			parseErrorItem(event(), 'r'),
			episodeItem(event(), { event: 'episode_ongoing', episode }),
			stallItem('t1', { event: 'stream_stalled', gap_s: 1, since: 'a', at: 'b' }),
			summaryItem('t1', 14, summary!),
		];
		for (const item of items) {
			expect(Object.keys(item).slice(0, BASE_KEYS.length).sort()).toEqual([...BASE_KEYS].sort());
			expect(JSON.parse(JSON.stringify(item))).toEqual(item);
		}
	});
});
