// The result gate: filters, duplicates, stream ends and the maximum duration, as decisions, with
// its memory in a store of plain JSON.
import {
	CallbackEvent,
	DELIVERIES_REMEMBERED,
	FilterOptions,
	InputError,
	compileFilter,
	createMemoryGateStore,
	createResultGate,
	parseKeywords,
	parseRegex,
} from '../../core';
import { jsonStore } from './json-store';

const event = (text: string, extra: Partial<CallbackEvent> = {}): CallbackEvent => ({
	taskId: 't1',
	status: 0,
	text,
	timestamp: '2025-01-01T00:00:00.000Z',
	ended: false,
	...extra,
});

/** The gate as a plain filter: does it emit the event? */
function filterOf(options: FilterOptions, maxStreams?: number) {
	const gate = createResultGate({ filter: options, ignoreDuplicates: false }, createMemoryGateStore(maxStreams));
	return { accepts: (e: CallbackEvent) => gate.receive(e, 0).kind === 'emit' };
}

/** The gate as a duplicate guard: does it drop the event as one seen before? */
function guardOf() {
	const gate = createResultGate({ filter: { mode: 'all' }, ignoreDuplicates: true }, createMemoryGateStore());
	return {
		isDuplicate: (e: CallbackEvent) => {
			const decision = gate.receive(e, 0);
			return decision.kind === 'none' && decision.reason === 'duplicate';
		},
	};
}

describe('result filters', () => {
	it('passes everything in "all"', () => {
		const filter = filterOf({ mode: 'all' });
		expect(filter.accepts(event('a'))).toBe(true);
	});

	it('passes only changed text per task in "changes", ignoring whitespace', () => {
		const filter = filterOf({ mode: 'changes' });
		const seen = ['calm', 'calm ', ' calm', 'pan boils', 'pan boils', 'calm'].map((t) => filter.accepts(event(t)));
		expect(seen).toEqual([true, false, false, true, false, true]);
		expect(filter.accepts(event('calm', { taskId: 't2' }))).toBe(true);
	});

	it('always passes ended events and forgets the task', () => {
		const filter = filterOf({ mode: 'changes' });
		filter.accepts(event('calm'));
		expect(filter.accepts(event('', { ended: true, status: 14 }))).toBe(true);
		expect(filter.accepts(event('calm'))).toBe(true);
		const keywords = filterOf({ mode: 'keywords', keywords: 'fire' });
		expect(keywords.accepts(event('nothing', { ended: true, status: 2001 }))).toBe(true);
	});

	it('bounds the tasks "changes" remembers', () => {
		const filter = filterOf({ mode: 'changes' }, 2);
		filter.accepts(event('a', { taskId: '1' }));
		filter.accepts(event('a', { taskId: '2' }));
		filter.accepts(event('a', { taskId: '3' }));
		expect(filter.accepts(event('a', { taskId: '1' }))).toBe(true); // forgotten, so "new"
		expect(filter.accepts(event('a', { taskId: '3' }))).toBe(false);
	});

	it('matches any keyword, case-insensitively unless asked', () => {
		const filter = filterOf({ mode: 'keywords', keywords: ' smoke, Boiling Over ,, ' });
		expect(filter.accepts(event('The pan is BOILING OVER'))).toBe(true);
		expect(filter.accepts(event('all calm'))).toBe(false);
		const strict = filterOf({ mode: 'keywords', keywords: ['Smoke'], caseSensitive: true });
		expect(strict.accepts(event('smoke'))).toBe(false);
		expect(strict.accepts(event('Smoke'))).toBe(true);
		expect(parseKeywords(' a ,b,, ')).toEqual(['a', 'b']);
	});

	it('refuses an empty keyword list', () => {
		expect(() => filterOf({ mode: 'keywords', keywords: ' , ' })).toThrow(InputError);
	});

	it('matches regular expressions in both notations', () => {
		expect(filterOf({ mode: 'regex', pattern: 'boil(ing|ed)? over' }).accepts(event('Boiling over!'))).toBe(true);
		expect(filterOf({ mode: 'regex', pattern: '/^Smoke/' }).accepts(event('smoke'))).toBe(false);
		expect(filterOf({ mode: 'regex', pattern: '/^smoke/i' }).accepts(event('Smoke'))).toBe(true);
		expect(parseRegex('/a/ii').flags).toBe('i');
	});

	it('explains an invalid regular expression', () => {
		expect(() => parseRegex('boil(ing')).toThrow(/Regular Expression is not valid \(.*\)\. Example:/);
		expect(() => parseRegex('/x/g')).toThrow(/flags may only be i, m, s and u/);
		expect(() => parseRegex('  ')).toThrow(/Regular Expression is empty/);
	});

	it('refuses an unknown mode', () => {
		expect(() => filterOf({ mode: 'sometimes' as never })).toThrow(/Unknown filter "sometimes"/);
	});
});

