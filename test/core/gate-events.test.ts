// The result gate with events: JSON answers (fields, parse errors), conditions, episodes, stream
// summaries and stalls, as decisions, with the memory in a store that keeps only JSON text (as a
// store shared by processes would) and a new gate per callback (as another process would be).
import fc from 'fast-check';

import {
	CallbackEvent,
	GateSettings,
	LiveItem,
	compileGateSettings,
	createMemoryGateStore,
	createResultGate,
} from '../../core';
import { jsonStore } from './json-store';
import { KITCHEN_FIELDS } from './answer-corpus';
import { thrown } from './thrown';

const T0 = Date.UTC(2025, 9, 22, 12, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

const answer = (boiling: boolean, i = 0) =>
	JSON.stringify({ boiling_over: boiling, people: i % 3, state: boiling ? 'boiling' : 'calm', note: boiling ? 'foam over the rim' : '' });

/** Frame window `i` (5 s apart), received 1.5 s after its frame. */
const windowAt = (i: number, text: string, taskId = 't1'): { event: CallbackEvent; at: number } => ({
	event: { taskId, status: 0, text, timestamp: iso(T0 + i * 5000), ended: false },
	at: T0 + i * 5000 + 1500,
});
const finalCallback = (atMs: number, status = 14, taskId = 't1'): CallbackEvent => ({ taskId, status, text: 'Stopped.', timestamp: iso(atMs), ended: true });

const BOILING = { type: 'fields' as const, combine: 'all' as const, rules: [{ field: 'boiling_over', operator: 'is_true' }] };
const json = { mode: 'json', fields: KITCHEN_FIELDS };

function settings(extra: Partial<GateSettings> = {}): GateSettings {
	return { filter: { mode: 'all' }, ignoreDuplicates: true, answerFormat: json, ...extra };
}

/** Feeds callbacks through a new gate each time (state only in the JSON store); returns every item emitted. */
function run(config: GateSettings, callbacks: Array<{ event: CallbackEvent; at: number }>, store = jsonStore()) {
	const items: LiveItem[] = [];
	for (const { event, at } of callbacks) {
		const decision = createResultGate(config, store).receive(event, at);
		if (decision.kind === 'emit') items.push(...decision.items);
	}
	return { items, store, events: items.map((i) => i.event) };
}

/** The boil script: 6 calm, 4 boiling, 1 calm flicker, 3 boiling, 8 calm, 6 boiling, 8 calm (36 windows). */
const BOIL = [...Array(6).fill(false), ...Array(4).fill(true), false, ...Array(3).fill(true), ...Array(8).fill(false), ...Array(6).fill(true), ...Array(8).fill(false)];
const script = (cycles: number) => Array.from({ length: 36 * cycles }, (_, i) => windowAt(i, answer(BOIL[i % 36], i)));

describe('answer format', () => {
	it('gives every result its typed fields', () => {
		const { items } = run(settings(), [windowAt(0, '```json\n{"boiling_over": "yes", "people": "2", "state": "Boiling", "note": null}\n```')]);
		expect(items).toEqual([
			expect.objectContaining({ event: 'result', fields: { boiling_over: true, people: 2, state: 'boiling', note: '' }, text: expect.stringContaining('```json') }),
		]);
	});

	it('sends an answer it cannot read out as a parse_error with the raw text, never as a result, in every emit mode', () => {
		for (const extra of [{}, { filter: { mode: 'changes' as const } }, { filter: { mode: 'keywords' as const, keywords: 'pan' } }, { emit: 'condition' as const, condition: BOILING }]) {
			const { items } = run(settings(extra), [windowAt(0, 'The pan is boiling over, I think.'), windowAt(1, '{"boiling_over": true, "people": 1}')]);
			expect(items).toEqual([
				{ event: 'parse_error', task_id: 't1', status: 0, text: 'The pan is boiling over, I think.', timestamp: iso(T0), ended: false, reason: 'No JSON object found in the answer.' },
				expect.objectContaining({ event: 'parse_error', reason: 'Field "state" is missing.' }),
			]);
		}
	});

	it('with parse errors off, only counts them (the summary says how many)', () => {
		const { items } = run(settings({ parseErrors: false, summary: true }), [windowAt(0, 'no idea'), windowAt(1, answer(false)), { event: finalCallback(T0 + 9000), at: T0 + 9000 }]);
		expect(items.map((i) => i.event)).toEqual(['result', 'stream_summary']);
		expect(items[1]).toMatchObject({ summary: { windows_received: 2, parse_errors: 1 } });
	});

	it('keeps text mode exactly as it was: no fields, no parse errors', () => {
		const { items } = run(settings({ answerFormat: { mode: 'text' } }), [windowAt(0, 'not JSON at all')]);
		expect(items).toEqual([{ event: 'result', task_id: 't1', status: 0, text: 'not JSON at all', timestamp: iso(T0), ended: false }]);
	});
});

describe('emit results that meet the condition', () => {
	it('passes only the windows whose fields meet the rules', () => {
		const { items } = run(settings({ emit: 'condition', condition: BOILING }), script(1));
		expect(items).toHaveLength(13);
		expect(items.every((i) => i.event === 'result' && (i as { fields: { boiling_over: boolean } }).fields.boiling_over)).toBe(true);
	});

	it('tests text conditions on the raw answer, in text mode too', () => {
		const texts = ['calm pan', 'The pan is BOILING over', 'steam'].map((t, i) => windowAt(i, t));
		const { items } = run(settings({ answerFormat: { mode: 'text' }, emit: 'condition', condition: { type: 'regex', pattern: 'boil(ing)? over' } }), texts);
		expect(items.map((i) => i.text)).toEqual(['The pan is BOILING over']);
	});
});

describe('emit episodes', () => {
	const episodes = settings({ emit: 'episodes', condition: BOILING, summary: true });

	it('emits one start and one end per real episode of the script, and the summary at the end', () => {
		const callbacks = script(2);
		const endAt = T0 + 72 * 5000;
		const { items } = run(episodes, [...callbacks, { event: finalCallback(endAt), at: endAt }]);
		expect(items.map((i) => i.event)).toEqual([...Array(4).fill(['episode_started', 'episode_ended']).flat(), 'stream_summary']);
		const [start, end] = items as Array<LiveItem & { episode: Record<string, unknown> }>;
		// Dated by frame time; the one-window flicker did not end it; it ended at the first of two calm windows.
		expect(start.episode).toMatchObject({ id: 't1:1', number: 1, started_at: iso(T0 + 6 * 5000), ended_at: null, windows: 1 });
		expect(end).toMatchObject({ reason: 'condition_cleared', episode: { ended_at: iso(T0 + 14 * 5000), windows: 7, duration_s: 40, last_fields: { boiling_over: true } } });
		expect(items[8]).toMatchObject({
			event: 'stream_summary',
			ended: true,
			status: 14,
			reason: 'stopped',
			summary: { windows_received: 72, windows_matched: 26, episodes: 4, parse_errors: 0, billed_estimate_basis: 'first_callback' },
		});
	});

	it('ends an ongoing episode with the stream (reason stream_ended), then the summary', () => {
		const callbacks = script(1).slice(0, 9); // into the first episode
		const { items } = run(episodes, [...callbacks, { event: finalCallback(T0 + 50000, 2001), at: T0 + 50000 }]);
		expect(items.map((i) => i.event)).toEqual(['episode_started', 'episode_ended', 'stream_summary']);
		expect(items[1]).toMatchObject({ reason: 'stream_ended', ended: true, status: 2001, episode: { ended_at: iso(T0 + 50000) } });
		expect(items[2]).toMatchObject({ reason: 'credits', summary: { reason: 'credits', episodes: 1 } });
	});

	it('counts a repeated delivery once, and flags a late window, which changes no episode', () => {
		const callbacks = script(1).slice(0, 16);
		const repeated = [...callbacks.slice(0, 8), callbacks[7], callbacks[6], ...callbacks.slice(8)];
		expect(run(episodes, repeated).events).toEqual(run(episodes, callbacks).events);
		// Window 3 arrives after 4–7: emitted (every result), flagged late; in episodes it changes nothing.
		const reordered = [...callbacks.slice(0, 3), ...callbacks.slice(4, 8), callbacks[3]];
		expect(run(settings({ summary: true }), reordered).items.map((i) => (i as { late?: boolean }).late)).toEqual([...Array(7).fill(undefined), true]);
		const boilLate = [...callbacks.slice(0, 6), ...callbacks.slice(7, 12), callbacks[6]];
		expect(run(episodes, boilLate).items).toEqual([expect.objectContaining({ event: 'episode_started', episode: expect.objectContaining({ started_at: iso(T0 + 7 * 5000) }) })]);
	});

	it('debounces, cools down and reminds with the options given', () => {
		// Start after 2, end after 3, a reminder every 30 s (6 windows); a cooldown of 10 minutes hides the second episode.
		const options = settings({ emit: 'episodes', condition: BOILING, episodes: { startAfterWindows: 2, endAfterWindows: 3, cooldownSeconds: 600, reminderMinutes: 0.5 } });
		const { items } = run(options, script(1));
		expect(items.map((i) => i.event)).toEqual(['episode_started', 'episode_ongoing', 'episode_ended']);
		expect(items[0]).toMatchObject({ timestamp: iso(T0 + 7 * 5000), episode: { started_at: iso(T0 + 6 * 5000), windows: 2 } });
		expect(items[1]).toMatchObject({ timestamp: iso(T0 + 12 * 5000), episode: { ended_at: null, duration_s: 30 } });
		expect(items[2]).toMatchObject({ episode: { ended_at: iso(T0 + 14 * 5000) } });
	});

	it('applies nothing after the stream ended: a late result does not start an episode again', () => {
		const store = jsonStore();
		run(episodes, [...script(1).slice(0, 8), { event: finalCallback(T0 + 40000), at: T0 + 40000 }], store);
		expect(JSON.parse(store.entries.get('t1')!)).toEqual({ seen: expect.any(Array), ended: true });
		expect(run(episodes, [windowAt(9, answer(true))], store).items).toEqual([]);
	});

	it('refuses settings that cannot work, naming the field', () => {
		const bad: Array<[Partial<GateSettings>, string, RegExp]> = [
			[{ answerFormat: { mode: 'json', fields: [KITCHEN_FIELDS[0], KITCHEN_FIELDS[0]] } }, 'Fields', /Name "boiling_over" is used twice/],
			[{ answerFormat: { mode: 'json', fields: [{ name: '', type: 'boolean' }] } }, 'Fields', /Name is empty/],
			[{ answerFormat: { mode: 'json', fields: [{ name: 'x', type: 'date' }] } }, 'Fields', /Type "date" is not known/],
			[{ condition: { type: 'fields', rules: [{ field: 'smoke', operator: 'is_true' }] } }, 'Conditions', /"smoke" is not a declared field/],
			[{ answerFormat: { mode: 'text' } }, 'Conditions', /need the answer format "JSON fields"/],
			[{ episodes: { startAfterWindows: 0 } }, 'Start After (Windows)', /from 1 to 100/],
			[{ episodes: { endAfterWindows: 101 } }, 'End After (Windows)', /from 1 to 100/],
			[{ episodes: { cooldownSeconds: -5 } }, 'Cooldown (Seconds)', /0 to 86400/],
			[{ episodes: { reminderMinutes: 2000 } }, 'Reminder Every (Minutes)', /0 to 1440/],
			[{ stall: { seconds: 3, report: 'events' } }, 'Stalled After (Seconds)', /from 10 to 86400/],
			[{ condition: undefined }, 'Conditions', /Set the condition/],
		];
		for (const [extra, field, message] of bad) {
			const error = thrown(() => compileGateSettings({ ...episodes, ...extra }));
			expect([error.field, error.message]).toEqual([field, expect.stringMatching(message)]);
			expect(() => createResultGate({ ...episodes, ...extra }, createMemoryGateStore())).toThrow(message);
		}
	});

	it('results do not depend on repeated deliveries or the order of windows older than those applied (property)', () => {
		fc.assert(
			fc.property(
				fc.array(fc.boolean(), { minLength: 1, maxLength: 60 }),
				fc.array(fc.nat(), { maxLength: 20 }),
				(boiling, repeats) => {
					const callbacks = boiling.map((b, i) => windowAt(i, answer(b, i)));
					const base = run(episodes, callbacks).items;
					// Each repeat goes in after a delivery of the same window (the API may deliver twice, not before the first time).
					const noisy = [...callbacks];
					for (const r of repeats) {
						const at = (r % noisy.length) + 1;
						noisy.splice(at, 0, noisy[r % at]);
					}
					const items = run(episodes, noisy).items;
					// A repeat of a window already applied never counts twice: the same episodes, started and ended once each.
					expect(items.map((i) => `${i.event}:${(i as { episode?: { id: string } }).episode?.id}`)).toEqual(
						base.map((i) => `${i.event}:${(i as { episode?: { id: string } }).episode?.id}`),
					);
				},
			),
			{ numRuns: 200 },
		);
	});
});

describe('stream ends', () => {
	it('without summaries, emits the stream_ended item as before (after the episode end)', () => {
		const { items } = run(settings({ emit: 'episodes', condition: BOILING }), [...script(1).slice(0, 8), { event: finalCallback(T0 + 40000, -1), at: T0 + 40000 }]);
		expect(items.map((i) => i.event)).toEqual(['episode_started', 'episode_ended', 'stream_ended']);
		expect(items[2]).toEqual({ event: 'stream_ended', task_id: 't1', status: -1, text: 'Stopped.', timestamp: iso(T0 + 40000), ended: true });
	});

	it('reports the maximum duration in the summary, with the billed estimate from the start', () => {
		const store = jsonStore();
		const config = settings({ emit: 'episodes', condition: BOILING, summary: true });
		const owned = { taskId: 't1', startedAt: T0 - 2000, maxDurationMinutes: 1 };
		const gate = () => createResultGate(config, store);
		for (const { event, at } of script(1).slice(0, 9)) gate().receive(event, at, owned);
		const late = windowAt(13, answer(true));
		const decision = gate().receive(late.event, T0 + 61000, owned);
		expect(decision).toEqual({ kind: 'stop', taskId: 't1', reason: 'max_duration', stopAt: T0 - 2000 + 60000, maxDurationMinutes: 1 });
		if (decision.kind !== 'stop') throw new Error('expected a stop');
		const after = gate().stopped(decision, 'stopped', T0 + 62000);
		expect(after.kind === 'emit' && after.items.map((i) => i.event)).toEqual(['episode_ended', 'stream_summary']);
		expect(after.kind === 'emit' && after.items[1]).toMatchObject({
			reason: 'max_duration',
			summary: { reason: 'max_duration', billed_estimate_basis: 'start_request', billed_seconds_estimate: 65, started_at: iso(T0 - 2000) },
		});
		// A final callback after our stop reports nothing twice.
		expect(gate().receive(finalCallback(T0 + 63000), T0 + 63000, owned)).toEqual({ kind: 'none', reason: 'not_running' });
	});

	it('sends the summary once when the host stopped the stream itself (stop node, budget)', () => {
		const store = jsonStore();
		const config = settings({ summary: true, emit: 'episodes', condition: BOILING });
		createResultGate(config, store).started('t1', T0 - 1000);
		run(config, script(1).slice(0, 8), store);
		const first = createResultGate(config, store).ended('t1', 'budget', T0 + 45000);
		expect(first.kind === 'emit' && first.items.map((i) => [i.event, i.reason])).toEqual([
			['episode_ended', 'stream_ended'],
			['stream_summary', 'budget'],
		]);
		expect(createResultGate(config, store).ended('t1', 'stopped', T0 + 46000)).toEqual({ kind: 'none', reason: 'not_running' });
		expect(createResultGate(config, store).ended('unknown', 'stopped', T0)).toEqual({ kind: 'none', reason: 'not_running' });
		// Without summaries and episodes a host's stop adds nothing (the stop's own output confirms it).
		expect(createResultGate(settings(), createMemoryGateStore()).ended('t1', 'stopped', T0)).toEqual({ kind: 'none', reason: 'not_running' });
	});
});

describe('stalls', () => {
	it('with a host timer: stream_stalled once after the limit, stream_resumed with the next callback', () => {
		const store = jsonStore();
		const gate = () => createResultGate(settings({ stall: { seconds: 30, report: 'events' } }), store);
		gate().started('t1', T0);
		expect(gate().stallDueAt('t1')).toBe(T0 + 30000);
		expect(gate().checkStall('t1', T0 + 29000)).toEqual({ kind: 'none', reason: 'not_stalled' });
		const stalled = gate().checkStall('t1', T0 + 31000);
		expect(stalled).toEqual({
			kind: 'emit',
			items: [{ event: 'stream_stalled', task_id: 't1', status: 0, text: expect.stringMatching(/^No results for 31 s/), timestamp: iso(T0 + 31000), ended: false, gap_s: 31, since: iso(T0) }],
		});
		expect(gate().checkStall('t1', T0 + 40000)).toEqual({ kind: 'none', reason: 'not_stalled' });
		expect(gate().stallDueAt('t1')).toBeNull();
		const next = windowAt(8, answer(false));
		const resumed = gate().receive(next.event, T0 + 45000);
		expect(resumed.kind === 'emit' && resumed.items.map((i) => i.event)).toEqual(['stream_resumed', 'result']);
		expect(gate().stallDueAt('t1')).toBe(T0 + 75000);
		gate().receive(finalCallback(T0 + 46000), T0 + 46000);
		expect(gate().checkStall('t1', T0 + 99000)).toEqual({ kind: 'none', reason: 'not_running' });
	});

	it('a receiver set up while the stream runs watches it from then, not from its start', () => {
		const store = jsonStore();
		const gate = createResultGate(settings({ stall: { seconds: 30, report: 'events' }, summary: true }), store);
		gate.started('t1', T0 - 3600000, T0);
		expect(gate.stallDueAt('t1')).toBe(T0 + 30000);
		expect(gate.checkStall('t1', T0 + 1000)).toEqual({ kind: 'none', reason: 'not_stalled' });
		const end = gate.ended('t1', 'stopped', T0 + 2000);
		expect(end.kind === 'emit' && end.items[0]).toMatchObject({ event: 'stream_summary', summary: { started_at: iso(T0 - 3600000), billed_estimate_basis: 'start_request' } });
	});

	it('without a timer: the gap on the next item, when it reached the limit', () => {
		const { items } = run(settings({ stall: { seconds: 30, report: 'gap' } }), [windowAt(0, answer(false)), windowAt(1, answer(false)), windowAt(12, answer(false))]);
		expect(items.map((i) => (i as { gap_s?: number }).gap_s)).toEqual([undefined, undefined, 55]);
	});
});

describe('memory', () => {
	it('stays bounded whatever the number of callbacks, and is reduced at the end', () => {
		const store = jsonStore();
		const config = settings({ emit: 'episodes', condition: BOILING, summary: true, stall: { seconds: 30, report: 'events' } });
		const long = 'x'.repeat(5000);
		let largest = 0;
		for (let i = 0; i < 3000; i++) {
			const boiling = BOIL[i % 36];
			const { event, at } = windowAt(i, JSON.stringify({ boiling_over: boiling, people: 1, state: 'calm', note: long }));
			createResultGate(config, store).receive(event, at);
			largest = Math.max(largest, store.entries.get('t1')!.length);
		}
		expect(largest).toBeLessThan(16000);
		createResultGate(config, store).receive(finalCallback(T0 + 3000 * 5000), T0 + 3000 * 5000);
		expect(store.entries.get('t1')!.length).toBeLessThan(4000);
	});
});
