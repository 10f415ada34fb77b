// Scripted scenarios and JSON answers: what a stream shows follows its script and the frame
// counter; expectations here are computed from the script, never written down as numbers.
import { interpretStartResponse } from '../../core';
import { Sandbox, Scenario, ScenarioWindow, startSandbox, windowAnswer } from '../../sandbox/src';
import { get, start, startParams } from '../support/api';
import { forTask, Receiver, Received, startReceiver } from './support/receiver';
import { deliveriesOf } from './support/records';

const KEY = 'sk-test-1';
const INTERVAL = 20;
let sandbox: Sandbox;
let receiver: Receiver;

beforeEach(async () => {
	receiver = await startReceiver();
	sandbox = await startSandbox({ intervalMs: INTERVAL, keys: [KEY] });
});
afterEach(async () => {
	await sandbox.close();
	await receiver.close();
});

// Our answer instruction, written out as ANSWER-FORMAT.md specifies it (the sandbox reads the text).
const FIELDS = [
	'- "boiling_over" (true or false): Is the pan boiling over?',
	'- "people" (number): How many people are in view?',
	'- "state" (one of: "calm", "simmering", "boiling"): How the pan looks.',
	'- "note" (string): Anything else worth knowing.',
	'- "smoke" (true or false):',
];
const NAMES = ['boiling_over', 'people', 'state', 'note', 'smoke'];
const jsonPrompt = (fields = FIELDS, eol = '\n') =>
	[
		'Tell me when the pan is boiling over.',
		'',
		'Answer with one JSON object only, and no other text. Use exactly these fields:',
		...fields,
		'Example: {"boiling_over": false, "people": 0, "state": "calm", "note": "...", "smoke": false}',
	].join(eol);

const boil = () => sandbox.scenarios().find((s) => s.name === 'boil')!;
const windowOf = (script: Scenario, frame: number) => script.windows[(frame - 1) % script.cycle];

async function startTask(rtmpUrl: string, userPrompt = 'Tell me when the pan is boiling over.'): Promise<string> {
	const answer = await start(sandbox.url, KEY, startParams(`${receiver.url}/cb?token=s3cret`, { rtmpUrl, userPrompt }));
	return interpretStartResponse(answer).taskId;
}

type Callback = { status: number; data: { text: string; timestamp: string } };

/** Every result of a task whose source ends after `frames` windows, by frame number (1-based). */
async function results(taskId: string, frames: number): Promise<Map<number, string>> {
	const received = await receiver.waitFor(frames + 1, forTask(taskId), 20000);
	const startedAt = Date.parse(sandbox.task(taskId)!.startedAt);
	const byFrame = new Map<number, string>();
	for (const r of received.map((c: Received) => c.json as Callback)) {
		if (r.status !== 0) continue;
		byFrame.set((Date.parse(r.data.timestamp) - startedAt) / INTERVAL, r.data.text);
	}
	expect([...byFrame.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: frames }, (_, i) => i + 1));
	return byFrame;
}

/** Episodes as a receiver with a debounce of `n` windows and an end after `m` failing windows counts them. */
function countEpisodes(events: boolean[], n: number, m: number): number {
	let episodes = 0;
	let open = false;
	let held = 0;
	let failed = 0;
	for (const event of events) {
		held = event ? held + 1 : 0;
		failed = event ? 0 : failed + 1;
		if (!open && held >= n) [open, episodes] = [true, episodes + 1];
		if (open && failed >= m) open = false;
	}
	return episodes;
}