describe('duplicate guard', () => {
	it('drops the same task, timestamp and status once seen', () => {
		const guard = guardOf();
		expect(guard.isDuplicate(event('a'))).toBe(false);
		expect(guard.isDuplicate(event('b'))).toBe(true);
		expect(guard.isDuplicate(event('a', { timestamp: '2025-01-01T00:00:05.000Z' }))).toBe(false);
		expect(guard.isDuplicate(event('a', { taskId: 't2' }))).toBe(false);
		expect(guard.isDuplicate(event('a', { status: 14, ended: true }))).toBe(false);
	});

	it('cannot tell events without timestamps apart, so passes them', () => {
		const guard = guardOf();
		expect(guard.isDuplicate(event('a', { timestamp: null }))).toBe(false);
		expect(guard.isDuplicate(event('a', { timestamp: null }))).toBe(false);
	});

	it('remembers at most DELIVERIES_REMEMBERED deliveries per stream', () => {
		const guard = guardOf();
		const at = (i: number) => event('x', { timestamp: new Date(Date.UTC(2025, 0, 1) + i * 5000).toISOString() });
		for (let i = 0; i <= DELIVERIES_REMEMBERED; i++) guard.isDuplicate(at(i));
		expect(guard.isDuplicate(at(0))).toBe(false); // evicted
		expect(guard.isDuplicate(at(DELIVERIES_REMEMBERED))).toBe(true);
	});
});


describe('compileFilter', () => {
	it('checks settings without any memory: the editor and activation use it', () => {
		expect(compileFilter({ mode: 'keywords', keywords: 'smoke' }).passes('Smoke!', undefined)).toBe(true);
		expect(() => compileFilter({ mode: 'regex', pattern: '(' })).toThrow(InputError);
		expect(() => createResultGate({ filter: { mode: 'keywords', keywords: '' }, ignoreDuplicates: true }, createMemoryGateStore())).toThrow(
			/Keywords is empty/,
		);
	});
});