describe('the scripts', () => {
	it('are listed by the route and the API alike', async () => {
		const { scenarios } = (await get(`${sandbox.url}/_sandbox/scenarios`)).json as { scenarios: Scenario[] };
		expect(scenarios).toEqual(JSON.parse(JSON.stringify(sandbox.scenarios())));
		expect(scenarios.map((s) => s.name)).toEqual(expect.arrayContaining(['boil', 'calm', 'flicker']));
		for (const s of scenarios) {
			expect(s.cycle).toBe(s.windows.length);
			expect(s.windows.map((w) => w.window)).toEqual(Array.from({ length: s.cycle }, (_, i) => i + 1));
		}
	});

	it('count as episodes what a debounce of 2 and an end after 2 failing windows count', () => {
		for (const s of sandbox.scenarios()) {
			expect(countEpisodes(s.windows.map((w) => w.event), 2, 2)).toBe(s.episodesPerCycle);
		}
	});

	it('boil: calm, boiling with a one-window flicker inside, calm, boiling again, calm', () => {
		const runs: Array<{ event: boolean; length: number; flicker: boolean }> = [];
		for (const w of boil().windows) {
			const last = runs[runs.length - 1];
			if (last && last.event === w.event) last.length++;
			else runs.push({ event: w.event, length: 1, flicker: w.flicker });
		}
		expect(runs.map((r) => r.event)).toEqual([false, true, false, true, false, true, false]);
		expect(runs[2]).toMatchObject({ length: 1, flicker: true }); // the flicker…
		const flicker = boil().windows.find((w) => w.flicker)!;
		expect(flicker.episode).toBe(1); // …belongs to the episode around it
		expect(boil().episodesPerCycle).toBe(new Set(boil().windows.map((w) => w.episode).filter((e) => e !== null)).size);
		expect(runs[0].length).toBeGreaterThan(2);
		expect(runs[4].length).toBeGreaterThan(2); // an episode ends between the two boiling stretches
	});

	it('say "boiling over" in every event window and "boil" in no other', () => {
		for (const w of sandbox.scenarios().flatMap((s) => s.windows)) {
			if (w.event) expect(w.text).toContain('boiling over');
			else expect(w.text).not.toMatch(/boil/i);
		}
	});

	it('sum up any number of frames like an episode machine over the repeated script', async () => {
		const script = boil();
		for (const frames of [1, 6, 7, 20, script.cycle, script.cycle + 7, 100, 720]) {
			const events = Array.from({ length: frames }, (_, i) => windowOf(script, i + 1).event);
			const { summary } = (await get(`${sandbox.url}/_sandbox/scenarios/boil?frames=${frames}`)).json as { summary: Record<string, number> };
			expect(summary).toEqual({ frames, eventWindows: events.filter(Boolean).length, episodes: countEpisodes(events, 1, 2) });
		}
		expect((await get(`${sandbox.url}/_sandbox/scenarios/boiling`)).httpStatus).toBe(404);
		expect((await get(`${sandbox.url}/_sandbox/scenarios/boil?frames=-1`)).httpStatus).toBe(400);
	});
});

describe('text mode', () => {
	it('follows the script, repeating it, frame by frame', async () => {
		const script = boil();
		const frames = script.cycle + 8;
		const taskId = await startTask(`rtmp://cam.example/live/kitchen?scenario=boil&frames=${frames}`);
		expect(sandbox.task(taskId)).toMatchObject({ scenario: 'boil' });
		expect(sandbox.task(taskId)?.answerFields).toBeUndefined();
		const texts = await results(taskId, frames);
		for (const [frame, text] of texts) {
			expect(text).toBe(windowOf(script, frame).text);
			expect(text.includes('boiling over')).toBe(windowOf(script, frame).event);
		}
		const events = Array.from({ length: frames }, (_, i) => texts.get(i + 1)!.includes('boiling over'));
		const { summary } = (await get(`${sandbox.url}/_sandbox/scenarios/boil?frames=${frames}`)).json as { summary: { episodes: number } };
		expect(countEpisodes(events, 1, 2)).toBe(summary.episodes);
		for (let frame = 2; frame <= frames; frame++) expect(texts.get(frame)).not.toBe(texts.get(frame - 1)); // a model's wording changes every window
	});

	it('refuses an unknown scenario with -1, naming the known ones, and starts nothing', async () => {
		const answer = await start(sandbox.url, KEY, startParams(`${receiver.url}/cb`, { rtmpUrl: 'rtmp://cam.example/live/k?scenario=boill' }));
		expect(answer.json).toMatchObject({ status: -1, text: expect.stringMatching(/unknown sandbox scenario "boill" \(known: boil, calm, flicker\)/) });
		expect(sandbox.activeTasks()).toHaveLength(0);
	});
});

describe('JSON mode', () => {
	/** The answer the script calls for in `w`, read by rules of this test's own. */
	function expectAnswer(answer: unknown, w: ScenarioWindow, names = NAMES): void {
		expect(Object.keys(answer as object)).toEqual(names);
		const a = answer as Record<string, unknown>;
		const expected: Record<string, unknown> = {
			boiling_over: w.event,
			state: w.event ? 'boiling' : 'calm',
			note: w.text,
			smoke: w.event,
		};
		for (const name of names) if (name !== 'people') expect(a[name]).toBe(expected[name]);
		if (names.includes('people')) {
			expect(Number.isInteger(a.people)).toBe(true);
			expect((a.people as number) > 1).toBe(w.event);
		}
	}

	it('answers exactly the declared object, following the script', async () => {
		const script = boil();
		const frames = script.cycle + 4;
		const taskId = await startTask(`rtmp://cam.example/live/kitchen?scenario=boil&frames=${frames}`, jsonPrompt());
		expect(sandbox.task(taskId)?.answerFields).toEqual(NAMES);
		for (const [frame, text] of await results(taskId, frames)) {
			expectAnswer(JSON.parse(text), windowOf(script, frame));
			expect(text.startsWith('{') && text.endsWith('}')).toBe(true);
			expect(windowAnswer({ userPrompt: jsonPrompt(), rtmpUrl: `rtmp://x/live/k?scenario=boil` }, frame).text).toBe(text);
		}
	});

	it('reads the instruction with Windows line ends, and a field declared twice once', async () => {
		const prompt = jsonPrompt([...FIELDS, FIELDS[0]], '\r\n');
		const taskId = await startTask('rtmp://cam.example/live/kitchen?scenario=boil&frames=2', prompt);
		for (const [frame, text] of await results(taskId, 2)) expectAnswer(JSON.parse(text), windowOf(boil(), frame));
	});

	it.each([
		['no instruction', 'Answer in JSON with a field "boiling_over".'],
		['a field line it cannot read', jsonPrompt(["- 'boiling_over' (true or false): Is it?"])],
	])('answers in text when the prompt has %s', async (_name, prompt) => {
		const taskId = await startTask('rtmp://cam.example/live/kitchen?scenario=boil&frames=2', prompt);
		for (const [frame, text] of await results(taskId, 2)) expect(text).toBe(windowOf(boil(), frame).text);
		expect(sandbox.task(taskId)?.answerFields).toBeUndefined();
	});

	it('without a scenario, holds the event where the default story says the pan boils over', async () => {
		const frames = 20; // the story has 10 observations in pairs: 20 windows show each of them
		const taskId = await startTask(`rtmp://cam.example/live/kitchen?frames=${frames}`, jsonPrompt());
		const answers = [...(await results(taskId, frames)).values()].map((t) => JSON.parse(t) as Record<string, unknown>);
		for (const a of answers) expect(a.boiling_over).toBe(String(a.note).includes('boiling over'));
		expect(answers.some((a) => a.boiling_over === true)).toBe(true);
		expect(answers.some((a) => a.boiling_over === false)).toBe(true);
	});
});