describe('decisions', () => {
	const settings = { filter: { mode: 'all' as const }, ignoreDuplicates: true };
	const owned = { taskId: 't1', startedAt: 0, maxDurationMinutes: 1 };

	it('emits results and stream ends in the documented shape', () => {
		const gate = createResultGate(settings, createMemoryGateStore());
		expect(gate.receive(event('hi'), 0)).toEqual({
			kind: 'emit',
			items: [{ event: 'result', task_id: 't1', status: 0, text: 'hi', timestamp: '2025-01-01T00:00:00.000Z', ended: false }],
		});
		expect(gate.receive(event('', { status: 14, ended: true }), 0)).toEqual({
			kind: 'emit',
			items: [{ event: 'stream_ended', task_id: 't1', status: 14, text: '', timestamp: '2025-01-01T00:00:00.000Z', ended: true }],
		});
	});

	it('says to stop a task the owner did not start (its secret, another task), and emits nothing for it', () => {
		const gate = createResultGate(settings, createMemoryGateStore());
		expect(gate.receive(event('x', { taskId: 'lost-start' }), 0, owned)).toEqual({ kind: 'stop', taskId: 'lost-start', reason: 'not_owned' });
		expect(gate.stopped({ taskId: 'lost-start', reason: 'not_owned' }, 'stopped', 0)).toEqual({ kind: 'none', reason: 'not_running' });
		expect(gate.receive(event('x'), 59999, owned).kind).toBe('emit');
	});

	it('says to stop an owned stream past its maximum duration; only a stop that ended it is reported', () => {
		const gate = createResultGate(settings, createMemoryGateStore());
		const decision = gate.receive(event('late'), 60000, owned);
		expect(decision).toEqual({ kind: 'stop', taskId: 't1', reason: 'max_duration', stopAt: 60000, maxDurationMinutes: 1 });
		if (decision.kind !== 'stop') throw new Error('expected a stop');
		expect(gate.stopped(decision, 'not_found', 60001)).toEqual({ kind: 'none', reason: 'not_running' });
		expect(gate.stopped(decision, 'stopped', Date.UTC(2025, 0, 1))).toEqual({
			kind: 'emit',
			items: [
				{
					event: 'stream_ended',
					task_id: 't1',
					status: 14,
					text: 'Stopped after the maximum duration of 1 minute.',
					timestamp: '2025-01-01T00:00:00.000Z',
					ended: true,
					reason: 'max_duration',
				},
			],
		});
		// The stream's own end still passes after the time is up.
		expect(gate.receive(event('', { status: 14, ended: true, timestamp: null }), 120000, owned).kind).toBe('emit');
	});

	it('without an owned stream, ignores the maximum duration and never says stop', () => {
		const gate = createResultGate(settings, createMemoryGateStore());
		expect(gate.receive(event('x', { taskId: 'any' }), 10 ** 12).kind).toBe('emit');
	});
});

describe('memory', () => {
	it('is plain JSON in the host\'s store: a gate over the same store (another process) remembers', () => {
		const store = jsonStore();
		const settings = { filter: { mode: 'changes' as const }, ignoreDuplicates: true };
		expect(createResultGate(settings, store).receive(event('calm'), 0).kind).toBe('emit');
		const other = createResultGate(settings, store);
		expect(other.receive(event('calm'), 0)).toEqual({ kind: 'none', reason: 'duplicate' });
		expect(other.receive(event('calm', { timestamp: '2025-01-01T00:00:05.000Z' }), 0)).toEqual({ kind: 'none', reason: 'filtered' });
		expect(JSON.parse(store.entries.get('t1')!)).toEqual({ seen: ['2025-01-01T00:00:00.000Z|0', '2025-01-01T00:00:05.000Z|0'], lastText: 'calm' });
	});

	it('forgets a stream at its end but for its deliveries (a repeated final callback is still a duplicate)', () => {
		const store = jsonStore();
		const gate = createResultGate({ filter: { mode: 'changes' }, ignoreDuplicates: true }, store);
		gate.receive(event('calm'), 0);
		const end = event('', { status: 14, ended: true, timestamp: '2025-01-01T00:00:10.000Z' });
		expect(gate.receive(end, 0).kind).toBe('emit');
		expect(JSON.parse(store.entries.get('t1')!)).toEqual({ seen: ['2025-01-01T00:00:00.000Z|0', '2025-01-01T00:00:10.000Z|14'] });
		expect(gate.receive(end, 0)).toEqual({ kind: 'none', reason: 'duplicate' });
	});

	it('takes no room for a stream with nothing to remember', () => {
		const store = jsonStore();
		createResultGate({ filter: { mode: 'all' }, ignoreDuplicates: false }, store).receive(event('x'), 0);
		expect(store.entries.size).toBe(0);
	});

	it('keeps task ids such as __proto__ apart in this process\'s store', () => {
		const gate = createResultGate({ filter: { mode: 'changes' }, ignoreDuplicates: true }, createMemoryGateStore());
		expect(gate.receive(event('a', { taskId: '__proto__' }), 0).kind).toBe('emit');
		expect(gate.receive(event('a', { taskId: 'constructor' }), 0).kind).toBe('emit');
		expect(gate.receive(event('a', { taskId: '__proto__', timestamp: null }), 0)).toEqual({ kind: 'none', reason: 'filtered' });
	});
});