describe('answer faults', () => {
	/** Checks one answer text against the script's window and the fault it was sent with. */
	function expectFaultyAnswer(text: string, w: ScenarioWindow, fault: string | null): void {
		const clean = (json: unknown) => {
			const a = json as Record<string, unknown>;
			expect(Object.keys(a)).toEqual(NAMES);
			expect([a.boiling_over, a.smoke]).toEqual([w.event, w.event]);
			expect(a.note).toBe(w.text);
		};
		switch (fault) {
			case null: return clean(JSON.parse(text));
			case 'answer_prose': {
				expect(text.startsWith('{')).toBe(false);
				expect(text.endsWith('}')).toBe(false);
				return clean(JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1)));
			}
			case 'answer_code_fence': {
				const match = /^```json\n([\s\S]*)\n```$/.exec(text);
				expect(match).not.toBeNull();
				return clean(JSON.parse(match![1]));
			}
			case 'answer_invalid_json':
				expect(() => JSON.parse(text)).toThrow();
				return expect(text.startsWith('{"boiling_over": ')).toBe(true);
			case 'answer_missing_field':
				return expect(Object.keys(JSON.parse(text))).toEqual(NAMES.slice(0, -1));
			case 'answer_trailing_comma':
				expect(() => JSON.parse(text)).toThrow();
				expect(text).toMatch(/,}$/);
				return clean(JSON.parse(text.replace(/,}$/, '}')));
			case 'answer_yes_no': {
				const a = JSON.parse(text) as Record<string, unknown>;
				expect([a.boiling_over, a.smoke]).toEqual(w.event ? ['yes', 'yes'] : ['no', 'no']);
				return expect(typeof a.people).toBe('number');
			}
			case 'answer_number_string': {
				const a = JSON.parse(text) as Record<string, unknown>;
				expect(a.people).toMatch(/^\d+$/);
				expect(Number(a.people) > 1).toBe(w.event);
				return expect(a.boiling_over).toBe(w.event);
			}
			default: throw new Error(`no check for ${fault}`);
		}
	}

	const ANSWER_FAULTS = ['answer_prose', 'answer_code_fence', 'answer_invalid_json', 'answer_missing_field', 'answer_trailing_comma', 'answer_yes_no', 'answer_number_string'];

	it.each(ANSWER_FAULTS)('%s, injected for one callback', async (fault) => {
		sandbox.injectFault({ on: 'callback', kind: 'variant', variants: [fault] });
		const taskId = await startTask('rtmp://cam.example/live/kitchen?scenario=boil&frames=2', jsonPrompt());
		const texts = await results(taskId, 2);
		expectFaultyAnswer(texts.get(1)!, windowOf(boil(), 1), fault);
		expectFaultyAnswer(texts.get(2)!, windowOf(boil(), 2), null);
	});

	it('scripted with &answer_faults=1: each at its window of the script, every cycle', async () => {
		const script = boil();
		const placed = script.windows.filter((w) => w.answerFault !== null);
		expect(new Set(placed.map((w) => w.answerFault))).toEqual(new Set(ANSWER_FAULTS));
		const frames = script.cycle + Math.max(...placed.map((w) => w.window)); // every fault twice
		const taskId = await startTask(`rtmp://cam.example/live/kitchen?scenario=boil&answer_faults=1&frames=${frames}`, jsonPrompt());
		for (const [frame, text] of await results(taskId, frames)) expectFaultyAnswer(text, windowOf(script, frame), windowOf(script, frame).answerFault);
		const recorded = (await deliveriesOf(sandbox, taskId, frames + 1)).filter((d) => d.variants?.some((v) => v.startsWith('answer_')));
		expect(recorded).toHaveLength(placed.filter((w) => w.window <= frames - script.cycle).length + placed.length);
	});

	// Whether a receiver skips an unreadable window or counts it as not matching, a calm window
	// between calm neighbours changes no episode (nor when one ends).
	it('places unreadable answers only where they cannot change an episode', () => {
		for (const w of boil().windows.filter((x) => x.answerFault === 'answer_invalid_json' || x.answerFault === 'answer_missing_field')) {
			const around = boil().windows.slice(Math.max(0, w.window - 2), w.window + 1);
			expect(around).toHaveLength(3);
			expect(around.every((x) => !x.event && x.episode === null)).toBe(true);
		}
	});

	it('waits for a callback it can change: not in text mode, not without a field of its type', async () => {
		sandbox.injectFault({ on: 'callback', kind: 'variant', variants: ['answer_yes_no'] });
		const textTask = await startTask('rtmp://cam.example/live/kitchen?scenario=boil&frames=2');
		for (const [frame, text] of await results(textTask, 2)) expect(text).toBe(windowOf(boil(), frame).text);
		const numbersOnly = await startTask('rtmp://cam.example/live/kitchen?scenario=boil&frames=2', jsonPrompt([FIELDS[1]]));
		for (const text of (await results(numbersOnly, 2)).values()) expect(Object.keys(JSON.parse(text))).toEqual(['people']);
		expect(sandbox.engine.faults.list()).toEqual([expect.objectContaining({ kind: 'variant', remaining: 1 })]);
		const jsonTask = await startTask('rtmp://cam.example/live/kitchen?scenario=boil&frames=1', jsonPrompt());
		expectFaultyAnswer((await results(jsonTask, 1)).get(1)!, windowOf(boil(), 1), 'answer_yes_no');
		expect(sandbox.engine.faults.list()).toEqual([]);
	});
});
